"""What a recap is: frozen dataclasses, serialised to ``recap.json`` by ``to_dict``.

Field names follow the "Recap" section of the spec (the output contract); extra
fields are additive. Times are seconds from the start of the recording, rates are
per minute, and every number is rounded once, here, so the JSON stays readable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

RECAP_SCHEMA_VERSION = 1


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(float(x), nd)


@dataclass(frozen=True)
class Span:
    """A stretch of time (dead air, a product segment)."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {"start": _r(self.start), "end": _r(self.end), "seconds": _r(self.seconds)}


@dataclass(frozen=True)
class Minute:
    """One minute of the room: what was said, how loud, how the chat moved."""

    start: float
    speech_seconds: float
    chars: int
    chat_messages: int
    chatters: int
    findings: dict[str, int]
    loudness: float | None  # mean dBFS of the audio envelope; None without one

    @property
    def chars_per_minute(self) -> float | None:
        """Speech rate over voiced time (字/分), None when nobody spoke."""
        return self.chars / self.speech_seconds * 60 if self.speech_seconds >= 1 else None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            start=_r(self.start, 1),
            speech_seconds=_r(self.speech_seconds, 1),
            loudness=_r(self.loudness, 1),
            chars_per_minute=_r(self.chars_per_minute, 1),
        )
        return d


@dataclass(frozen=True)
class ProductSegment:
    """A stretch where one product is being explained, and the pitch parts heard in it."""

    start: float
    end: float
    mentions: int
    cues: tuple[str, ...]
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _r(self.start),
            "end": _r(self.end),
            "seconds": _r(self.end - self.start),
            "mentions": self.mentions,
            "cues": list(self.cues),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class ProductRecap:
    """One product over the whole stream; ``returns`` counts segments after the first."""

    name: str
    segments: tuple[ProductSegment, ...]
    mentions: int
    share: float  # of the stream's duration
    cues: tuple[str, ...]
    missing: tuple[str, ...]
    price: str = ""
    link: str = ""
    source: str = "products"  # products (a product file) | link (N号链接) | screen

    @property
    def seconds(self) -> float:
        return sum(s.end - s.start for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "price": self.price,
            "link": self.link,
            "source": self.source,
            "segments": [s.to_dict() for s in self.segments],
            "seconds": _r(self.seconds, 1),
            "share": _r(self.share, 4),
            "returns": max(0, len(self.segments) - 1),
            "mentions": self.mentions,
            "cues": list(self.cues),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class CallToAction:
    """A call to action in speech and the chat's answer (messages per minute)."""

    start: float
    end: float
    kind: str
    text: str
    chat_before: float
    chat_after: float

    @property
    def response(self) -> float:
        """After ÷ before, with ``before`` floored at one message a minute, so a call
        into a silent chat that wakes it up still reads as a response above 1."""
        return self.chat_after / max(self.chat_before, 1.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            start=_r(self.start),
            end=_r(self.end),
            chat_before=_r(self.chat_before, 1),
            chat_after=_r(self.chat_after, 1),
            response=_r(self.response),
        )
        return d


@dataclass(frozen=True)
class Question:
    """Viewers asking one thing (however many ways) and when the host answered it."""

    t: float
    text: str
    count: int
    topic: str
    keywords: tuple[str, ...]
    asks: tuple[str, ...]  # every wording, first first
    answered_at: float | None
    answer: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": _r(self.t),
            "text": self.text,
            "count": self.count,
            "topic": self.topic,
            "keywords": list(self.keywords),
            "asks": list(self.asks),
            "answered_at": _r(self.answered_at),
            "answer": self.answer,
        }


@dataclass(frozen=True)
class Compliance:
    """Findings in the review: rates per hour, the worst minutes, unheard speech, chat."""

    per_hour: dict[str, float]
    by_severity_per_hour: dict[str, float]
    worst: tuple[dict[str, Any], ...]
    gaps: tuple[dict[str, Any], ...]
    chat_findings: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "per_hour": {k: _r(v) for k, v in self.per_hour.items()},
            "by_severity_per_hour": {k: _r(v) for k, v in self.by_severity_per_hour.items()},
            "worst": list(self.worst),
            "gaps": list(self.gaps),
            "chat_findings": list(self.chat_findings),
        }


@dataclass(frozen=True)
class Recap:
    """The review of one recording; ``to_dict`` is ``recap.json``."""

    title: str
    media: dict[str, Any]
    duration: float
    speech_seconds: float
    chars: int
    minutes: tuple[Minute, ...]
    dead_air: tuple[Span, ...]
    products: tuple[ProductRecap, ...]
    calls_to_action: tuple[CallToAction, ...]
    questions: tuple[Question, ...]
    compliance: Compliance
    chat_messages: int = 0
    chatters: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # cue category -> label

    @property
    def talk_ratio(self) -> float:
        return self.speech_seconds / self.duration if self.duration > 0 else 0.0

    @property
    def chars_per_minute(self) -> float:
        return self.chars / self.speech_seconds * 60 if self.speech_seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """One row of ``recap_compare.html``: what a team compares across nights."""
        minutes = max(self.duration / 60, 1e-9)
        calls = self.calls_to_action
        unanswered = [q for q in self.questions if q.answered_at is None]
        return {
            "title": self.title,
            "duration": _r(self.duration, 1),
            "talk_ratio": _r(self.talk_ratio, 3),
            "chars_per_minute": _r(self.chars_per_minute, 1),
            "dead_air_count": len(self.dead_air),
            "dead_air_seconds": _r(sum(s.seconds for s in self.dead_air), 1),
            "dead_air_longest": _r(max((s.seconds for s in self.dead_air), default=0.0), 1),
            "chat_per_minute": _r(self.chat_messages / minutes, 1),
            "calls_to_action": len(calls),
            "cta_response": _r(sum(c.response for c in calls) / len(calls)) if calls else None,
            "questions": sum(q.count for q in self.questions),
            "unanswered": sum(q.count for q in unanswered),
            "unanswered_groups": len(unanswered),
            "findings_per_hour": _r(sum(self.compliance.by_severity_per_hour.values())),
            "block_per_hour": _r(self.compliance.by_severity_per_hour.get("block", 0.0)),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": RECAP_SCHEMA_VERSION,
            "title": self.title,
            "media": self.media,
            "duration": _r(self.duration, 3),
            "speech_seconds": _r(self.speech_seconds, 1),
            "talk_ratio": _r(self.talk_ratio, 4),
            "chars": self.chars,
            "chars_per_minute": _r(self.chars_per_minute, 1),
            "chat_messages": self.chat_messages,
            "chatters": self.chatters,
            "summary": self.summary(),
            "minutes": [m.to_dict() for m in self.minutes],
            "dead_air": [s.to_dict() for s in self.dead_air],
            "products": [p.to_dict() for p in self.products],
            "calls_to_action": [c.to_dict() for c in self.calls_to_action],
            "questions": [q.to_dict() for q in self.questions],
            "findings_per_hour": {k: _r(v) for k, v in self.compliance.per_hour.items()},
            "compliance": self.compliance.to_dict(),
            "labels": self.labels,
            "options": self.options,
        }
