"""Screen stage speed: frames sampled, frames read, OCR calls and seconds.

The input is dev_zh re-encoded to 1280x720 at 30 fps (keyframe every 2 s) with
overlays burned in: a standing banner for the whole recording, a contact-handle
sticker, a QR code and a price card that come and go. One copy (209 s) is measured,
then 17 copies joined end to end (one hour); repeated shots are read from the
look cache there, so the single copy's rate per hour is shown too.

Before that, the QR readers side by side, in the same run and on the same frames:
OpenCV's ``QRCodeDetector`` (the reader before 0.3), its ``QRCodeDetectorAruco``,
zxing-cpp in one pass, and clipguard's reader (zxing-cpp, retried at 2x on frames up
to 1080p that showed nothing), on the generated set of ``tests/test_qr.py`` (every
payload kind at module sizes 2-12 px, rotated, warped, blurred, JPEG at quality 30,
plain and busy backgrounds, in a corner of a 1080p frame): decode rate per module
size, wrong payloads, and milliseconds a frame with a code and without one.

Each recording row shows frames sampled and read, frames read afresh (not reused
from the look cache), the OCR runs split into detection + recognition runs (a whole
frame or a crop) and recognition-only runs (one line already located), and the
seconds, wall and CPU of this process, also per hour of video. The OCR models are
loaded once before the rows (their load is shown on its own): a process pays it once,
not once per 209 s, so it is not scaled up to an hour.

    python benchmarks/screen.py [--copies 17] [--per-cell 2] [--qr-only] [--changing-only]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np
import zxingcpp
from _common import FIXTURES, REPO, ffmpeg_exe, machine, table, x264
from PIL import Image, ImageDraw

from clipguard.clipper.captions import load_font
from clipguard.evaluation import concat_recordings
from clipguard.screen import ocr, qr
from clipguard.screen.read import read_screen

sys.path.insert(0, str(REPO / "tests"))  # the generated set is the test's own
import test_qr  # noqa: E402


def opencv_reader(detector: cv2.QRCodeDetector | cv2.QRCodeDetectorAruco) -> Callable:
    """Payloads by OpenCV's ``detectAndDecodeMulti``, as clipguard read them before 0.3."""

    def read(image: np.ndarray) -> list[str]:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        try:
            ok, payloads, _points, _ = detector.detectAndDecodeMulti(grey)
        except cv2.error:
            return []
        return [p for p in payloads if p] if ok else []

    return read


def zxing_reader(formats: str) -> Callable:
    """Payloads by zxing-cpp in one pass at the frame's own size."""
    wanted = zxingcpp.barcode_formats_from_str(formats)

    def read(image: np.ndarray) -> list[str]:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        return [b.text for b in zxingcpp.read_barcodes(grey, formats=wanted) if b.text]

    return read


READERS: dict[str, Callable] = {
    "OpenCV QRCodeDetector (before)": opencv_reader(cv2.QRCodeDetector()),
    "OpenCV QRCodeDetectorAruco": opencv_reader(cv2.QRCodeDetectorAruco()),
    "zxing-cpp, one pass": zxing_reader(qr.FORMATS),
    "zxing-cpp + Code 128/39/93": zxing_reader(qr.FORMATS + ",Code128,Code39,Code93"),
    "zxing-cpp + 2x retry (after)": lambda image: [c.payload for c in qr.read_qr(image)],
}


def qr_readers(per_cell: int) -> None:
    """Every reader on every generated frame; each frame is made once for all."""
    cases = test_qr.cases(per_cell)
    hits = {name: {m: 0 for m in test_qr.MODULES} for name in READERS}
    wrong = dict.fromkeys(READERS, 0)
    seconds = dict.fromkeys(READERS, 0.0)
    per_module = {m: 0 for m in test_qr.MODULES}
    for case, frame in test_qr.frames(cases):
        per_module[case.module] += 1
        for name, read in READERS.items():
            t0 = time.perf_counter()
            got = read(frame)
            seconds[name] += time.perf_counter() - t0
            hits[name][case.module] += case.payload in got
            wrong[name] += any(p != case.payload for p in got)
    empty = {
        "busy 1080p": test_qr.busy_background(0),
        "plain 720p": np.full((720, 1280, 3), 200, np.uint8),
    }
    rows = []
    for name, read in READERS.items():
        h = hits[name]
        from3 = sum(h[m] for m in h if m >= 3) / sum(per_module[m] for m in h if m >= 3)
        no_code = []
        for frame in empty.values():
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                read(frame)
                times.append(time.perf_counter() - t0)
            no_code.append(f"{1000 * statistics.median(times):.1f}")
        issue = "read" if test_qr.ISSUE_PAYLOAD in read(test_qr.issue_frame()) else "missed"
        rows.append(
            [
                name,
                *(f"{h[m] / per_module[m]:.2f}" for m in test_qr.MODULES),
                f"{from3:.3f}",
                wrong[name],
                f"{1000 * seconds[name] / len(cases):.1f}",
                " / ".join(no_code),
                issue,
            ]
        )
    print(
        f"QR readers on the generated set of tests/test_qr.py ({len(cases)} frames of "
        f"1920x1080, {per_cell} per payload, size and background); zxing-cpp "
        f"{metadata.version('zxing-cpp')}, "
        f"OpenCV {cv2.__version__}; machine: {machine()}\n"
    )
    print(
        table(
            [
                "reader",
                *(f"{m} px" for m in test_qr.MODULES),
                ">= 3 px",
                "wrong",
                "ms/frame",
                "ms no code (busy 1080p / plain 720p)",
                "issue's 260 px code",
            ],
            rows,
        )
    )
    print()


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


def build_changing(tmp: Path, every: float = 6.0, seconds: float = 209.0) -> Path:
    """dev_zh at 720p30 under a card whose text changes every ``every`` seconds, each
    text different (no look is ever seen twice), moving between three places: a
    recording whose overlays change often, where no OCR reading can be reused."""
    n = int(seconds // every)
    inputs: list[str] = []
    chain = ["[0:v]scale=1280:720:flags=lanczos,fps=30[s0]"]
    places = ("40:40", "(W-w)/2:H-h-20", "W-w-40:200")
    for i in range(n):
        text = f"{i + 1}号链接 今日特价{(i * 37) % 900 + 99}元 限时{i % 9 + 1}折"
        inputs += ["-i", str(card(text, 40, (20 + i * 7 % 200, 30, 120, 255), tmp / f"c{i}.png"))]
        lo, hi = i * every, (i + 1) * every
        chain.append(
            f"[s{i}][{i + 1}:v]overlay={places[i % 3]}:enable='between(t,{lo},{hi - 0.01})'[s{i + 1}]"
        )
    out = tmp / "changing_720p30.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(FIXTURES / "dev_zh.mp4"),
            *inputs,
            "-filter_complex",
            ";".join(chain),
            "-map",
            f"[s{n}]",
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
    ap.add_argument("--per-cell", type=int, default=2, help="generated frames per cell")
    ap.add_argument("--qr-only", action="store_true", help="only the QR readers")
    ap.add_argument(
        "--changing-only",
        action="store_true",
        help="only the recording whose overlay text changes every 6 s",
    )
    args = ap.parse_args()
    if not args.changing_only:
        qr_readers(args.per_cell)
    if args.qr_only:
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        inputs = []
        if not args.changing_only:
            one = build(tmp)
            hour = concat_recordings([one] * args.copies, tmp / "hour.mp4")
            inputs += [
                ("1 copy (209 s)", one, 209.5),
                (f"{args.copies} copies", hour, 209.5 * args.copies),
            ]
        inputs.append(("text changing every 6 s (209 s)", build_changing(tmp), 209.0))
        t0, c0 = time.perf_counter(), time.process_time()
        ocr.read_text(np.zeros((64, 256, 3), np.uint8))  # loads the detector
        ocr.read_line(np.zeros((48, 256, 3), np.uint8))  # and the recognizer
        load = (time.perf_counter() - t0, time.process_time() - c0)
        for label, path, seconds in inputs:
            t0, c0 = time.perf_counter(), time.process_time()
            r = read_screen(path)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            texts = sorted(
                {
                    t.text
                    for t in r.tracks
                    if "abc888" in t.text or "最低" in t.text or t.kind != "text"
                }
            )
            if label.startswith("text changing"):  # which of the 34 cards were read
                cards = {
                    t.text.split("号链接")[0][-2:].strip() for t in r.tracks if "号链接" in t.text
                }
                texts = [f"cards read: {len(cards)}/34"]
            rows.append(
                [
                    label,
                    r.samples,
                    r.frames_read,
                    r.ocr_calls,
                    f"{r.detect_calls} / {r.recognize_calls}",
                    f"{r.frames_read * 3600 / seconds:.0f} / {r.ocr_calls * 3600 / seconds:.0f}"
                    f" / {r.detect_calls * 3600 / seconds:.0f}"
                    f" / {r.recognize_calls * 3600 / seconds:.0f}",
                    f"{wall:.2f} / {cpu:.2f}",
                    f"{wall * 3600 / seconds:.1f} / {cpu * 3600 / seconds:.1f}",
                    len(r.tracks),
                    " / ".join(texts)[:60],
                ]
            )
    print(
        f"screen stage on dev_zh at 720p30 with overlays; machine: {machine()}; OCR models "
        f"loaded once first in {load[0]:.2f} s wall / {load[1]:.2f} s CPU (not in the rows)\n"
    )
    print(
        table(
            [
                "input",
                "samples",
                "frames read",
                "read afresh",
                "OCR runs det+rec / rec only",
                "per hour: read / afresh / det+rec / rec only",
                "seconds wall / CPU",
                "s per hour wall / CPU",
                "tracks",
                "flagged texts",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
