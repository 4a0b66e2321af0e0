"""Atomic writers for every output format.

Outputs are written to a temporary file in the destination directory and renamed
into place, so a crash or a kill never leaves a half-written file that a later run
would take for a finished one, and an existing good file is only replaced whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from clipguard.errors import OutputError
from clipguard.models import Segment, Transcript

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (POSIX only lets us read it by setting it, hence the lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def normal_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0644 under umask 022.

    ``mkstemp`` creates 0600 files; renamed into place as they are, a reviewer on
    another account or a web server could not read the outputs.
    """
    return 0o666 & ~current_umask()


@contextlib.contextmanager
def atomic_path(dest: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; rename it onto ``dest`` on success."""
    dest = Path(dest)
    ensure_dir(dest.parent)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=dest.suffix + ".part", dir=dest.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():  # a writer (ffmpeg) may have replaced the file itself
            os.chmod(tmp_path, normal_mode())
        os.replace(tmp_path, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_dir(dest: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``dest``; on success put it in place of ``dest``.

    A folder cannot be renamed over a full one, so the swap is two renames in one
    folder (the old one aside, the new one in) and the old one is removed only once
    the new one is there; a failure removes the temporary folder. Leftovers of an
    earlier interrupted swap (``.<name>.*.part`` / ``.old``) are removed first."""
    dest = Path(dest)
    ensure_dir(dest.parent)
    for pattern in (f".{dest.name}.*.part", f".{dest.name}.*.old"):
        for debris in dest.parent.glob(pattern):
            shutil.rmtree(debris, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it 0700
        yield tmp
        old = dest.with_name(f".{dest.name}.{os.urandom(4).hex()}.old")
        had = dest.exists()
        if had:
            os.rename(dest, old)
        try:
            os.rename(tmp, dest)
        except OSError:
            if had:
                os.rename(old, dest)
            raise
        if had:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(dest: Path, text: str) -> Path:
    try:
        with atomic_path(dest) as tmp, open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    return Path(dest)


def write_json(dest: Path, data: Any) -> Path:
    return write_text(dest, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def ensure_dir(path: Path) -> Path:
    """Create ``path`` and prove it is writable, failing with one clear line if not."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".clipguard-probe-"):
            pass
    except OSError as exc:
        raise OutputError(
            f"output directory {path} is not writable: {exc.strerror or exc}"
        ) from exc
    return path


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_text(segments: Iterable[Segment], offset: float = 0.0) -> str:
    blocks = []
    for i, seg in enumerate(segments, 1):
        start, end = _timestamp(seg.start - offset, ","), _timestamp(seg.end - offset, ",")
        blocks.append(f"{i}\n{start} --> {end}\n{seg.text.strip()}\n")
    return "\n".join(blocks)


def vtt_text(segments: Iterable[Segment], offset: float = 0.0) -> str:
    blocks = ["WEBVTT\n"]
    for seg in segments:
        start, end = _timestamp(seg.start - offset, "."), _timestamp(seg.end - offset, ".")
        blocks.append(f"{start} --> {end}\n{seg.text.strip()}\n")
    return "\n".join(blocks)


def write_transcript(transcript: Transcript, json_path: Path, srt: Path, vtt: Path) -> None:
    """Write the JSON, SRT and VTT forms of a transcript (one writer set, one place)."""
    write_json(json_path, transcript.to_dict())
    write_text(srt, srt_text(transcript.segments))
    write_text(vtt, vtt_text(transcript.segments))
