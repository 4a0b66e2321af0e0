"""The shot-change corpus: short H.264 clips made with numpy and the ``imageio-ffmpeg``
binary, each with its ground truth in frame indices.

Why made and not stored: the shot changes that leaked into promo clips (issue #20)
were between dark solid backgrounds of equal brightness and different hue, which a
grey histogram cannot see; the corpus holds those, the easy ones (brightness, two
camera-like scenes), gradual ones (fades, dissolves) and scenes that must not cut
(a moving box, a blinking text overlay, sensor noise).

Ground truth. A hard cut at frame ``c`` means frame ``c`` is the first frame of the
new shot; a detection within one frame (``|f - c| <= 1``) finds it. A *transition*
(fade through black, dissolve) covers frames ``[a, b]``, the first and last mixed
frames; it is found by a cut anywhere in ``[a - 1, b + 1]``: at its start, its middle
or its end, all within one frame (a clip edge placed there shows at most the
transition's own frames). Every other detection is a false cut.

``SPLITS["tune"]`` is what thresholds were chosen on; the other splits use other
colours, brightness levels and seeds and were only measured (see ``SPLITS``).
"""

from __future__ import annotations

import colorsys
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
W, H, FPS = 320, 180, 30
SHOT = 45  # frames per shot: 1.5 s
FADE = 12  # frames of a fade or dissolve

Frame = np.ndarray  # H x W x 3 uint8 RGB
Scene = Callable[[int], Frame]  # frame index within the shot -> image


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # hue | brightness | camera | fade | dissolve | static
    frames: int
    cuts: tuple[int, ...] = ()
    transitions: tuple[tuple[int, int], ...] = ()
    make: Callable[[], Iterator[Frame]] | None = None


def hex_rgb(h: str) -> tuple[int, int, int]:
    h = h.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luma(rgb: tuple[int, int, int]) -> float:
    r, g, b = rgb
    return 0.299 * r + 0.587 * g + 0.114 * b


def equal_luma(hue_deg: float, y: float, sat: float = 0.5) -> tuple[int, int, int]:
    """A colour of hue ``hue_deg`` whose BT.601 luma is ``y``: a grey histogram sees
    two of them as the same picture."""
    r, g, b = colorsys.hsv_to_rgb(hue_deg / 360.0, sat, 1.0)
    scale = y / max(1e-6, luma((r, g, b)))  # type: ignore[arg-type]
    return tuple(int(round(min(255.0, c * scale))) for c in (r, g, b))  # type: ignore[return-value]


def _noise(rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    """Sensor noise: one of a few fields drawn once (drawing a field per frame cost
    more than encoding the corpus)."""
    key = (sigma, int(rng.integers(8)))
    if key not in _NOISE:
        _NOISE[key] = np.random.default_rng(key[1]).normal(0.0, sigma, (H, W, 1)).astype(np.float32)
    return _NOISE[key]


_NOISE: dict[tuple[float, int], np.ndarray] = {}


def solid(rgb: tuple[int, int, int], seed: int, presenter: bool = True) -> Scene:
    """A dark solid background with a grey 'presenter' swaying in front, the same in
    every shot, and a little sensor noise."""
    rng = np.random.default_rng(seed)

    def frame(i: int) -> Frame:
        img = np.empty((H, W, 3), np.float32)
        img[:] = rgb
        if presenter:
            x = int(W * 0.4 + 12 * np.sin(i / 9.0))
            img[int(H * 0.3) :, x : x + W // 5] = (150, 140, 135)
        return np.clip(img + _noise(rng), 0, 255).astype(np.uint8)

    return frame


def _texture(rng: np.random.Generator) -> np.ndarray:
    """A smooth random colour texture twice the frame's size (room to pan)."""
    small = rng.uniform(0, 255, (9, 16, 3)).astype(np.float32)
    palette = rng.uniform(0.5, 1.3, 3).astype(np.float32)
    big = cv2.resize(small, (2 * W, 2 * H), interpolation=cv2.INTER_CUBIC) * palette
    return np.clip(big, 0, 255)


def camera(seed: int) -> Scene:
    """A camera-like scene: a textured room panning slowly, two shapes moving across
    it, and sensor noise."""
    rng = np.random.default_rng(seed)
    tex = _texture(rng)
    colours = rng.uniform(0, 255, (2, 3))
    speed = rng.uniform(1.0, 3.0, 2)

    def frame(i: int) -> Frame:
        ox, oy = int(i * speed[0]) % W, int(i * 0.5 * speed[1]) % H
        img = tex[oy : oy + H, ox : ox + W].copy()
        for k in range(2):
            cx = int((W * (0.2 + 0.5 * k) + i * 4 * speed[k]) % W)
            cy = int(H * (0.3 + 0.3 * k) + 20 * np.sin(i / 7.0 + k))
            img[max(0, cy - 18) : cy + 18, max(0, cx - 25) : cx + 25] = colours[k]
        return np.clip(img + _noise(rng, 3.0), 0, 255).astype(np.uint8)

    return frame


def static(seed: int) -> Scene:
    """No cut: a camera-like scene with a box crossing it and a text box blinking on
    and off every half second (a sale banner)."""
    base = camera(seed)
    rng = np.random.default_rng(seed + 1)
    glyphs = (rng.uniform(0, 1, (6, 30)) > 0.5).repeat(4, 0).repeat(4, 1)

    def frame(i: int) -> Frame:
        img = base(0).astype(np.float32)  # a fixed camera
        img = np.clip(img + _noise(rng, 3.0), 0, 255)
        bx = int(20 + (i * 5) % (W - 60))
        img[100:140, bx : bx + 40] = (230, 40, 40)
        if (i // 15) % 2:
            y0, x0 = 20, 80
            img[y0 : y0 + 32, x0 : x0 + 128] = (255, 255, 255)
            img[y0 + 4 : y0 + 28, x0 + 4 : x0 + 124][glyphs] = (10, 10, 10)
        return img.astype(np.uint8)

    return frame


def _cuts_case(name: str, kind: str, scenes: list[Scene]) -> Case:
    def make() -> Iterator[Frame]:
        for s in scenes:
            for i in range(SHOT):
                yield s(i)

    return Case(
        name, kind, SHOT * len(scenes), tuple(SHOT * k for k in range(1, len(scenes))), (), make
    )


def _gradual(name: str, kind: str, a: Scene, b: Scene) -> Case:
    """``a`` for a shot, then a fade through black (``FADE`` frames out, ``FADE`` in)
    or a dissolve (``FADE`` frames), then ``b``."""
    n_mix = 2 * FADE if kind == "fade" else FADE

    def make() -> Iterator[Frame]:
        for i in range(SHOT):
            yield a(i)
        for k in range(n_mix):
            if kind == "fade":
                src, w = (
                    (a(SHOT + k), 1 - (k + 1) / (FADE + 1))
                    if k < FADE
                    else (
                        b(k - FADE),
                        (k - FADE + 1) / (FADE + 1),
                    )
                )
                yield (src.astype(np.float32) * w).astype(np.uint8)
            else:
                w = (k + 1) / (n_mix + 1)
                mix = a(SHOT + k).astype(np.float32) * (1 - w) + b(k).astype(np.float32) * w
                yield mix.astype(np.uint8)
        for i in range(SHOT):
            yield b(FADE + i)  # b runs on from where the transition left it

    return Case(name, kind, 2 * SHOT + n_mix, (), ((SHOT, SHOT + n_mix - 1),), make)


@dataclass(frozen=True)
class Split:
    seed: int
    pair: tuple[str, str]  # a dark pair as measured in the field (#20)
    hues: tuple[tuple[float, float, float], ...]  # (hue 1, hue 2, luma), equal luma
    sat: float
    levels: tuple[tuple[int, int], ...]  # grey levels of the brightness-only cuts


SPLITS = {
    # thresholds were chosen on this one only
    "tune": Split(
        0,
        ("#2b3a55", "#553b2b"),
        ((220, 20, 57), (120, 300, 60), (0, 180, 45), (60, 240, 70), (200, 280, 55)),
        0.5,
        ((40, 70), (90, 60), (120, 160)),
    ),
    # looked at during development: LAG and GRADUAL_CUT were re-chosen (from the
    # tune split's margins) after it first missed a dissolve, GRADUAL_RATIO after the
    # second look; it still misses that one (test_shot_detect.KNOWN_MISSES)
    "held_out": Split(
        1000,
        ("#2f3b4f", "#4f3b2f"),
        ((200, 40, 50), (90, 270, 62), (330, 150, 48), (30, 210, 66), (160, 240, 58)),
        0.45,
        ((50, 80), (110, 75), (140, 180)),
    ),
    # measured after each change and never the reason for one (it found every
    # cut, with no false one, every time)
    "fresh": Split(
        2000,
        ("#333a4d", "#4d3a33"),
        ((250, 70, 52), (10, 190, 64), (100, 320, 47), (280, 130, 68), (45, 225, 60)),
        0.55,
        ((35, 65), (100, 70), (150, 190)),
    ),
}


def cases(split: str) -> list[Case]:
    """The corpus for ``split`` (a key of ``SPLITS``): same kinds, other colours,
    brightness levels and seeds."""
    sp = SPLITS[split]
    seed = sp.seed
    out: list[Case] = []
    pairs = [(hex_rgb(sp.pair[0]), hex_rgb(sp.pair[1]))]
    pairs += [(equal_luma(h1, y, sp.sat), equal_luma(h2, y, sp.sat)) for h1, h2, y in sp.hues]
    for k, (c1, c2) in enumerate(pairs):
        scenes = [solid(c1, seed + k), solid(c2, seed + k + 50), solid(c1, seed + k + 99)]
        out.append(_cuts_case(f"hue{k}", "hue", scenes))
    for k, (y1, y2) in enumerate(sp.levels):
        out.append(
            _cuts_case(
                f"bright{k}",
                "brightness",
                [solid((y1,) * 3, seed + k, False), solid((y2,) * 3, seed + k, False)],
            )
        )
    for k in range(4):
        s = seed + 10 * k
        out.append(
            _cuts_case(f"camera{k}", "camera", [camera(s + 1), camera(s + 2), camera(s + 3)])
        )
    for k in range(2):
        s = seed + 300 + 10 * k
        out.append(_gradual(f"fade{k}", "fade", camera(s + 1), camera(s + 2)))
        out.append(_gradual(f"dissolve{k}", "dissolve", camera(s + 3), camera(s + 4)))
    for k in range(3):
        out.append(Case(f"static{k}", "static", 3 * SHOT, (), (), _static_make(seed + 500 + k)))
    return out


def _static_make(seed: int) -> Callable[[], Iterator[Frame]]:
    def make() -> Iterator[Frame]:
        s = static(seed)
        for i in range(3 * SHOT):
            yield s(i)

    return make


def encode(frames: Iterator[Frame], dest: Path, gop: int = 60, audio: Path | None = None) -> Path:
    """Raw RGB frames to H.264 (yuv420p, keyframe every ``gop``), with ``audio``'s
    sound track when given."""
    first = next(frames)
    h, w = first.shape[:2]
    cmd = [
        FFMPEG,
        "-v",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w}x{h}",
        "-r",
        str(FPS),
        "-i",
        "-",
    ]
    if audio is not None:
        cmd += ["-i", str(audio), "-map", "0:v", "-map", "1:a", "-c:a", "copy", "-shortest"]
    cmd += [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        str(gop),
        "-pix_fmt",
        "yuv420p",
        str(dest),
    ]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        proc.stdin.write(first.tobytes())
        for f in frames:
            proc.stdin.write(np.ascontiguousarray(f).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed for {dest}")
    return dest


def build(split: str, dest: Path) -> list[tuple[Case, Path]]:
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for c in cases(split):
        assert c.make is not None
        out.append((c, encode(c.make(), dest / f"{split}_{c.name}.mp4")))
    return out


def score(case: Case, found: list[int]) -> tuple[int, int, int]:
    """(found, expected, false): ground truth matched within one frame, transitions
    anywhere in ``[a - 1, b + 1]``; every unmatched detection is false."""
    spans = [(c - 1, c + 1) for c in case.cuts] + [(a - 1, b + 1) for a, b in case.transitions]
    hit = sum(any(lo <= f <= hi for f in found) for lo, hi in spans)
    false = sum(not any(lo <= f <= hi for lo, hi in spans) for f in found)
    return hit, len(spans), false
