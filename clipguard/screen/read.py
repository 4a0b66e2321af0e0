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
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from clipguard.faults import refinement
from clipguard.screen import frames, ocr, qr

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
    ocr_calls: int = 0
    seconds: float = 0.0

    def stats(self) -> dict:
        return {
            "samples": self.samples,
            "frames_read": self.frames_read,
            "ocr_calls": self.ocr_calls,
        }


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def _near(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Same place on screen (centres within half a box)."""
    ax, ay = a[0] + a[2] / 2, a[1] + a[3] / 2
    bx, by = b[0] + b[2] / 2, b[1] + b[3] / 2
    return abs(ax - bx) <= max(a[2], b[2]) / 2 + 8 and abs(ay - by) <= max(a[3], b[3]) / 2 + 8


def _read_frame(image: np.ndarray, t: float) -> tuple[list[Track], bool]:
    """What one frame shows (text lines, then QR codes), and whether both reads ran."""
    boxes: list[ocr.TextBox] = []
    with refinement("screen", "OCR of a frame") as text_read:
        boxes = ocr.read_text(image)
    codes: list[qr.QRCode] = []
    with refinement("screen", "QR read of a frame") as qr_read:
        codes = qr.read_qr(image)
    seen = [Track(b.text, b.bbox, t, t, "text", b.score, t) for b in boxes]
    seen += [Track(c.payload, c.bbox, t, t, f"qr:{c.kind}", 1.0, t) for c in codes]
    return seen, not (text_read.failed or qr_read.failed)


def _read_bands(
    image: np.ndarray, t: float, bands: tuple[tuple[int, int], ...], before: list[Track]
) -> tuple[list[Track], bool]:
    """What the frame shows when only the rows of ``bands`` changed since the frame
    read before (which showed ``before``): OCR and QR of full-width strips holding the
    bands and every earlier item they touch, and the earlier items outside them. A
    strip is a fraction of the frame, so it costs a fraction of the OCR."""
    strips: list[list[int]] = []
    for lo, hi in bands:
        for _ in range(3):  # an earlier item reaching into the strip widens it
            touch = [tr for tr in before if tr.bbox[1] < hi and tr.bbox[1] + tr.bbox[3] > lo]
            new = (
                min([lo, *(tr.bbox[1] for tr in touch)]),
                max([hi, *(tr.bbox[1] + tr.bbox[3] for tr in touch)]),
            )
            if new == (lo, hi):
                break
            lo, hi = new
        lo, hi = max(0, lo - 8), min(image.shape[0], hi + 8)
        if strips and lo <= strips[-1][1]:
            strips[-1][1] = max(strips[-1][1], hi)
        else:
            strips.append([lo, hi])
    seen: list[Track] = [
        Track(tr.text, tr.bbox, t, t, tr.kind, tr.score, t)
        for tr in before
        if all(tr.bbox[1] + tr.bbox[3] <= lo or tr.bbox[1] >= hi for lo, hi in strips)
    ]
    complete = True
    for lo, hi in strips:
        got, ok = _read_frame(np.ascontiguousarray(image[lo:hi]), t)
        complete &= ok
        seen += [
            replace(tr, bbox=(tr.bbox[0], tr.bbox[1] + lo, tr.bbox[2], tr.bbox[3])) for tr in got
        ]
    return seen, complete


def read_screen(media: Path) -> ScreenReading:
    """Text tracks and QR codes of one recording's frames.

    A failed OCR or QR read of a frame is recorded as a warning in the current
    ``clipguard.faults`` collector and costs only what that frame would have added."""
    t0 = time.perf_counter()
    reading = ScreenReading()
    cache: list[tuple[bytes, list[Track]]] = []  # look hash -> what that frame showed
    open_tracks: list[Track] = []
    last_seen: list[Track] | None = None  # what the last frame read showed, if complete
    last_read = 0.0
    for t, sample in frames.worth_reading(Path(media)):
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
            if sample.bands is not None and last_seen is not None:
                seen, complete = _read_bands(sample.image, t, sample.bands, last_seen)
            else:
                seen, complete = _read_frame(sample.image, t)
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
