"""Where the per-recording function runs: this process, a local process pool (the
model loaded once per worker), or a Dask distributed cluster."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from clipguard.errors import UsageError
from clipguard.pipeline.result import RecordingResult
from clipguard.pipeline.run import RunOptions

Work = Callable[[str, str, RunOptions], RecordingResult]
Done = Callable[[RecordingResult], None]


def default_workers(cores: int | None = None) -> tuple[int, int]:
    """(workers, ASR threads each) with workers x threads <= cores.

    Measured (benchmarks/batch.py, 2 cores): 2 workers x 1 thread did 844 recordings
    per hour against 597 for 1 x 2, because decoding, scanning and rendering are
    mostly single-threaded. CTranslate2 scales to ~4 threads, so bigger machines get
    up to 4 threads per worker, each worker holding its own model (~200 MB)."""
    cores = cores or os.cpu_count() or 1
    threads = 1 if cores <= 2 else min(4, cores // 2)
    return max(1, cores // threads), threads


def run_inline(
    files: list[Path], out_root: Path, options: RunOptions, work: Work, done: Done
) -> None:
    for f in files:
        done(work(str(f), str(out_root), options))


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop


def run_pool(
    files: list[Path], out_root: Path, options: RunOptions, work: Work, done: Done, workers: int
) -> None:
    # spawn, not fork: a process that already ran a model (a library caller, a test
    # session) holds CTranslate2/OpenMP thread-pool locks that a forked child inherits
    # locked, and the child's first model call then waits forever
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, mp_context=context
    ) as pool:
        pending: dict[Future, Path] = {
            pool.submit(work, str(f), str(out_root), options): f for f in files
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                f = pending.pop(fut)
                try:
                    done(fut.result())
                except Exception as exc:  # a worker process died (OOM, segfault)
                    done(
                        RecordingResult.failure(
                            f, out_root, f"worker crashed: {type(exc).__name__}: {exc}"
                        )
                    )


def run_dask(
    files: list[Path], out_root: Path, options: RunOptions, work: Work, done: Done, scheduler: str
) -> None:
    """Same per-recording function on a Dask cluster; outputs go to ``out_root``, which
    must be a path every worker sees (shared storage)."""
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise UsageError(f"cannot reach Dask scheduler {scheduler}: {exc}") from None
    try:
        futures = {
            client.submit(
                work,
                str(f),
                str(out_root.resolve()),
                options,
                key=f"clipguard-{i}-{f.stem}",
                pure=False,
            ): f
            for i, f in enumerate(files)
        }
        for fut in as_completed(futures):
            f = futures[fut]
            try:
                done(fut.result())
            except Exception as exc:
                done(
                    RecordingResult.failure(
                        f, out_root, f"dask worker failed: {type(exc).__name__}: {exc}"
                    )
                )
    finally:
        client.close()
