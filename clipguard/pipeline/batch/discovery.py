"""Which files a batch processes: a folder (recursively), a glob or one file."""

from __future__ import annotations

import glob
from pathlib import Path

from clipguard.errors import UsageError
from clipguard.media import MEDIA_SUFFIXES


def discover(target: str, out_root: Path | None = None) -> list[Path]:
    """Media files under ``target``; output folders and hidden files are never inputs."""
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
        if p.suffix.lower() not in MEDIA_SUFFIXES or p.name.startswith("."):
            continue
        if out_resolved and out_resolved in p.resolve().parents:
            continue
        found.append(p)
    return sorted(found)


def nothing_found(target: str) -> UsageError:
    return UsageError(
        f"{target}: no recordings found (looked for {' '.join(sorted(MEDIA_SUFFIXES))})"
    )


def duplicates(files: list[Path]) -> dict[Path, str]:
    """Files whose stems collide: both would write OUT/<stem>/."""
    seen: dict[str, Path] = {}
    dup: dict[Path, str] = {}
    for f in files:
        if f.stem in seen:
            dup[f] = f"same name as {seen[f.stem]}: both would write OUT/{f.stem}/ (rename one)"
        else:
            seen[f.stem] = f
    return dup
