"""One base error with a few meaningful subclasses.

The CLI turns any ``ClipguardError`` into a single stderr line and exit code 2,
so every message here must be something a user can act on without a traceback.
"""

from __future__ import annotations


class ClipguardError(Exception):
    """Base for errors caused by the user's input or environment (exit code 2).

    ``params`` names the options the message speaks of, by their Python parameter
    names (``link_media``); the CLI words those as its flags (``--link-media``)."""

    exit_code = 2

    def __init__(self, *args: object, params: tuple[str, ...] = ()) -> None:
        super().__init__(*args)
        self.params = params


class MediaError(ClipguardError):
    """The recording is missing, unreadable, corrupt, truncated or has no usable audio."""


class SilentMediaError(MediaError):
    """The audio decodes but holds no speech-level signal."""


class ModelError(ClipguardError):
    """The Whisper model cannot be found, assembled or loaded."""


class RulePackError(ClipguardError):
    """A rule pack file is missing or invalid; the message names file, line and field."""


class OutputError(ClipguardError):
    """The output directory cannot be created or written."""


class UsageError(ClipguardError):
    """Options that contradict each other or name things that do not exist."""


class InternalError(Exception):
    """A bug, not bad input: an unexpected exception inside a named stage.

    Deliberately not a ``ClipguardError`` (exit code 2 says "your input"); the CLI
    reports it as an internal error that names the stage, so a bug report says where.
    """

    def __init__(self, stage: str, cause: BaseException) -> None:
        text = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        detail = f"{type(cause).__name__}: {text}" if text else type(cause).__name__
        super().__init__(f"internal error in the {stage} stage: {detail}")
        self.stage = stage
