"""One recording's outcome: the CLI's summary, one row of ``batch.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clipguard.errors import UsageError
from clipguard.models import SEVERITIES, Finding, Transcript, severity_rank
from clipguard.pipeline.layout import RecordingLayout

TOP_FINDINGS = 10


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
    # failed optional refinements: [{stage, what, error, count}] (see clipguard.faults)
    warnings: list[dict[str, Any]] = field(default_factory=list)

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
        raise UsageError(
            f"fail_on must be block, review, info or never (got {value!r})", params=("fail_on",)
        )
    return value
