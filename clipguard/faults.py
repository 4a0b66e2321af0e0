"""Faults are data: a failed optional refinement becomes a warning, never a dead run.

A re-decode, an acoustic check, the OCR or QR read of one frame, shot detection,
reframing, a cover frame or a timeline export refines a recording's outputs; none of
them is worth losing the recording for. Each such call runs inside ``refinement``,
which catches the exception, logs it, and records ``{stage, what, error, count}`` in
the collector of the recording being processed. The pipeline opens one collector per
recording (``collecting``), stores its warnings with each stage in ``manifest.json``,
and the report, the CLI summary and ``batch.json`` count them.

Why a context variable rather than a parameter: the refinements sit four or five
calls deep (stage -> screen reader -> frame loop -> OCR), and threading a collector
through every signature on the way would touch dozens of functions that have nothing
to say about faults. A ``ContextVar`` is per thread and per task, so batch workers
running recordings side by side in threads never see each other's warnings. Outside a
collector (a library call on its own) a fault is still caught and logged.

Only ``Exception`` is caught: ``KeyboardInterrupt``/``SystemExit`` and
``MemoryError`` still stop the run, as they must.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Fault:
    """One kind of failure of one refinement, with how often it happened."""

    stage: str
    what: str
    error: str
    count: int = 1

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Fault:
        return cls(str(d["stage"]), str(d["what"]), str(d["error"]), int(d.get("count", 1)))


class Faults:
    """The warnings of one recording (or one stage), merged by (stage, what, error)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str], Fault] = {}
        # one recording's work may run in two threads (clipguard.pipeline.ahead)
        self._lock = threading.Lock()

    def add(self, stage: str, what: str, error: str, count: int = 1) -> None:
        key = (stage, what, error)
        with self._lock:
            if key in self._items:
                self._items[key].count += count
            else:
                self._items[key] = Fault(stage, what, error, count)

    def extend(self, faults: Iterator[Fault] | list[Fault]) -> None:
        for f in faults:
            self.add(f.stage, f.what, f.error, f.count)

    def of_stage(self, stage: str) -> list[Fault]:
        return [f for f in self._items.values() if f.stage == stage]

    def to_list(self) -> list[dict]:
        return [f.to_dict() for f in self._items.values()]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._items.values()))


_current: contextvars.ContextVar[Faults | None] = contextvars.ContextVar(
    "clipguard_faults", default=None
)


@contextmanager
def collecting(faults: Faults | None = None) -> Iterator[Faults]:
    """Collect the warnings of everything run inside (one recording)."""
    faults = faults if faults is not None else Faults()
    token = _current.set(faults)
    try:
        yield faults
    finally:
        _current.reset(token)


def in_this_recording(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` to run on another thread as part of this recording: bound to a copy of
    the caller's context, so its refinements' warnings reach the same collector (a
    ``ContextVar`` is per thread). One copy per task: a context runs on one thread."""
    return functools.partial(contextvars.copy_context().run, fn)  # pyright: ignore[reportReturnType]


def current() -> Faults | None:
    return _current.get()


def describe(exc: BaseException) -> str:
    """One line naming the exception: what a reviewer or a bug report needs."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def record(stage: str, what: str, exc: BaseException) -> str:
    """Record a caught failure; returns its one-line description."""
    error = describe(exc)
    log.warning("%s: %s failed (%s); going on without it", stage, what, error)
    log.debug("traceback of the failed %s", what, exc_info=exc)
    faults = _current.get()
    if faults is not None:
        faults.add(stage, what, error)
    return error


class Outcome:
    """What ``refinement`` yields: after the block, ``error`` is the failure's
    description, or ``""`` when the block succeeded."""

    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error)


@contextmanager
def refinement(stage: str, what: str) -> Iterator[Outcome]:
    """Run an optional refinement; a failure inside becomes a recorded warning.

    ``with refinement("screen", "OCR of a frame") as r: ...`` — afterwards
    ``r.failed`` tells the caller to use its fallback.
    """
    outcome = Outcome()
    try:
        yield outcome
    except Exception as exc:  # the point of a refinement: any failure degrades
        outcome.error = record(stage, what, exc)
