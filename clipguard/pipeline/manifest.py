"""Per-recording manifest: what ran, with which inputs and options, and how it went.

One skip rule for every stage: a stage whose recorded key (``clipguard.keys``: a hash
of its inputs, its options and its own source code) is unchanged, and whose output
files still exist and load, is not run again. That is what makes
``run`` and ``batch`` resumable after a crash or a kill.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from clipguard._version import __version__
from clipguard.faults import Fault, Faults, current
from clipguard.writers import read_json, write_json

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Manifest:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = read_json(path)
        except (OSError, ValueError):
            data = {}
        data.setdefault("stages", {})
        data["tool"] = {"name": "clipguard", "version": __version__}
        return cls(Path(path), data)

    def holds(self, stage: str, key: str, outputs: list[Path]) -> bool:
        """Whether the stage finished with this key and its outputs are still there
        (``reuse`` then loads them; a caller deciding whether to start work asks this)."""
        st = self.data["stages"].get(stage, {})
        if st.get("status") != "ok" or st.get("key") != key:
            return False
        return all(Path(p).exists() for p in outputs)

    def reuse(self, stage: str, key: str, outputs: list[Path], load: Callable[[], T]) -> T | None:
        """The stage's earlier result when its key is unchanged and its outputs load."""
        if not self.holds(stage, key, outputs):
            return None
        st = self.data["stages"][stage]
        try:
            value = load()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("%s: cached output unreadable (%s); running it again", stage, exc)
            return None
        self.record(stage, "ok", key=key, seconds=0.0, **{**_extra(st), "cached": True})
        return value

    def record(
        self, stage: str, status: str, *, key: str = "", seconds: float = 0.0, **extra: Any
    ) -> None:
        """Record a stage's outcome, with the warnings its refinements left in the
        recording's collector (kept on reuse, so a re-run still shows them)."""
        faults = current()
        if faults is not None and "warnings" not in extra:
            found = faults.of_stage(stage)
            if found:
                extra["warnings"] = [f.to_dict() for f in found]
        self.data["stages"][stage] = {
            "status": status,
            "key": key,
            "seconds": round(seconds, 3),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **extra,
        }
        self.save()

    def set(self, **fields: Any) -> None:
        self.data.update(fields)
        self.save()

    def save(self) -> None:
        self.data["warnings"] = self.warnings()
        write_json(self.path, self.data)

    def warnings(self) -> list[dict[str, Any]]:
        """Every stage's warnings, ``{stage, what, error, count}``."""
        merged = Faults()
        for st in self.data["stages"].values():
            merged.extend([Fault.from_dict(w) for w in st.get("warnings", [])])
        return merged.to_list()


def _extra(st: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in st.items() if k not in ("status", "key", "seconds", "finished_at")}
