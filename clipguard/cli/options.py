"""Option groups shared by several commands, declared once.

Typer reads a command's parameters from its signature, so ``options(...)`` appends a
group's parameters to the decorated function's ``__signature__``; the command
receives them in ``**opts`` and hands them to one builder. ``clip``, ``run`` and
``batch`` therefore never repeat their parameter lists by hand.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from clipguard.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_OUT = Path("clipguard-out")


def _p(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


COMMON = [
    _p(
        "out",
        Annotated[
            Path, typer.Option("--out", "-o", help="Output root; each recording gets OUT/<stem>/.")
        ],
        DEFAULT_OUT,
    ),
    _p(
        "json_out",
        Annotated[bool, typer.Option("--json", help="Machine-readable summary on stdout.")],
        False,
    ),
    _p(
        "quiet",
        Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary output.")],
        False,
    ),
]
TRANSCRIBE = [
    _p(
        "model",
        Annotated[
            str,
            typer.Option(
                "--model", help="base (bundled), a CTranslate2 model dir, or a size name."
            ),
        ],
        "base",
    ),
    _p(
        "language",
        Annotated[
            str, typer.Option("--language", help="auto, zh, en, or any Whisper language code.")
        ],
        "auto",
    ),
    _p("device", Annotated[str, typer.Option("--device", help="cpu or cuda.")], "cpu"),
    _p(
        "compute_type",
        Annotated[
            str, typer.Option("--compute-type", help="int8 (CPU default), float16 for GPUs...")
        ],
        "int8",
    ),
    _p(
        "hotwords",
        Annotated[
            str,
            typer.Option(
                "--hotwords", help="auto (rule-pack terms, Chinese only), none, or your own words."
            ),
        ],
        "auto",
    ),
    _p(
        "allow_partial",
        Annotated[
            bool,
            typer.Option("--allow-partial", help="Process the readable part of a truncated file."),
        ],
        False,
    ),
]
RULES = [
    _p(
        "rules",
        Annotated[
            list[str] | None,
            typer.Option(
                "--rules",
                "-r",
                help="Built-in pack name(s) (default: all) and/or rule pack files to add.",
            ),
        ],
        None,
    ),
    _p(
        "link_media",
        Annotated[
            str,
            typer.Option(
                "--link-media",
                help="The report's video: absolute (path), copy or hardlink (beside the report).",
            ),
        ],
        "absolute",
    ),
]
DETECTION = [
    _p(
        "no_screen",
        Annotated[
            bool,
            typer.Option("--no-screen", help="Do not read on-screen text and QR codes."),
        ],
        False,
    ),
    _p(
        "no_acoustic",
        Annotated[
            bool,
            typer.Option(
                "--no-acoustic",
                help="Do not check sound-alike rule terms against the audio (text matching only).",
            ),
        ],
        False,
    ),
]
FAIL_ON = [
    _p(
        "fail_on",
        Annotated[
            str,
            typer.Option(
                "--fail-on",
                help="Exit 1 when a finding is at or above: block, review, info, never.",
            ),
        ],
        "block",
    ),
]
CLIP = [
    _p("count", Annotated[int, typer.Option("--count", help="Clips per recording.")], 3),
    _p("min_seconds", Annotated[float, typer.Option("--min-seconds", help="Shortest clip.")], 15.0),
    _p("max_seconds", Annotated[float, typer.Option("--max-seconds", help="Longest clip.")], 60.0),
    _p(
        "aspect",
        Annotated[str, typer.Option("--aspect", help="9:16 (1080x1920), 1:1, 16:9 or 4:5.")],
        "9:16",
    ),
    _p(
        "promo_text",
        Annotated[
            str,
            typer.Option(
                "--promo-text", help="Promo line burned into every clip, e.g. 明晚8点开播."
            ),
        ],
        "",
    ),
    _p(
        "gate",
        Annotated[
            str,
            typer.Option(
                "--gate",
                help="Keep findings of this severity or worse out of clips: review (default), "
                "block (lets review-level content in), info.",
            ),
        ],
        "review",
    ),
    _p(
        "font",
        Annotated[
            Path | None,
            typer.Option("--font", help="Caption font (default: bundled Noto Sans CJK)."),
        ],
        None,
    ),
    _p(
        "logo",
        Annotated[
            Path | None, typer.Option("--logo", help="Logo watermark image (PNG with alpha).")
        ],
        None,
    ),
    _p(
        "weights",
        Annotated[
            str, typer.Option("--weights", help="Signal weights, e.g. hype=2,chat=0.5,motion=1.")
        ],
        "",
    ),
]
GLOSSARY = [
    _p(
        "glossary",
        Annotated[
            Path | None,
            typer.Option(
                "--glossary",
                help="Terms, one per line (product names, the host's name, 上链接): bias "
                "recognition and fix caption spelling by sound. Captions only.",
            ),
        ],
        None,
    ),
]
CHAT = [
    _p(
        "chat",
        Annotated[
            Path | None, typer.Option("--chat", help="Chat log (JSONL or CSV: t, user, text).")
        ],
        None,
    ),
]


def options(*groups: list[inspect.Parameter]) -> Callable[[F], F]:
    """Add option groups to a command's signature (typer reads ``__signature__``)."""

    def deco(fn: F) -> F:
        sig = inspect.signature(fn, eval_str=True)
        own = [p for p in sig.parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]
        added = [p for g in groups for p in g]
        fn.__signature__ = sig.replace(parameters=own + added)  # type: ignore[attr-defined]
        return fn

    return deco


def _glossary(opts: dict[str, Any]) -> tuple[str, ...]:
    from clipguard.clipper.captext import Glossary

    return Glossary.load(opts.get("glossary")).terms


def transcribe_options(opts: dict[str, Any]) -> Any:
    from clipguard.asr.transcribe import TranscribeOptions

    hotwords = _hotwords(opts["hotwords"])
    extra = " ".join(_glossary(opts))  # the glossary biases recognition too
    return TranscribeOptions(
        model=opts["model"],
        language=None if opts["language"] in ("", "auto") else opts["language"],
        device=opts["device"],
        compute_type=opts["compute_type"],
        allow_partial=opts["allow_partial"],
        hotwords=" ".join(filter(None, [hotwords, extra])) or None,
    )


def _hotwords(value: str) -> str | None:
    """``auto``: the built-in packs' vocabulary (whatever ``--rules`` selects), so that
    transcribe, scan and run share one cached transcript."""
    if value == "none":
        return None
    if value != "auto":
        return " ".join(value.replace(",", " ").split()) or None
    from clipguard.compliance_rules.hotwords import default_hotwords

    return default_hotwords()


def weights(value: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        name, _, num = part.partition("=")
        try:
            out[name] = float(num)
        except ValueError:
            raise UsageError(f"--weights: {part!r} needs a number, like {name}=1.5") from None
    return out


def run_options(opts: dict[str, Any], **overrides: Any) -> Any:
    """``RunOptions`` from a command's parameters; each options class validates itself."""
    from clipguard.clipper.highlights import HighlightOptions
    from clipguard.clipper.render import RenderOptions
    from clipguard.pipeline.run import RunOptions

    clip = "count" in opts
    return RunOptions(
        transcribe=transcribe_options(opts),
        rules=tuple(opts.get("rules") or ()),
        highlight=HighlightOptions(
            count=opts["count"],
            min_seconds=opts["min_seconds"],
            max_seconds=opts["max_seconds"],
            gate=opts["gate"],
            weights=weights(opts["weights"]),
        )
        if clip
        else HighlightOptions(),
        render=RenderOptions(
            aspect=opts["aspect"],
            font=str(opts["font"]) if opts["font"] else None,
            promo_text=opts["promo_text"],
            logo=str(opts["logo"]) if opts["logo"] else None,
            glossary=_glossary(opts),
        )
        if clip
        else RenderOptions(),
        chat=str(opts["chat"]) if opts.get("chat") else None,
        link_media=opts.get("link_media", "absolute"),
        screen=not opts.get("no_screen", False),
        acoustic=not opts.get("no_acoustic", False),
        clips=clip,
        **overrides,
    )
