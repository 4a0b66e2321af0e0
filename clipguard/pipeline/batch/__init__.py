"""Unattended nightly batch: every recording once, failures isolated, resumable.

- Discovery: a directory (recursively) or a glob; output folders are never inputs.
- Done-detection: a recording whose manifest says ``complete`` for the same content
  hash and options is skipped without being opened again.
- Isolation: each recording runs through ``safe_process``; one bad file is a row in
  ``batch.json``, never a stopped batch.
- Locks: each recording is processed under an exclusive ``flock`` on
  ``OUT/.locks/<stem>.lock``, so two overlapping cron runs split the work instead of
  doing it twice; a file locked by another run is reported ``busy``.
- Executors: in-process, a local process pool or a Dask cluster, all running the same
  per-recording function (``process_one``).
- Resumability: stages write atomically and the manifest marks a recording complete
  only at the end, so after a kill a re-run redoes only what was unfinished.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clipguard._version import __version__
from clipguard.keys import sha256_file
from clipguard.models import SCHEMA_VERSION
from clipguard.pipeline.batch.discovery import discover, duplicates, nothing_found
from clipguard.pipeline.batch.executors import default_workers, run_dask, run_inline, run_pool
from clipguard.pipeline.batch.locks import completed, completion_key, recording_lock
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.result import RecordingResult
from clipguard.pipeline.run import RunOptions, safe_process
from clipguard.writers import ensure_dir, write_json, write_text

__all__ = [
    "BatchOptions",
    "BatchReport",
    "default_workers",
    "discover",
    "nothing_found",
    "process_one",
    "recording_lock",
    "run_batch",
]

log = logging.getLogger(__name__)

BATCH_JSON = "batch.json"
BATCH_HTML = "batch.html"
BATCH_LOG = "batch.log"


@dataclass(frozen=True)
class BatchOptions:
    run: RunOptions = field(default_factory=RunOptions)
    workers: int = 0  # 0: choose from the core count
    scheduler: str | None = None  # tcp://host:8786 for Dask distributed


def process_one(media: str, out_root: str, options: RunOptions) -> RecordingResult:
    """The unit of work every executor runs (must stay picklable and top-level)."""
    media_p, out_p = Path(media), Path(out_root)
    layout = RecordingLayout.of(out_p, media_p)
    t0 = time.perf_counter()
    try:
        sha = sha256_file(media_p)
    except OSError as exc:
        return RecordingResult.failure(media, out_p, f"{media}: cannot read: {exc.strerror}")
    key = completion_key(sha, options)
    try:
        lock = recording_lock(layout)
        held = lock.__enter__()
    except Exception as exc:  # unwritable output: report it as this recording's failure
        return RecordingResult.failure(media, out_p, str(exc))
    try:
        if not held:
            return RecordingResult.failure(
                media, out_p, "being processed by another batch run", status="busy"
            )
        if layout.root.exists():
            for stale in layout.root.rglob(".*.part"):  # temp files of a killed run
                stale.unlink(missing_ok=True)
        done = completed(layout, key)
        if done is not None:
            row = RecordingResult.from_dict(done)
            return replace(
                row, status="skipped", error="", seconds=round(time.perf_counter() - t0, 3)
            )
        result = safe_process(media_p, out_p, options)
        result.seconds = round(time.perf_counter() - t0, 3)
        if result.status in ("ok", "review"):  # review: finished, flagged for a person
            Manifest.load(layout.manifest).set(
                complete={"key": key, "sha256": sha, "result": result.to_dict()}
            )
        return result
    finally:
        lock.__exit__(None, None, None)


def _with_threads(options: RunOptions, threads: int) -> RunOptions:
    if options.transcribe.cpu_threads:
        return options
    return replace(options, transcribe=replace(options.transcribe, cpu_threads=threads))


@dataclass
class BatchReport:
    out: Path
    started: str
    options: dict[str, Any]
    executor: str
    results: dict[str, RecordingResult] = field(default_factory=dict)
    finished: str | None = None

    @property
    def failed(self) -> list[RecordingResult]:
        return [r for r in self.results.values() if r.status == "failed"]

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results.values():
            out[r.status] = out.get(r.status, 0) + 1
        warned = sum(w.get("count", 1) for r in self.results.values() for w in r.warnings)
        if warned:  # failed refinements across the batch (each row has its own list)
            out["warnings"] = warned
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "clipguard", "version": __version__},
            "started": self.started,
            "finished": self.finished,
            "executor": self.executor,
            "options": self.options,
            "summary": self.summary(),
            "recordings": [r.to_dict() for r in self.results.values()],
        }

    def save(self) -> None:
        from clipguard.report.batch_page import batch_html

        write_json(self.out / BATCH_JSON, self.to_dict())
        write_text(self.out / BATCH_HTML, batch_html(self.to_dict(), self.out))


def _write_compare(report: BatchReport) -> None:
    """recap_compare.html over the batch's finished recordings; a failure here is
    logged, never the batch's failure."""
    from clipguard.pipeline.recap import COMPARE_HTML, write_compare

    done = [
        Path(r.out_dir) for r in report.results.values() if r.status in ("ok", "review", "skipped")
    ]
    try:
        write_compare(done, report.out / COMPARE_HTML)
    except Exception as exc:  # the nights' comparison is a convenience, not a result
        log.warning("recap_compare.html not written: %s", exc)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def run_batch(
    files: list[Path],
    out_root: Path,
    options: BatchOptions,
    on_result: Callable[[RecordingResult], None] | None = None,
) -> BatchReport:
    """``clipguard batch``: every file once, on the chosen executor; never raises for
    one recording's failure (it becomes a row)."""
    out_root = ensure_dir(Path(out_root))
    handler = logging.FileHandler(out_root / BATCH_LOG, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("clipguard")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)  # the file gets INFO; console handlers keep their own level
    workers, threads = default_workers()
    if options.workers:
        workers = options.workers
        threads = max(1, (os.cpu_count() or 1) // workers)
    executor = (
        f"dask {options.scheduler}"
        if options.scheduler
        else (f"processes x{workers}" if workers > 1 else "in-process")
    )
    run_opts = _with_threads(options.run, threads)
    report = BatchReport(
        out_root,
        _now(),
        {"run": run_opts.to_dict(), "workers": workers, "threads": threads},
        executor,
    )
    dup = duplicates(files)
    todo = [f for f in files if f not in dup]
    for f, why in dup.items():
        report.results[str(f)] = RecordingResult.failure(f, out_root, why)
    report.save()
    log.info("batch of %d recordings on %s", len(files), executor)

    def done(result: RecordingResult) -> None:
        report.results[result.media] = result
        report.save()
        log.info("%s: %s %s", result.media, result.status, result.error or result.note)
        if on_result:
            on_result(result)

    try:
        if options.scheduler:
            run_dask(todo, out_root, run_opts, process_one, done, options.scheduler)
        elif workers > 1 and len(todo) > 1:
            run_pool(todo, out_root, run_opts, process_one, done, workers)
        else:
            run_inline(todo, out_root, run_opts, process_one, done)
    finally:
        report.finished = _now()
        _write_compare(report)
        report.save()
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
    return report
