"""Option types shared by several commands, declared once, in typer's own idiom.

Each option is an ``Annotated`` type (its flag and help); a command declares the ones
it takes as ordinary parameters, with the default read from the options dataclass
that owns it (``clipguard.options``), so a default is written in one place. The
builders below turn a command's values into those dataclasses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clipguard.errors import UsageError
from clipguard.options import (
    HighlightOptions,
    RenderOptions,
    RunOptions,
    TranscribeOptions,
    defaults,
    timeline_formats,
)

# the defaults, read from the dataclasses' fields (the CLI's own options keep theirs here)
TRANSCRIBE = defaults(TranscribeOptions)
HIGHLIGHT = defaults(HighlightOptions)
RENDER = defaults(RenderOptions)
RUN = defaults(RunOptions)
DEFAULT_OUT = Path("clipguard-out")
DEFAULT_TIMELINE = ",".join(RUN.timeline)  # the flag's form of RunOptions.timeline

# output
Out = Annotated[
    Path, typer.Option("--out", "-o", help="Output root; each recording gets OUT/<stem>/.")
]
JsonOut = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary output.")]

# transcription
Model = Annotated[
    str, typer.Option("--model", help="base (bundled), a CTranslate2 model dir, or a size name.")
]
Language = Annotated[
    str, typer.Option("--language", help="auto, zh, en, or any Whisper language code.")
]
Device = Annotated[str, typer.Option("--device", help="cpu or cuda.")]
ComputeType = Annotated[
    str, typer.Option("--compute-type", help="int8 (CPU default), float16 for GPUs...")
]
Hotwords = Annotated[
    str,
    typer.Option(
        "--hotwords", help="auto (rule-pack terms, Chinese only), none, or your own words."
    ),
]
AllowPartial = Annotated[
    bool, typer.Option("--allow-partial", help="Process the readable part of a truncated file.")
]

# rules and detection
Rules = Annotated[
    list[str] | None,
    typer.Option(
        "--rules", "-r", help="Built-in pack name(s) (default: all) and/or rule pack files to add."
    ),
]
LinkMedia = Annotated[
    str,
    typer.Option(
        "--link-media",
        help="The report's and the 剪映 draft's video: absolute (path), copy or hardlink "
        "(beside the report, inside the draft).",
    ),
]
NoScreen = Annotated[
    bool, typer.Option("--no-screen", help="Do not read on-screen text and QR codes.")
]
NoAcoustic = Annotated[
    bool,
    typer.Option(
        "--no-acoustic",
        help="Do not check sound-alike rule terms against the audio (text matching only).",
    ),
]
FailOn = Annotated[
    str,
    typer.Option(
        "--fail-on", help="Exit 1 when a finding is at or above: block, review, info, never."
    ),
]

# clips
Count = Annotated[int, typer.Option("--count", help="Clips per recording.")]
MinSeconds = Annotated[float, typer.Option("--min-seconds", help="Shortest clip.")]
MaxSeconds = Annotated[float, typer.Option("--max-seconds", help="Longest clip.")]
Aspect = Annotated[str, typer.Option("--aspect", help="9:16 (1080x1920), 1:1, 16:9 or 4:5.")]
PromoText = Annotated[
    str,
    typer.Option("--promo-text", help="Promo line burned into every clip, e.g. 明晚8点开播."),
]
Gate = Annotated[
    str,
    typer.Option(
        "--gate",
        help="Keep findings of this severity or worse out of clips: review (default), "
        "block (lets review-level content in), info.",
    ),
]
Font = Annotated[
    Path | None, typer.Option("--font", help="Caption font (default: bundled Noto Sans CJK).")
]
Logo = Annotated[Path | None, typer.Option("--logo", help="Logo watermark image (PNG with alpha).")]
Weights = Annotated[
    str, typer.Option("--weights", help="Signal weights, e.g. hype=2,chat=0.5,motion=1.")
]
Glossary = Annotated[
    Path | None,
    typer.Option(
        "--glossary",
        help="Terms, one per line (product names, the host's name, 上链接): bias "
        "recognition and fix caption spelling by sound. Captions only.",
    ),
]
Timeline = Annotated[
    str,
    typer.Option(
        "--timeline",
        help="Editing timelines of the clips, comma-separated: otio, fcp7 (Premiere/Resolve "
        "XML), jianying (剪映 draft folder); none for no timeline.",
    ),
]
Chat = Annotated[
    Path | None, typer.Option("--chat", help="Chat log (JSONL or CSV: t, user, text).")
]


def glossary_terms(path: Path | None) -> tuple[str, ...]:
    from clipguard.clipper.captext import Glossary as GlossaryFile

    return GlossaryFile.load(path).terms


def _hotwords(value: str) -> str | None:
    """``auto``: the built-in packs' vocabulary (whatever ``--rules`` selects), so that
    transcribe, scan and run share one cached transcript."""
    if value == "none":
        return None
    if value != "auto":
        return " ".join(value.replace(",", " ").split()) or None
    from clipguard.compliance_rules.hotwords import default_hotwords

    return default_hotwords()


def transcribe_options(
    *,
    model: str,
    language: str,
    device: str,
    compute_type: str,
    hotwords: str,
    allow_partial: bool,
    glossary: Path | None = None,
) -> TranscribeOptions:
    extra = " ".join(glossary_terms(glossary)) if glossary else ""  # biases recognition too
    return TranscribeOptions(
        model=model,
        language=None if language in ("", "auto") else language,
        device=device,
        compute_type=compute_type,
        allow_partial=allow_partial,
        hotwords=" ".join(filter(None, [_hotwords(hotwords), extra])) or None,
    )


def weights(value: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, num = part.partition("=")
        try:
            out[name] = float(num)
        except ValueError:
            raise UsageError(f"--weights: {part!r} needs a number, like {name}=1.5") from None
    return out


def highlight_options(
    *, count: int, min_seconds: float, max_seconds: float, gate: str, weights_: str
) -> HighlightOptions:
    return HighlightOptions(
        count=count,
        min_seconds=min_seconds,
        max_seconds=max_seconds,
        gate=gate,
        weights=weights(weights_),
    )


def render_options(
    *, aspect: str, font: Path | None, promo_text: str, logo: Path | None, glossary: Path | None
) -> RenderOptions:
    return RenderOptions(
        aspect=aspect,
        font=str(font) if font else None,
        promo_text=promo_text,
        logo=str(logo) if logo else None,
        glossary=glossary_terms(glossary) if glossary else (),
    )


def run_options(
    *,
    transcribe: TranscribeOptions,
    rules: list[str] | None,
    link_media: str = RUN.link_media,
    no_screen: bool = False,
    no_acoustic: bool = False,
    highlight: HighlightOptions | None = None,
    render: RenderOptions | None = None,
    chat: Path | None = None,
    require_video: bool = False,
    timeline: str = DEFAULT_TIMELINE,
) -> RunOptions:
    """``RunOptions`` from a command's values; clips are cut when ``highlight`` is given."""
    return RunOptions(
        transcribe=transcribe,
        rules=tuple(rules or ()),
        highlight=highlight or HighlightOptions(),
        render=render or RenderOptions(),
        chat=str(chat) if chat else None,
        link_media=link_media,
        timeline=timeline_formats(timeline),
        screen=not no_screen,
        acoustic=not no_acoustic,
        clips=highlight is not None,
        require_video=require_video,
    )
