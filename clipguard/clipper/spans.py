"""From gated highlights to the spans that are rendered, with edges on whole shots.

An edge sits in the pause before the first sentence (or after the last one) and
either exactly on a shot change or at least ``SHOT_GUARD`` seconds away from one, so
no clip opens or closes on a flash of another shot. When the pause allows neither
(a short pause walled in by a gated sentence), a cut at the very onset of the first
word may be the edge, and failing that an edge with no cut *inside* the clip near
it (a cut just outside shows nothing of another shot). Scene cuts found on keyframes
are quantized to the GOP, so the cuts near each edge are found again frame by frame
(``cuts_near``, which decodes only a few seconds around the edge).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from clipguard.models import Highlight, Segment

SHOT_GUARD = 1.0  # seconds an edge keeps from a shot change it is not on ("about a second")
LEAD = 0.25  # default breath before the first word / after the last
ONSET = 0.35  # a cut this close inside the first/last word may become the edge,
ONSET_MAX = 0.6  # or anywhere inside that word up to this: a long first word's timed
# start runs early (Whisper put 家 at 19.98-20.52 s of shop_zh; it was said from 20.13)
MAX_PAUSE_EDGE = 1.5  # an edge never sits deeper than this into a pause

Span = tuple[float, float]
CutsNear = Callable[[float, float], list[float]]


def _clear(t: float, cuts: Sequence[float], on_cut: float | None = None) -> bool:
    return all(abs(t - c) >= SHOT_GUARD or (on_cut is not None and c == on_cut) for c in cuts)


def _nearest(region: Span, preferred: float, ok: Callable[[float], bool]) -> float | None:
    """The time on a 20 ms grid over ``region`` closest to ``preferred`` that is ``ok``."""
    a, b = region
    good = [t for t in np.arange(a, b + 1e-9, 0.02).tolist() if ok(t)] if b >= a else []
    return min(good, key=lambda t: abs(t - preferred)) if good else None


def _relaxed(region: Span, preferred: float, cuts: Sequence[float], *, start: bool) -> float | None:
    """The fallback: no shot change *inside* the clip near this edge (so no flash),
    though one may lie just outside it."""
    return _nearest(
        region,
        preferred,
        lambda t: (
            not any((t < c < t + SHOT_GUARD) if start else (t - SHOT_GUARD < c < t) for c in cuts)
        ),
    )


def snap(region: Span, preferred: float, cuts: Sequence[float], *, start: bool) -> float | None:
    """A time in ``region`` exactly on a cut, or clear of every cut; None if neither.

    For a start, the latest cut in the pause is best (the clip opens on the new shot);
    for an end, the earliest (it closes as the shot ends)."""
    a, b = region
    if b < a:
        return None
    inside = sorted(c for c in cuts if a - 1e-3 <= c <= b + 1e-3)
    if inside:
        c = inside[-1] if start else inside[0]
        if _clear(c, cuts, on_cut=c):
            return c
    return _nearest(region, preferred, lambda t: _clear(t, cuts))


def _sentences(h: Highlight, segments: list[Segment]) -> tuple[int, int] | None:
    idx = [
        i
        for i, s in enumerate(segments)
        if s.start >= (h.clip_start or 0) - 1e-3 and s.end <= (h.clip_end or 0) + 1e-3
    ]
    return (idx[0], idx[-1]) if idx else None


def _edges(
    i: int,
    j: int,
    segments: list[Segment],
    walls: list[Span],
    cuts_near: CutsNear,
    floor: float,
) -> Span | None:
    """Snap both edges, dropping an edge sentence when its pause has no clean spot."""
    for k in range(i, j + 1):
        prev_end = segments[k - 1].end if k > 0 else 0.0
        lo = max(
            [prev_end, segments[k].start - MAX_PAUSE_EDGE]
            + [b for a, b in walls if b <= segments[k].start + 1e-6]
        )
        cuts = cuts_near(lo - SHOT_GUARD, segments[k].start + SHOT_GUARD)
        s = snap((max(0.0, lo), segments[k].start), segments[k].start - LEAD, cuts, start=True)
        if s is None:  # no clean spot in the pause: open on a cut at the word's onset
            s = _onset_cut(cuts, segments[k].start, segments[k].start + _onset(segments[k], 0))
        if s is None:
            s = _relaxed(
                (max(0.0, lo), segments[k].start), segments[k].start - LEAD, cuts, start=True
            )
        if s is None:
            continue
        for m in range(j, k - 1, -1):
            if segments[m].end - s < floor - 1e-6:
                break
            nxt = (
                segments[m + 1].start if m + 1 < len(segments) else segments[m].end + MAX_PAUSE_EDGE
            )
            hi = min(
                [nxt, segments[m].end + MAX_PAUSE_EDGE]
                + [a for a, b in walls if a >= segments[m].end - 1e-6]
            )
            cuts = cuts_near(segments[m].end - SHOT_GUARD, hi + SHOT_GUARD)
            e = snap((segments[m].end, hi), segments[m].end + LEAD, cuts, start=False)
            if e is None:
                e = _onset_cut(cuts, segments[m].end - _onset(segments[m], -1), segments[m].end)
            if e is None:
                e = _relaxed((segments[m].end, hi), segments[m].end + LEAD, cuts, start=False)
            if e is not None:
                return s, e
    return None


def _onset(seg: Segment, which: int) -> float:
    """How far into the first (0) or last (-1) word a cut may still be the edge."""
    if not seg.words:
        return ONSET
    w = seg.words[which]
    return min(ONSET_MAX, max(ONSET, w.end - w.start))


def _onset_cut(cuts: Sequence[float], a: float, b: float) -> float | None:
    """A cut in ``[a, b]`` with no other cut within the guard, else None."""
    inside = [c for c in cuts if a <= c <= b and _clear(c, cuts, on_cut=c)]
    return inside[0] if inside else None


def clip_spans(
    highlights: Sequence[Highlight],
    count: int,
    segments: list[Segment],
    cuts_near: CutsNear,
    *,
    floor: float = 3.0,
    max_seconds: float = 1e9,
    forbidden: list[Span] | None = None,
) -> list[tuple[float, float, Highlight]]:
    """The top ``count`` passing/trimmed highlights as non-overlapping spans whose
    edges lie in pauses, on whole shots, and never inside a ``forbidden`` span."""
    walls = sorted(forbidden or [])
    out: list[tuple[float, float, Highlight]] = []
    for h in highlights:
        if h.gate == "dropped" or h.clip_start is None or h.clip_end is None:
            continue
        if any(h.clip_start < b and h.clip_end > a for a, b, _ in out):
            continue
        sentences = _sentences(h, segments)
        edges = _edges(*sentences, segments, walls, cuts_near, floor) if sentences else None
        if edges is None:  # every edge would show a flash of another shot: skip it
            continue
        s, e = edges
        if e - s > max_seconds:  # the pauses we added must not break --max-seconds
            s, e = max(s, h.clip_start - 0.05), min(e, h.clip_end + 0.05)
        if any(s < b and e > a for a, b, _ in out):
            continue
        out.append((s, e, h))
        if len(out) >= count:
            break
    return out
