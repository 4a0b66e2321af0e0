"""Choose the best moments: sentence-aligned windows scored from the signals, refined
with dense motion, spread over the recording, then passed through the compliance gate.

The gate works at sentence granularity: a sentence that overlaps a gated finding (with
a margin) is removed whole, and the best clean run of sentences that still meets
``min_seconds`` becomes the clip. So a clip can never hold a violating sentence, and
it never starts or ends mid-word.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.clipper.signals import (
    GRID,
    SignalContext,
    compute_signals,
    dense_motion,
    robust_unit,
)
from clipguard.clipper.spans import MAX_PAUSE_EDGE, SHOT_GUARD
from clipguard.faults import in_this_recording, refinement
from clipguard.models import Finding, Highlight, Segment, Transcript, severity_rank
from clipguard.options import DEFAULT_WEIGHTS, HighlightOptions

GATE_MARGIN = 0.5  # seconds around a finding that also count as the violation
ON_MOMENT = 0.6  # a clip overlaps its highlight for at least this share of its length
MIN_FLOOR = 3.0  # seconds: the shortest clip the gate may trim to


@dataclass(frozen=True)
class HighlightsResult:
    """What the highlight stage hands to the clip stage."""

    highlights: tuple[Highlight, ...]
    cuts: tuple[float, ...]  # scene cuts, seconds
    signals: dict[str, np.ndarray]  # one array per signal on the GRID
    # windows decoded densely while ranking, with their frame-exact shot changes:
    # the clip edges near them need no decode of their own (``exact_cuts``)
    dense: tuple[tuple[float, float, tuple[float, ...]], ...] = ()

    def score_curve(self) -> np.ndarray | None:
        """All signals summed: where the peak (the cover frame) of a clip is."""
        if not self.signals:
            return None
        return np.sum(list(self.signals.values()), axis=0)


@dataclass
class Window:
    first: int  # sentence indices, inclusive
    last: int
    start: float
    end: float
    score: float = 0.0
    reasons: dict[str, float] = field(default_factory=dict)


def _sentence_windows(segments: list[Segment], opts: HighlightOptions) -> list[Window]:
    """Every run of whole sentences lasting min..max seconds (shortest such run per start)."""
    out = []
    for i in range(len(segments)):
        for j in range(i, len(segments)):
            dur = segments[j].end - segments[i].start
            if dur > opts.max_seconds:
                break
            if dur >= opts.min_seconds:
                out.append(Window(i, j, segments[i].start, segments[j].end))
                break
    return out


def _score(c: Window, signals: dict[str, np.ndarray], weights: dict[str, float]) -> None:
    a, b = int(c.start / GRID), max(int(c.start / GRID) + 1, int(np.ceil(c.end / GRID)))
    total = sum(weights.values()) or 1.0
    reasons = {}
    for name, arr in signals.items():
        w = weights.get(name, 0.0)
        if w <= 0 or arr.size == 0:
            continue
        seg = arr[a:b]
        # mean plus a share of the peak: a short burst inside a calm window still counts
        value = float(0.7 * seg.mean() + 0.3 * seg.max()) if seg.size else 0.0
        reasons[name] = w * value / total
    c.reasons = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
    c.score = sum(reasons.values())


def _pick(cands: list[Window], n: int) -> list[Window]:
    """Greedy best-first and non-overlapping (overlap alone spreads the picks; a
    minimum gap between them would starve short recordings)."""
    chosen: list[Window] = []
    for c in sorted(cands, key=lambda c: -c.score):
        if all(c.end <= k.start or c.start >= k.end for k in chosen):
            chosen.append(c)
        if len(chosen) >= n:
            break
    return chosen


def _blocked(seg: Segment, findings: list[Finding]) -> Finding | None:
    return _first_in(seg.start, seg.end, findings)


def _first_in(start: float, end: float, findings: list[Finding]) -> Finding | None:
    """The first gated finding (or gap) within ``start..end`` widened by the margin."""
    for f in findings:
        if f.start - GATE_MARGIN < end and f.end + GATE_MARGIN > start:
            return f
    return None


def gated_findings(transcript: Transcript, findings: list[Finding], gate: str) -> list[Finding]:
    """What the gate keeps out of clips: findings at or above ``gate``, those the
    second opinion doubted down from it (a doubt lightens a reviewer's queue; a promo
    clip still takes no chance), and every coverage gap (as a block-level
    pseudo-finding)."""
    rank = severity_rank(gate)
    kept = [
        f
        for f in findings
        if severity_rank(f.severity) >= rank
        or severity_rank(f.extra.get("doubted", {}).get("was", "info")) >= rank
    ]
    return kept + gap_findings(transcript)


def gap_findings(transcript: Transcript) -> list[Finding]:
    """Untranscribed speech as block-level pseudo-findings for the gate.

    Nobody knows what was said there, so a promo clip must not contain it: the gate
    treats it exactly like a violation (and says so when it trims or drops)."""
    if transcript.coverage is None:
        return []
    return [
        Finding(
            rule_id="coverage.gap",
            category="untranscribed",
            severity="block",
            start=g.start,
            end=g.end,
            text="untranscribed speech",
            matched="",
            context=g.reason,
            match="coverage",
        )
        for g in transcript.coverage.gaps
    ]


def min_clip_seconds(opts: HighlightOptions) -> float:
    """The floor under ``--min-seconds`` when the gate trims a highlight: a shorter clip
    on the moment beats a longer one padded with unrelated content. Half the preferred
    length, at least 3 s (a promo needs one whole sentence), never above it."""
    return min(opts.min_seconds, max(MIN_FLOOR, opts.min_seconds / 2))


def _peak(c: Window, signals: dict[str, np.ndarray], weights: dict[str, float]) -> float:
    """The highlight's most exciting moment: the bin where the weighted signals peak."""
    a, b = int(c.start / GRID), max(int(c.start / GRID) + 1, int(np.ceil(c.end / GRID)))
    curve = sum(
        (weights.get(k, 0.0) * v[a:b] for k, v in signals.items() if v.size and weights.get(k)),
        np.zeros(b - a),
    )
    return (a + int(np.argmax(curve))) * GRID + GRID / 2 if np.size(curve) else c.start


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _gate(
    c: Window,
    segments: list[Segment],
    gated: list[Finding],
    opts: HighlightOptions,
    signals: dict[str, np.ndarray],
    weights: dict[str, float],
) -> Highlight:
    """Pass the window, trim it to the clean run of sentences around its peak, or drop it.

    The clip stays on the moment: it holds the peak, it overlaps the highlight for at
    least ``ON_MOMENT`` of its own length, and when the clean part is short it may
    shrink to ``min_clip_seconds`` but is never padded with unrelated content."""
    bad = {i: _blocked(segments[i], gated) for i in range(c.first, c.last + 1)}
    between = _first_in(c.start, c.end, gated)  # e.g. a gap or an overlay between sentences
    base = {"score": c.score, "reasons": c.reasons}
    if not any(bad.values()) and between is None:
        return Highlight(
            c.start, c.end, c.score, c.reasons, gate="pass", clip_start=c.start, clip_end=c.end
        )
    first_bad = next((f for f in bad.values() if f), between)
    assert first_bad is not None
    why = f"{first_bad.severity} finding {first_bad.rule_id} “{first_bad.text}” at {first_bad.start:.1f}s"
    peak = _peak(c, signals, weights)
    # the sentence that holds the peak (or the nearest one) anchors the clip
    anchor = min(
        range(c.first, c.last + 1),
        key=lambda i: (
            0.0
            if segments[i].start <= peak <= segments[i].end
            else min(abs(segments[i].start - peak), abs(segments[i].end - peak))
        ),
    )
    if bad[anchor] or _first_in(segments[anchor].start, segments[anchor].end, gated):
        return Highlight(
            c.start,
            c.end,
            **base,
            gate="dropped",
            dropped=f"{why}: it is the highlight's peak at {peak:.1f}s",
        )
    lo = hi = anchor

    def fits(i: int, j: int) -> bool:
        start, end = segments[i].start, segments[j].end
        return (
            end - start <= opts.max_seconds
            and _first_in(start, end, gated) is None
            and _overlap(start, end, c.start, c.end) >= ON_MOMENT * (end - start)
        )

    # grow sentence by sentence, the side nearer the peak first, up to --min-seconds
    while segments[hi].end - segments[lo].start < opts.min_seconds:
        left = lo > 0 and fits(lo - 1, hi)
        right = hi + 1 < len(segments) and fits(lo, hi + 1)
        if not (left or right):
            break
        if left and (not right or peak - segments[lo - 1].start <= segments[hi + 1].end - peak):
            lo -= 1
        else:
            hi += 1
    length = segments[hi].end - segments[lo].start
    if length < min_clip_seconds(opts) - 1e-6:
        return Highlight(
            c.start,
            c.end,
            **base,
            gate="dropped",
            dropped=f"{why}; the clean run around the peak lasts {length:.1f}s "
            f"(< {min_clip_seconds(opts):g}s)",
        )
    note = f"trimmed to exclude {why}"
    if length < opts.min_seconds:
        note += (
            f"; {length:.1f}s, shorter than --min-seconds {opts.min_seconds:g} rather than padded"
        )
    return Highlight(
        c.start,
        c.end,
        **base,
        gate="trimmed",
        clip_start=segments[lo].start,
        clip_end=segments[hi].end,
        note=note,
    )


def _weights(ctx: SignalContext, opts: HighlightOptions) -> dict[str, float]:
    weights = {k: opts.weight(k, v) for k, v in DEFAULT_WEIGHTS.items()}
    if not ctx.chat:
        weights["chat"] = 0.0
    return weights


# the dense decode of a candidate reaches this far past its ends, so the frame-exact
# shot changes its clip's edges are snapped to (``clipguard.clipper.spans``: up to
# MAX_PAUSE_EDGE into a pause, SHOT_GUARD beyond) are known without decoding again,
# with the detector's context (LAG frames) on both sides
DENSE_MARGIN = MAX_PAUSE_EDGE + SHOT_GUARD + 0.5


def _dense_windows(media: Path, picked: list[Window]) -> list[Any]:
    """Each candidate's window and its dense motion (None where decoding failed: a
    warning), two windows at a time: decoding and the per-frame colour work release
    the GIL for most of their time (9 candidates of the hour: 8.1 -> 6.8 s)."""

    def one(c: Window) -> Any:
        a, b = max(0.0, c.start - DENSE_MARGIN), c.end + DENSE_MARGIN
        with refinement("highlights", "dense motion of a candidate") as r:
            found = dense_motion(media, a, b)
        return None if r.failed else ((a, b), found)

    jobs = [in_this_recording(one) for _ in picked]  # a failed window is its warning
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda job, c: job(c), jobs, picked))


def rank_highlights(
    ctx: SignalContext, opts: HighlightOptions, signals: dict[str, np.ndarray] | None = None
) -> tuple[list[Window], dict[str, np.ndarray]]:
    """Every candidate scored, the top few refined with dense motion (all that needs
    no findings; ``find_highlights`` then gates). The dense windows and their shot
    changes are kept in ``ctx.dense`` for the clip edges."""
    weights = _weights(ctx, opts)
    signals = signals if signals is not None else compute_signals(ctx)
    segments = [s for s in ctx.transcript.segments if s.words]
    cands = _sentence_windows(segments, opts)
    if not cands:
        return [], signals
    for c in cands:
        _score(c, signals, weights)
    if opts.refine and ctx.keyframes is not None and ctx.keyframes.times.size:
        # decode densely only where it can change the ranking: the top few candidates
        motion = signals["motion"].copy()
        picked = _pick(cands, opts.count * 3)
        for c, dense in zip(picked, _dense_windows(ctx.media, picked)):
            if dense is None:
                continue  # the keyframe motion stands for this candidate
            (a, b), (times, values, cuts) = dense
            for t, v in zip(times.tolist(), values.tolist()):
                if c.start <= t < c.end:  # the margin is for the edges, not the score
                    i = min(motion.size - 1, int(t / GRID))
                    motion[i] = max(motion[i], v)
            ctx.keyframes.cuts = sorted(set(ctx.keyframes.cuts) | set(cuts))
            ctx.dense.append((a, b, tuple(cuts)))
        signals = dict(signals, motion=robust_unit(motion))
        for c in cands:
            _score(c, signals, weights)
    return cands, signals


def find_highlights(
    ctx: SignalContext,
    findings: list[Finding],
    opts: HighlightOptions,
    signals: dict[str, np.ndarray] | None = None,
) -> tuple[list[Highlight], dict[str, np.ndarray]]:
    """Ranked highlights (best first), each with its gate outcome and clip span."""
    cands, signals = rank_highlights(ctx, opts, signals)
    if not cands:
        return [], signals
    weights = _weights(ctx, opts)
    segments = [s for s in ctx.transcript.segments if s.words]
    gated = gated_findings(ctx.transcript, findings, opts.gate)
    ranked = _pick(cands, max(opts.count * 3, opts.count))
    highlights = [_gate(c, segments, gated, opts, signals, weights) for c in ranked]
    return highlights, signals
