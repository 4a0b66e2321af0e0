"""Frames worth reading: at most one a second, and only when static content changed.

Overlays, stickers and price cards are static while the host and the camera move,
so a frame is read when its *stable* edges (Canny edges present in this sample and
the previous one) differ in some region from those of the last frame read; a moving
host changes edges but not stable ones. A frame whose look (a small perceptual hash)
matches one already read reuses that reading, so a standing overlay costs one OCR
call, and a show that cuts between the same few shots costs one per shot. A frame read
because some regions changed carries the boxes that changed (``Sample.regions``), so
the reader can OCR crops there instead of the whole frame. Every frame read carries a
map of its edges, faint ones too (``Sample.detail``): text has edges, so a crop with
none holds no text and costs no OCR, and a frame read afresh (the first, after a cut)
whose edges lie in a few small areas (a card over a plain background) is read there
only (``Sample.areas``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from clipguard.media import iter_sampled_frames
from clipguard.screen.boxes import Box, area, scaled

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
    # source boxes (x0, y0, x1, y1) that hold every change since the frame read before,
    # for a "changed" sample whose changes fit in them; None: read it whole
    regions: tuple[Box, ...] | None = None
    # SMALL map of every edge of the frame, faint ones too: text lies only where some are
    detail: np.ndarray | None = None
    # for a frame read afresh: source boxes holding every edge of ``detail``, when they
    # are few and small; None: read it whole
    areas: tuple[Box, ...] | None = None


# Canny thresholds of ``detail``: far below the change test's (80, 160), so text of a
# low contrast, or a few pixels high once the frame is SMALL, still has edges there
DETAIL = (16, 32)
AREA_MAX = 0.3  # edges spread over more of the frame than this: read it whole
AREA_COUNT = 6  # edges in more separate areas than this: read it whole
REGION_MAX = 0.5  # changes covering more of the frame than this read the whole frame
# a read is triggered by one settled region over CHANGE_SHARE, but what is read must
# hold every region whose stable edges changed at all: a card that appeared while the
# exit of another one triggered the read is not settled yet, and is on screen
REGION_SHARE = 0.03

LOOK = (64, 36)  # thumbnail compared cell by cell: a small sticker still shows
SAME_LOOK = 12  # grey levels a cell may differ by in "the same frame"


def look_hash(grey_small: np.ndarray) -> bytes:
    """A 64x36 grey thumbnail; a global perceptual hash would miss a small sticker."""
    return cv2.resize(grey_small, LOOK, interpolation=cv2.INTER_AREA).tobytes()


def same_look(a: bytes, b: bytes) -> bool:
    x = np.frombuffer(a, np.uint8).astype(np.int16)
    y = np.frombuffer(b, np.uint8).astype(np.int16)
    return bool(np.abs(x - y).max() <= SAME_LOOK)


def worth_reading(
    media: Path, keyframe: Callable[[VideoFrame], None] | None = None
) -> Iterator[tuple[float, Sample | None]]:
    """Every sample time, with the frame when it should be read (else None);
    ``keyframe`` sees every keyframe decoded on the way (``iter_sampled_frames``).

    A change counts once it has settled: it differs from the last frame read but not
    from the previous sample, so a running clock (new digits every second) never
    triggers a read, while a sticker is read about two samples after it appears."""
    prev_edges: np.ndarray | None = None
    prev_stable: np.ndarray | None = None
    read_stable: np.ndarray | None = None
    prev_grey: np.ndarray | None = None
    # frame.to_ndarray makes a new swscale context for every frame (3 ms of a 720p
    # one, most of the sampling's cost); a reformatter kept per output reuses its own
    small, full = VideoReformatter(), VideoReformatter()
    for t, frame in iter_sampled_frames(media, SAMPLE_SECONDS, keyframe):
        grey = small.reformat(frame, width=SMALL[0], height=SMALL[1], format="gray").to_ndarray()
        edges = cv2.Canny(grey, 80, 160) > 0
        stable = edges & prev_edges if prev_edges is not None else edges
        cut = prev_grey is not None and float(np.abs(grey.astype(np.int16) - prev_grey).mean()) > 40
        reason = ""
        regions: tuple[Box, ...] | None = None
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
                raw = stable ^ read_stable
                moved = cv2.blur(raw.astype(np.float32), (CHANGE_BLOCK,) * 2)
                regions = _regions(moved > REGION_SHARE, raw, frame.width, frame.height)
        prev_edges, prev_stable, prev_grey = edges, stable, grey.astype(np.int16)
        if reason:
            read_stable = stable if reason != "cut" else edges
            detail = cv2.Canny(grey, *DETAIL) > 0
            areas = _areas(detail, frame.width, frame.height) if regions is None else None
            image = full.reformat(frame, format="rgb24").to_ndarray()
            yield t, Sample(t, image, reason, look_hash(grey), regions, detail, areas)
        else:
            yield t, None


def _regions(
    changed: np.ndarray, raw: np.ndarray, width: int, height: int
) -> tuple[Box, ...] | None:
    """One source box per connected area of ``changed`` (the change map blurred by a
    block, so an area is where changes are dense enough to matter), shrunk to the
    edge pixels of ``raw`` that changed inside it (the blur reaches half a block past
    the change, 48 px of a 720p frame: reading that much more would cost the OCR it
    saves); None when the boxes add up to most of the frame, which is then read whole.
    """
    n, _, stats, _ = cv2.connectedComponentsWithStats(changed.astype(np.uint8), connectivity=8)
    sx, sy = width / SMALL[0], height / SMALL[1]
    out: list[Box] = []
    for x, y, w, h, _area in stats[1:n]:
        ys, xs = np.nonzero(raw[y : y + h, x : x + w])
        if xs.size:
            x, y, w, h = (
                x + xs.min(),
                y + ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1,
            )
        out.append(scaled(x, y, w, h, sx, sy, width, height))
    if not out or sum(map(area, out)) > REGION_MAX * width * height:
        return None
    return tuple(out)


def _areas(detail: np.ndarray, width: int, height: int) -> tuple[Box, ...] | None:
    """Source boxes round the connected areas of ``detail`` (joined across the gaps
    between the words of a line), or None when there are many or they add up to much
    of the frame (a camera picture): one detector run on the whole frame then costs
    less than one per area."""
    joined = cv2.dilate(detail.astype(np.uint8), np.ones((5, 9), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if n - 1 > AREA_COUNT:
        return None
    sx, sy = width / SMALL[0], height / SMALL[1]
    out = tuple(scaled(x, y, w, h, sx, sy, width, height) for x, y, w, h, _ in stats[1:n])
    if sum(map(area, out)) > AREA_MAX * width * height:
        return None
    return out


def blank(detail: np.ndarray, box: Box, width: int, height: int) -> bool:
    """Whether the source ``box`` has no edge at all in the SMALL ``detail`` map (so
    no text): a plain background where an overlay was."""
    sx, sy = SMALL[0] / width, SMALL[1] / height
    x0, y0 = int(box[0] * sx), int(box[1] * sy)
    x1, y1 = int(np.ceil(box[2] * sx)), int(np.ceil(box[3] * sy))
    return not detail[y0:y1, x0:x1].any()
