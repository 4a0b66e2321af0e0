"""Data that flows between stages.

Every stage result is a frozen dataclass with ``to_dict``/``from_dict`` so it can be
written to disk and a later stage (or a re-run) can start from the file alone.
Field names follow ``docs/SPEC.md`` (the output contract); extra fields are additive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

SEVERITIES = ("info", "review", "block")
# Below this share of detected speech with words, a recording is flagged for review:
# a quiet report must not hide speech that was never heard.
COVERAGE_REVIEW = 0.98


def severity_rank(severity: str) -> int:
    """Order severities so thresholds (``--fail-on``, ``--gate``) compare numerically."""
    return SEVERITIES.index(severity)


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
    has_audio: bool = True
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


@dataclass(frozen=True)
class Finding:
    rule_id: str
    category: str
    severity: str
    start: float
    end: float
    text: str
    matched: str
    context: str
    match: str = "literal"
    pack: str = ""
    description: str = ""
    channel: str = "speech"  # speech | screen | chat
    bbox: tuple[int, int, int, int] | None = None  # screen: x, y, w, h in source pixels
    thumbnail: str = ""  # screen: a small JPEG of the frame, relative to the recording
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. heard text, score, payload

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = round(self.start, 3)
        d["end"] = round(self.end, 3)
        for key in ("bbox", "thumbnail", "extra"):
            if not d[key]:
                d.pop(key)
        if self.bbox is not None:
            d["bbox"] = list(self.bbox)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        if known.get("bbox") is not None:
            known["bbox"] = tuple(known["bbox"])
        return cls(**known)


@dataclass(frozen=True)
class Highlight:
    """A scored window (sentence-aligned) and what the compliance gate made of it.

    ``gate`` is ``pass`` (clip = window), ``trimmed`` (clip = clean sub-span
    ``clip_start``..``clip_end``) or ``dropped`` (no clean span long enough; ``dropped``
    says why)."""

    start: float
    end: float
    score: float
    reasons: dict[str, float] = field(default_factory=dict)
    gate: str = "pass"
    dropped: str = ""
    clip_start: float | None = None
    clip_end: float | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "score": round(self.score, 4),
            "reasons": {k: round(v, 4) for k, v in self.reasons.items()},
            "gate": self.gate,
        }
        if self.clip_start is not None and self.clip_end is not None:
            d["clip_start"], d["clip_end"] = round(self.clip_start, 3), round(self.clip_end, 3)
        if self.dropped:
            d["dropped"] = self.dropped
        if self.note:
            d["note"] = self.note
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Highlight:
        return cls(
            float(d["start"]),
            float(d["end"]),
            float(d["score"]),
            {k: float(v) for k, v in d.get("reasons", {}).items()},
            str(d.get("gate", "pass")),
            str(d.get("dropped", "")),
            d.get("clip_start"),
            d.get("clip_end"),
            str(d.get("note", "")),
        )


@dataclass(frozen=True)
class ClipPlan:
    """One clip to render: where it comes from and how it is framed."""

    index: int
    source: Path
    start: float
    end: float
    score: float
    width: int
    height: int
    captions: tuple[Segment, ...] = ()
    promo_text: str = ""
    reasons: dict[str, float] = field(default_factory=dict)
    cover_time: float | None = None  # source time of the cover frame (the peak moment)
    cards: tuple[Any, ...] | None = None  # captions edited by hand (clip time), or None

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def name(self) -> str:
        return f"clip_{self.index:02d}"


@dataclass(frozen=True)
class Clip:
    """A rendered clip as ``clips.json`` lists it; ``path`` is relative to the
    recording's folder, ``highlight`` is the window it came from and the gate's word."""

    path: str
    start: float
    end: float
    score: float
    width: int
    height: int
    srt: str = ""
    cover: str = ""
    reframe: str = ""
    reasons: dict[str, float] = field(default_factory=dict)
    highlight: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # what this clip was rendered from (span, captions, options)
    srt_sha256: str = ""  # of the .srt as written: a different file was edited by hand
    captions: str = "transcript"  # transcript | edited (an editor's .srt)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(start=round(self.start, 3), end=round(self.end, 3), score=round(self.score, 4))
        d["duration"] = round(self.duration, 3)
        d["reasons"] = {k: round(v, 4) for k, v in self.reasons.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Clip:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)
