"""Vertical reframing follows a real face (OpenCV Haar cascade from cv2.data)."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from clipguard.clipper.reframe import subject_track
from clipguard.clipper.render import RenderOptions, render_clip
from clipguard.models import ClipPlan

pytestmark = pytest.mark.slow  # transcribes, renders or reads real media

FACE = Path(__file__).parent / "data" / "astronaut.png"
W, H, FPS, SECONDS, SIDE = 1920, 1080, 25, 4.0, 1080  # a 9:16 crop is enlarged 1.8x
FACE_X = 225 / 512  # centre of the face in the portrait, as a fraction of its width


def _offset(t: float) -> int:
    return int((W - SIDE) * t / SECONDS)  # the portrait slides left to right


@pytest.fixture(scope="module")
def moving_face(tmp_path_factory) -> Path:
    portrait = np.asarray(Image.open(FACE).convert("RGB").resize((SIDE, SIDE)))
    path = tmp_path_factory.mktemp("face") / "face.mp4"
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        a = out.add_stream("aac", rate=44100)
        for i in range(int(SECONDS * FPS)):
            canvas = np.full((H, W, 3), (40, 60, 90), np.uint8)
            x = _offset(i / FPS)
            canvas[:, x : x + SIDE] = portrait
            for pkt in v.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                out.mux(pkt)
        t = np.arange(int(SECONDS * 44100)) / 44100
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for s in range(0, tone.size, 1024):
            frame = av.AudioFrame.from_ndarray(
                tone[None, s : s + 1024], format="flt", layout="mono"
            )
            frame.sample_rate = 44100
            for pkt in a.encode(frame):
                out.mux(pkt)
        for stream in (v, a):
            for pkt in stream.encode(None):
                out.mux(pkt)
    return path


def test_track_follows_the_face(moving_face):
    track = subject_track(moving_face, 0.0, SECONDS)
    assert track is not None and track.source == "face"
    for t in (0.5, 2.0, 3.5):
        expected = (_offset(t) + FACE_X * SIDE) / W
        assert abs(track.at(t) - expected) < 0.08, (t, track.at(t), expected)


def test_vertical_clip_keeps_the_face_in_frame(moving_face, tmp_path):
    plan = ClipPlan(1, moving_face, 0.0, SECONDS - 0.1, 1.0, 1080, 1920)
    info = render_clip(plan, tmp_path / "clip_01.mp4", RenderOptions(loudness=False))
    assert info.reframe == "face"
    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
    )
    with av.open(str(tmp_path / "clip_01.mp4")) as c:
        frames = [
            f.to_ndarray(format="gray") for i, f in enumerate(c.decode(video=0)) if i % 25 == 12
        ]
    assert frames and all(f.shape == (1920, 1080) for f in frames)
    found = [
        len(cascade.detectMultiScale(cv2.resize(f, (270, 480)), 1.1, 4, minSize=(30, 30))) > 0
        for f in frames
    ]
    assert all(found), found


def test_small_source_is_fitted_not_enlarged_past_2_5x():
    from clipguard.clipper.render import MAX_UPSCALE, Reframe

    vertical = Reframe((1080, 1920), None)
    assert vertical.upscale(640, 360) > MAX_UPSCALE  # 5.3x: stair-stepped edges
    assert vertical.mode(640, 360) == "fit"
    assert vertical.upscale(1920, 1080) <= MAX_UPSCALE
    assert Reframe((1080, 1920), None).mode(1080, 1920) == "crop"  # already vertical
