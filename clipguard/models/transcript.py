"""A transcript: media facts, timed words in sentences, and what was not heard."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from clipguard.models.base import COVERAGE_REVIEW, SCHEMA_VERSION


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "word": self.word,
            "probability": round(self.probability, 4),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(
            float(d["start"]), float(d["end"]), str(d["word"]), float(d.get("probability", 1.0))
        )


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        words = tuple(Word.from_dict(w) for w in d.get("words", []))
        return cls(float(d["start"]), float(d["end"]), str(d["text"]), words)


@dataclass(frozen=True)
class MediaInfo:
    path: str
    sha256: str
    duration: float
    has_video: bool = False
    width: int = 0
    height: int = 0
    fps: float = 0.0
    decoded_duration: float | None = None
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["duration"] = round(self.duration, 3)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MediaInfo:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass(frozen=True)
class Gap:
    """Speech the VAD found that no word covers after every retry."""

    start: float
    end: float
    reason: str

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, float | str]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Gap:
        return cls(float(d["start"]), float(d["end"]), str(d.get("reason", "")))


@dataclass(frozen=True)
class Coverage:
    """How much of the detected speech the transcript accounts for."""

    speech_seconds: float
    transcribed_seconds: float
    gaps: tuple[Gap, ...] = ()
    retries: int = 0  # re-decodes spent to fill holes
    recovered_seconds: float = 0.0  # speech that a re-decode filled

    @property
    def ratio(self) -> float:
        if self.speech_seconds <= 0:
            return 1.0
        return min(1.0, self.transcribed_seconds / self.speech_seconds)

    @property
    def needs_review(self) -> bool:
        return self.ratio < COVERAGE_REVIEW

    def summary(self) -> str:
        """One line for the CLI and the batch page."""
        text = f"coverage {self.ratio:.1%} of {self.speech_seconds:.0f} s speech"
        if self.gaps:
            spans = ", ".join(f"{g.start:.1f}-{g.end:.1f}s" for g in self.gaps[:3])
            more = f" +{len(self.gaps) - 3} more" if len(self.gaps) > 3 else ""
            text += f"; {len(self.gaps)} untranscribed stretch(es) to listen to: {spans}{more}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "speech_seconds": round(self.speech_seconds, 3),
            "transcribed_seconds": round(self.transcribed_seconds, 3),
            "ratio": round(self.ratio, 4),
            "gaps": [g.to_dict() for g in self.gaps],
            "retries": self.retries,
            "recovered_seconds": round(self.recovered_seconds, 3),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Coverage:
        return cls(
            float(d.get("speech_seconds", 0.0)),
            float(d.get("transcribed_seconds", 0.0)),
            tuple(Gap.from_dict(g) for g in d.get("gaps", [])),
            int(d.get("retries", 0)),
            float(d.get("recovered_seconds", 0.0)),
        )

    def plus(self, other: Coverage) -> Coverage:
        """Add another window's accounting to this one."""
        return Coverage(
            self.speech_seconds + other.speech_seconds,
            self.transcribed_seconds + other.transcribed_seconds,
            self.gaps + other.gaps,
            self.retries + other.retries,
            self.recovered_seconds + other.recovered_seconds,
        )


@dataclass(frozen=True)
class Transcript:
    media: MediaInfo
    language: str
    model: str
    segments: tuple[Segment, ...]
    options: dict[str, Any] = field(default_factory=dict)
    cache_key: str = ""
    seconds: float = 0.0
    coverage: Coverage | None = None  # None: made before coverage was accounted

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        sep = "" if self.language == "zh" else " "
        return sep.join(s.text for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "media": self.media.to_dict(),
            "language": self.language,
            "model": self.model,
            "options": self.options,
            "cache_key": self.cache_key,
            "seconds": round(self.seconds, 3),
            "segments": [s.to_dict() for s in self.segments],
            **({"coverage": self.coverage.to_dict()} if self.coverage is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        return cls(
            media=MediaInfo.from_dict(d["media"]),
            language=str(d.get("language", "")),
            model=str(d.get("model", "")),
            segments=tuple(Segment.from_dict(s) for s in d.get("segments", [])),
            options=dict(d.get("options", {})),
            cache_key=str(d.get("cache_key", "")),
            seconds=float(d.get("seconds", 0.0)),
            coverage=Coverage.from_dict(d["coverage"]) if d.get("coverage") else None,
        )
