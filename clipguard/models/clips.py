"""Highlights, the plan of a clip and the rendered clip."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from clipguard.models.transcript import Segment


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
    # caption words the model was unsure of, per card: {start, end (recording time),
    # caption, words, spans (offsets into caption), probability}; the editor checks them
    uncertain: list[dict[str, Any]] = field(default_factory=list)

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
