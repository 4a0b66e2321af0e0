"""Candidates by sound: transcript windows that sound nearly like a rule term.

Whisper's errors are near-homophones (专治 -> 专制, 降血压 -> 酱薛鸦, 你妈的 -> 你妈半):
a final or an initial changes, or the sound is kept with a character no rule lists.
Syllables are compared part by part with a weighted distance in which confusable
initials (zh/z, ch/c, sh/s, n/l, f/h, r/l) and finals (an/ang, en/eng, in/ing, ian/iang,
e/i after zh ch sh r z c s) cost little. Candidates are cheap and many; none is a
finding until the acoustic model prefers the rule's words (``clipguard.asr.verify``).

Lookup avoids comparing every window with every term: a term is indexed under its
finals-class key, its initials-class key and, from 3 syllables, each key with one
syllable masked; a window is compared only with the terms it shares a key with.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pypinyin import Style, pinyin

from clipguard.compliance_rules.document import Document
from clipguard.compliance_rules.packs import Rule
from clipguard.text import is_han

MAX_DISTANCE = 0.35  # mean syllable cost of a candidate (0 = same sound)
NEAR_INITIALS = [
    {"zh", "z"},
    {"ch", "c"},
    {"sh", "s"},
    {"n", "l"},
    {"f", "h"},
    {"r", "l"},
    {"", "y", "w"},
]
NEAR_FINALS = [
    {"an", "ang"},
    {"en", "eng"},
    {"in", "ing"},
    {"ian", "iang"},
    {"uan", "uang"},
    {"ao", "ang"},
    {"ong", "eng"},
]
APICAL = {"zh", "ch", "sh", "r", "z", "c", "s"}  # after these, i and e are confused
Parts = tuple[str, str]


@functools.lru_cache(maxsize=65536)
def parts(ch: str) -> Parts:
    """(initial, final) of a character's most common reading, toneless."""
    ini = pinyin(ch, style=Style.INITIALS, strict=False)[0][0]
    fin = pinyin(ch, style=Style.FINALS, strict=False)[0][0]
    return ini, fin


def _class(value: str, groups: list[set[str]]) -> str:
    for g in groups:
        if value in g:
            return min(g)
    return value


def _ini_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.3 if any(a in g and b in g for g in NEAR_INITIALS) else 1.0


def _fin_cost(a: str, b: str, ini: str) -> float:
    if a == b:
        return 0.0
    if any(a in g and b in g for g in NEAR_FINALS):
        return 0.3
    if ini in APICAL and {a, b} <= {"i", "e"}:
        return 0.3
    return 1.0


def distance(heard: Sequence[Parts], term: Sequence[Parts]) -> float:
    """Mean syllable cost; tones are ignored (they cost little and ASR loses them)."""
    costs = [(_ini_cost(h[0], t[0]) + _fin_cost(h[1], t[1], t[0])) / 2 for h, t in zip(heard, term)]
    return sum(costs) / len(costs)


def _keys(ps: Sequence[Parts]) -> list[tuple]:
    n = len(ps)
    keys: list[tuple] = [
        ("F", n, tuple(_class(p[1], NEAR_FINALS) for p in ps)),
        ("I", n, tuple(_class(p[0], NEAR_INITIALS) for p in ps)),
    ]
    if n >= 3:
        keys += [("M", n, k, tuple(p for i, p in enumerate(ps) if i != k)) for k in range(n)]
    return keys


@dataclass(frozen=True)
class Candidate:
    """A window that may be a misheard rule term; verified before it is a finding."""

    rule: int
    term: str  # the rule's words, substituted for the heard ones
    start: int  # document offsets of the heard window (end exclusive)
    end: int
    heard: str
    distance: float
    sentence: tuple[int, int]  # document offsets of the sentence around it


class SoundIndex:
    """Rule terms (2-6 Han characters) and near-pair phrases (降 + 血压), by sound."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.buckets: dict[tuple, list[tuple[int, str, tuple[Parts, ...]]]] = defaultdict(list)
        seen: set[tuple[int, str]] = set()
        for i, rule in enumerate(rules):
            phrases = list(rule.terms) + [a + b for n in rule.near for a in n.a for b in n.b]
            for term in phrases:
                if not (2 <= len(term) <= 6 and all(is_han(c) for c in term)) or (i, term) in seen:
                    continue
                seen.add((i, term))
                ps = tuple(parts(c) for c in term)
                for key in _keys(ps):
                    self.buckets[key].append((i, term, ps))
        self.lengths = sorted({k[1] for k in self.buckets})

    def candidates(self, doc: Document) -> Iterator[Candidate]:
        text = doc.text
        for s, e in doc.segments:
            chars = [(k, text[k]) for k in range(s, e) if is_han(text[k])]
            ps = [parts(c) for _, c in chars]
            for n in self.lengths:
                for j in range(len(chars) - n + 1):
                    window = ps[j : j + n]
                    a, b = chars[j][0], chars[j + n - 1][0] + 1
                    if b - a > n + 2:  # punctuation or latin inside: not one spoken phrase
                        continue
                    heard = "".join(c for _, c in chars[j : j + n])
                    done: set[tuple[int, str]] = set()
                    for key in _keys(window):
                        for rule, term, tps in self.buckets.get(key, ()):
                            if (rule, term) in done or term == heard:
                                continue
                            done.add((rule, term))
                            d = distance(window, tps)
                            same = sum(h == t for h, t in zip(heard, term))
                            # half the characters kept, or the very same sound (酱薛鸦)
                            if d <= MAX_DISTANCE and (same * 2 >= n - 1 or d <= 0.1):
                                yield Candidate(rule, term, a, b, heard, d, (s, e))
