"""Encode a composed MoviePy clip to H.264 + AAC, feeding the encoder I420 frames.

MoviePy's ``write_videofile`` pipes RGB frames (``rgb24``, fixed in its writer) and
leaves the conversion to ffmpeg's swscale, single-threaded in the encoder's process.
Converting each frame with OpenCV (``COLOR_RGB2YUV_I420``: the same BT.601 limited
range as ffmpeg's default, within one level on luma) halves what goes through the
pipe and took a quarter of the encoder's CPU time away: 475 frames of 1080x1920,
x264 veryfast on 2 cores, 16.3 -> 12.0 CPU s in ffmpeg for 0.5 ms a frame in OpenCV
(``benchmarks/render.py`` measures the whole clip). Everything else stays MoviePy's:
the frames come from ``clip.iter_frames`` and the audio from ``write_audiofile``, as
in ``write_videofile``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import cv2
from moviepy.config import FFMPEG_BINARY

from clipguard.errors import MediaError

AUDIO_RATE = 44100


def encode(
    clip: Any,
    target: Path,
    *,
    fps: float,
    preset: str,
    crf: int,
    threads: int,
    audio_bitrate: str = "128k",
    tmp: Path,
) -> None:
    """Write ``clip`` to ``target`` (an .mp4 with faststart); ``tmp`` holds the
    encoded audio and the encoder's messages until the caller removes it."""
    W, H = clip.size
    if W % 2 or H % 2:
        raise MediaError(f"{target}: I420 needs an even frame size, not {W}x{H}")
    cmd = [FFMPEG_BINARY, "-y", "-loglevel", "error"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{W}x{H}", "-r", f"{fps:.02f}"]
    cmd += ["-i", "-"]
    maps = ["-map", "0:v:0"]
    if clip.audio is not None:
        audio = Path(tmp) / "audio.m4a"
        clip.audio.write_audiofile(
            str(audio), AUDIO_RATE, codec="aac", bitrate=audio_bitrate, logger=None
        )
        cmd += ["-i", str(audio)]
        maps += ["-map", "1:a:0", "-c:a", "copy"]
    cmd += maps
    cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    cmd += ["-threads", str(threads), "-movflags", "+faststart", str(target)]
    log_path = Path(tmp) / "ffmpeg.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        assert proc.stdin is not None
        try:
            for frame in clip.iter_frames(fps=fps, dtype="uint8"):
                proc.stdin.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).data)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the encoder stopped: its own message says why (below)
        finally:
            rc = proc.wait()
    if rc != 0:
        lines = log_path.read_text(errors="replace").strip().splitlines()
        raise MediaError(f"{target}: encoding failed: {lines[-1] if lines else f'exit {rc}'}")
