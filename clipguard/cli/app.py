"""The typer app, the one error boundary, and summary output."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from clipguard.errors import ClipguardError, InternalError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Make recorded live streams safe to publish and cheap to promote.",
)
rules_app = typer.Typer(no_args_is_help=True, help="List, show, lint and try rule packs.")
app.add_typer(rules_app, name="rules")

F = TypeVar("F", bound=Callable[..., Any])


def _version(value: bool) -> None:
    if value:
        from clipguard._version import __version__

        typer.echo(f"clipguard {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Make recorded live streams safe to publish and cheap to promote."""


def setup_logging(quiet: bool, json_mode: bool) -> None:
    level = logging.ERROR if (quiet or json_mode) else logging.WARNING
    if os.environ.get("CLIPGUARD_DEBUG"):
        level = logging.DEBUG
    logging.basicConfig(
        level=level, format="clipguard: %(levelname)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:  # batch raises clipguard's level for its log file
        handler.setLevel(level)
    for noisy in ("faster_whisper", "numba", "distributed", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"clipguard: error: {message}", err=True)
    return typer.Exit(code)


def guarded(fn: F) -> F:
    """The one error boundary: every library error becomes one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setup_logging(kwargs.get("quiet", False), kwargs.get("json_out", False))
        try:
            return fn(*args, **kwargs)
        except ClipguardError as exc:
            from clipguard.cli.flags import worded_as_flags

            raise fail(worded_as_flags(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except typer.Exit:
            raise
        except InternalError as exc:
            if os.environ.get("CLIPGUARD_DEBUG"):
                raise
            raise fail(f"{exc} (set CLIPGUARD_DEBUG=1 for details)") from None
        except Exception as exc:
            if os.environ.get("CLIPGUARD_DEBUG"):
                raise
            raise fail(
                f"internal error: {type(exc).__name__}: {exc} (set CLIPGUARD_DEBUG=1 for details)"
            ) from None

    return wrapper  # type: ignore[return-value]


def emit(summary: dict[str, Any], json_out: bool, quiet: bool, human: str) -> None:
    if json_out:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    elif not quiet and human:
        typer.echo(human)
