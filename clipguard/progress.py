"""Progress display chosen by the CLI; library code only calls a callback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

ProgressFn = Callable[[float, float], None]


@contextlib.contextmanager
def progress_bar(description: str, enabled: bool) -> Iterator[ProgressFn | None]:
    """A rich bar with ETA on a TTY; nothing in batch, --quiet or --json mode."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def update(done: float, total: float) -> None:
            bar.update(task, completed=done, total=max(total, 1e-9))

        yield update
