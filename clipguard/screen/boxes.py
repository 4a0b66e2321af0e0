"""Box geometry for reading only what changed: which crops of a frame to read again.

Plain integer arithmetic on ``(x0, y0, x1, y1)`` boxes; hand-written because the few
operations needed (grow, overlap, union, merge until stable) are a dozen lines, and a
geometry library would be a dependency for them alone.
"""

from __future__ import annotations

import math

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in source pixels, x1 and y1 exclusive

PAD = 16  # px of background round a change: the detector needs a margin round a line
EDGE = 3  # px: a line this close to a crop's side may go on past it
LETTERBOX = 8  # RapidOCR pads an image wider than this to twice its height with black;
# a crop is made taller with the frame's own pixels instead, which costs less
PART = 0.75  # a change narrower than this share of its line left part of the line as it was


def area(b: Box) -> int:
    return (b[2] - b[0]) * (b[3] - b[1])


def scaled(x: int, y: int, w: int, h: int, sx: float, sy: float, width: int, height: int) -> Box:
    """The box ``x, y, w, h`` of a small map, in source pixels (scale ``sx``, ``sy``),
    rounded outwards and kept inside the ``width`` x ``height`` frame."""
    return (
        int(x * sx),
        int(y * sy),
        min(width, int(math.ceil((x + w) * sx))),
        min(height, int(math.ceil((y + h) * sy))),
    )


def box(bbox: tuple[int, int, int, int]) -> Box:
    x, y, w, h = bbox
    return x, y, x + w, y + h


def grow(b: Box, dx: int, dy: int, shape: tuple[int, ...]) -> Box:
    return max(0, b[0] - dx), max(0, b[1] - dy), min(shape[1], b[2] + dx), min(shape[0], b[3] + dy)


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(a: Box, b: Box) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def crops(regions: tuple[Box, ...], items: list[Box], shape: tuple[int, ...]) -> list[Box]:
    """Boxes to read again: each change with a margin, grown over every earlier item
    it reaches into (a price whose digits changed is read as its whole line, never as
    "358元"), no wider than ``LETTERBOX`` times its height, merged where they overlap."""
    crops = [grow(r, PAD, PAD, shape) for r in regions]
    changed = True
    while changed:
        changed = False
        out: list[Box] = []
        for c in crops:
            for b in items:
                if overlap(c, b) and not inside(grow(b, PAD, PAD, shape), c):
                    c = union(c, grow(b, PAD, PAD, shape))
            w, h = c[2] - c[0], c[3] - c[1]
            if w > LETTERBOX * h and h < shape[0]:
                c = grow(c, 0, (w // LETTERBOX - h) // 2 + 1, shape)
            for i, o in enumerate(out):
                if overlap(c, o):
                    out[i] = c = union(c, o)
                    break
            else:
                out.append(c)
        changed = out != crops
        crops = out
    return crops
