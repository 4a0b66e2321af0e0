"""Per-recording locks and completion keys: overlapping cron runs split the work,
and a finished recording is never redone for the same content and options."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from clipguard._version import __version__
from clipguard.keys import stage_key
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.run import RunOptions
from clipguard.writers import ensure_dir


def completion_key(sha256: str, options: RunOptions) -> str:
    return stage_key("complete-v1", __version__, sha256, options.output_key())


def completed(layout: RecordingLayout, key: str) -> dict | None:
    """The recorded result of a complete run with this key, if there is one."""
    complete = Manifest.load(layout.manifest).data.get("complete", {})
    if complete.get("key") == key and layout.report.exists():
        return complete.get("result", {})
    return None


@contextlib.contextmanager
def recording_lock(layout_or_dir: RecordingLayout | os.PathLike | str) -> Iterator[bool]:
    """Exclusive, non-blocking lock; yields False when another process holds it.
    ``flock`` is released by the kernel when its holder dies, so a killed run never
    leaves a stale lock behind."""
    layout = (
        layout_or_dir
        if isinstance(layout_or_dir, RecordingLayout)
        else RecordingLayout(Path(os.fspath(layout_or_dir)))
    )
    ensure_dir(layout.lock.parent)
    fd = os.open(layout.lock, os.O_CREAT | os.O_RDWR, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
