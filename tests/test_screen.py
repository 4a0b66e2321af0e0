"""On-screen text and QR codes, read for real (RapidOCR's bundled models, zxing-cpp)
from a video built here: overlays drawn with the bundled CJK font on the shop
fixture, a QR made with cv2.QRCodeEncoder. The QR reader's own accuracy is measured
in test_qr.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import imageio_ffmpeg
import pytest
from PIL import Image, ImageDraw

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.captions import load_font
from clipguard.clipper.highlights import HighlightOptions
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.faults import collecting
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.run import RunOptions, process_recording
from clipguard.screen import ocr, qr
from clipguard.screen.qr import classify
from clipguard.screen.read import read_screen, thumbnail
from clipguard.writers import read_json

pytestmark = pytest.mark.slow  # transcribes, renders or reads real media

QR_PAYLOAD = "https://u.wechat.com/kFz3abc888"
# (png, x, y, shown from, shown until): None means the whole recording
OVERLAYS = {
    "handle": ("薇信 abc888", 30, (200, 30, 30, 255), 20, 20, 30.0, 36.0),
    "qr": (None, None, None, 470, 110, 21.0, 27.0),
    "banner": ("欢迎来到直播间", 22, (0, 0, 0, 160), None, None, None, None),
    "claim": ("史上最低价", 34, (20, 20, 120, 255), 400, 30, 44.0, 49.5),
}


def _card(text: str, size: int, bg: tuple, path: Path) -> Path:
    font = load_font(None, size)
    img = Image.new("RGBA", (int(font.getlength(text)) + 24, size + 24), bg)
    ImageDraw.Draw(img).text((12, 6), text, font=font, fill="white")
    img.save(path)
    return path


@pytest.fixture(scope="module")
def overlay_video(fixtures, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("screen")
    inputs = []
    for name, (text, size, bg, *_rest) in OVERLAYS.items():
        if name == "qr":
            code = cv2.QRCodeEncoder.create().encode(QR_PAYLOAD)
            code = cv2.resize(code, (150, 150), interpolation=cv2.INTER_NEAREST)
            code = cv2.copyMakeBorder(code, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255)
            cv2.imwrite(str(d / "qr.png"), code)
            inputs.append(d / "qr.png")
        else:
            inputs.append(_card(text, size, bg, d / f"{name}.png"))
    chain, last = [], "0:v"
    for i, (*_, x, y, a, b) in enumerate(OVERLAYS.values(), 1):
        pos = "(W-w)/2:H-h-10" if x is None else f"{x}:{y}"
        when = f":enable='between(t,{a},{b})'" if a is not None else ""
        chain.append(f"[{last}][{i}:v]overlay={pos}{when}[o{i}]")
        last = f"o{i}"
    out = d / "overlays.mp4"
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(fixtures / "shop_zh.mp4"),
    ]
    for p in inputs:
        cmd += ["-i", str(p)]
    cmd += [
        "-filter_complex",
        ";".join(chain),
        "-map",
        f"[{last}]",
        "-map",
        "0:a",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "15",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "copy",
        str(out),
    ]
    subprocess.run(cmd, check=True)
    return out


def test_reading_makes_one_track_per_overlay_with_its_time_on_screen(overlay_video):
    reading = read_screen(overlay_video)
    by_text = {"".join(t.text.split()): t for t in reading.tracks}
    handle = by_text["薇信abc888"]
    assert abs(handle.start - 30.0) <= 1.5 and abs(handle.end - 36.0) <= 1.5
    claim = by_text["史上最低价"]
    assert abs(claim.start - 44.0) <= 1.5 and abs(claim.end - 49.5) <= 1.5
    banner = by_text["欢迎来到直播间"]
    assert banner.start <= 1.0 and banner.end >= 49.0, "a standing banner is one track"
    qrs = [t for t in reading.tracks if t.kind.startswith("qr:")]
    assert [q.text for q in qrs] == [QR_PAYLOAD] and qrs[0].kind == "qr:wechat"
    assert abs(qrs[0].start - 21.0) <= 1.5 and abs(qrs[0].end - 27.0) <= 1.5
    # the standing banner is not read again every second
    assert reading.ocr_calls <= reading.samples / 3, reading.stats()


def test_screen_findings_feed_the_same_rules_report_and_gate(overlay_video, tmp_path):
    options = RunOptions(
        transcribe=TranscribeOptions(hotwords=default_hotwords()),
        highlight=HighlightOptions(count=3, min_seconds=4, max_seconds=20),
    )
    result = process_recording(overlay_video, tmp_path, options)
    layout = RecordingLayout.of(tmp_path, overlay_video)
    findings = read_json(layout.findings)["findings"]
    screen = [f for f in findings if f["channel"] == "screen"]
    assert all(f["channel"] == "speech" for f in findings if f not in screen)
    cats = sorted((f["category"], round(f["start"])) for f in screen)
    assert [c for c, _ in cats] == ["absolute_claims", "off_platform", "off_platform"], screen
    handle = next(f for f in screen if "abc888" in f["text"] and f["match"] != "qr")
    qr = next(f for f in screen if f["match"] == "qr")
    assert qr["extra"]["payload"] == QR_PAYLOAD and qr["severity"] == "block"
    assert handle["severity"] == "block" and 28.5 <= handle["start"] <= 31.5
    assert not any("欢迎来到直播间" in f["text"] for f in screen), (
        "the clean banner is not a finding"
    )
    for f in screen:
        assert len(f["bbox"]) == 4 and (layout.root / f["thumbnail"]).exists()
    manifest = read_json(layout.manifest)
    assert manifest["stages"]["screen"]["status"] == "ok"
    assert (
        manifest["stages"]["screen"]["ocr_calls"] >= 1 and "seconds" in manifest["stages"]["screen"]
    )
    # a clip never shows a flagged overlay: the hype moment under the QR code is dropped
    highlights = read_json(layout.highlights)["highlights"]
    assert any("screen.qr_off_platform" in h.get("dropped", "") for h in highlights)
    clips = read_json(layout.clips_index)["clips"]
    assert clips, "the clean opening still makes a clip"
    for c in clips:
        for f in screen:
            assert not (c["start"] < f["end"] and c["end"] > f["start"]), (c, f["text"])
    html = layout.report.read_text(encoding="utf-8")
    assert 'id="channel"' in html and "screen/finding_" in html
    assert result.findings["block"] >= 3


def test_video_without_text_and_audio_only_cost_nothing(fixtures, tmp_path):
    solid = tmp_path / "solid.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x335577:s=640x360:r=15:d=20",
            "-c:v",
            "libx264",
            "-g",
            "15",
            "-pix_fmt",
            "yuv420p",
            str(solid),
        ],
        check=True,
    )
    reading = read_screen(solid)
    assert reading.tracks == [] and reading.ocr_calls == 1, reading.stats()
    reading = read_screen(fixtures / "bad" / "silence.wav")
    assert reading.samples == 0 and reading.ocr_calls == 0


def test_a_price_whose_digits_change_is_read_as_its_whole_line(tmp_path):
    """Only the digits of a standing card change: the new line is read whole (by
    recognition alone on the line read before), never as the fragment "471元"."""
    old = _card("今日特价358元 限时8折", 30, (20, 20, 120, 255), tmp_path / "old.png")
    new = _card("今日特价471元 限时8折", 30, (20, 20, 120, 255), tmp_path / "new.png")
    video = tmp_path / "price.mp4"
    chain = "[0:v][1:v]overlay=60:40:enable='lt(t,5)'[a];[a][2:v]overlay=60:40:enable='gte(t,5)'[v]"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi"]
    cmd += ["-i", "color=c=0x335577:s=640x360:r=15:d=10", "-i", str(old), "-i", str(new)]
    cmd += ["-filter_complex", chain, "-map", "[v]", "-c:v", "libx264", "-g", "15"]
    subprocess.run([*cmd, "-pix_fmt", "yuv420p", str(video)], check=True)
    reading = read_screen(video)
    got = [("".join(t.text.split()), round(t.start), round(t.end)) for t in reading.tracks]
    assert [g[0] for g in got] == ["今日特价358元限时8折", "今日特价471元限时8折"], got
    assert abs(got[0][2] - 5) <= 1.5 and abs(got[1][1] - 5) <= 1.5 and got[1][2] >= 9, got
    assert reading.recognize_calls == 1 and reading.detect_calls == 1, reading.stats()


def test_qr_payload_kinds():
    assert classify("https://u.wechat.com/abc") == "wechat"
    assert classify("wxp://f2f0abc") == "wechat"
    assert classify("https://qr.alipay.com/xyz") == "alipay"
    assert classify("tel:13800138000") == "phone"
    assert classify("https://example.org/shop") == "url"
    assert classify("https://v.douyin.com/abc/") == "platform"
    assert classify("just some text") == "other"


def _boom(image):
    raise RuntimeError("injected failure")


def test_a_failed_ocr_costs_the_text_not_the_codes(overlay_video, monkeypatch):
    monkeypatch.setattr(ocr, "read_text", _boom)
    with collecting() as faults:
        reading = read_screen(overlay_video)
    assert [(t.text, t.kind) for t in reading.tracks] == [(QR_PAYLOAD, "qr:wechat")]
    qr_track = reading.tracks[0]
    assert abs(qr_track.start - 21.0) <= 1.5 and abs(qr_track.end - 27.0) <= 1.5
    # no read was remembered by its look, so every frame read tried again and failed
    assert faults.to_list() == [
        {
            "stage": "screen",
            "what": "OCR of a frame",
            "error": "RuntimeError: injected failure",
            "count": reading.ocr_calls,
        }
    ]
    assert reading.ocr_calls == reading.frames_read > 0


def test_failed_reads_and_thumbnails_degrade_into_warnings(overlay_video, monkeypatch, tmp_path):
    monkeypatch.setattr(ocr, "read_text", _boom)
    monkeypatch.setattr(qr, "read_qr", _boom)
    with collecting() as faults:
        reading = read_screen(overlay_video)
        missing = thumbnail(tmp_path / "gone.mp4", 1.0, (0, 0, 10, 10), tmp_path / "t.jpg")
        past_end = thumbnail(overlay_video, 999.0, (0, 0, 10, 10), tmp_path / "end.jpg")
        shot = thumbnail(overlay_video, 22.0, (470, 110, 170, 170), tmp_path / "qr.jpg")
    assert reading.tracks == [] and reading.frames_read > 0
    assert missing is None and not (tmp_path / "t.jpg").exists()
    assert past_end is None and not (tmp_path / "end.jpg").exists()
    assert shot == tmp_path / "qr.jpg" and shot.stat().st_size > 1000
    counts = {f.what: f.count for f in faults}
    assert counts == {
        "OCR of a frame": reading.ocr_calls,
        "QR read of a frame": reading.ocr_calls,
        "thumbnail of a screen finding": 1,  # past the end is no frame, not a failure
    }, faults.to_list()
    assert all(f.stage == "screen" for f in faults)
