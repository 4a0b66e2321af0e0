"""A rule violation found in speech, on screen or in chat."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
