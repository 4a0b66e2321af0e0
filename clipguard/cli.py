"""Thin typer layer: parse options, call one library function, print a summary.

All error handling lives in ``_guarded``: a ``ClipguardError`` becomes one stderr line
and exit code 2; nothing else the library raises reaches the user as a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from clipguard.errors import ClipguardError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Make recorded live streams safe to publish and cheap to promote.",
)
rules_app = typer.Typer(no_args_is_help=True, help="List, show, lint and try rule packs.")
app.add_typer(rules_app, name="rules")

F = TypeVar("F", bound=Callable[..., Any])

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output root; each recording gets OUT/<stem>/.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable summary on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary output.")]
ModelOpt = Annotated[str, typer.Option("--model", help="base (bundled), a CTranslate2 model dir, or a size name.")]
LangOpt = Annotated[str, typer.Option("--language", help="auto, zh, en, or any Whisper language code.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="cpu or cuda.")]
ComputeOpt = Annotated[str, typer.Option("--compute-type", help="int8 (CPU default), float16 for GPUs...")]
PartialOpt = Annotated[bool, typer.Option("--allow-partial", help="Process the readable part of a truncated file.")]
DEFAULT_OUT = Path("clipguard-out")


def _setup_logging(quiet: bool, json_mode: bool) -> None:
    level = logging.ERROR if (quiet or json_mode) else logging.WARNING
    if os.environ.get("CLIPGUARD_DEBUG"):
        level = logging.DEBUG
    logging.basicConfig(level=level, format="clipguard: %(levelname)s: %(message)s", stream=sys.stderr)
    for noisy in ("faster_whisper", "numba", "distributed", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"clipguard: error: {message}", err=True)
    return typer.Exit(code)


def _guarded(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _setup_logging(kwargs.get("quiet", False), kwargs.get("json_out", False))
        try:
            return fn(*args, **kwargs)
        except ClipguardError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _fail("interrupted", 130) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if os.environ.get("CLIPGUARD_DEBUG"):
                raise
            raise _fail(f"internal error: {type(exc).__name__}: {exc} (set CLIPGUARD_DEBUG=1 for details)") from None

    return wrapper  # type: ignore[return-value]


def _emit(summary: dict[str, Any], json_out: bool, quiet: bool, human: str) -> None:
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    elif not quiet:
        typer.echo(human)


def _language(value: str) -> str | None:
    return None if value in ("", "auto") else value


def _transcribe_options(model: str, language: str, device: str, compute_type: str, allow_partial: bool, **extra: Any) -> Any:
    from clipguard.pipeline.transcribe import TranscribeOptions

    return TranscribeOptions(
        model=model,
        language=_language(language),
        device=device,
        compute_type=compute_type,
        allow_partial=allow_partial,
        **extra,
    )


@app.command()
@_guarded
def transcribe(
    media: Annotated[list[Path], typer.Argument(help="Recordings (any format ffmpeg reads).")],
    model: ModelOpt = "base",
    language: LangOpt = "auto",
    out: OutOpt = DEFAULT_OUT,
    device: DeviceOpt = "cpu",
    compute_type: ComputeOpt = "int8",
    allow_partial: PartialOpt = False,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Transcribe recordings offline: transcript.json, .srt, .vtt and manifest.json."""
    from clipguard.pipeline.stages import recording_dir, stage_transcribe
    from clipguard.progress import progress_bar

    options = _transcribe_options(model, language, device, compute_type, allow_partial)
    results = []
    for path in media:
        out_dir = recording_dir(out, path)
        with progress_bar(f"transcribe {path.name}", not (quiet or json_out)) as bar:
            transcript, cached = stage_transcribe(path, out_dir, options, bar)
        results.append(
            {
                "media": str(path),
                "out": str(out_dir),
                "language": transcript.language,
                "segments": len(transcript.segments),
                "duration": transcript.media.duration,
                "cached": cached,
                "seconds": round(transcript.seconds, 2),
            }
        )
        _emit(
            results[-1],
            False,
            quiet or json_out,
            f"{path.name}: {len(transcript.segments)} segments, language {transcript.language}"
            f"{' (cached)' if cached else ''} -> {out_dir / 'transcript.json'}",
        )
    if json_out:
        _emit({"recordings": results}, True, quiet, "")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
