"""One recording, every stage: transcribe -> scan -> highlights -> clips -> report.

Each command is one library call here (``transcribe_recording``, ``scan_recording``,
``process_recording``); batch workers call ``process_recording`` too. Each stage
resumes from its own output when its inputs and options are unchanged (see
``Manifest.reuse``), so a re-run after a crash, or with only new rules, redoes only
what changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions
from clipguard.clipper.render import RenderOptions
from clipguard.compliance_rules.acoustic import Scorer
from clipguard.compliance_rules.scanner import Scanner, scanner_for
from clipguard.errors import ClipguardError, MediaError, UsageError
from clipguard.models import SEVERITIES, Finding, Transcript, severity_rank
from clipguard.pipeline.clipping import stage_clips
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.stages import (
    load_transcript_input,
    stage_highlights,
    stage_report,
    stage_scan,
    stage_screen,
    stage_transcribe,
)

log = logging.getLogger(__name__)

# (done, total, stage): the CLI shows the stage's name beside the bar
StageProgress = Callable[[float, float, str], None]
# share of the progress bar per stage (transcription dominates)
_SPAN = {
    "transcribe": (0.0, 0.62),
    "screen": (0.62, 0.7),
    "scan": (0.7, 0.72),
    "highlights": (0.72, 0.78),
    "clips": (0.78, 0.98),
    "report": (0.98, 1.0),
}
LINK_MODES = ("absolute", "copy", "hardlink")
TOP_FINDINGS = 10


@dataclass(frozen=True)
class RunOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    rules: tuple[str, ...] = ()
    highlight: HighlightOptions = field(default_factory=HighlightOptions)
    render: RenderOptions = field(default_factory=RenderOptions)
    chat: str | None = None  # None: look for <stem>.chat.jsonl / .chat.csv beside the media
    clips: bool = True
    require_video: bool = False  # `clip`: an audio-only input is an error, not a no-op
    link_media: str = "absolute"  # the report's video: absolute | copy | hardlink
    screen: bool = True  # read on-screen text and QR codes (inputs with video)
    acoustic: bool = True  # verify sound-alike rule terms against the audio

    def __post_init__(self) -> None:
        if self.link_media not in LINK_MODES:
            raise UsageError(
                f"--link-media must be one of {', '.join(LINK_MODES)} (got {self.link_media!r})"
            )
        if self.chat is not None and not Path(self.chat).exists():
            raise UsageError(f"{self.chat}: no such chat log")

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
    """One recording's outcome: the CLI's summary line and one row of ``batch.json``."""

    media: str
    out_dir: str
    status: str = "ok"  # ok | review (speech left unheard) | failed | busy | skipped
    error: str = ""
    language: str = ""
    duration: float = 0.0
    findings: dict[str, int] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)  # worst findings first
    clips: int = 0
    clips_note: str = ""  # why there is no clip (or fewer than asked)
    seconds: float = 0.0
    cached_transcript: bool = False
    coverage: float | None = None  # share of detected speech with words
    gaps: int = 0  # untranscribed speech stretches a reviewer must listen to
    note: str = ""  # why the recording needs review

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RecordingResult:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    @classmethod
    def failure(
        cls, media: Path | str, out_root: Path, error: str, status: str = "failed"
    ) -> RecordingResult:
        """The row for a recording that could not be processed (batch keeps going)."""
        layout = RecordingLayout.of(out_root, Path(media))
        return cls(str(media), str(layout.root), status=status, error=error)

    def fails(self, fail_on: str) -> bool:
        """True when a finding is at or above ``fail_on`` (exit code 1)."""
        if fail_on == "never":
            return False
        return any(
            n and severity_rank(s) >= severity_rank(fail_on) for s, n in self.findings.items()
        )

    def add_transcript(self, transcript: Transcript, cached: bool) -> None:
        self.cached_transcript = cached
        self.language = transcript.language
        self.duration = transcript.media.duration
        cov = transcript.coverage
        if cov is not None:
            self.coverage = round(cov.ratio, 4)
            self.gaps = len(cov.gaps)
            if cov.needs_review:
                self.status = "review"
                self.note = cov.summary()

    def add_findings(self, findings: list[Finding]) -> None:
        self.findings = {
            s: sum(1 for f in findings if f.severity == s) for s in reversed(SEVERITIES)
        }
        worst = sorted(findings, key=lambda f: (-severity_rank(f.severity), f.start))
        self.top = [f.to_dict() for f in worst[:TOP_FINDINGS]]


def check_fail_on(value: str) -> str:
    if value not in (*SEVERITIES, "never"):
        raise UsageError(f"--fail-on must be block, review, info or never (got {value!r})")
    return value


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


def transcribe_recording(
    media: Path, out_root: Path, options: TranscribeOptions, progress: StageProgress | None = None
) -> RecordingResult:
    """``clipguard transcribe``: transcript.json/.srt/.vtt and the manifest."""
    layout = RecordingLayout.of(out_root, media)
    result = RecordingResult(str(media), str(layout.root))
    t0 = time.perf_counter()
    transcript, cached = stage_transcribe(
        Path(media), layout, options, _Stages(progress)("transcribe")
    )
    result.add_transcript(transcript, cached)
    result.seconds = time.perf_counter() - t0
    return result


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
    if Path(source).suffix.lower() == ".json":
        transcript = load_transcript_input(Path(source))
        layout = RecordingLayout.of(out_root, Path(transcript.media.path))
        cached = True
    else:
        layout = RecordingLayout.of(out_root, Path(source))
        transcript, cached = stage_transcribe(
            Path(source), layout, options.transcribe, stages("transcribe")
        )
    result = RecordingResult(str(source), str(layout.root))
    result.add_transcript(transcript, cached)
    screen = []
    if options.screen and Path(transcript.media.path).exists() and transcript.media.has_video:
        stages("screen")
        screen = stage_screen(Path(transcript.media.path), transcript, layout, scanner)
    stages("scan")
    score = _scorer(Path(transcript.media.path), transcript, options)
    result.add_findings(stage_scan(transcript, layout, scanner, screen, score))
    stages("report")
    stage_report(layout, transcript, options.link_media)
    result.seconds = time.perf_counter() - t0
    return result


def process_recording(
    media: Path,
    out_root: Path,
    options: RunOptions,
    *,
    scanner: Scanner | None = None,
    progress: StageProgress | None = None,
) -> RecordingResult:
    """``clipguard run`` / ``clip`` and every batch worker. Raises ``ClipguardError``
    on bad input."""
    media = Path(media)
    layout = RecordingLayout.of(out_root, media)
    result = RecordingResult(str(media), str(layout.root))
    stages = _Stages(progress)
    t0 = time.perf_counter()
    scanner = scanner or scanner_for(tuple(options.rules))
    transcript, cached = stage_transcribe(media, layout, options.transcribe, stages("transcribe"))
    Manifest.load(layout.manifest).set(options=options.to_dict())
    result.add_transcript(transcript, cached)
    screen = []
    if options.screen and transcript.media.has_video:
        stages("screen")
        screen = stage_screen(media, transcript, layout, scanner)
    stages("scan")
    findings = stage_scan(transcript, layout, scanner, screen, _scorer(media, transcript, options))
    result.add_findings(findings)
    if options.clips and not transcript.media.has_video and options.require_video:
        raise MediaError(f"{media}: has no video stream, so there is nothing to clip")
    if options.clips and transcript.media.has_video:
        chat = Path(options.chat) if options.chat else find_chat(media)
        stages("highlights")
        highlights = stage_highlights(media, transcript, findings, layout, options.highlight, chat)
        clips = stage_clips(
            media,
            transcript,
            findings,
            highlights,
            layout,
            options.highlight,
            options.render,
            progress=stages("clips"),
        )
        result.clips = len(clips)
        if len(clips) < options.highlight.count:
            result.clips_note = _why_few_clips(highlights.highlights, len(clips), options.highlight)
    stages("report")
    stage_report(layout, transcript, options.link_media)
    result.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, 1.0, "done")
    return result


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
    except Exception as exc:  # a crash in one recording must not stop the batch
        log.exception("unexpected error on %s", media)
        return RecordingResult.failure(
            media, out_root, f"internal error: {type(exc).__name__}: {exc}"
        )
