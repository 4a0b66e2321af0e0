"""Text normalization shared by the transcriber and the rule matchers.

Matching happens on normalized *views* of the text, each with a map back to the
original character offsets, so a match in any view can be timed from word timings:

- ``spaced``: NFKC (full width to half width), lower case, Simplified Chinese, Chinese
  digits to Arabic, every symbol/punctuation/emoji run collapsed to one space. Latin
  words keep their boundaries; used for English terms and regexes. ``%`` is kept
  because "100%" and "收益12%" are claims in themselves.
- ``compact``: ``spaced`` without the spaces, so inserted noise (加 V 信, v❤信, 微.信)
  disappears; used for Chinese terms.
- ``pinyin``: ``compact`` with every Han character replaced by its toneless pinyin;
  homophone ASR errors (包治百病 / 包致摆病) and deliberate evasions (薇信, weixin) meet
  the rule term there.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import opencc
from pypinyin import Style, lazy_pinyin

# Spoken digits, as people read phone numbers and countdowns (幺 is "one" on the phone).
# 两/十/百 are left alone: they are counts, not digits, in the phrases rules look for.
CN_DIGITS = str.maketrans("零〇一二三四五六七八九幺", "001234567891")


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese; other scripts pass through unchanged."""
    return _t2s().convert(text) if text else text


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@functools.lru_cache(maxsize=65536)
def _norm_char(ch: str) -> str:
    """Normalize one (already Simplified) character to zero or more kept characters."""
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower().translate(CN_DIGITS):
        if c.isalnum() or is_han(c) or c == "%":
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def syllable(ch: str) -> str:
    """Toneless pinyin of one character (its most common reading); non-Han unchanged.

    Per-character lookup instead of phrase-aware conversion: 10x faster on long
    transcripts, at the cost of heteronyms read in their rarer reading (了 as liao).
    """
    if not is_han(ch):
        return ch
    return lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")[0] if ch else ch


_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"))


@functools.lru_cache(maxsize=8192)
def fuzzy(syl: str) -> str:
    """Merge sounds that regional accents and the ASR confuse (zh/z, ch/c, sh/s, -ng/-n)."""
    for a, b in _FUZZY:
        if syl.startswith(a):
            syl = b + syl[len(a) :]
            break
    if syl.endswith("ng") and len(syl) > 2:
        syl = syl[:-1]
    return syl


@dataclass
class View:
    """A normalized string plus, for each of its characters, the original offset."""

    text: str
    origin: list[int]


@dataclass
class PinyinView:
    """Pinyin string; ``unit`` maps each position to its compact-view index and
    ``starts`` marks where a syllable (or a non-Han character) begins."""

    text: str
    unit: list[int]
    starts: bytearray

    def aligned(self, start: int, end: int) -> bool:
        """True when [start, end) covers whole syllables only."""
        return bool(self.starts[start]) and (end == len(self.text) or bool(self.starts[end]))


@dataclass
class Normalized:
    original: str
    spaced: View
    compact: View
    spaced_to_compact: list[int]  # compact index of each spaced character (spaces: next one)
    _pinyin: dict[bool, PinyinView] | None = None

    def pinyin(self, fuzzy_sounds: bool = False) -> PinyinView:
        if self._pinyin is None:
            self._pinyin = {}
        if fuzzy_sounds not in self._pinyin:
            self._pinyin[fuzzy_sounds] = build_pinyin(self.compact.text, fuzzy_sounds)
        return self._pinyin[fuzzy_sounds]


def normalize(text: str) -> Normalized:
    simp = to_simplified(text)
    if len(simp) != len(text):  # phrase conversion changed length: fall back per character
        simp = "".join(to_simplified(c) or c for c in text)
    s_chars: list[str] = []
    s_orig: list[int] = []
    for i, ch in enumerate(simp):
        n = _norm_char(ch)
        if n:
            for c in n:
                s_chars.append(c)
                s_orig.append(i)
        elif s_chars and s_chars[-1] != " ":
            s_chars.append(" ")
            s_orig.append(i)
    spaced = View("".join(s_chars), s_orig)
    keep = [k for k, c in enumerate(s_chars) if c != " "]
    compact = View("".join(s_chars[k] for k in keep), [s_orig[k] for k in keep])
    s2c: list[int] = []
    n = 0
    for c in s_chars:
        s2c.append(n)
        if c != " ":
            n += 1
    return Normalized(text, spaced, compact, s2c)


def build_pinyin(compact: str, fuzzy_sounds: bool) -> PinyinView:
    parts: list[str] = []
    unit: list[int] = []
    starts = bytearray()
    for idx, ch in enumerate(compact):
        syl = syllable(ch)
        if fuzzy_sounds and is_han(ch):
            syl = fuzzy(syl)
        parts.append(syl)
        unit.extend([idx] * len(syl))
        starts.extend(b"\x01" + b"\x00" * (len(syl) - 1))
    return PinyinView("".join(parts), unit, starts)


def term_forms(term: str) -> tuple[str, str]:
    """(compact form, spaced form) of a rule term, normalized like the text."""
    n = normalize(term)
    return n.compact.text, n.spaced.text.strip()


def term_pinyin(compact_term: str, fuzzy_sounds: bool) -> str:
    return build_pinyin(compact_term, fuzzy_sounds).text


def has_han(text: str) -> bool:
    return any(is_han(c) for c in text)
