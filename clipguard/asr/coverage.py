"""Which detected speech has words, and which does not.

Whisper's batched decoder may stop a 30 s chunk after its first sentence and silently
drop the rest. The VAD still saw that speech, so comparing the VAD's speech spans
with what the words cover finds every such hole. The interval arithmetic is written
out here (a few lines over sorted lists) because it needs to stay exact and cheap on
hour-long recordings with tens of thousands of words; no interval library is needed
for unions and differences of sorted spans.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from clipguard.models import Coverage, Gap

Span = tuple[float, float]

# A word's timing from cross-attention alignment is approximate by a few hundred ms,
# and the VAD pads speech by ~100 ms: both are slop, not missing speech.
WORD_TOLERANCE = 0.3
# Uncovered speech shorter than this is timing slop or a breath, not a lost sentence.
MIN_GAP_SECONDS = 1.0

T = TypeVar("T")


def union(spans: Iterable[Span], join: float = 0.0) -> list[Span]:
    """Merge overlapping spans (and spans closer than ``join``) into sorted disjoint ones."""
    out: list[list[float]] = []
    for a, b in sorted(spans):
        if b <= a:
            continue
        if out and a <= out[-1][1] + join:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """``spans`` minus ``holes``; both sorted and disjoint (as ``union`` returns them)."""
    out: list[Span] = []
    j = 0
    for a, b in spans:
        cur = a
        while j < len(holes) and holes[j][1] <= cur:
            j += 1
        k = j
        while k < len(holes) and holes[k][0] < b:
            ha, hb = holes[k]
            if ha > cur:
                out.append((cur, min(ha, b)))
            cur = max(cur, hb)
            if cur >= b:
                break
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


def total(spans: Iterable[Span]) -> float:
    return sum(b - a for a, b in spans)


def word_cover(words: Iterable[Span], tolerance: float = WORD_TOLERANCE) -> list[Span]:
    """What the words account for, widened by the alignment tolerance on each side."""
    return union((a - tolerance, b + tolerance) for a, b in words)


def uncovered(
    speech: Sequence[Span],
    words: Iterable[Span],
    *,
    min_gap: float = MIN_GAP_SECONDS,
    tolerance: float = WORD_TOLERANCE,
) -> list[Span]:
    """Stretches of speech no word covers, at least ``min_gap`` long.

    Pieces separated by less than the tolerance are joined first: a lost sentence
    with one stray word inside it is still one lost sentence.
    """
    holes = subtract(union(speech), word_cover(words, tolerance))
    return [(a, b) for a, b in union(holes, join=tolerance) if b - a >= min_gap]


def account(
    speech: Sequence[Span],
    words: Iterable[Span],
    reasons: dict[Span, str] | None = None,
    *,
    min_gap: float = MIN_GAP_SECONDS,
    tolerance: float = WORD_TOLERANCE,
    retries: int = 0,
    recovered: float = 0.0,
) -> Coverage:
    """The coverage of ``speech`` by ``words``; ``reasons`` names why a gap stayed open.

    Sub-``min_gap`` uncovered pieces count as transcribed: they are the alignment's
    timing slop, and counting them would make every clean transcript look incomplete.
    """
    speech = union(speech)
    gaps = uncovered(speech, words, min_gap=min_gap, tolerance=tolerance)
    speech_s = total(speech)
    missing = total(subtract(speech, subtract(speech, gaps)))  # speech ∩ gaps
    named = reasons or {}
    return Coverage(
        speech_s,
        speech_s - missing,
        tuple(Gap(a, b, _reason_for((a, b), named)) for a, b in gaps),
        retries,
        recovered,
    )


def _reason_for(gap: Span, reasons: dict[Span, str]) -> str:
    """The reason recorded for the retried stretch that overlaps this gap the most."""
    best, best_overlap = "no words decoded", 0.0
    for (a, b), why in reasons.items():
        ov = min(b, gap[1]) - max(a, gap[0])
        if ov > best_overlap:
            best, best_overlap = why, ov
    return best


def fresh_words(
    candidates: Iterable[tuple[float, float, T]],
    hole: Span,
    existing: Sequence[Span],
    tolerance: float = WORD_TOLERANCE,
) -> list[tuple[float, float, T]]:
    """Re-decoded words that belong to ``hole`` and repeat nothing already heard.

    A re-decode runs over a little context on each side of the hole, so it hears the
    neighbouring words again; a word is kept only when its midpoint is inside the hole
    (widened by the tolerance) and not inside a word that was already there.
    """
    lo, hi = hole[0] - tolerance, hole[1] + tolerance
    kept = []
    for start, end, payload in candidates:
        mid = (start + end) / 2
        if not lo <= mid <= hi:
            continue
        if any(a <= mid <= b for a, b in existing):
            continue
        kept.append((start, end, payload))
    return kept


@dataclass(frozen=True)
class SpeechLayout:
    """Speech laid end to end for the batched decoder, and the way back to source time.

    Long pauses are shortened to ``keep`` seconds on each side, so the decoder spends
    its 30 s windows on speech (and cannot invent text in a long silence); short pauses
    stay whole, since Whisper puts sentence punctuation from them. ``pieces`` are
    ``(virtual_start, source_start, length)``; ``chunks`` are virtual ``(start, end)``
    windows of at most the decoder's length, cut only between VAD spans.
    """

    pieces: tuple[tuple[float, float, float], ...]
    chunks: tuple[Span, ...]

    @property
    def length(self) -> float:
        return self.pieces[-1][0] + self.pieces[-1][2] if self.pieces else 0.0

    def to_source(self, t: float) -> float:
        """Map a virtual time to source time (clamped into the nearest piece)."""
        lo, hi = 0, len(self.pieces) - 1
        while lo < hi:  # last piece starting at or before t
            mid = (lo + hi + 1) // 2
            if self.pieces[mid][0] <= t:
                lo = mid
            else:
                hi = mid - 1
        v, s, n = self.pieces[lo]
        return s + min(max(t - v, 0.0), n)

    def sample_pieces(self, rate: int) -> list[tuple[int, int, int]]:
        """``(virtual_start, source_start, length)`` in whole samples.

        Every virtual edge is rounded once, on the running virtual time, so the pieces'
        lengths add up to exactly ``round(length * rate)``, the same integers the chunks
        are cut at (``sample_chunks``). Rounding each piece's length on its own let the
        virtual audio come out shorter than the chunks the decoder was told about
        (1,559 of 2,000 random layouts), and faster-whisper asserts on that.
        """
        out = []
        for v, s, n in self.pieces:
            a, b = round(v * rate), round((v + n) * rate)
            out.append((a, round(s * rate), b - a))
        return out

    def sample_chunks(self, rate: int) -> list[tuple[int, int]]:
        """The chunks on the same sample grid as ``sample_pieces``: they tile
        ``[0, round(length * rate))`` with no gap and no overlap."""
        return [(round(a * rate), round(b * rate)) for a, b in self.chunks]


def layout(
    speech: Sequence[Span],
    duration: float,
    *,
    max_chunk: float = 29.5,
    max_pause: float = 1.0,
    keep: float = 0.3,
) -> SpeechLayout:
    """Tile the speech spans with their surrounding pause and group them into chunks."""
    spans = union(speech)
    if not spans:
        return SpeechLayout((), ())
    ranges: list[list[float]] = []  # each span widened into its share of the pauses
    for i, (a, b) in enumerate(spans):
        prev_end = spans[i - 1][1] if i else None
        nxt_start = spans[i + 1][0] if i + 1 < len(spans) else None
        if prev_end is None:
            lo = max(0.0, a - keep)
        elif a - prev_end <= max_pause:
            lo = (a + prev_end) / 2
        else:
            lo = a - keep
        if nxt_start is None:
            hi = min(duration, b + keep)
        elif nxt_start - b <= max_pause:
            hi = (b + nxt_start) / 2
        else:
            hi = b + keep
        ranges.append([lo, max(lo, hi)])
    pieces: list[list[float]] = []
    chunks: list[list[float]] = []
    v = 0.0
    for lo, hi in ranges:
        n = hi - lo
        if pieces and abs(pieces[-1][1] + pieces[-1][2] - lo) < 1e-6:
            pieces[-1][2] += n
        else:
            pieces.append([v, lo, n])
        if chunks and v + n - chunks[-1][0] <= max_chunk:
            chunks[-1][1] = v + n
        else:  # a span longer than a chunk (the VAD caps them; be safe) is cut evenly
            parts = max(1, math.ceil(n / max_chunk))
            chunks.extend([v + k * n / parts, v + (k + 1) * n / parts] for k in range(parts))
        v += n
    return SpeechLayout(tuple((a, b, c) for a, b, c in pieces), tuple((a, b) for a, b in chunks))
