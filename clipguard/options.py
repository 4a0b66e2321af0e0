"""Every option of every stage, as frozen dataclasses: the one place defaults live.

The stages (``asr``, ``clipper``, ``pipeline``) take these; the command line reads its
defaults from their fields; ``clipguard.run(..., count=5)`` fills them from keyword
arguments (``RunOptions.of``). This module imports nothing heavy, so the CLI can read
defaults without loading the model or the renderer. Each class validates itself and
raises ``UsageError`` naming the parameter (the CLI words it as a flag).
"""

from __future__ import annotations

import os
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from clipguard.errors import UsageError

DEFAULT_MODEL = "base"  # the bundled Whisper base model
ASPECTS = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080), "4:5": (1080, 1350)}
LINK_MODES = ("absolute", "copy", "hardlink")
# editing-software timelines of the clips (writers: clipguard.clipper.timeline.WRITERS)
TIMELINES = ("otio", "fcp7", "jianying")
# highlight signals and their default weights (clipper.signals computes them)
DEFAULT_WEIGHTS = {"loudness": 1.0, "speech_rate": 0.5, "hype": 1.5, "motion": 1.0, "chat": 1.0}


def output_size(aspect: str) -> tuple[int, int]:
    """Pixel size of a clip for ``aspect``; raises ``UsageError`` for an unknown one."""
    if aspect not in ASPECTS:
        raise UsageError(
            f"aspect must be one of {', '.join(ASPECTS)} (got {aspect!r})", params=("aspect",)
        )
    return ASPECTS[aspect]


def timeline_formats(value: str) -> tuple[str, ...]:
    """``"otio, jianying"`` -> ``("otio", "jianying")``; ``""`` or ``"none"``: no timeline."""
    parts = tuple(p.strip().lower() for p in value.split(",") if p.strip())
    return () if parts == ("none",) else parts


@dataclass(frozen=True)
class TranscribeOptions:
    model: str = DEFAULT_MODEL  # "base" (bundled), a CTranslate2 model dir, or a size name
    language: str | None = None  # None: detect on the first window with speech
    device: str = "cpu"
    compute_type: str = "int8"
    # 0: two workers of cores // 2 threads each, decoding two batches at once (37% less
    # wall and 19% less CPU than one worker of 2 threads; clipguard.asr.batches);
    # n: one worker of n threads
    cpu_threads: int = 0
    # beam 2: the same findings as beam 5 with 40% less decoding (2026-12-05, scan from
    # media, acoustic verification on; tuning half = the four fixtures: 50/51 found and
    # 0 clean flagged at beam 5, 3 and 2, 51/51 with 1 clean flagged at beam 1; held-out
    # half = six pitch/tempo/noise/echo variants and a 10-minute assembled stream, not
    # used to choose: beam 5 86/89 with 4 flagged, beam 2 87/89 with 1). Greedy (beam 1)
    # flagged more clean sentences; beam 2 without the rule vocabulary in the prompt
    # lost dev2_zh (CER 20% -> 31%), so the vocabulary stays. Pass 5 for the old pass.
    beam_size: int = 2
    # chunks per batched call: on CPU a batch buys no speed, and the encoder's attention
    # for each chunk in it is held at once (a 330 s cut on 2 cores, one worker: 16 →
    # 60.5 s, peak RSS 1,421 MB; 8 → 59.7 s, 1,125 MB; 4 → 60.5 s, 911 MB). With two
    # workers, two batches are in flight, and small ones share the work out evenly (a
    # window's last batch no longer runs alone): the 10-minute stream took 29.5-31.1 s
    # wall at batches of 1, 2 or 3 and 34.8-36.1 s at 4, peak RSS 790 / 990 / 1,176 /
    # 1,320-1,394 MB, the same text each time. On a GPU a larger batch is what makes
    # the pass fast: pass batch_size=16 there.
    batch_size: int = 2
    window_seconds: float = 300.0  # peak RSS at batch 16: 120 s 1.0 GB, 300 s 1.6 GB, 600 s 2.6 GB
    initial_prompt: str | None = None
    hotwords: str | None = None
    allow_partial: bool = False  # process the readable part of a truncated file

    def __post_init__(self) -> None:
        if self.beam_size < 1 or self.batch_size < 1:
            raise UsageError(
                "beam_size and batch_size must be at least 1", params=("beam_size", "batch_size")
            )
        if self.window_seconds < 60:
            raise UsageError(
                "window_seconds must be at least 60 (two decoder windows)",
                params=("window_seconds",),
            )

    def output_key(self) -> dict[str, Any]:
        """Options that change the transcript (threads and device do not)."""
        d = asdict(self)
        for k in ("device", "cpu_threads", "allow_partial"):
            d.pop(k)
        return d


@dataclass(frozen=True)
class HighlightOptions:
    count: int = 3  # clips per recording
    min_seconds: float = 15.0
    max_seconds: float = 60.0
    gate: str = "review"  # lowest severity kept out of clips: block | review | info
    weights: dict[str, float] = field(default_factory=dict)  # signal -> weight
    refine: bool = True

    def __post_init__(self) -> None:
        from clipguard.models import SEVERITIES  # here: the CLI reads defaults without it

        if self.gate not in SEVERITIES:
            raise UsageError(
                f"gate must be one of {', '.join(SEVERITIES)} (got {self.gate!r})",
                params=("gate",),
            )
        if self.count < 1:
            raise UsageError(f"count must be at least 1 (got {self.count})", params=("count",))
        if not 0 < self.min_seconds <= self.max_seconds:
            raise UsageError(
                f"min_seconds ({self.min_seconds:g}) must be positive and at most "
                f"max_seconds ({self.max_seconds:g})",
                params=("min_seconds", "max_seconds"),
            )
        unknown = set(self.weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise UsageError(
                f"weights: unknown signal(s) {', '.join(sorted(unknown))} "
                f"(signals: {', '.join(DEFAULT_WEIGHTS)})",
                params=("weights",),
            )
        # 4 and 4.0 must give the same cache keys
        object.__setattr__(self, "min_seconds", float(self.min_seconds))
        object.__setattr__(self, "max_seconds", float(self.max_seconds))

    def weight(self, name: str, default: float) -> float:
        return float(self.weights.get(name, default))


@dataclass(frozen=True)
class RenderOptions:
    aspect: str = "9:16"  # 9:16 (1080x1920), 1:1, 16:9 or 4:5
    font: str | None = None  # caption font file (None: bundled Noto Sans CJK SC)
    promo_text: str = ""  # promo line burned into every clip
    logo: str | None = None  # logo watermark image (PNG with alpha)
    captions: bool = True
    preset: str = "veryfast"
    crf: int = 23
    threads: int = 0
    max_fps: float = 30.0
    loudness: bool = True
    glossary: tuple[str, ...] = ()  # spellings for captions (see clipper.captext.Glossary)

    def __post_init__(self) -> None:
        output_size(self.aspect)  # one clear line for an unknown aspect


@dataclass(frozen=True)
class RunOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    rules: tuple[str, ...] = ()  # built-in pack names and/or pack files; () = all built-in
    highlight: HighlightOptions = field(default_factory=HighlightOptions)
    render: RenderOptions = field(default_factory=RenderOptions)
    chat: str | None = None  # None: look for <stem>.chat.jsonl / .chat.csv beside the media
    clips: bool = True
    require_video: bool = False  # `clip`: an audio-only input is an error, not a no-op
    link_media: str = "absolute"  # the report's and 剪映 draft's media: absolute | copy | hardlink
    timeline: tuple[str, ...] = TIMELINES  # clip timelines to write: otio, fcp7, jianying
    screen: bool = True  # read on-screen text and QR codes (inputs with video)
    acoustic: bool = True  # verify sound-alike rule terms against the audio

    def __post_init__(self) -> None:
        if self.link_media not in LINK_MODES:
            raise UsageError(
                f"link_media must be one of {', '.join(LINK_MODES)} (got {self.link_media!r})",
                params=("link_media",),
            )
        if isinstance(self.timeline, str):  # "otio,jianying" from Python, like the flag
            object.__setattr__(self, "timeline", timeline_formats(self.timeline))
        unknown = [t for t in self.timeline if t not in TIMELINES]
        if unknown:
            raise UsageError(
                f"timeline must be a comma-separated list of {', '.join(TIMELINES)} "
                f"(got {', '.join(map(repr, unknown))})",
                params=("timeline",),
            )
        object.__setattr__(self, "timeline", tuple(dict.fromkeys(self.timeline)))
        if self.chat is not None and not Path(self.chat).exists():
            raise UsageError(f"{self.chat}: no such chat log", params=("chat",))

    @classmethod
    def of(cls, **options: Any) -> RunOptions:
        """``RunOptions`` from flat keyword arguments, each given to the options class
        that declares it: ``RunOptions.of(count=5, language="zh", rules=["minors"])``.
        Paths become strings and lists tuples. Raises ``TypeError`` for a name no
        options class declares, ``UsageError`` for a bad value."""
        groups: dict[str, dict[str, Any]] = {"transcribe": {}, "highlight": {}, "render": {}}
        own: dict[str, Any] = {}
        for name, value in options.items():
            if isinstance(value, os.PathLike):
                value = os.fspath(value)
            elif isinstance(value, list):
                value = tuple(value)
            group = OWNER.get(name)
            if group is None:
                raise TypeError(f"unknown option {name!r}")
            (groups[group] if group else own)[name] = value
        return cls(
            transcribe=TranscribeOptions(**groups["transcribe"]),
            highlight=HighlightOptions(**groups["highlight"]),
            render=RenderOptions(**groups["render"]),
            **own,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def output_key(self) -> dict[str, Any]:
        """What the outputs depend on (not threads or device), for done-detection."""
        d = self.to_dict()
        d["transcribe"] = self.transcribe.output_key()
        d["render"].pop("threads", None)
        return d


@dataclass(frozen=True)
class RecapOptions:
    """What a recap depends on besides the recording's outputs."""

    dead_air: float = 8.0  # seconds without speech that count as 冷场
    # recap.products.Product from a product file; () = N号链接 / screen
    products: tuple[Any, ...] = ()
    products_file: str = ""
    cues_file: str = ""  # "" = the shipped cue pack

    def __post_init__(self) -> None:
        if not self.dead_air > 0:
            raise UsageError(
                f"dead_air must be a positive number of seconds (got {self.dead_air})",
                params=("dead_air",),
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dead_air": self.dead_air,
            "products_file": self.products_file,
            "products": [p.name for p in self.products],
            "cues_file": self.cues_file,
        }


_NESTED = {"transcribe": TranscribeOptions, "highlight": HighlightOptions, "render": RenderOptions}
# option name -> the RunOptions field holding its class ("" for RunOptions' own)
OWNER: dict[str, str] = {
    **{f.name: "" for f in fields(RunOptions) if f.name not in _NESTED},
    **{f.name: group for group, c in _NESTED.items() for f in fields(c)},
}


def defaults(cls: type) -> Any:
    """The plain field defaults of an options class, without building (and validating)
    one: ``defaults(HighlightOptions).count == 3``; fields made by a factory are left
    out. The CLI reads its defaults here."""
    return SimpleNamespace(**{f.name: f.default for f in fields(cls) if f.default is not MISSING})
