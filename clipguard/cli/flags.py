"""Library parameter names worded as the command line's flags.

The library's errors speak of parameters (``link_media``) and list the ones they
name in ``ClipguardError.params``; the error boundary (``cli.app.guarded``) rewrites
those as flags (``--link-media``). A parameter is ``--`` plus its name with dashes,
except where the flag was named differently."""

from __future__ import annotations

import re

from clipguard.errors import ClipguardError

# parameters whose flag is not "--" + name.replace("_", "-")
FLAGS = {"json_out": "--json", "watch_mode": "--watch"}


def flag(param: str) -> str:
    return FLAGS.get(param, "--" + param.replace("_", "-"))


def worded_as_flags(exc: ClipguardError) -> str:
    """The error's message with each parameter it names written as its flag."""
    message = str(exc)
    for param in exc.params:
        message = re.sub(rf"(?<![\w-]){re.escape(param)}(?!\w)", flag(param), message)
    return message
