"""Shot changes on colour, not brightness alone.

A grey histogram cannot tell two dark backgrounds of equal brightness and different
hue apart (#2b3a55 -> #553b2b), so promo clips opened on a flash of the other shot
(issue #20). Two measures on the small frames the signals already decode:

- a hue x saturation histogram and a value histogram (Bhattacharyya distance, the
  larger of the two): robust to motion, sees hue-only and brightness-only changes;
- PySceneDetect's ``content_val`` (``ContentDetector``: mean absolute difference of
  hue, saturation and value, default weights, edges off): sees a change between two
  scenes of the same palette, which a histogram misses.

A frame is a hard cut when either passes its threshold and it stands out from its
neighbours (``DenseShots``); dissolves and fades are found over ``LAG`` frames and
from near-black frames. Keyframes are compared with the histogram only: seconds
apart, every pixel of a moving camera differs and ``content_val`` would cut on motion.

Thresholds, chosen on the corpus's "tune" split (``tests/shot_corpus.py``), each
inside its margin there: consecutive-frame histogram distance 0.70-0.92 at hue and
brightness cuts, at most 0.12 inside shots (``HIST_CUT`` 0.3); ``content_val`` at
least 55 at camera cuts, at most 12.5 inside shots (27, PySceneDetect's default);
histogram distance over ``LAG`` frames at least 0.46 across a dissolve, at most 0.12
inside shots (``GRADUAL_CUT`` 0.3), with a ratio over the change either side of at
least 5.5 across a dissolve and at most 1.1 elsewhere (``GRADUAL_RATIO`` 2.5).

Hand-rolled rather than ``scenedetect``'s detectors: they read the video themselves
(every frame, or a downscaled copy), while these frames are already decoded and
keyframe-only for the scan, and the scenedetect wheel brings its own OpenCV variant
besides ours; and both of its detectors miss brightness-only cuts between solid
backgrounds (``content_val`` 10-13, under its 27 and its adaptive floor of 15) and
every dissolve of the corpus. ``benchmarks/shot_detect.py`` measures all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import av
import cv2
import numpy as np

SMALL = (64, 36)  # thumbnail for motion and cut detection
HIST_CUT = 0.3  # colour histogram distance between consecutive frames: a cut
CONTENT_CUT = 27.0  # PySceneDetect's ContentDetector default threshold
KEY_CUT = 0.3  # colour histogram distance between keyframes: a cut
WINDOW = 2  # frames each side a hard cut must stand out from (AdaptiveDetector's default)
RATIO = 3.0  # how far it must stand out (AdaptiveDetector's adaptive_threshold)
LAG = 12  # frames back for gradual transitions (0.4 s at 30 fps)
GRADUAL_CUT = 0.3  # histogram distance over LAG frames: inside a transition
GRADUAL_RATIO = 2.5  # ... and that many times the change within the LAG frames either side
DARK = 24.0  # mean HSV value under which a frame is near black (a fade's bottom)
BLACK_HOLD = 1.0  # seconds: a longer black run is a black shot, not a fade's bottom
HS_BINS = (36, 16)  # hue (OpenCV's 0..179) x saturation
V_BINS = 32
SOFT = 1.5  # bins: the histograms are smoothed, so a colour on a bin edge does not jump
_KERNEL = cv2.getGaussianKernel(7, SOFT).astype(np.float32)


@dataclass(frozen=True)
class ShotFrame:
    """What shot detection keeps of one frame (a few kB)."""

    time: float
    grey: np.ndarray  # int16, for motion
    hsv: np.ndarray  # int16
    hs: np.ndarray  # float32 hue x saturation histogram, sums to 1
    v: np.ndarray  # float32 value histogram, sums to 1


def _soft(hist: np.ndarray, wrap: bool) -> np.ndarray:
    """Gaussian-smooth a 2-D histogram (hue wraps around, the other axis reflects):
    a solid colour on a bin edge drifts by a code value between frames (an encoder's
    keyframe) and would otherwise jump a whole bin, which hard bins read as a cut."""
    pad = _KERNEL.size // 2
    rows = np.pad(hist, ((pad, pad), (0, 0)), mode="wrap" if wrap else "reflect")
    both = np.pad(rows, ((0, 0), (pad, pad)), mode="reflect") if hist.shape[1] > 1 else rows
    out = cv2.sepFilter2D(
        both, -1, _KERNEL if hist.shape[1] > 1 else np.ones((1, 1), np.float32), _KERNEL
    )
    out = out[pad:-pad, pad:-pad] if hist.shape[1] > 1 else out[pad:-pad]
    return (out / max(1e-9, float(out.sum()))).ravel().astype(np.float32)


def small_bgr(frame: av.VideoFrame) -> np.ndarray:
    """The frame at ``SMALL``, BGR. A yuv420p frame's planes are area-averaged with
    OpenCV and converted (BT.601, limited range) at 64x36: PyAV's own scaler took
    5.5 ms a 720p frame for this, the planes take 0.8 ms."""
    if frame.format.name != "yuv420p" or frame.width % 2 or frame.height % 2:
        return frame.to_ndarray(format="bgr24", width=SMALL[0], height=SMALL[1])
    h, w = frame.height, frame.width
    planes = frame.to_ndarray(format="yuv420p")
    y = cv2.resize(planes[:h], SMALL, interpolation=cv2.INTER_AREA).astype(np.float32)
    chroma = planes[h:].reshape(2, h // 2, w // 2)
    u, v = (
        cv2.resize(c, SMALL, interpolation=cv2.INTER_AREA).astype(np.float32) - 128.0
        for c in chroma
    )
    y = (y - 16.0) * 1.164
    bgr = np.dstack([y + 2.017 * u, y - 0.392 * u - 0.813 * v, y + 1.596 * v])
    return np.clip(bgr + 0.5, 0, 255).astype(np.uint8)


def shot_frame(frame: av.VideoFrame) -> ShotFrame:
    bgr = small_bgr(frame)
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hs = _soft(cv2.calcHist([hsv], [0, 1], None, list(HS_BINS), [0, 180, 0, 256]), True)
    v = _soft(cv2.calcHist([hsv], [2], None, [V_BINS], [0, 256]), False)
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return ShotFrame(
        float(frame.time or 0.0),
        grey.astype(np.int16),
        hsv.astype(np.int16),
        hs,
        v,
    )


def hist_distance(a: ShotFrame, b: ShotFrame) -> float:
    """The larger Bhattacharyya distance of the hue x saturation and value histograms."""
    return max(
        float(cv2.compareHist(a.hs, b.hs, cv2.HISTCMP_BHATTACHARYYA)),
        float(cv2.compareHist(a.v, b.v, cv2.HISTCMP_BHATTACHARYYA)),
    )


def content_val(a: ShotFrame, b: ShotFrame) -> float:
    """PySceneDetect's ContentDetector score with its default weights (1, 1, 1, 0):
    the mean of the mean absolute hue, saturation and value differences."""
    return float(np.mean(np.abs(a.hsv - b.hsv)))


def motion(a: ShotFrame, b: ShotFrame) -> float:
    """Mean absolute grey difference, 0..1."""
    return float(np.mean(np.abs(a.grey - b.grey))) / 255.0


def cut_score(a: ShotFrame, b: ShotFrame) -> float:
    """Over 1 when consecutive frames ``a`` and ``b`` differ like a cut on either
    measure."""
    return max(hist_distance(a, b) / HIST_CUT, content_val(a, b) / CONTENT_CUT)


def is_key_cut(a: ShotFrame, b: ShotFrame) -> bool:
    """A shot change between two keyframes (seconds apart: histogram only)."""
    return hist_distance(a, b) > KEY_CUT


@dataclass
class DenseShots:
    """Every frame of a window: per-frame motion and frame-exact shot changes, fed one
    frame at a time (``push``); ``cuts`` is final after ``close``.

    - A hard cut is a frame whose score (``is_cut``'s two measures over their
      thresholds) passes 1 and stands ``RATIO`` times above its ``WINDOW`` neighbours
      on each side (PySceneDetect's ``AdaptiveDetector`` rule): a scene whose colours
      change every frame (LED walls, ``testsrc2``) scores high on every frame, a cut
      on one. Two frames both near black never cut: their hue is noise.
    - A dissolve: a frame that differs from ``LAG`` frames back over ``GRADUAL_CUT``
      and ``GRADUAL_RATIO`` times more than the ``LAG`` frames before and after it
      changed within themselves; the frames those comparisons span, merged, are one
      transition and one cut at its middle (unless a hard cut explains them).
    - A fade through black: a run of near-black frames is one cut at its middle (at
      most ``BLACK_HOLD`` long; a longer black shot has a cut at each end).
    One time per shot change: the edge snapping needs it (``spans.snap``)."""

    times: list[float] = field(default_factory=list)
    motion: list[float] = field(default_factory=list)
    cuts: list[float] = field(default_factory=list)
    _frames: list[ShotFrame] = field(default_factory=list)
    _score: list[float] = field(default_factory=list)  # per frame, vs the previous one

    def push(self, f: ShotFrame) -> None:
        if self._frames:
            prev = self._frames[-1]
            self._score.append(cut_score(prev, f))
            self.times.append(f.time)
            self.motion.append(motion(prev, f))
        else:
            self._score.append(0.0)
        self._frames.append(f)

    def close(self) -> DenseShots:
        n = len(self._frames)
        dark = [float(np.mean(f.hsv[..., 2])) < DARK for f in self._frames]
        score = np.asarray(self._score)
        hard: list[int] = []
        for i in range(1, n):
            around = [score[j] for j in range(i - WINDOW, i + WINDOW + 1) if 1 <= j < n and j != i]
            base = float(np.mean(around)) if around else 0.0
            if score[i] > 1.0 and score[i] >= RATIO * base and not (dark[i] and dark[i - 1]):
                hard.append(i)
        lag = [
            hist_distance(self._frames[i - LAG], self._frames[i]) if i >= LAG else 0.0
            for i in range(n)
        ]
        spans: list[tuple[int, int]] = []
        for i in range(LAG, n):
            within = [lag[j] for j in (i - LAG, i + LAG) if LAG <= j < n]
            if within and lag[i] > GRADUAL_CUT and lag[i] >= GRADUAL_RATIO * max(within):
                spans.append((i - LAG, i))
        blacks = _merged([(i, i) for i in range(n) if dark[i]])
        cuts = set(hard)
        for lo, hi in blacks:  # a black shot: a cut at each end (inside the window)
            if self._frames[hi].time - self._frames[lo].time > BLACK_HOLD:
                cuts |= {i for i in (lo, hi + 1) if 0 < i < n}
        fades = [
            (lo, hi) for lo, hi in blacks if (lo, hi + 1) not in cuts and lo > 0 and hi < n - 1
        ]
        reach = [(lo - LAG, hi + LAG) for lo, hi in fades]  # the fade's sides change too
        for lo, hi in _merged(spans + reach):  # one transition: one cut, at its black
            if any(lo <= h <= hi for h in hard):
                continue  # a hard cut's shadow, or a transition a hard cut explains
            black = [(a, b) for a, b in fades if lo <= a and b <= hi]
            a, b = (black[0][0], black[0][1] + 1) if black else (lo, hi)
            cuts.add((a + b) // 2)
        for c in hard:  # a cut is not motion
            self.motion[c - 1] = 0.0
        self.cuts = sorted(self._frames[i].time for i in cuts)
        return self


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def dense_shots(frames: Iterable[av.VideoFrame]) -> DenseShots:
    d = DenseShots()
    for frame in frames:
        if frame.time is not None:
            d.push(shot_frame(frame))
    return d.close()
