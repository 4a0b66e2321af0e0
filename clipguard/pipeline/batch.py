"""Unattended nightly batch: every recording once, failures isolated, resumable.

- Discovery: a directory (recursively) or a glob; output folders are never inputs.
- Done-detection: a recording whose manifest says ``complete`` for the same content
  hash and options is skipped without being opened again.
- Isolation: each recording runs through ``safe_process``; one bad file is a row in
  ``batch.json``, never a stopped batch.
- Locks: each recording is processed under an exclusive ``flock`` on
  ``OUT/<stem>/.lock``, so two overlapping cron runs split the work instead of doing
  it twice; a file locked by another run is reported ``busy``.
- Executors: in-process (1 worker), a local process pool (model loaded once per
  worker), or a Dask distributed cluster (``--scheduler``), all running the same
  per-recording function.
- Resumability: stages write atomically and the manifest marks a recording complete
  only at the end, so after a kill a re-run redoes only what was unfinished.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import html
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from clipguard import __version__
from clipguard.errors import UsageError
from clipguard.media import MEDIA_SUFFIXES, sha256_file
from clipguard.pipeline.manifest import Manifest, stage_key
from clipguard.pipeline.run import RecordingResult, RunOptions, safe_process
from clipguard.pipeline.stages import recording_dir
from clipguard.writers import ensure_dir, write_json, write_text

log = logging.getLogger(__name__)

BATCH_JSON = "batch.json"
BATCH_HTML = "batch.html"
BATCH_LOG = "batch.log"


@dataclass(frozen=True)
class BatchOptions:
    run: RunOptions = field(default_factory=RunOptions)
    workers: int = 0  # 0: choose from the core count
    scheduler: str | None = None  # tcp://host:8786 for Dask distributed


def default_workers(cores: int | None = None) -> tuple[int, int]:
    """(workers, ASR threads each) with workers x threads <= cores.

    Measured (benchmarks/batch.py, 2 cores): 2 workers x 1 thread did 844 recordings
    per hour against 597 for 1 x 2, because decoding, scanning and rendering are
    mostly single-threaded. CTranslate2 scales to ~4 threads, so bigger machines get
    up to 4 threads per worker, each worker holding its own model (~200 MB)."""
    cores = cores or os.cpu_count() or 1
    threads = 1 if cores <= 2 else min(4, cores // 2)
    return max(1, cores // threads), threads


def discover(target: str, out_root: Path | None = None) -> list[Path]:
    path = Path(target)
    if path.is_dir():
        candidates = (p for p in path.rglob("*") if p.is_file())
    elif any(ch in target for ch in "*?["):
        candidates = (Path(p) for p in glob.glob(target, recursive=True) if Path(p).is_file())
    elif path.is_file():
        candidates = iter([path])
    else:
        raise UsageError(f"{target}: no such directory, file or matching glob")
    out_resolved = out_root.resolve() if out_root else None
    found = []
    for p in candidates:
        if p.suffix.lower() not in MEDIA_SUFFIXES or any(
            part.startswith(".") for part in p.parts[-1:]
        ):
            continue
        if out_resolved and out_resolved in p.resolve().parents:
            continue
        found.append(p)
    return sorted(found)


def completion_key(sha256: str, options: RunOptions) -> str:
    return stage_key("complete-v1", __version__, sha256, options.output_key())


def is_complete(out_dir: Path, key: str) -> bool:
    manifest = Manifest.load(out_dir)
    return (
        manifest.data.get("complete", {}).get("key") == key and (out_dir / "report.html").exists()
    )


@contextlib.contextmanager
def recording_lock(out_dir: Path) -> Iterator[bool]:
    """Exclusive, non-blocking lock; yields False when another process holds it.
    ``flock`` is released by the kernel when its holder dies, so a killed run never
    leaves a stale lock behind."""
    ensure_dir(out_dir)
    fd = os.open(out_dir / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
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


def process_one(media: str, out_root: str, options: RunOptions) -> dict[str, Any]:
    """The unit of work every executor runs (must stay picklable and top-level)."""
    media_p, out_p = Path(media), Path(out_root)
    out_dir = recording_dir(out_p, media_p)
    t0 = time.perf_counter()
    try:
        sha = sha256_file(media_p)
    except OSError as exc:
        return RecordingResult.failure(
            media, out_p, f"{media}: cannot read: {exc.strerror}"
        ).to_dict()
    key = completion_key(sha, options)
    try:
        lock = recording_lock(out_dir)
        held = lock.__enter__()
    except Exception as exc:  # unwritable output: report it as this recording's failure
        return RecordingResult.failure(media, out_p, str(exc)).to_dict()
    try:
        if not held:
            return RecordingResult.failure(
                media, out_p, "being processed by another batch run", status="busy"
            ).to_dict()
        for stale in out_dir.rglob(".*.part"):  # temp files of a run that was killed
            stale.unlink(missing_ok=True)
        if is_complete(out_dir, key):
            done = Manifest.load(out_dir).data.get("complete", {}).get("result", {})
            return {
                **done,
                "status": "skipped",
                "error": "",
                "seconds": round(time.perf_counter() - t0, 3),
            }
        result = safe_process(media_p, out_p, options)
        result.seconds = round(time.perf_counter() - t0, 3)
        if result.status in ("ok", "review"):  # review: finished, flagged for a person
            manifest = Manifest.load(out_dir)
            manifest.set(complete={"key": key, "sha256": sha, "result": result.to_dict()})
            manifest.save()
        return result.to_dict()
    finally:
        lock.__exit__(None, None, None)


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop


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
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: str | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results.values() if r["status"] == "failed"]

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results.values():
            out[r["status"]] = out.get(r["status"], 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "tool": {"name": "clipguard", "version": __version__},
            "started": self.started,
            "finished": self.finished,
            "executor": self.executor,
            "options": self.options,
            "summary": self.summary(),
            "recordings": list(self.results.values()),
        }

    def save(self) -> None:
        write_json(self.out / BATCH_JSON, self.to_dict())
        write_text(self.out / BATCH_HTML, batch_html(self.to_dict(), self.out))


def batch_html(data: dict[str, Any], out: Path) -> str:
    rows = []
    for r in data["recordings"]:
        report = Path(r["out_dir"]) / "report.html"
        rel = os.path.relpath(report, out) if report.exists() else ""
        link = f'<a href="{html.escape(rel)}">report</a>' if rel else ""
        f = r.get("findings") or {}
        rows.append(
            f'<tr class="{html.escape(r["status"])}"><td>{html.escape(Path(r["media"]).name)}</td>'
            f'<td>{r.get("duration", 0):.0f} s</td><td class="b">{f.get("block", 0)}</td>'
            f'<td class="r">{f.get("review", 0)}</td><td>{f.get("info", 0)}</td><td>{r.get("clips", 0)}</td>'
            f"<td>{html.escape(r['status'])}</td><td>{html.escape(r.get('error', ''))}</td><td>{link}</td></tr>"
        )
    summary = ", ".join(f"{v} {k}" for k, v in data["summary"].items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>clipguard batch</title>
<style>body{{font:14px system-ui,sans-serif;margin:20px}}table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}}.failed{{background:#fdecea}}
.b{{color:#d62828;font-weight:600}}.r{{color:#f77f00}}</style></head><body>
<h1>clipguard batch</h1><p>{html.escape(data["started"])} → {html.escape(str(data["finished"] or "running"))} · {html.escape(summary)} · {html.escape(data["executor"])}</p>
<table><tr><th>recording</th><th>duration</th><th>block</th><th>review</th><th>info</th><th>clips</th><th>status</th><th>error</th><th></th></tr>
{"".join(rows)}</table></body></html>
"""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _duplicates(files: list[Path]) -> dict[Path, str]:
    seen: dict[str, Path] = {}
    dup: dict[Path, str] = {}
    for f in files:
        if f.stem in seen:
            dup[f] = f"same name as {seen[f.stem]}: both would write OUT/{f.stem}/ (rename one)"
        else:
            seen[f.stem] = f
    return dup


def run_batch(
    files: list[Path],
    out_root: Path,
    options: BatchOptions,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> BatchReport:
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
    dup = _duplicates(files)
    todo = [f for f in files if f not in dup]
    for f, why in dup.items():
        report.results[str(f)] = RecordingResult.failure(f, out_root, why).to_dict()
    report.save()
    log.info("batch of %d recordings on %s", len(files), executor)

    def done(result: dict[str, Any]) -> None:
        report.results[result["media"]] = result
        report.save()
        level = logging.INFO  # the console shows results itself; the file keeps them all
        log.log(level, "%s: %s %s", result["media"], result["status"], result.get("error", ""))
        if on_result:
            on_result(result)

    try:
        if options.scheduler:
            _run_dask(todo, out_root, run_opts, options.scheduler, done)
        elif workers > 1 and len(todo) > 1:
            _run_pool(todo, out_root, run_opts, workers, threads, done)
        else:
            for f in todo:
                done(process_one(str(f), str(out_root), run_opts))
    finally:
        report.finished = _now()
        report.save()
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
    return report


def _run_pool(
    files: list[Path],
    out_root: Path,
    options: RunOptions,
    workers: int,
    threads: int,
    done: Callable[[dict[str, Any]], None],
) -> None:
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker) as pool:
        pending: dict[Future, Path] = {
            pool.submit(process_one, str(f), str(out_root), options): f for f in files
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
                        ).to_dict()
                    )


def _run_dask(
    files: list[Path],
    out_root: Path,
    options: RunOptions,
    scheduler: str,
    done: Callable[[dict[str, Any]], None],
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
                process_one,
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
                    ).to_dict()
                )
    finally:
        client.close()


def watch(
    target: str,
    out_root: Path,
    options: BatchOptions,
    *,
    settle: float = 10.0,
    poll: float = 2.0,
    max_idle: float | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
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
