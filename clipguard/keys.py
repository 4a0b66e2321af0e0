"""Cache keys, one mechanism for every stage.

A stage's key is ``stage_key(code_version(<its modules>), <inputs>, <options>)``. The
code version hashes the stage's own source files with the package version, so any
change to the code that makes a result invalidates it; nobody has to remember to
bump a constant. Inputs are content hashes (``sha256_file``) or the keys of the
stages before.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from clipguard._version import __version__

_SHA_MEMO: dict[tuple[str, int, int], str] = {}


def stage_key(*parts: Any) -> str:
    """A short hash of JSON-able parts (anything else by ``str``), order-sensitive."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


@functools.lru_cache(maxsize=64)
def code_version(*modules: str) -> str:
    """The package version and the source of ``modules`` (a package: every ``.py``
    file under it), hashed: changes whenever the code that makes a result does."""
    h = hashlib.sha256(__version__.encode())
    for name in modules:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            raise ValueError(f"code_version: no module {name!r}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if spec.submodule_search_locations else [origin]
        for path in files:
            h.update(f"\0{name}:{path.relative_to(origin.parent).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    """Content hash, remembered per (path, size, mtime): batch done-detection and the
    transcript cache key both need it, and a recording can be gigabytes."""
    st = os.stat(path)
    memo_key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if memo_key in _SHA_MEMO:
        return _SHA_MEMO[memo_key]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    _SHA_MEMO[memo_key] = h.hexdigest()
    return _SHA_MEMO[memo_key]
