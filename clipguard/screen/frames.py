"""Frames worth reading: at most one a second, and only when static content changed.

Overlays, stickers and price cards are static while the host and the camera move,
so a frame is read when its *stable* edges (Canny edges present in this sample and
the previous one) differ in some region from those of the last frame read; a moving
host changes edges but not stable ones. A frame whose look (a small perceptual hash)
matches one already read reuses that reading, so a standing overlay costs one OCR
call, and a show that cuts between the same few shots costs one per shot. A frame read
because some regions changed carries the rows that changed (``Sample.bands``), so the
reader can OCR full-width strips there instead of the whole frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from clipguard.media import iter_sampled_frames

SAMPLE_SECONDS = 1.0
SMALL = (320, 180)  # where edges are compared
CHANGE_BLOCK = 24  # px of SMALL: the size of a region that must change
CHANGE_SHARE = 0.12  # of that region's pixels whose stable edges changed


@dataclass(frozen=True)
class Sample:
    time: float
    image: np.ndarray  # RGB, source size
    reason: str  # first | changed | cut
    look: bytes  # perceptual hash of the frame
    # disjoint source row ranges (y0, y1) that hold every change since the frame read
    # before, for a "changed" sample whose changes fit in them; None: read it whole
    bands: tuple[tuple[int, int], ...] | None = None


BAND_MAX = 0.5  # changes spanning more of the height than this read the whole frame
# a read is triggered by one settled region over CHANGE_SHARE, but what is read must
# hold every region whose stable edges changed at all: a card that appeared while the
# exit of another one triggered the read is not settled yet, and is on screen
BAND_SHARE = 0.03

LOOK = (64, 36)  # thumbnail compared cell by cell: a small sticker still shows
SAME_LOOK = 12  # grey levels a cell may differ by in "the same frame"


def look_hash(grey_small: np.ndarray) -> bytes:
    """A 64x36 grey thumbnail; a global perceptual hash would miss a small sticker."""
    return cv2.resize(grey_small, LOOK, interpolation=cv2.INTER_AREA).tobytes()


def same_look(a: bytes, b: bytes) -> bool:
    x = np.frombuffer(a, np.uint8).astype(np.int16)
    y = np.frombuffer(b, np.uint8).astype(np.int16)
    return bool(np.abs(x - y).max() <= SAME_LOOK)


def worth_reading(media: Path) -> Iterator[tuple[float, Sample | None]]:
    """Every sample time, with the frame when it should be read (else None).

    A change counts once it has settled: it differs from the last frame read but not
    from the previous sample, so a running clock (new digits every second) never
    triggers a read, while a sticker is read about two samples after it appears."""
    prev_edges: np.ndarray | None = None
    prev_stable: np.ndarray | None = None
    read_stable: np.ndarray | None = None
    prev_grey: np.ndarray | None = None
    for t, frame in iter_sampled_frames(media, SAMPLE_SECONDS):
        grey = frame.to_ndarray(format="gray", width=SMALL[0], height=SMALL[1])
        edges = cv2.Canny(grey, 80, 160) > 0
        stable = edges & prev_edges if prev_edges is not None else edges
        cut = prev_grey is not None and float(np.abs(grey.astype(np.int16) - prev_grey).mean()) > 40
        reason = ""
        bands: tuple[tuple[int, int], ...] | None = None
        if read_stable is None:
            reason = "first"
        elif cut:
            reason = "cut"
        else:
            settled = stable ^ read_stable
            if prev_stable is not None:
                settled &= ~(stable ^ prev_stable)
            density = cv2.blur(settled.astype(np.float32), (CHANGE_BLOCK, CHANGE_BLOCK))
            if float(density.max()) > CHANGE_SHARE:
                reason = "changed"
                moved = cv2.blur((stable ^ read_stable).astype(np.float32), (CHANGE_BLOCK,) * 2)
                bands = _bands(moved > BAND_SHARE, frame.height)
        prev_edges, prev_stable, prev_grey = edges, stable, grey.astype(np.int16)
        if reason:
            read_stable = stable if reason != "cut" else edges
            yield t, Sample(t, frame.to_ndarray(format="rgb24"), reason, look_hash(grey), bands)
        else:
            yield t, None


def _bands(changed: np.ndarray, height: int) -> tuple[tuple[int, int], ...] | None:
    """The source row ranges that hold every changed block (the map is already blurred
    by a block, so it reaches past the change) merged where they touch; None
    when they add up to most of the frame, which is then read whole."""
    out: list[list[int]] = []
    for r in np.nonzero(changed.any(axis=1))[0]:
        lo, hi = max(0, int(r) - 2), min(SMALL[1], int(r) + 3)
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    if not out or sum(hi - lo for lo, hi in out) > BAND_MAX * SMALL[1]:
        return None
    scale = height / SMALL[1]
    return tuple((int(lo * scale), min(height, int(np.ceil(hi * scale)))) for lo, hi in out)
