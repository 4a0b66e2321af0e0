"""Progress display chosen by the CLI; library code only calls a callback.

Bars appear on a terminal only: in batch/cron, ``--quiet`` or ``--json`` mode nothing
is drawn. The bar names the stage that runs (transcribe, scan, highlights, clips,
report), so a long first step does not look like a hang.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

# the two progress callbacks: a stage reports (done, total); a whole run also names
# the stage that runs, (done, total, stage)
ProgressFn = Callable[[float, float], None]
StageProgress = Callable[[float, float, str], None]


def _columns() -> tuple:
    from rich.progress import (
        BarColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )


@contextlib.contextmanager
def progress_bar(
    description: str, enabled: bool, total: float = 1.0
) -> Iterator[StageProgress | None]:
    """A rich bar with ETA on a TTY; ``update(done, total, stage="")``."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(*_columns(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def update(done: float, total: float, stage: str = "") -> None:
            label = f"{description} · {stage}" if stage else description
            bar.update(task, completed=done, total=max(total, 1e-9), description=label)

        yield update
