"""Stages as plain functions over the files of one ``RecordingLayout``.

Highlights (signals included) are in ``pipeline.highlights``. Each stage reads what the previous one wrote, records itself in the manifest, and
is skipped on a re-run when its key (inputs + options + its code, ``clipguard.keys``)
is unchanged and its outputs still load (``Manifest.reuse``: the one skip rule).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clipguard.asr.transcribe import TranscribeOptions, cache_key, transcribe
from clipguard.compliance_rules.acoustic import Scorer
from clipguard.compliance_rules.scanner import Document, Scanner
from clipguard.compliance_rules.second_opinion import release as release_embedder
from clipguard.errors import MediaError, SilentMediaError
from clipguard.faults import refinement
from clipguard.keys import code_version, stage_key
from clipguard.media import SILENCE_DBFS, AudioStats, probe
from clipguard.models import SCHEMA_VERSION, SEVERITIES, Finding, MediaInfo, Transcript
from clipguard.pipeline.ahead import screen_key
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.progress import ProgressFn
from clipguard.writers import atomic_path, read_json, write_json, write_transcript

if TYPE_CHECKING:
    from clipguard.screen.read import ScreenReading

log = logging.getLogger(__name__)


def stage_transcribe(
    media_path: Path,
    layout: RecordingLayout,
    options: TranscribeOptions,
    progress: ProgressFn | None = None,
    meanwhile: Callable[[MediaInfo], None] | None = None,
) -> tuple[Transcript, bool]:
    """Transcribe unless an identical transcript exists; returns (transcript, cached).

    The input is probed before the recording's folder is created, so a file that is
    not media leaves nothing behind. ``meanwhile`` is called with the probed media
    just before a transcription starts (not for a cached one): work to run beside it
    (``clipguard.pipeline.ahead``)."""
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
    if meanwhile is not None:
        meanwhile(media)
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
    counts = {s: sum(1 for f in findings if f.severity == s) for s in reversed(SEVERITIES)}
    return {
        "schema_version": SCHEMA_VERSION,
        "media": transcript.media.to_dict(),
        "rules": scanner.headers,
        "summary": counts,
        "findings": [f.to_dict() for f in findings],
    }


# the code behind each stage's results, hashed into its key (clipguard.keys)
SCAN_CODE = ("clipguard.compliance_rules", "clipguard.text")
ACOUSTIC_CODE = ("clipguard.asr.verify",)


def stage_scan(
    transcript: Transcript,
    layout: RecordingLayout,
    scanner: Scanner,
    screen: list[Finding] | None = None,
    score: Scorer | None = None,
) -> list[Finding]:
    """Scan a transcript, verify sound-alike candidates against the audio (when
    ``score`` is given: the media is at hand), and add the screen's findings; skipped
    when none of transcript, rules, screen findings or verifier changed."""
    layout.create()
    manifest = Manifest.load(layout.manifest)
    screen = screen or []
    acoustic_key = code_version(*ACOUSTIC_CODE) if score is not None else None
    key = stage_key(
        code_version(*SCAN_CODE),
        transcript.cache_key,
        scanner.fingerprint,
        [f.to_dict() for f in screen],
        acoustic_key,
    )
    cached = manifest.reuse(
        "scan",
        key,
        [layout.findings],
        lambda: [Finding.from_dict(f) for f in read_json(layout.findings)["findings"]],
    )
    if cached is not None:
        return cached
    t0 = time.perf_counter()
    doc = Document.from_transcript(transcript)  # one document for text and sound
    speech = scanner.scan(doc)
    verify_s = 0.0
    if score is not None:
        t1 = time.perf_counter()
        # verification adds findings the text missed; if it fails, the text's stand
        with refinement("scan", "acoustic verification of sound-alike terms"):
            speech += scanner.verify_by_sound(doc, speech, score)
        verify_s = time.perf_counter() - t1
    # the second opinion doubts rule findings in sentences it reads as clean (info,
    # still kept out of clips) and reads sentences no rule of their category found
    with refinement("scan", "second opinion (n-gram and sentence-vector model)"):
        try:
            speech = scanner.with_opinion(doc, speech)
        finally:
            release_embedder()
    findings = sorted(speech + screen, key=lambda f: (f.start, f.end, f.rule_id))
    write_json(layout.findings, findings_document(scanner, transcript, findings))
    manifest.record(
        "scan",
        "ok",
        key=key,
        seconds=time.perf_counter() - t0,
        rules=scanner.headers,
        findings=len(findings),
        acoustic_seconds=round(verify_s, 3),
        acoustic=sum(f.match == "acoustic" for f in findings),
    )
    return findings


def stage_screen(
    media_path: Path,
    transcript: Transcript,
    layout: RecordingLayout,
    scanner: Scanner,
    read: Callable[[Path], ScreenReading] | None = None,
) -> list[Finding]:
    """Read the screen (cached in screen.json by media and reader version), then run
    its text through the rules; each finding gets a thumbnail with its box. ``read``
    gives the reading when it is not cached (default ``read_screen``; the pipeline's
    is the one done beside the transcription: ``clipguard.pipeline.ahead``)."""
    from clipguard.screen.findings import screen_findings
    from clipguard.screen.read import ScreenReading, Track, read_screen, thumbnail

    layout.create()
    manifest = Manifest.load(layout.manifest)
    if not transcript.media.has_video:
        manifest.record("screen", "skipped", reason="no video stream")
        return []
    key = screen_key(transcript.media.sha256)

    def load() -> ScreenReading:
        doc = read_json(layout.screen)
        return ScreenReading([Track.from_dict(t) for t in doc["tracks"]], **doc["stats"])

    t0 = time.perf_counter()
    reading = manifest.reuse("screen", key, [layout.screen], load)
    cached = reading is not None
    if reading is None:
        reading = (read or read_screen)(Path(media_path))
        write_json(
            layout.screen,
            {
                "schema_version": SCHEMA_VERSION,
                "stats": reading.stats(),
                "tracks": [t.to_dict() for t in reading.tracks],
            },
        )
    out = []
    for i, (finding, track) in enumerate(screen_findings(reading, scanner), 1):
        thumb = layout.screen_thumb(i)
        if not thumb.exists() or not cached:
            thumbnail(Path(media_path), track.frame_time, track.bbox, thumb)  # None: failed
        # a failed crop is a warning, not a broken link in the report
        crop = str(thumb.relative_to(layout.root)) if thumb.exists() else ""
        out.append(replace(finding, thumbnail=crop))
    if not cached:
        manifest.record(
            "screen",
            "ok",
            key=key,
            seconds=time.perf_counter() - t0,
            **reading.stats(),
            tracks=len(reading.tracks),
            findings=len(out),
        )
    return out


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
        warnings=Manifest.load(layout.manifest).warnings(),
    )
    Manifest.load(layout.manifest).record("report", "ok", seconds=time.perf_counter() - t0)
    return path
