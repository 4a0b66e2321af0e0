"""The command line: a thin layer that parses, calls one library function, prints.

This package holds no pipeline logic. ``guarded`` is the one error boundary: a
``ClipguardError`` becomes one stderr line and exit code 2; nothing the library
raises reaches the user as a traceback.
"""

from __future__ import annotations

import sys

import typer

# isort: off
# registers the commands, in the order --help lists them
from clipguard.cli import commands, batch, recap, rules  # noqa: F401

# isort: on
from clipguard.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: usage errors become one line (exit 2), like every other error.

    Typer vendors click, so its exceptions are matched by shape (``format_message``
    and ``exit_code``) rather than by importing a private module."""
    try:
        rv = app(standalone_mode=False)
    except KeyboardInterrupt:
        typer.echo("clipguard: error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        name = type(exc).__name__
        if name == "Abort":
            typer.echo("clipguard: error: interrupted", err=True)
            sys.exit(130)
        format_message = getattr(exc, "format_message", None)
        exit_code = getattr(exc, "exit_code", None)
        if format_message is None or exit_code is None:
            raise
        if name == "NoArgsIsHelpError":
            typer.echo(format_message())
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(format_message().split())
        typer.echo(f"clipguard: error: {message}{hint}", err=True)
        sys.exit(exit_code)
    sys.exit(rv if isinstance(rv, int) else 0)
