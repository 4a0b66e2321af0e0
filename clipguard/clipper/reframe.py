"""Follow the subject for vertical reframing: faces first, then motion, else none.

Faces come from OpenCV's Haar cascade shipped in ``cv2.data`` (no model download).
Detections are sparse (2 samples per second on small frames) and smoothed, so the
virtual camera pans gently instead of jittering.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from clipguard.media import iter_video_frames

SAMPLE_FPS = 2.0
DETECT_WIDTH = 320


@dataclass(frozen=True)
class SubjectTrack:
    """Subject centre over clip time, as a fraction of the frame width."""

    times: np.ndarray
    x: np.ndarray
    source: str  # face | motion

    def at(self, t: float) -> float:
        return float(np.interp(t, self.times, self.x))


def _cascade() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")  # pyright: ignore[reportAttributeAccessIssue]
    )


def subject_track(media: Path, start: float, end: float) -> SubjectTrack | None:
    cascade = _cascade()
    face_t: list[float] = []
    face_x: list[float] = []
    motion_t: list[float] = []
    motion_x: list[float] = []
    prev = None
    next_sample = start
    for frame in iter_video_frames(media, start, end):
        t = frame.time
        if t < next_sample:
            continue
        next_sample = t + 1.0 / SAMPLE_FPS
        h = int(round(frame.height * DETECT_WIDTH / frame.width))
        grey = frame.to_ndarray(format="gray", width=DETECT_WIDTH, height=h)
        faces = cascade.detectMultiScale(grey, scaleFactor=1.15, minNeighbors=5, minSize=(24, 24))
        if len(faces):
            x, _, w, _ = max(faces, key=lambda f: f[2] * f[3])
            face_t.append(t - start)
            face_x.append((x + w / 2) / DETECT_WIDTH)
        if prev is not None and prev.shape == grey.shape:
            diff = cv2.absdiff(grey, prev)
            _, mask = cv2.threshold(diff, 25, 255, cv2.THRESH_BINARY)
            m = cv2.moments(mask, binaryImage=True)
            if m["m00"] > 0.002 * mask.size:
                motion_t.append(t - start)
                motion_x.append(m["m10"] / m["m00"] / DETECT_WIDTH)
        prev = grey
    samples = max(1, int((end - start) * SAMPLE_FPS))
    if len(face_t) >= max(2, 0.3 * samples):
        return _smooth(face_t, face_x, "face")
    if len(motion_t) >= max(2, 0.3 * samples):
        return _smooth(motion_t, motion_x, "motion")
    return None


def _smooth(times: list[float], xs: list[float], source: str) -> SubjectTrack:
    x = np.asarray(xs, dtype=np.float64)
    if x.size >= 3:
        k = min(5, x.size if x.size % 2 else x.size - 1)
        pad = np.pad(x, k // 2, mode="edge")
        x = np.convolve(pad, np.ones(k) / k, mode="valid")
    return SubjectTrack(np.asarray(times), x, source)
