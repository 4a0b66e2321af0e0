"""The text a rule engine scans: one string with word timings and sentence bounds.

Speech (a transcript), screen text and chat all become a ``Document``; matchers work
on its normalized views and report character offsets, and only the finding step
turns offsets back into seconds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from clipguard.models import Transcript, Word
from clipguard.text import Normalized, normalize

SENTENCE_MARKS = frozenset("。！？!?；;\n")  # a match never spans one of these (but see follows)
QUESTION_MARKS = frozenset("？?")
# A host's short question and its answer are one thought (Rosacea? Gone. 还在上学？没关系，
# 刷个礼物): a construction may run across the question mark of a question this short,
# counted from the sentence's start; longer questions end their sentence as before.
SHORT_QUESTION = 24


@dataclass(frozen=True)
class Hit:
    """One match, before it becomes a timed finding."""

    rule: int  # index into the scanner's rule list
    start: int  # original character offsets, end exclusive
    end: int
    cstart: int  # compact-view offsets, end exclusive
    cend: int
    matched: str
    kind: str  # literal | latin | pinyin | pinyin_fuzzy | near | token | regex ...


@dataclass
class Document:
    """Text as one string; ``word_starts`` gives each word's first offset, so any
    character is timed by a binary search instead of a per-character table."""

    text: str
    word_starts: list[int]
    words: list[Word]
    segments: list[tuple[int, int]]
    norm: Normalized = field(init=False)
    _starts: list[int] | None = field(default=None, init=False)
    token_cache: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict, init=False)
    # per sentence: the offsets where its tokens start and end (whole-word checks)
    boundary_cache: dict[int, tuple[frozenset[int], frozenset[int]]] = field(
        default_factory=dict, init=False
    )
    _breaks: dict[tuple[bool, bool], np.ndarray] = field(default_factory=dict, init=False)
    _soft: frozenset[int] | None = field(default=None, init=False)

    def soft_marks(self) -> frozenset[int]:
        """Offsets of question marks that close a short question answered in the same
        segment (see ``SHORT_QUESTION``): constructions may run across these."""
        if self._soft is None:
            soft, start = set(), 0
            for i, ch in enumerate(self.text):
                if ch not in SENTENCE_MARKS:
                    continue
                nxt = self.text[i + 1 : i + 2]
                short = len(self.text[start:i].strip()) <= SHORT_QUESTION
                if ch in QUESTION_MARKS and short and nxt and nxt not in SENTENCE_MARKS:
                    soft.add(i)  # the answer follows: the question's start still counts
                else:
                    start = i + 1
            self._soft = frozenset(soft)
        return self._soft

    def view_breaks(self, compact: bool, soft: bool = False) -> np.ndarray:
        """Sorted indices into the compact (or spaced) view at which a new sentence
        starts: the views drop the marks, so a pattern would otherwise run across them.
        With ``soft``, a short question's mark is no break (``soft_marks``)."""
        key = (compact, soft)
        if key not in self._breaks:
            view = self.norm.compact if compact else self.norm.spaced
            skip = self.soft_marks() if soft else frozenset()
            marks = [i for i, ch in enumerate(self.text) if ch in SENTENCE_MARKS and i not in skip]
            self._breaks[key] = np.unique(np.searchsorted(view.origin, marks, side="right"))
        return self._breaks[key]

    def crosses(self, start: int, end: int, soft: bool = False) -> bool:
        """Whether a sentence ends between two original offsets (with ``soft``, a short
        question's mark does not end one)."""
        part = self.text[start:end]
        if SENTENCE_MARKS.isdisjoint(part):
            return False
        skip = self.soft_marks() if soft else frozenset()
        return any(ch in SENTENCE_MARKS and start + k not in skip for k, ch in enumerate(part))

    def __post_init__(self) -> None:
        self.norm = normalize(self.text)

    @property
    def plain(self) -> str:
        """``text`` in Simplified Mandarin characters, offset for offset: cues are read here."""
        return self.norm.plain

    @classmethod
    def from_transcript(cls, transcript: Transcript) -> Document:
        parts: list[str] = []
        word_starts: list[int] = []
        words: list[Word] = []
        segments: list[tuple[int, int]] = []
        pos = 0
        for seg in transcript.segments:
            start = pos
            for w in seg.words or (Word(seg.start, seg.end, seg.text),):
                parts.append(w.word)
                word_starts.append(pos)
                words.append(w)
                pos += len(w.word)
            segments.append((start, pos))
            parts.append("\n")  # belongs to no word; never inside a compact-view match
            pos += 1
        return cls("".join(parts), word_starts, words, segments)

    @classmethod
    def from_text(cls, text: str) -> Document:
        # no audio: "times" are character offsets, so spans stay distinct and ordered
        words = [Word(float(i), float(i + 1), c) for i, c in enumerate(text)]
        return cls(text, list(range(len(text))), words, [(0, len(text))])

    def sentences(self) -> list[tuple[int, int]]:
        """Offsets of each sentence (cut at sentence marks, inside its segment), edge
        spaces left out; what a sentence-level judge reads."""
        out = []
        for s, e in self.segments:
            a = s
            for k in range(s, e + 1):
                if k == e or self.text[k] in SENTENCE_MARKS:
                    b = k + 1 if k < e else k
                    while a < b and self.text[a].isspace():
                        a += 1
                    if b > a and self.text[a:b].strip():
                        out.append((a, b))
                    a = k + 1
        return out

    def word_at(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.word_starts, pos) - 1)

    def segment_of(self, pos: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [s for s, _ in self.segments]
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and self.segments[i][0] <= pos < self.segments[i][1]:
            return self.segments[i]
        return 0, len(self.text)

    def sentence_breaks(self, start: int, end: int) -> int:
        """Sentence ends between two original offsets: a run of marks (。 then the
        segment's newline) is one end, so a transcript's segments count like sentences."""
        breaks, inside = 0, False
        for ch in self.text[start:end]:
            mark = ch in SENTENCE_MARKS
            breaks += mark and not inside
            inside = mark
        return breaks

    def hit(self, rule: int, cs: int, ce: int, matched: str, kind: str) -> Hit:
        """A hit from compact-view offsets (``ce`` exclusive)."""
        origin = self.norm.compact.origin
        return Hit(rule, int(origin[cs]), int(origin[ce - 1]) + 1, cs, ce, matched, kind)

    def compact_from_spaced(self, s: int, e: int) -> tuple[int, int]:
        """Compact-view offsets of a spaced-view span."""
        s2c = self.norm.spaced_to_compact
        return int(s2c[s]), int(s2c[e - 1]) + 1
