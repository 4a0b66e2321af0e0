"""Watch mode: process recordings as they arrive, each once it has stopped growing."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clipguard.pipeline.batch import BatchOptions, BatchReport, _now, run_batch
from clipguard.pipeline.batch.discovery import discover
from clipguard.pipeline.result import RecordingResult
from clipguard.writers import ensure_dir


def watch(
    target: str,
    out_root: Path,
    options: BatchOptions,
    *,
    settle: float = 10.0,
    poll: float = 2.0,
    max_idle: float | None = None,
    on_result: Callable[[RecordingResult], None] | None = None,
) -> BatchReport:
    """Process recordings as they arrive, each once it has stopped growing for ``settle``
    seconds. Stops on SIGINT/SIGTERM, or after ``max_idle`` seconds with nothing to do."""
    seen: dict[Path, tuple[int, float, float]] = {}  # size, mtime, since
    handled: set[Path] = set()
    stop = False
    last_work = time.monotonic()
    merged: BatchReport | None = None

    def _stop(*_: Any) -> None:
        nonlocal stop
        stop = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop:
            ready = []
            now = time.monotonic()
            for f in (
                discover(target, out_root)
                if Path(target).exists() or any(c in target for c in "*?[")
                else []
            ):
                if f in handled:
                    continue
                st = f.stat()
                prev = seen.get(f)
                if prev is None or prev[:2] != (st.st_size, st.st_mtime):
                    seen[f] = (st.st_size, st.st_mtime, now)
                elif now - prev[2] >= settle:
                    ready.append(f)
            if ready:
                rep = run_batch(ready, out_root, options, on_result)
                handled.update(ready)
                if merged is None:
                    merged = rep
                else:
                    merged.results.update(rep.results)
                    merged.finished = rep.finished
                    merged.save()
                last_work = time.monotonic()
            elif max_idle is not None and time.monotonic() - last_work > max_idle:
                break
            time.sleep(poll)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if merged is None:
        merged = BatchReport(ensure_dir(Path(out_root)), _now(), {}, "watch", finished=_now())
        merged.save()
    return merged
