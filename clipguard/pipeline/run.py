"""One recording, every stage: transcribe -> scan -> highlights -> clips -> report.

Each stage resumes from its own output when its inputs and options are unchanged
(see ``Manifest``), so re-running after a crash, or with only new rules, redoes only
what changed. ``process_recording`` is what ``run``, ``clip`` and every batch worker call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clipguard.asr.transcribe import ProgressFn, TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions
from clipguard.clipper.render import RenderOptions
from clipguard.compliance_rules.scanner import Scanner, scanner_for
from clipguard.errors import ClipguardError, MediaError
from clipguard.models import Finding, Transcript, severity_rank
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.stages import (
    recording_dir,
    stage_clips,
    stage_highlights,
    stage_scan,
    stage_transcribe,
    write_recording_report,
)

log = logging.getLogger(__name__)

# share of the progress bar per stage (transcription dominates)
_SPAN = {
    "transcribe": (0.0, 0.7),
    "scan": (0.7, 0.72),
    "highlights": (0.72, 0.78),
    "clips": (0.78, 1.0),
}


@dataclass(frozen=True)
class RunOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    rules: tuple[str, ...] = ()
    highlight: HighlightOptions = field(default_factory=HighlightOptions)
    render: RenderOptions = field(default_factory=RenderOptions)
    chat: str | None = None  # None: look for <stem>.chat.jsonl / .chat.csv beside the media
    clips: bool = True
    report: bool = True
    link_media: str = "absolute"  # the report's video: absolute | copy | hardlink
    require_video: bool = False  # `clip`: an audio-only input is an error, not a no-op

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def output_key(self) -> dict[str, Any]:
        """What the outputs depend on (not threads or device), for done-detection."""
        d = self.to_dict()
        d["transcribe"] = self.transcribe.output_key()
        d["render"].pop("threads", None)
        return d


@dataclass
class RecordingResult:
    media: str
    out_dir: str
    status: str = "ok"  # ok | review (speech left unheard) | failed | busy | skipped
    error: str = ""
    language: str = ""
    duration: float = 0.0
    findings: dict[str, int] = field(default_factory=dict)
    clips: int = 0
    seconds: float = 0.0
    cached_transcript: bool = False
    coverage: float | None = None  # share of detected speech with words
    gaps: int = 0  # untranscribed speech stretches a reviewer must listen to
    note: str = ""  # why the recording needs review, or why it yielded no clip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def failure(
        cls, media: Path | str, out_root: Path, error: str, status: str = "failed"
    ) -> RecordingResult:
        """The row for a recording that could not be processed (batch keeps going)."""
        return cls(
            str(media), str(recording_dir(out_root, Path(media))), status=status, error=error
        )


def gated_spans(
    transcript: Transcript, findings: list[Finding], gate: str
) -> list[tuple[float, float]]:
    """Where no clip edge may reach: findings at or above the gate, and coverage gaps."""
    from clipguard.clipper.highlights import GATE_MARGIN, gap_findings

    gated = [f for f in findings if severity_rank(f.severity) >= severity_rank(gate)]
    return [(f.start - GATE_MARGIN, f.end + GATE_MARGIN) for f in gated + gap_findings(transcript)]


def find_chat(media: Path) -> Path | None:
    for suffix in (".chat.jsonl", ".chat.csv", ".jsonl"):
        candidate = media.with_name(media.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def _sub(progress: ProgressFn | None, stage: str) -> ProgressFn | None:
    if progress is None:
        return None
    lo, hi = _SPAN[stage]
    return lambda done, total: progress(lo + (hi - lo) * (done / max(total, 1e-9)), 1.0)


def process_recording(
    media: Path,
    out_root: Path,
    options: RunOptions,
    *,
    scanner: Scanner | None = None,
    progress: ProgressFn | None = None,
) -> RecordingResult:
    """Run every stage for one recording. Raises ``ClipguardError`` on bad input."""
    media = Path(media)
    out_dir = recording_dir(out_root, media)
    result = RecordingResult(str(media), str(out_dir))
    t0 = time.perf_counter()
    scanner = scanner or scanner_for(tuple(options.rules))
    transcript, cached = stage_transcribe(
        media, out_dir, options.transcribe, _sub(progress, "transcribe")
    )
    manifest = Manifest.load(out_dir)
    manifest.set(options=options.to_dict())
    manifest.save()
    result.cached_transcript = cached
    result.language = transcript.language
    result.duration = transcript.media.duration
    if transcript.coverage is not None:
        result.coverage = round(transcript.coverage.ratio, 4)
        result.gaps = len(transcript.coverage.gaps)
        if transcript.coverage.needs_review:
            result.status = "review"
            result.note = transcript.coverage.summary()
    findings = stage_scan(transcript, out_dir, scanner)
    result.findings = {
        s: sum(1 for f in findings if f.severity == s) for s in ("block", "review", "info")
    }
    if progress:
        progress(_SPAN["scan"][1], 1.0)
    if options.clips and not transcript.media.has_video and options.require_video:
        raise MediaError(f"{media}: has no video stream, so there is nothing to clip")
    if options.clips and transcript.media.has_video:
        chat = Path(options.chat) if options.chat else find_chat(media)
        highlights, cuts, signals = stage_highlights(
            media, transcript, findings, out_dir, options.highlight, chat
        )
        if progress:
            progress(_SPAN["highlights"][1], 1.0)
        clips = stage_clips(
            media,
            transcript,
            highlights,
            cuts,
            signals,
            out_dir,
            options.highlight.count,
            options.render,
            _sub(progress, "clips"),
            options.highlight.max_seconds,
            gated_spans(transcript, findings, options.highlight.gate),
        )
        result.clips = len(clips)
    if options.report:
        write_recording_report(out_dir, transcript, options.link_media)
    result.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, 1.0)
    return result


def safe_process(
    media: Path, out_root: Path, options: RunOptions, scanner: Scanner | None = None
) -> RecordingResult:
    """``process_recording`` that never raises for one bad file: batch isolation."""
    try:
        return process_recording(media, out_root, options, scanner=scanner)
    except ClipguardError as exc:
        return RecordingResult.failure(media, out_root, str(exc))
    except Exception as exc:  # a crash in one recording must not stop the batch
        log.exception("unexpected error on %s", media)
        return RecordingResult.failure(
            media, out_root, f"internal error: {type(exc).__name__}: {exc}"
        )
