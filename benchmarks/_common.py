"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("CLIPGUARD_FIXTURES", REPO / "tests" / "fixtures"))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def x264(gop: int = 60, preset: str = "veryfast") -> list[str]:
    """ffmpeg output arguments for the H.264 the benchmarks' made recordings use."""
    return ["-c:v", "libx264", "-preset", preset, "-g", str(gop), "-pix_fmt", "yuv420p"]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def synthetic_video(
    dest: Path, seconds: float, size: str = "1280x720", fps: int = 30, gop: int = 60
) -> Path:
    """A moving test pattern with a tone, H.264/AAC, keyframe every ``gop`` frames."""
    import subprocess

    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={size}:rate={fps}:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=44100:duration={seconds}",
            *x264(gop, "ultrafast"),
            "-c:a",
            "aac",
            "-shortest",
            str(dest),
        ],
        check=True,
    )
    return dest
