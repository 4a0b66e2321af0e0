"""Read the screen of one recording into text tracks and QR codes.

A text that stays on screen across many samples is one track spanning its whole time
on screen; it ends at the last sample that still showed it. Samples that were not
read (nothing static changed) extend every open track.

The OCR and the QR read of a frame, and a finding's thumbnail, are refinements: one
that fails (a bad frame, a library error) costs that frame's text or codes, or that
thumbnail, and becomes a ``screen`` warning (``clipguard.faults``); the recording
goes on. A frame whose read failed is not remembered by its look, so the next sample
that looks the same is read again instead of inheriting the loss.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clipguard.faults import refinement
from clipguard.screen import boxes, frames, ocr, qr
from clipguard.screen.boxes import EDGE, PART

if TYPE_CHECKING:
    from av.video.frame import VideoFrame

log = logging.getLogger(__name__)

SETTLE = 2 * frames.SAMPLE_SECONDS  # a change is read about this long after it appears


@dataclass
class Track:
    """One text (or QR payload) and where and when it was on screen."""

    text: str
    bbox: tuple[int, int, int, int]
    start: float
    end: float
    kind: str = "text"  # text | qr:<payload kind>
    score: float = 1.0
    frame_time: float = 0.0  # a sample that showed it (for the thumbnail)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "bbox": list(self.bbox),
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "kind": self.kind,
            "score": round(self.score, 4),
            "frame_time": round(self.frame_time, 3),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Track:
        return cls(
            d["text"],
            tuple(d["bbox"]),
            d["start"],
            d["end"],
            d.get("kind", "text"),
            d.get("score", 1.0),
            d.get("frame_time", d["start"]),
        )


@dataclass
class ScreenReading:
    tracks: list[Track] = field(default_factory=list)
    samples: int = 0
    frames_read: int = 0
    ocr_calls: int = 0  # frames whose reading was not reused: read (in part) by OCR
    detect_calls: int = 0  # OCR runs that detect lines, then recognize them (frame or crop)
    recognize_calls: int = 0  # OCR runs that only recognize one line already located
    seconds: float = 0.0

    def stats(self) -> dict:
        return {
            "samples": self.samples,
            "frames_read": self.frames_read,
            "ocr_calls": self.ocr_calls,
            "detect_calls": self.detect_calls,
            "recognize_calls": self.recognize_calls,
        }


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def _near(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Same place on screen (centres within half a box)."""
    ax, ay = a[0] + a[2] / 2, a[1] + a[3] / 2
    bx, by = b[0] + b[2] / 2, b[1] + b[3] / 2
    return abs(ax - bx) <= max(a[2], b[2]) / 2 + 8 and abs(ay - by) <= max(a[3], b[3]) / 2 + 8


Box = boxes.Box


def _line_change(crop: Box, regions: tuple[Box, ...], before: list[Track]) -> Track | None:
    """The one earlier text line the changes in ``crop`` lie on, when they changed
    only part of it: the rest of the line is still there as it was, so the line is
    still there, and the new text is no wider than the line and its margin."""
    inner = [tr for tr in before if boxes.overlap(crop, boxes.box(tr.bbox))]
    if len(inner) != 1 or inner[0].kind != "text":
        return None
    line = boxes.box(inner[0].bbox)
    h = line[3] - line[1]
    room = (line[0] - h // 2, line[1] - max(6, h // 4), line[2] + h // 2, line[3] + max(6, h // 4))
    mine = [r for r in regions if boxes.overlap(r, crop)]
    if not mine or not all(boxes.inside(r, room) for r in mine):
        return None
    span = max(r[2] for r in mine) - min(r[0] for r in mine)
    return inner[0] if span <= PART * (line[2] - line[0]) else None


def _recognize(image: np.ndarray, t: float, line: Track, reading: ScreenReading) -> Track | None:
    """The text now on an earlier line, by recognition alone (its place is known): the
    line's box with half its height on either side (new digits may be a little wider)."""
    h = line.bbox[3]
    x0, y0, x1, y1 = boxes.grow(boxes.box(line.bbox), h // 2, max(2, h // 8), image.shape)
    reading.recognize_calls += 1
    got = ocr.read_line(np.ascontiguousarray(image[y0:y1, x0:x1]))
    return None if got is None else Track(got.text, line.bbox, t, t, "text", got.score, t)


def _detect(
    image: np.ndarray, t: float, crop: Box, items: list[Box], reading: ScreenReading
) -> tuple[list[Track], Box]:
    """Text lines in ``crop``, in frame coordinates, and the box finally read. A line
    that reaches a side of the crop may go on past it, so the crop then widens to whole
    rows of the frame (a line's height up and down, and every earlier item in those
    rows) and is read again, once."""
    h, w = image.shape[:2]
    for attempt in range(2):
        x0, y0, x1, y1 = crop
        reading.detect_calls += 1
        got = ocr.read_text(np.ascontiguousarray(image[y0:y1, x0:x1]))
        cut = [
            b
            for b in got
            if (x0 > 0 and b.bbox[0] <= EDGE)
            or (x1 < w and b.bbox[0] + b.bbox[2] >= x1 - x0 - EDGE)
            or (y0 > 0 and b.bbox[1] <= EDGE)
            or (y1 < h and b.bbox[1] + b.bbox[3] >= y1 - y0 - EDGE)
        ]
        if not cut or attempt:
            break
        crop = boxes.crops(
            (boxes.grow(crop, w, max(b.bbox[3] for b in cut), image.shape),), items, image.shape
        )[0]
    return [
        Track(
            b.text, (b.bbox[0] + x0, b.bbox[1] + y0, b.bbox[2], b.bbox[3]), t, t, "text", b.score, t
        )
        for b in got
    ], (x0, y0, x1, y1)


def _read(
    sample: frames.Sample,
    t: float,
    crops: list[Box],
    before: list[Track],
    reading: ScreenReading,
) -> tuple[list[Track], bool]:
    """What the frame shows when only ``crops`` of it may differ from the frame read
    before (which showed ``before``; nothing for a frame read afresh): the crops are
    read (text, then QR codes), the earlier items outside them carried over.

    A crop with no edge at all holds no text and is not read (what was there is gone);
    a change to part of one earlier line (new digits) is recognized on that line alone,
    with no detection; any other crop is detected and recognized. The OCR and the QR
    read of the frame are one refinement each, so one that fails costs that frame's
    text (or codes) and is one warning."""
    image, detail = sample.image, sample.detail
    h, w = image.shape[:2]
    items = [boxes.box(tr.bbox) for tr in before]
    read = list(crops)  # what was read replaces what was there before; a blank crop too
    if detail is not None:
        crops = [c for c in crops if not frames.blank(detail, c, w, h)]
    seen: list[Track] = []
    with refinement("screen", "OCR of a frame") as text_read:
        for crop in crops:
            line = _line_change(crop, sample.regions or (), before)
            got = _recognize(image, t, line, reading) if line is not None else None
            if got is not None:
                seen.append(got)
                continue
            found, box = _detect(image, t, crop, items, reading)
            seen += found
            read.append(box)
    with refinement("screen", "QR read of a frame") as qr_read:
        for x0, y0, x1, y1 in crops:
            for c in qr.read_qr(np.ascontiguousarray(image[y0:y1, x0:x1])):
                bbox = (c.bbox[0] + x0, c.bbox[1] + y0, c.bbox[2], c.bbox[3])
                seen.append(Track(c.payload, bbox, t, t, f"qr:{c.kind}", 1.0, t))
    carried = [
        Track(tr.text, tr.bbox, t, t, tr.kind, tr.score, t)
        for tr, b in zip(before, items)
        if not any(boxes.overlap(b, r) for r in read)
    ]
    return carried + seen, not (text_read.failed or qr_read.failed)


def _plan(sample: frames.Sample, before: list[Track] | None) -> tuple[list[Box], list[Track]]:
    """The crops to read and the earlier items that may be carried over: around the
    changes since the frame read before when that reading is known, else around the
    areas with edges (a frame read afresh), else the whole frame."""
    h, w = sample.image.shape[:2]
    if sample.regions is not None and before is not None:
        return boxes.crops(
            sample.regions, [boxes.box(tr.bbox) for tr in before], sample.image.shape
        ), before
    if sample.areas is not None:
        crops = boxes.crops(sample.areas, [], sample.image.shape)
        if (
            len(crops) <= frames.AREA_COUNT
            and sum(map(boxes.area, crops)) <= frames.AREA_MAX * w * h
        ):
            return crops, []
    return [(0, 0, w, h)], []


def read_screen(
    media: Path,
    *,
    stop: Callable[[], bool] | None = None,
    keyframe: Callable[[VideoFrame], None] | None = None,
) -> ScreenReading:
    """Text tracks and QR codes of one recording's frames (``stop``: asked before each
    sample; when it says so the reading ends there, incomplete, for a caller that
    gave up on it; ``keyframe``: handed every keyframe the reading decodes, so the
    highlights' keyframe scan needs no decode of its own: ``clipguard.pipeline.ahead``).

    A failed OCR or QR read of a frame is recorded as a warning in the current
    ``clipguard.faults`` collector and costs only what that frame would have added."""
    t0 = time.perf_counter()
    reading = ScreenReading()
    cache: list[tuple[bytes, list[Track]]] = []  # look hash -> what that frame showed
    open_tracks: list[Track] = []
    last_seen: list[Track] | None = None  # what the last frame read showed, if complete
    last_read = 0.0
    for t, sample in frames.worth_reading(Path(media), keyframe):
        if stop is not None and stop():
            break
        reading.samples += 1
        if sample is None:
            for tr in open_tracks:
                tr.end = t
            continue
        reading.frames_read += 1
        seen = next(
            (hit for look, hit in cache if frames.same_look(look, sample.look)),
            None,
        )
        if seen is None:
            reading.ocr_calls += 1
            crops, before = _plan(sample, last_seen)
            seen, complete = _read(sample, t, crops, before, reading)
            if complete:
                cache.append((sample.look, seen))
            last_seen = seen if complete else None
        else:
            last_seen = seen
        still: list[Track] = []
        for item in seen:
            match = next(
                (
                    o
                    for o in open_tracks
                    if _key(o.text) == _key(item.text) and _near(o.bbox, item.bbox)
                ),
                None,
            )
            if match is not None:
                match.end = t
                still.append(match)
            else:
                # a settled change was on screen since about SETTLE ago; a cut starts now
                start = max(last_read, t - SETTLE) if sample.reason == "changed" else t
                fresh = Track(item.text, item.bbox, start, t, item.kind, item.score, t)
                reading.tracks.append(fresh)
                still.append(fresh)
        for gone in open_tracks:
            if not any(gone is k for k in still):  # it vanished after its last sample
                gone.end = min(t, gone.end + frames.SAMPLE_SECONDS)
        open_tracks = still
        last_read = t
    reading.seconds = time.perf_counter() - t0
    return reading


def thumbnail(media: Path, t: float, bbox: tuple[int, int, int, int], dest: Path) -> Path | None:
    """A small JPEG of the frame at ``t`` with the box drawn, for the report.

    Returns:
        ``dest`` once written, or ``None`` when no frame could be had there or the
        thumbnail failed: a finding without its picture is still a finding, so a
        failure is a ``screen`` warning (``clipguard.faults``), never an exception.
    """
    written: Path | None = None
    with refinement("screen", "thumbnail of a screen finding"):
        written = _thumbnail(media, t, bbox, dest)
    return written


def _thumbnail(media: Path, t: float, bbox: tuple[int, int, int, int], dest: Path) -> Path | None:
    import cv2

    from clipguard.media import iter_video_frames
    from clipguard.writers import atomic_path

    for frame in iter_video_frames(media, max(0.0, t - 0.05), t + 1.0):
        img = frame.to_ndarray(format="rgb24")
        x, y, w, h = bbox
        cv2.rectangle(img, (x, y), (x + w, y + h), (230, 30, 30), max(2, img.shape[1] // 320))
        scale = 320 / img.shape[1]
        small = cv2.resize(
            img, (320, max(1, int(img.shape[0] * scale))), interpolation=cv2.INTER_AREA
        )
        bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            raise ValueError(f"JPEG encoding of the frame at {t:.2f} s failed")
        with atomic_path(dest) as tmp:
            tmp.write_bytes(data.tobytes())
        return dest
    return None
