"""Stages as plain functions over files in ``OUT/<stem>/``.

Each stage reads what the previous one wrote, records itself in the manifest, and is
skipped on a re-run when its key (inputs + options) is unchanged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from clipguard.asr.transcribe import (
    ProgressFn,
    TranscribeOptions,
    cache_key,
    load_cached,
    transcribe,
)
from clipguard.clipper.highlights import HighlightOptions
from clipguard.clipper.render import RenderOptions
from clipguard.compliance_rules.scanner import Scanner
from clipguard.errors import MediaError, SilentMediaError
from clipguard.media import ENVELOPE_HOP, SILENCE_DBFS, AudioStats, probe, sha256_file
from clipguard.models import ClipPlan, Finding, Highlight, Transcript
from clipguard.pipeline.manifest import Manifest, stage_key
from clipguard.writers import (
    atomic_path,
    ensure_dir,
    read_json,
    write_json,
    write_transcript,
)

log = logging.getLogger(__name__)

ENVELOPE_FILE = "audio_envelope.npy"


def recording_dir(out: Path, media: Path) -> Path:
    return Path(out) / Path(media).stem


def stage_transcribe(
    media_path: Path,
    out_dir: Path,
    options: TranscribeOptions,
    progress: ProgressFn | None = None,
) -> tuple[Transcript, bool]:
    """Transcribe unless an identical transcript is cached; returns (transcript, cached)."""
    out_dir = ensure_dir(Path(out_dir))
    manifest = Manifest.load(out_dir)
    media = probe(Path(media_path), allow_partial=options.allow_partial)
    key = cache_key(media, options)
    manifest.set(
        input={"path": str(media_path), "sha256": media.sha256, "duration": media.duration},
        model=options.model,
    )
    cached = load_cached(out_dir / "transcript.json", key)
    if cached is not None:
        log.info("%s: reusing cached transcript", media_path)
        manifest.record(
            "transcribe",
            "ok",
            key=key,
            seconds=0.0,
            cached=True,
            coverage=round(cached.coverage.ratio, 4) if cached.coverage else None,
            gaps=len(cached.coverage.gaps) if cached.coverage else 0,
        )
        _raise_if_silent(cached, media_path)
        return cached, True
    stats = AudioStats()
    t0 = time.perf_counter()
    try:
        transcript = transcribe(media_path, options, media=media, progress=progress, stats=stats)
    except Exception as exc:
        manifest.record("transcribe", "failed", key=key, error=str(exc))
        raise
    write_transcript(out_dir, transcript)
    if stats.envelope:
        with atomic_path(out_dir / ENVELOPE_FILE) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.asarray(stats.envelope, dtype=np.float32))
    manifest.record(
        "transcribe",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        cached=False,
        rtf=round(transcript.seconds / max(media.duration, 1e-6), 4),
        language=transcript.language,
        coverage=round(transcript.coverage.ratio, 4) if transcript.coverage else None,
        gaps=len(transcript.coverage.gaps) if transcript.coverage else 0,
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


def load_envelope(out_dir: Path) -> tuple[np.ndarray, float] | None:
    path = Path(out_dir) / ENVELOPE_FILE
    if not path.exists():
        return None
    return np.load(path), ENVELOPE_HOP


def findings_document(scanner: Scanner, transcript: Transcript, findings: list[Finding]) -> dict:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("block", "review", "info")}
    return {
        "schema_version": 1,
        "media": transcript.media.to_dict(),
        "rules": scanner.headers,
        "summary": counts,
        "findings": [f.to_dict() for f in findings],
    }


def stage_scan(transcript: Transcript, out_dir: Path, scanner: Scanner) -> list[Finding]:
    """Scan a transcript; skipped when neither the transcript nor the rules changed."""
    out_dir = ensure_dir(Path(out_dir))
    manifest = Manifest.load(out_dir)
    key = stage_key(transcript.cache_key, scanner.fingerprint)
    path = out_dir / "findings.json"
    if manifest.is_done("scan", key, [path]):
        try:
            return [Finding.from_dict(f) for f in read_json(path)["findings"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable: scan again
    t0 = time.perf_counter()
    findings = scanner.scan(transcript)
    write_json(path, findings_document(scanner, transcript, findings))
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


def write_recording_report(
    out_dir: Path, transcript: Transcript, link_media: str = "absolute"
) -> Path:
    """(Re)write report.html from whatever stage outputs exist in ``out_dir``."""
    from clipguard.report import write_report

    out_dir = Path(out_dir)

    def maybe(name: str) -> dict | None:
        path = out_dir / name
        try:
            return read_json(path) if path.exists() else None
        except (OSError, ValueError):
            return None

    return write_report(
        out_dir,
        transcript=transcript.to_dict(),
        findings=maybe("findings.json") or {"rules": [], "findings": []},
        highlights=maybe("highlights.json"),
        clips=maybe("clips/clips.json"),
        link_media=link_media,
    )


SIGNALS_FILE = "signals.npz"


def _signals_cached(out_dir: Path, key: str) -> tuple[dict[str, np.ndarray], list[float]] | None:
    path = out_dir / SIGNALS_FILE
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            signals = {k[4:]: data[k] for k in data.files if k.startswith("sig_")}
            return signals, data["cuts"].tolist()
    except (OSError, KeyError, ValueError):
        return None


def stage_highlights(
    media_path: Path,
    transcript: Transcript,
    findings: list[Finding],
    out_dir: Path,
    options: HighlightOptions,
    chat_path: Path | None = None,
) -> tuple[list[Highlight], list[float], dict[str, np.ndarray]]:
    """Score, rank and gate highlights; signals are cached per recording (+ chat)."""
    from clipguard.clipper.highlights import find_highlights
    from clipguard.clipper.signals import KeyframeScan, SignalContext, compute_signals, load_chat

    out_dir = ensure_dir(Path(out_dir))
    manifest = Manifest.load(out_dir)
    chat = load_chat(chat_path) if chat_path else []
    chat_sig = sha256_file(Path(chat_path)) if chat_path else ""
    sig_key = stage_key("signals-v1", transcript.cache_key, chat_sig)
    key = stage_key(sig_key, [f.to_dict() for f in findings], asdict(options))
    path = out_dir / "highlights.json"
    t0 = time.perf_counter()
    env = load_envelope(out_dir)
    ctx = SignalContext(
        Path(media_path),
        transcript,
        transcript.media.decoded_duration or transcript.media.duration,
        env[0] if env else None,
        chat,
    )
    cached = _signals_cached(out_dir, sig_key)
    if cached:
        signals, cuts = cached
        ctx.keyframes = KeyframeScan(np.zeros(0), np.zeros(0), cuts)
        refine = False  # cached signals are already refined
    else:
        signals = compute_signals(ctx)
        refine = True
    highlights, signals = find_highlights(
        ctx, findings, replace(options, refine=options.refine and refine), signals
    )
    cuts = ctx.keyframes.cuts if ctx.keyframes else []
    if not cached:
        with atomic_path(out_dir / SIGNALS_FILE) as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                key=np.array(sig_key),
                cuts=np.asarray(cuts, dtype=np.float64),
                **{f"sig_{k}": v for k, v in signals.items()},
            )
    doc = {
        "schema_version": 1,
        "grid": 0.5,
        "gate": options.gate,
        "options": asdict(options),
        "scene_cuts": [round(c, 3) for c in cuts],
        "highlights": [h.to_dict() for h in highlights],
        "dropped": [h.to_dict() for h in highlights if h.gate == "dropped"],
    }
    write_json(path, doc)
    manifest.record(
        "highlights",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        highlights=len(highlights),
        dropped=len(doc["dropped"]),
    )
    return highlights, cuts, signals


def stage_clips(
    media_path: Path,
    transcript: Transcript,
    highlights: list[Highlight],
    cuts: list[float],
    signals: dict[str, np.ndarray],
    out_dir: Path,
    count: int,
    options: RenderOptions,
    progress: ProgressFn | None = None,
    max_seconds: float = 1e9,
    forbidden: list[tuple[float, float]] | None = None,
) -> list[dict]:
    """Render the top gated highlights; skipped when nothing they depend on changed."""
    from clipguard.clipper.highlights import clip_spans
    from clipguard.clipper.render import output_size, render_clip
    from clipguard.clipper.signals import GRID

    out_dir = ensure_dir(Path(out_dir))
    clips_dir = ensure_dir(out_dir / "clips")
    manifest = Manifest.load(out_dir)
    segments = [s for s in transcript.segments if s.words]
    spans = clip_spans(highlights, count, cuts, segments, max_seconds, forbidden)
    width, height = output_size(options.aspect)
    key = stage_key(
        transcript.media.sha256, [(a, b) for a, b, _ in spans], asdict(options), width, height
    )
    index_path = clips_dir / "clips.json"
    expected = [clips_dir / f"clip_{i:02d}.mp4" for i in range(1, len(spans) + 1)]
    if manifest.is_done("clips", key, [index_path, *expected]):
        return read_json(index_path)["clips"]
    if transcript.media.has_video is False:
        raise MediaError(f"{media_path}: has no video stream, so there is nothing to clip")
    total = np.sum([signals[k] for k in signals], axis=0) if signals else None
    t0 = time.perf_counter()
    results = []
    for i, (start, end, h) in enumerate(spans, 1):
        cover_time = None
        if total is not None and total.size:
            a, b = int(start / GRID), max(int(start / GRID) + 1, int(end / GRID))
            cover_time = (a + int(np.argmax(total[a:b]))) * GRID + GRID / 2
        captions = tuple(s for s in segments if s.end > start and s.start < end)
        plan = ClipPlan(
            i,
            str(media_path),
            start,
            end,
            h.score,
            width,
            height,
            captions,
            options.promo_text,
            h.reasons,
            cover_time,
        )
        info = render_clip(plan, clips_dir, options)
        info.update(highlight={"start": h.start, "end": h.end, "gate": h.gate})
        results.append(info)
        if progress:
            progress(i, len(spans))
    old = read_json(index_path)["clips"] if index_path.exists() else []
    write_json(index_path, {"schema_version": 1, "clips": results})
    for stale in old[len(results) :]:  # our own earlier clips beyond the new count
        for suffix in (".mp4", ".srt", ".jpg"):
            (clips_dir / (Path(stale["path"]).stem + suffix)).unlink(missing_ok=True)
    manifest.record("clips", "ok", key=key, seconds=time.perf_counter() - t0, clips=len(results))
    return results
