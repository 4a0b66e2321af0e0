"""Per-recording manifest: what ran, with which inputs and options, and how it went.

Each stage records a key (a hash of everything its output depends on). A re-run skips
a stage whose key is unchanged and whose output files still exist, which is what
makes ``run`` and ``batch`` resumable after a crash or a kill.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clipguard import __version__
from clipguard.writers import read_json, write_json

MANIFEST = "manifest.json"


def stage_key(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@dataclass
class Manifest:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, out_dir: Path) -> Manifest:
        path = Path(out_dir) / MANIFEST
        try:
            data = read_json(path)
        except (OSError, ValueError):
            data = {}
        data.setdefault("stages", {})
        data["tool"] = {"name": "clipguard", "version": __version__}
        return cls(path, data)

    def is_done(self, stage: str, key: str, outputs: list[Path] | None = None) -> bool:
        st = self.data["stages"].get(stage, {})
        if st.get("status") != "ok" or st.get("key") != key:
            return False
        return all(Path(p).exists() for p in outputs or [])

    def record(
        self, stage: str, status: str, *, key: str = "", seconds: float = 0.0, **extra: Any
    ) -> None:
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

    def save(self) -> None:
        write_json(self.path, self.data)
