"""The clip encoder fed I420 frames, the 8-bit overlay blend, and clip edges answered
from windows the ranking decoded already (issue #21: the clip stage's speed), each
against what it replaced."""

from __future__ import annotations

import av
import numpy as np
import pytest
import shot_corpus as sc
from moviepy import AudioClip, ColorClip, CompositeVideoClip, ImageClip

from clipguard.clipper.captions import load_font, text_image, to_overlay
from clipguard.clipper.encode import encode
from clipguard.clipper.signals import dense_motion, exact_cuts
from clipguard.errors import MediaError

COLOURS = [(200, 40, 40), (40, 180, 60), (30, 60, 210), (128, 128, 128)]


def _clip(size: tuple[int, int], seconds: float = 2.0):
    """Four coloured quarters and a 440 Hz tone: colours show a matrix or range slip."""
    w, h = size
    img = np.zeros((h, w, 3), np.uint8)
    for i, c in enumerate(COLOURS):
        img[(i // 2) * h // 2 : (i // 2 + 1) * h // 2, (i % 2) * w // 2 : (i % 2 + 1) * w // 2] = c
    tone = AudioClip(
        lambda t: np.stack([0.3 * np.sin(2 * np.pi * 440 * np.asarray(t))] * 2, axis=-1),
        duration=seconds,
        fps=44100,
    )
    return ImageClip(img).with_duration(seconds).with_audio(tone), img


def test_encoded_frames_keep_their_colours_count_and_sound(tmp_path):
    clip, img = _clip((320, 240))
    out = tmp_path / "c.mp4"
    encode(clip, out, fps=25, preset="veryfast", crf=18, threads=2, tmp=tmp_path)
    with av.open(str(out)) as box:
        v, a = box.streams.video[0], box.streams.audio[0]
        assert (v.codec_context.name, v.format.name) == ("h264", "yuv420p")
        assert a.codec_context.name == "aac"
        frames = [f.to_ndarray(format="rgb24") for f in box.decode(v)]
    assert len(frames) == 50
    mid = frames[25].astype(int)
    for i, c in enumerate(COLOURS):  # the centre of each quarter, BT.601 round trip
        y, x = (i // 2) * 120 + 60, (i % 2) * 160 + 80
        assert np.abs(mid[y - 5 : y + 5, x - 5 : x + 5] - c).max() <= 4, (c, mid[y, x])
    with av.open(str(out)) as box:
        sound = np.concatenate([f.to_ndarray().reshape(-1) for f in box.decode(audio=0)])
    assert 0.15 < float(np.abs(sound).max()) < 0.5  # the tone, not silence or clipping


def test_an_odd_frame_size_is_refused_before_anything_is_written(tmp_path):
    clip = ColorClip((321, 240), color=(10, 20, 30)).with_duration(0.5)
    with pytest.raises(MediaError, match="even frame size"):
        encode(clip, tmp_path / "c.mp4", fps=25, preset="veryfast", crf=23, threads=1, tmp=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_overlay_blend_matches_the_float_formula_within_a_level():
    font = load_font(None, 48)
    card = text_image("明晚8点 直播间见 Live tonight", font, 900, box_alpha=110)
    rgba = np.asarray(card.convert("RGBA"), dtype=np.float32)
    alpha = rgba[..., 3:4] / 255.0
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (400, 1000, 3), dtype=np.uint8)
    x, y = 40, 200  # the card runs past the frame's bottom edge: it is cut there
    ref = frame.astype(np.float32)
    h = min(card.height, 400 - y)
    ref[y : y + h, x : x + card.width] = (
        ref[y : y + h, x : x + card.width] * (1 - alpha[:h]) + rgba[:h, :, :3] * alpha[:h]
    )
    out = frame.copy()
    to_overlay(card, 0.0, 1.0, x, y).blend(out)
    diff = np.abs(out.astype(np.float32) - ref)
    assert diff.max() <= 1.0
    assert np.abs(out.astype(int) - frame.astype(int)).max() > 100  # the text is there


def test_composite_render_path_keeps_using_moviepy_frames(tmp_path):
    """A MoviePy composite (what the renderer builds) goes through unchanged."""
    base, _ = _clip((320, 240), 1.0)
    dot = ColorClip((40, 40), color=(255, 255, 0)).with_duration(1.0).with_position((10, 10))
    comp = CompositeVideoClip([base, dot]).with_audio(base.audio)
    out = tmp_path / "comp.mp4"
    encode(comp, out, fps=25, preset="veryfast", crf=18, threads=2, tmp=tmp_path)
    with av.open(str(out)) as box:
        first = next(box.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.abs(first[30, 30] - (255, 255, 0)).max() <= 6


def test_clip_edges_inside_a_decoded_window_need_no_decode(tmp_path):
    """Stretches well inside a window decoded already are answered from its shot
    changes; the file is never opened for them (here it does not exist)."""
    near = exact_cuts(tmp_path / "missing.mp4", [(10.0, 30.0, (12.0, 20.5, 29.9))])
    assert near(11.0, 21.0) == [12.0, 20.5]
    assert near(21.0, 29.0) == []
    # near the window's own edges the detector lacked context: decoded (and failing
    # here, a missing file is no cut at all: a warning, not an error)
    assert near(10.1, 15.0) == []
    assert near(25.0, 29.8) == []


def test_cuts_from_a_wide_window_equal_those_decoded_for_the_stretch(tmp_path):
    case = next(c for c in sc.cases("tune") if len(c.cuts) >= 2)
    assert case.make is not None
    path = sc.encode(case.make(), tmp_path / "cuts.mp4")
    seconds = case.frames / sc.FPS
    _, _, cuts = dense_motion(path, 0.0, seconds + 1)
    assert len(cuts) == len(case.cuts)
    known = exact_cuts(path, [(0.0, seconds + 1, tuple(cuts))])
    fresh = exact_cuts(path)
    for c in cuts:  # a stretch around each cut, starting a second before it
        a, b = max(0.6, c - 1.0), min(seconds + 0.4, c + 1.0)
        assert known(a, b) == fresh(a, b)
        assert known(a, b) == pytest.approx([c])
