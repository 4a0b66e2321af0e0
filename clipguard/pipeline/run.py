"""One recording, every stage: transcribe -> scan -> highlights -> clips -> report.

Each command is one library call here (``transcribe_recording``, ``scan_recording``,
``process_recording``); batch workers call ``process_recording`` too. Each stage
resumes from its own output when its inputs and options are unchanged (see
``Manifest.reuse``), so a re-run after a crash, or with only new rules, redoes only
what changed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import clipguard.faults as faults
from clipguard.compliance_rules.acoustic import Scorer
from clipguard.compliance_rules.scanner import Scanner, scanner_for
from clipguard.errors import ClipguardError, InternalError
from clipguard.faults import collecting
from clipguard.media import require_video
from clipguard.models import Finding, Transcript
from clipguard.options import HighlightOptions, RunOptions, TranscribeOptions
from clipguard.pipeline.ahead import MediaWork
from clipguard.pipeline.clipping import stage_clips
from clipguard.pipeline.highlights import stage_highlights
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.result import RecordingResult
from clipguard.pipeline.stages import (
    load_transcript_input,
    stage_report,
    stage_scan,
    stage_screen,
    stage_transcribe,
)
from clipguard.progress import StageProgress

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# share of the progress bar per stage (transcription dominates)
_SPAN = {
    "transcribe": (0.0, 0.62),
    "screen": (0.62, 0.7),
    "scan": (0.7, 0.72),
    "highlights": (0.72, 0.78),
    "clips": (0.78, 0.97),
    "recap": (0.97, 0.98),
    "report": (0.98, 1.0),
}


def find_chat(media: Path) -> Path | None:
    for suffix in (".chat.jsonl", ".chat.csv", ".jsonl"):
        candidate = media.with_name(media.stem + suffix)
        if candidate.exists():
            return candidate
    return None


def _scorer(media: Path, transcript: Transcript, options: RunOptions) -> Scorer | None:
    """The acoustic verifier for this recording, or None when its audio is not at hand
    (a transcript.json scanned on its own costs nothing extra)."""
    if not options.acoustic or not media.exists() or transcript.language not in ("zh", ""):
        return None
    from clipguard.asr.verify import score_probes

    return lambda probes: score_probes(
        media, probes, transcript.language or "zh", options.transcribe
    )


@contextmanager
def _stage(name: str) -> Iterator[None]:
    """Name the stage of an unexpected exception: a bug report then says where.

    Input errors (``ClipguardError``) pass through unchanged; failures of optional
    refinements never get here (``clipguard.faults`` turns them into warnings)."""
    try:
        yield
    except (ClipguardError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(name, exc) from exc


def _one_recording(fn: Callable[P, R]) -> Callable[P, R]:
    """Collect the warnings of everything one recording's call runs (``clipguard.faults``)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with collecting():
            return fn(*args, **kwargs)

    return wrapper


def _screen_and_scan(
    media: Path,
    transcript: Transcript,
    layout: RecordingLayout,
    scanner: Scanner,
    options: RunOptions,
    stages: _Stages,
    ahead: MediaWork | None = None,
) -> list[Finding]:
    """Read the screen (when the media with its video is at hand), then scan the
    transcript and the screen's text, verifying sound-alikes against the audio."""
    screen = []
    if options.screen and media.exists() and transcript.media.has_video:
        stages("screen")
        with _stage("screen"):
            read = ahead.screen if ahead is not None else None
            screen = stage_screen(media, transcript, layout, scanner, read)
    stages("scan")
    with _stage("scan"):
        return stage_scan(transcript, layout, scanner, screen, _scorer(media, transcript, options))


def _add_warnings(result: RecordingResult, layout: RecordingLayout) -> None:
    if layout.manifest.exists():
        result.warnings = Manifest.load(layout.manifest).warnings()


class _Stages:
    """Maps each stage's own progress onto one bar and names the stage."""

    def __init__(self, progress: StageProgress | None) -> None:
        self.progress = progress

    def __call__(self, stage: str) -> Callable[[float, float], None] | None:
        if self.progress is None:
            return None
        lo, hi = _SPAN[stage]
        report = self.progress
        report(lo, 1.0, stage)
        return lambda done, total: report(lo + (hi - lo) * (done / max(total, 1e-9)), 1.0, stage)


@_one_recording
def transcribe_recording(
    media: Path, out_root: Path, options: TranscribeOptions, progress: StageProgress | None = None
) -> RecordingResult:
    """``clipguard transcribe``: transcript.json/.srt/.vtt and the manifest."""
    layout = RecordingLayout.of(out_root, media)
    result = RecordingResult(str(media), str(layout.root))
    t0 = time.perf_counter()
    with _stage("transcribe"):
        transcript, cached = stage_transcribe(
            Path(media), layout, options, _Stages(progress)("transcribe")
        )
    result.add_transcript(transcript, cached)
    _add_warnings(result, layout)
    result.seconds = time.perf_counter() - t0
    return result


@_one_recording
def scan_recording(
    source: Path,
    out_root: Path,
    options: RunOptions,
    *,
    scanner: Scanner | None = None,
    progress: StageProgress | None = None,
) -> RecordingResult:
    """``clipguard scan``: a media file (transcribed first) or a transcript.json."""
    t0 = time.perf_counter()
    stages = _Stages(progress)
    scanner = scanner or scanner_for(tuple(options.rules))
    from_json = Path(source).suffix.lower() == ".json"
    if from_json:
        transcript, cached = load_transcript_input(Path(source)), True
        layout = RecordingLayout.of(out_root, Path(transcript.media.path))
    else:
        layout = RecordingLayout.of(out_root, Path(source))
    with MediaWork(Path(source), layout, screen=options.screen, keyframes=False) as ahead:
        if not from_json:
            with _stage("transcribe"):
                transcript, cached = stage_transcribe(
                    Path(source), layout, options.transcribe, stages("transcribe"), ahead.start
                )
        result = RecordingResult(str(source), str(layout.root))
        result.add_transcript(transcript, cached)
        media = Path(transcript.media.path)
        findings = _screen_and_scan(media, transcript, layout, scanner, options, stages, ahead)
    result.add_findings(findings)
    stages("report")
    with _stage("report"):
        stage_report(layout, transcript, options.link_media)
    _add_warnings(result, layout)
    result.seconds = time.perf_counter() - t0
    return result


@_one_recording
def process_recording(
    media: Path,
    out_root: Path,
    options: RunOptions,
    *,
    scanner: Scanner | None = None,
    progress: StageProgress | None = None,
) -> RecordingResult:
    """``clipguard run`` / ``clip`` and every batch worker. Raises ``ClipguardError``
    on bad input, ``InternalError`` (naming the stage) on a bug; a failed optional
    refinement is a warning in the result and the manifest, never an exception."""
    media = Path(media)
    layout = RecordingLayout.of(out_root, media)
    result = RecordingResult(str(media), str(layout.root))
    stages = _Stages(progress)
    t0 = time.perf_counter()
    scanner = scanner or scanner_for(tuple(options.rules))
    highlights = None
    # the screen and the keyframes are read beside the transcription
    with MediaWork(media, layout, screen=options.screen, keyframes=options.clips) as ahead:
        with _stage("transcribe"):
            transcript, cached = stage_transcribe(
                media, layout, options.transcribe, stages("transcribe"), ahead.start
            )
        Manifest.load(layout.manifest).set(options=options.to_dict())
        result.add_transcript(transcript, cached)
        findings = _screen_and_scan(media, transcript, layout, scanner, options, stages, ahead)
        result.add_findings(findings)
        if options.clips and options.require_video:
            require_video(transcript.media)
        if options.clips and transcript.media.has_video:
            chat = Path(options.chat) if options.chat else find_chat(media)
            stages("highlights")
            with _stage("highlights"):
                highlights = stage_highlights(
                    media, transcript, findings, layout, options.highlight, chat, ahead.keyframes
                )
    if highlights is not None:
        with _stage("clips"):
            clips = stage_clips(
                media,
                transcript,
                findings,
                highlights,
                layout,
                options.highlight,
                options.render,
                progress=stages("clips"),
                timelines=options.timeline,
                link_media=options.link_media,
            )
        result.clips = len(clips)
        if len(clips) < options.highlight.count:
            result.clips_note = _why_few_clips(highlights.highlights, len(clips), options.highlight)
    stages("recap")
    _recap(layout, options, scanner)
    stages("report")
    with _stage("report"):
        stage_report(layout, transcript, options.link_media)
    _add_warnings(result, layout)
    result.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, 1.0, "done")
    return result


def _recap(layout: RecordingLayout, options: RunOptions, scanner: Scanner) -> None:
    """The morning-after review is a by-product of ``run``: bad input for it (a chat or
    product file with a bad line) is the user's to fix, so it stops the run with one
    line; any other failure leaves the recording's results and becomes a warning."""
    from clipguard.pipeline.recap import stage_recap

    chat = Path(options.chat) if options.chat else None
    try:
        stage_recap(layout, chat=chat, scanner=scanner)
    except ClipguardError:
        raise
    except Exception as exc:
        faults.record("recap", "recap (复盘)", exc)
        Manifest.load(layout.manifest).record("recap", "failed", error=faults.describe(exc))


def _why_few_clips(highlights: tuple, made: int, opts: HighlightOptions) -> str:
    if not highlights:
        return f"{made} clips: no run of whole sentences lasts {opts.min_seconds:g}-{opts.max_seconds:g} s"
    dropped = [h for h in highlights if h.gate == "dropped"]
    if dropped and len(dropped) == len(highlights) and made == 0:
        return f"0 clips: every highlight was dropped by the gate, e.g. {dropped[0].dropped}"
    if len(dropped) < len(highlights) and made < min(opts.count, len(highlights) - len(dropped)):
        return (
            f"{made} clips: {len(highlights) - len(dropped) - made} clean highlight(s) had no "
            "edge clear of shot changes and findings"
        )
    return (
        f"{made} clips: only {made} non-overlapping clean highlight(s) of ≥ {opts.min_seconds:g} s"
    )


def safe_process(
    media: Path, out_root: Path, options: RunOptions, scanner: Scanner | None = None
) -> RecordingResult:
    """``process_recording`` that never raises for one bad file: batch isolation."""
    try:
        return process_recording(media, out_root, options, scanner=scanner)
    except ClipguardError as exc:
        return RecordingResult.failure(media, out_root, str(exc))
    except InternalError as exc:
        log.error("unexpected error on %s", media, exc_info=exc.__cause__)
        return RecordingResult.failure(media, out_root, str(exc))
    except Exception as exc:  # a crash in one recording must not stop the batch
        log.exception("unexpected error on %s", media)
        return RecordingResult.failure(
            media, out_root, f"internal error: {type(exc).__name__}: {exc}"
        )
