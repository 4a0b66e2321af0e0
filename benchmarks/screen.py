"""Screen stage speed: frames sampled, frames read, OCR calls and seconds.

The input is dev_zh re-encoded to 1280x720 at 30 fps (keyframe every 2 s) with
overlays burned in: a standing banner for the whole recording, a contact-handle
sticker, a QR code and a price card that come and go. One copy (209 s) is measured,
then 17 copies joined end to end (one hour); repeated shots are read from the
look cache there, so the single copy's rate per hour is shown too.

    python benchmarks/screen.py [--copies 17]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
from _common import FIXTURES, ffmpeg_exe, machine, table, x264
from PIL import Image, ImageDraw

from clipguard.clipper.captions import load_font
from clipguard.evaluation import concat_recordings
from clipguard.screen.read import read_screen


def card(text: str, size: int, bg: tuple, path: Path) -> Path:
    font = load_font(None, size)
    img = Image.new("RGBA", (int(font.getlength(text)) + 32, size + 32), bg)
    ImageDraw.Draw(img).text((16, 8), text, font=font, fill="white")
    img.save(path)
    return path


def build(tmp: Path) -> Path:
    banner = card("欢迎来到直播间 关注主播不迷路", 34, (0, 0, 0, 150), tmp / "banner.png")
    handle = card("薇信 abc888", 44, (200, 30, 30, 255), tmp / "handle.png")
    price = card("史上最低价 仅需99元", 48, (20, 20, 120, 255), tmp / "price.png")
    code = cv2.QRCodeEncoder.create().encode("https://u.wechat.com/kFz3abc888")
    code = cv2.copyMakeBorder(
        cv2.resize(code, (220, 220), interpolation=cv2.INTER_NEAREST),
        12,
        12,
        12,
        12,
        cv2.BORDER_CONSTANT,
        value=255,
    )
    cv2.imwrite(str(tmp / "qr.png"), code)
    chain = (
        "[0:v]scale=1280:720:flags=lanczos,fps=30[s];"
        "[s][1:v]overlay=(W-w)/2:H-h-20[a];"
        "[a][2:v]overlay=40:40:enable='between(t,30,60)+between(t,150,170)'[b];"
        "[b][3:v]overlay=1000:200:enable='between(t,90,120)'[c];"
        "[c][4:v]overlay=700:60:enable='between(t,60,80)+between(t,180,200)'[v]"
    )
    out = tmp / "one_720p30.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(FIXTURES / "dev_zh.mp4"),
            "-i",
            str(banner),
            "-i",
            str(handle),
            "-i",
            str(tmp / "qr.png"),
            "-i",
            str(price),
            "-filter_complex",
            chain,
            "-map",
            "[v]",
            "-map",
            "0:a",
            *x264(),
            "-c:a",
            "copy",
            str(out),
        ],
        check=True,
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=17)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        one = build(tmp)
        hour = concat_recordings([one] * args.copies, tmp / "hour.mp4")
        for label, path, seconds in (
            ("1 copy (209 s)", one, 209.5),
            (f"{args.copies} copies", hour, 209.5 * args.copies),
        ):
            t0 = time.perf_counter()
            r = read_screen(path)
            wall = time.perf_counter() - t0
            texts = sorted(
                {
                    t.text
                    for t in r.tracks
                    if "abc888" in t.text or "最低" in t.text or t.kind != "text"
                }
            )
            rows.append(
                [
                    label,
                    r.samples,
                    r.frames_read,
                    r.ocr_calls,
                    f"{wall:.1f}",
                    f"{wall * 3600 / seconds:.1f}",
                    len(r.tracks),
                    " / ".join(texts)[:60],
                ]
            )
    print(f"screen stage on dev_zh at 720p30 with overlays; machine: {machine()}\n")
    print(
        table(
            [
                "input",
                "samples",
                "frames read",
                "OCR calls",
                "seconds",
                "s per hour",
                "tracks",
                "flagged texts",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
