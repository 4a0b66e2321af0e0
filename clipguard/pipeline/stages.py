"""Stages as plain functions over the files of one ``RecordingLayout``.

Each stage reads what the previous one wrote, records itself in the manifest, and
is skipped on a re-run when its key (inputs + options + plug-in versions) is
unchanged and its outputs still load (``Manifest.reuse``: the one skip rule).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from clipguard.asr.transcribe import ProgressFn, TranscribeOptions, cache_key, transcribe
from clipguard.clipper.highlights import HighlightOptions, HighlightsResult
from clipguard.clipper.render import RenderOptions
from clipguard.compliance_rules.scanner import Scanner
from clipguard.errors import MediaError, SilentMediaError
from clipguard.media import SILENCE_DBFS, AudioStats, probe, sha256_file
from clipguard.models import SCHEMA_VERSION, Clip, ClipPlan, Finding, Highlight, Transcript
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest, stage_key
from clipguard.writers import atomic_path, ensure_dir, read_json, write_json, write_transcript

log = logging.getLogger(__name__)


def stage_transcribe(
    media_path: Path,
    layout: RecordingLayout,
    options: TranscribeOptions,
    progress: ProgressFn | None = None,
) -> tuple[Transcript, bool]:
    """Transcribe unless an identical transcript exists; returns (transcript, cached).

    The input is probed before the recording's folder is created, so a file that is
    not media leaves nothing behind."""
    media = probe(Path(media_path), allow_partial=options.allow_partial)
    layout.create()
    manifest = Manifest.load(layout.manifest)
    key = cache_key(media, options)
    manifest.set(
        input={"path": str(media_path), "sha256": media.sha256, "duration": media.duration},
        model=options.model,
    )
    cached = manifest.reuse(
        "transcribe",
        key,
        [layout.transcript],
        lambda: Transcript.from_dict(read_json(layout.transcript)),
    )
    if cached is not None:
        log.info("%s: reusing cached transcript", media_path)
        _raise_if_silent(cached, media_path)
        return cached, True
    stats = AudioStats()
    t0 = time.perf_counter()
    try:
        transcript = transcribe(media_path, options, media=media, progress=progress, stats=stats)
    except Exception as exc:
        manifest.record("transcribe", "failed", key=key, error=str(exc))
        raise
    write_transcript(transcript, layout.transcript, layout.srt, layout.vtt)
    if stats.envelope:
        with atomic_path(layout.envelope) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.asarray(stats.envelope, dtype=np.float32))
    cov = transcript.coverage
    manifest.record(
        "transcribe",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        cached=False,
        rtf=round(transcript.seconds / max(media.duration, 1e-6), 4),
        language=transcript.language,
        coverage=round(cov.ratio, 4) if cov else None,
        gaps=len(cov.gaps) if cov else 0,
        options=options.output_key(),
    )
    _raise_if_silent(transcript, media_path)
    return transcript, False


def _raise_if_silent(transcript: Transcript, media_path: Path) -> None:
    peak = transcript.options.get("peak_dbfs")
    if not transcript.segments and (peak is None or peak < SILENCE_DBFS):
        level = "no signal at all" if peak is None else f"peak {peak:.0f} dBFS"
        raise SilentMediaError(
            f"{media_path}: audio is silent ({level}); wrote an empty transcript, nothing to review"
        )


def findings_document(scanner: Scanner, transcript: Transcript, findings: list[Finding]) -> dict:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("block", "review", "info")}
    return {
        "schema_version": SCHEMA_VERSION,
        "media": transcript.media.to_dict(),
        "rules": scanner.headers,
        "summary": counts,
        "findings": [f.to_dict() for f in findings],
    }


def stage_scan(transcript: Transcript, layout: RecordingLayout, scanner: Scanner) -> list[Finding]:
    """Scan a transcript; skipped when neither the transcript nor the rules changed."""
    layout.create()
    manifest = Manifest.load(layout.manifest)
    key = stage_key(transcript.cache_key, scanner.fingerprint)
    cached = manifest.reuse(
        "scan",
        key,
        [layout.findings],
        lambda: [Finding.from_dict(f) for f in read_json(layout.findings)["findings"]],
    )
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    findings = scanner.scan(transcript)
    write_json(layout.findings, findings_document(scanner, transcript, findings))
    manifest.record(
        "scan",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        rules=scanner.headers,
        findings=len(findings),
    )
    return findings


def load_transcript_input(path: Path) -> Transcript:
    """A ``transcript.json`` given to ``scan`` instead of media."""
    try:
        return Transcript.from_dict(read_json(Path(path)))
    except (OSError, ValueError) as exc:
        raise MediaError(f"{path}: cannot read transcript: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise MediaError(f"{path}: not a clipguard transcript.json (missing {exc})") from None


def stage_report(layout: RecordingLayout, transcript: Transcript, link_media: str) -> Path:
    """(Re)write report.html from whatever stage outputs exist (cheap, never skipped)."""
    from clipguard.report import write_report

    def maybe(path: Path) -> dict | None:
        try:
            return read_json(path) if path.exists() else None
        except (OSError, ValueError):
            return None

    t0 = time.perf_counter()
    path = write_report(
        layout.report,
        transcript=transcript.to_dict(),
        findings=maybe(layout.findings) or {"rules": [], "findings": []},
        highlights=maybe(layout.highlights),
        clips=maybe(layout.clips_index),
        link_media=link_media,
    )
    Manifest.load(layout.manifest).record("report", "ok", seconds=time.perf_counter() - t0)
    return path


def _load_signals(path: Path) -> tuple[dict[str, np.ndarray], list[float]]:
    with np.load(path, allow_pickle=False) as data:
        signals = {k[4:]: data[k] for k in data.files if k.startswith("sig_")}
        return signals, data["cuts"].tolist()


def stage_highlights(
    media_path: Path,
    transcript: Transcript,
    findings: list[Finding],
    layout: RecordingLayout,
    options: HighlightOptions,
    chat_path: Path | None = None,
) -> HighlightsResult:
    """Score, rank and gate highlights; the signals are cached on their own (chat included)."""
    from clipguard.clipper.highlights import find_highlights, gap_findings
    from clipguard.clipper.signals import (
        SIGNAL_VERSIONS,
        KeyframeScan,
        SignalContext,
        compute_signals,
        load_chat,
    )

    layout.create()
    manifest = Manifest.load(layout.manifest)
    chat = load_chat(chat_path) if chat_path else []
    chat_sig = sha256_file(Path(chat_path)) if chat_path else ""
    sig_key = stage_key(SIGNAL_VERSIONS, transcript.cache_key, chat_sig)
    gaps = [f.to_dict() for f in gap_findings(transcript)]
    key = stage_key(sig_key, [f.to_dict() for f in findings], gaps, asdict(options))
    t0 = time.perf_counter()
    cached_signals = manifest.reuse(
        "signals", sig_key, [layout.signals], lambda: _load_signals(layout.signals)
    )
    if cached_signals is not None:
        done = manifest.reuse(
            "highlights",
            key,
            [layout.highlights],
            lambda: [Highlight.from_dict(h) for h in read_json(layout.highlights)["highlights"]],
        )
        if done is not None:
            return HighlightsResult(tuple(done), tuple(cached_signals[1]), cached_signals[0])
    envelope = np.load(layout.envelope) if layout.envelope.exists() else None
    ctx = SignalContext(
        Path(media_path),
        transcript,
        transcript.media.decoded_duration or transcript.media.duration,
        envelope,
        chat,
    )
    if cached_signals is not None:
        signals, cuts = cached_signals
        ctx.keyframes = KeyframeScan(np.zeros(0), np.zeros(0), cuts)
        refine = False  # cached signals are already refined
    else:
        signals = compute_signals(ctx)
        refine = True
    highlights, signals = find_highlights(
        ctx, findings, replace(options, refine=options.refine and refine), signals
    )
    cuts = ctx.keyframes.cuts if ctx.keyframes else []
    if cached_signals is None:
        with atomic_path(layout.signals) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                cuts=np.asarray(cuts, dtype=np.float64),
                **{f"sig_{k}": v for k, v in signals.items()},
            )
        manifest.record(
            "signals", "ok", key=sig_key, seconds=time.perf_counter() - t0, versions=SIGNAL_VERSIONS
        )
    dropped = [h.to_dict() for h in highlights if h.gate == "dropped"]
    write_json(
        layout.highlights,
        {
            "schema_version": SCHEMA_VERSION,
            "grid": 0.5,
            "gate": options.gate,
            "options": asdict(options),
            "scene_cuts": [round(c, 3) for c in cuts],
            "highlights": [h.to_dict() for h in highlights],
            "dropped": dropped,
        },
    )
    manifest.record(
        "highlights",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        highlights=len(highlights),
        dropped=len(dropped),
    )
    return HighlightsResult(tuple(highlights), tuple(cuts), signals)


def stage_clips(
    media_path: Path,
    transcript: Transcript,
    result: HighlightsResult,
    layout: RecordingLayout,
    count: int,
    options: RenderOptions,
    *,
    progress: ProgressFn | None = None,
    max_seconds: float = 1e9,
    forbidden: list[tuple[float, float]] | None = None,
) -> list[Clip]:
    """Render the top gated highlights; skipped when nothing they depend on changed
    (the caption text included, so an edited transcript re-renders)."""
    from clipguard.clipper.highlights import clip_spans
    from clipguard.clipper.render import output_size, render_clip
    from clipguard.clipper.signals import GRID

    layout.create()
    manifest = Manifest.load(layout.manifest)
    segments = [s for s in transcript.segments if s.words]
    spans = clip_spans(
        list(result.highlights), count, list(result.cuts), segments, max_seconds, forbidden
    )
    width, height = output_size(options.aspect)
    captions = [
        tuple(s for s in segments if s.end > start and s.start < end) for start, end, _ in spans
    ]
    key = stage_key(
        transcript.media.sha256,
        [(a, b) for a, b, _ in spans],
        [[s.text for s in caps] for caps in captions],
        asdict(options),
        width,
        height,
    )
    expected = [layout.clip(i) for i in range(1, len(spans) + 1)]
    cached = manifest.reuse(
        "clips",
        key,
        [layout.clips_index, *expected],
        lambda: [Clip.from_dict(c) for c in read_json(layout.clips_index)["clips"]],
    )
    if cached is not None:
        return cached
    if transcript.media.has_video is False:
        raise MediaError(f"{media_path}: has no video stream, so there is nothing to clip")
    curve = result.score_curve()
    t0 = time.perf_counter()
    clips: list[Clip] = []
    clips_dir = ensure_dir(layout.clips_dir)
    for i, ((start, end, h), caps) in enumerate(zip(spans, captions), 1):
        cover_time = None
        if curve is not None and curve.size:
            a, b = int(start / GRID), max(int(start / GRID) + 1, int(end / GRID))
            cover_time = (a + int(np.argmax(curve[a:b]))) * GRID + GRID / 2
        plan = ClipPlan(
            i,
            Path(media_path),
            start,
            end,
            h.score,
            width,
            height,
            caps,
            options.promo_text,
            h.reasons,
            cover_time,
        )
        clip = render_clip(plan, clips_dir, options)
        clips.append(replace(clip, highlight={"start": h.start, "end": h.end, "gate": h.gate}))
        if progress:
            progress(i, len(spans))
    old = read_json(layout.clips_index)["clips"] if layout.clips_index.exists() else []
    write_json(
        layout.clips_index,
        {"schema_version": SCHEMA_VERSION, "clips": [c.to_dict() for c in clips]},
    )
    for stale in old[len(clips) :]:  # our own earlier clips beyond the new count
        for suffix in (".mp4", ".srt", ".jpg"):
            (clips_dir / (Path(stale["path"]).stem + suffix)).unlink(missing_ok=True)
    manifest.record("clips", "ok", key=key, seconds=time.perf_counter() - t0, clips=len(clips))
    return clips
