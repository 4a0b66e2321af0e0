"""Clip rendering speed: the MoviePy renderer against the ffmpeg floor.

A 30 s 9:16 clip (1080x1920) from a 720p30 source with crop, resize and 10 caption
lines. The floor is one ffmpeg process doing crop + scale + libass subtitles with the
same x264 preset; plain MoviePy (subclip re-encode, no effects) is shown for scale.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from _common import ffmpeg_exe, machine, synthetic_video, table
from moviepy import VideoFileClip

from clipguard.clipper.captions import default_font
from clipguard.clipper.render import RenderOptions, render_clip
from clipguard.models import ClipPlan, Segment, Word
from clipguard.writers import srt_text

LINES = [
    "家人们晚上好，欢迎来到直播间",
    "今天给大家带来一款新品",
    "三二一，上链接",
    "秒杀开始了，抓紧时间",
    "库存不多，手慢无",
    "喜欢的朋友点个关注",
    "这款做工非常精细",
    "颜色有三种可以选",
    "明晚八点不见不散",
    "谢谢大家的支持",
]
START, LENGTH = 5.0, 30.0


def captions() -> tuple[Segment, ...]:
    segs = []
    for i, text in enumerate(LINES):
        s = START + i * 3.0
        words = tuple(Word(s + j * 0.2, s + j * 0.2 + 0.18, ch) for j, ch in enumerate(text))
        segs.append(Segment(words[0].start, words[-1].end, text, words))
    return tuple(segs)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = synthetic_video(tmp / "src720.mp4", START + LENGTH + 5)
        caps = captions()
        plan = ClipPlan(1, src, START, START + LENGTH, 1.0, 1080, 1920, caps, "明晚8点 直播间见")
        t0 = time.perf_counter()
        render_clip(plan, tmp / "clip_01.mp4", RenderOptions(promo_text="明晚8点 直播间见"))
        ours = time.perf_counter() - t0

        srt = tmp / "caps.srt"
        srt.write_text(srt_text(caps, offset=START), encoding="utf-8")
        font = default_font()
        vf = (
            f"crop=ih*9/16:ih,scale=1080:1920,subtitles={srt}:fontsdir={font.parent}:"
            f"force_style='FontName=Noto Sans CJK SC,Fontsize=18'"
        )
        t0 = time.perf_counter()
        subprocess.run(
            [
                ffmpeg_exe(),
                "-y",
                "-loglevel",
                "error",
                "-ss",
                str(START),
                "-t",
                str(LENGTH),
                "-i",
                str(src),
                "-vf",
                vf,
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "23",
                "-c:a",
                "aac",
                str(tmp / "floor.mp4"),
            ],
            check=True,
        )
        floor = time.perf_counter() - t0

        t0 = time.perf_counter()
        with VideoFileClip(str(src)) as v:
            v.subclipped(START, START + LENGTH).write_videofile(
                str(tmp / "plain.mp4"),
                codec="libx264",
                audio_codec="aac",
                preset="veryfast",
                logger=None,
                threads=2,
            )
        plain = time.perf_counter() - t0
    rows = [
        ["ffmpeg crop+scale+subtitles (floor)", f"{floor:.1f}", f"{floor / LENGTH:.2f}", "1.00x"],
        [
            "MoviePy plain subclip re-encode (no effects, 720p)",
            f"{plain:.1f}",
            f"{plain / LENGTH:.2f}",
            f"{plain / floor:.2f}x",
        ],
        [
            "clipguard render (reframe+captions+promo+loudness)",
            f"{ours:.1f}",
            f"{ours / LENGTH:.2f}",
            f"{ours / floor:.2f}x",
        ],
    ]
    print(
        f"render: {LENGTH:.0f} s clip, 720p30 source -> 1080x1920, x264 veryfast crf 23; machine: {machine()}\n"
    )
    print(table(["renderer", "wall s", "s per clip-second", "vs floor"], rows))


if __name__ == "__main__":
    main()
