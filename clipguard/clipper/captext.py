"""Caption text an editor accepts: Chinese punctuation, cards broken between words,
balanced lines, and the glossary's spelling.

Layout works on characters with their times: every character of a sentence keeps the
timing of the word it came from, so a card starts when its first word is spoken.
Breaks fall only between jieba words (a private tokenizer, taught the glossary), and
within a card the two lines are balanced.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba

from clipguard.errors import UsageError
from clipguard.models import Segment
from clipguard.text import is_han, syllable

jieba.setLogLevel(logging.WARNING)

# Han characters per caption line by output aspect: big enough to read on a phone,
# short enough for the frame (9:16 is 1080 px wide: 12 characters of ~76 px)
LINE_CHARS = {"9:16": 12, "4:5": 14, "1:1": 16, "16:9": 22}
LINES_PER_CARD = 2
ASCII_TO_CJK = {",": "，", ".": "。", "!": "！", "?": "？", ":": "：", ";": "；"}
CJK_PUNCT = "，。！？：；、…"
_TRAILING = CJK_PUNCT + ",.!?:; "


@dataclass(frozen=True)
class Card:
    """One caption card in clip time; ``text`` holds its lines joined by newlines."""

    start: float
    end: float
    text: str


def chinese_punctuation(text: str) -> str:
    """ASCII punctuation next to a Han character becomes its Chinese form (1:1, so
    character positions, and their times, are unchanged)."""
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch in ASCII_TO_CJK:
            prev = chars[i - 1] if i else ""
            nxt = chars[i + 1] if i + 1 < len(chars) else ""
            if is_han(prev) or is_han(nxt) or (not nxt and any(is_han(c) for c in chars)):
                chars[i] = ASCII_TO_CJK[ch]
    return "".join(chars)


def width(text: str) -> float:
    """Display width in Han characters (latin letters and digits are about half)."""
    return sum(0.55 if ch.isascii() else 1.0 for ch in text)


@dataclass(frozen=True)
class Glossary:
    """Product names, the host's name and catchphrases, spelled as the shop spells them.

    Captions only: a caption whose characters sound like a glossary term (same toneless
    pinyin, same length) takes the term's characters (上练结 -> 上链接); findings keep
    what was heard."""

    terms: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path | None) -> Glossary:
        if path is None:
            return cls()
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read glossary ({exc})") from None
        terms = [ln.split("#", 1)[0].strip() for ln in lines]
        return cls(tuple(dict.fromkeys(t for t in terms if t)))

    @functools.cached_property
    def _sounds(self) -> dict[str, str]:
        return {
            "".join(syllable(c) for c in t): t
            for t in self.terms
            if len(t) >= 2 and all(is_han(c) for c in t)
        }

    def correct(self, text: str) -> str:
        if not self._sounds:
            return text
        chars = list(text)
        for n in sorted({len(t) for t in self._sounds.values()}, reverse=True):
            for i in range(len(chars) - n + 1):
                window = chars[i : i + n]
                if not all(is_han(c) for c in window):
                    continue
                term = self._sounds.get("".join(syllable(c) for c in window))
                if term and "".join(window) != term:
                    chars[i : i + n] = list(term)
        return "".join(chars)


@functools.lru_cache(maxsize=4)
def _tokenizer(terms: tuple[str, ...]) -> jieba.Tokenizer:
    tok = jieba.Tokenizer()
    tok.initialize()
    for t in terms:
        tok.add_word(t)
    return tok


def words_of(text: str, glossary: Glossary) -> list[tuple[int, int]]:
    """jieba word spans (start, end) of a caption sentence."""
    return [(a, b) for _, a, b in _tokenizer(glossary.terms).tokenize(text)]


def _char_times(seg: Segment) -> tuple[str, list[float]]:
    """The sentence's text and, per character, the start time of its word."""
    text, times = "", []
    for w in seg.words or ():
        text += w.word
        times += [w.start] * len(w.word)
    if not text:
        text, times = seg.text, [seg.start] * len(seg.text)
    return text, times


def _ends_clause(token: str) -> bool:
    return bool(token) and token[-1] in CJK_PUNCT


def _balanced(tokens: list[str], max_chars: float) -> list[str]:
    """One line, or two lines split at the word boundary that evens their widths; a
    split after a comma is worth three characters of imbalance, and no line starts
    with punctuation."""
    joined = "".join(tokens)
    if width(joined) <= max_chars or len(tokens) < 2:
        return [joined]
    splits = [k for k in range(1, len(tokens)) if tokens[k][:1] not in CJK_PUNCT] or [1]

    def cost(k: int) -> float:
        a, b = width("".join(tokens[:k])), width("".join(tokens[k:]))
        over = max(0.0, a - max_chars) + max(0.0, b - max_chars)
        return abs(a - b) + 10 * over - (3.0 if _ends_clause(tokens[k - 1]) else 0.0)

    best = min(splits, key=cost)
    return ["".join(tokens[:best]), "".join(tokens[best:])]


def cards(
    segments: Iterable[Segment],
    *,
    aspect: str,
    offset: float,
    duration: float,
    glossary: Glossary | None = None,
) -> list[Card]:
    """Caption cards in clip time, each shown from its first word to the next card."""
    glossary = glossary or Glossary()
    max_chars = LINE_CHARS.get(aspect, 12)
    capacity = max_chars * LINES_PER_CARD
    raw: list[tuple[float, float, str]] = []
    for seg in segments:
        text, times = _char_times(seg)
        text = glossary.correct(chinese_punctuation(text))
        spans = words_of(text, glossary)
        current: list[tuple[int, int]] = []
        for a, b in spans:
            trial = text[current[0][0] : b] if current else text[a:b]
            if current and width(trial.strip()) > capacity:
                # close the card after its last clause mark when that keeps a third of it
                cut = len(current)
                for k in range(len(current) - 1, 0, -1):
                    if _ends_clause(text[current[k - 1][0] : current[k - 1][1]]):
                        if width(text[current[0][0] : current[k - 1][1]]) >= capacity / 3:
                            cut = k
                        break
                raw.append(_card(text, times, current[:cut], max_chars, seg.end))
                current = current[cut:]
            if not current and not text[a:b].strip(_TRAILING):
                continue  # a card never opens on punctuation
            current.append((a, b))
            if (
                text[a:b].strip()
                and text[a:b].strip()[-1] in "。！？!?"
                and width(text[current[0][0] : b]) > max_chars / 2
            ):
                raw.append(_card(text, times, current, max_chars, seg.end))
                current = []
        if current:
            raw.append(_card(text, times, current, max_chars, seg.end))
    out: list[Card] = []
    raw = [r for r in raw if r[2]]
    for i, (s, e, text) in enumerate(raw):
        nxt = raw[i + 1][0] if i + 1 < len(raw) else e
        end = min(max(e, min(nxt, e + 0.6)), nxt) if nxt > s else e
        s, end = max(0.0, s - offset), min(duration, end - offset)
        if end > s:
            out.append(Card(s, end, text))
    return out


def _card(
    text: str,
    times: list[float],
    spans: Sequence[tuple[int, int]],
    max_chars: float,
    seg_end: float,
) -> tuple[float, float, str]:
    tokens = [text[a:b] for a, b in spans]
    while tokens and not tokens[0].strip(_TRAILING):
        tokens.pop(0)
    while tokens and not tokens[-1].strip(_TRAILING):
        tokens.pop()
    if not tokens:
        return (0.0, 0.0, "")
    tokens[0] = tokens[0].lstrip(_TRAILING)
    tokens[-1] = tokens[-1].rstrip(_TRAILING)  # short-video style: no final punctuation
    lines = [ln.strip() for ln in _balanced([t for t in tokens if t], max_chars)]
    start = times[min(spans[0][0], len(times) - 1)]
    last = spans[-1][1]
    end = times[last] if last < len(times) else seg_end
    return start, max(start, end), "\n".join(ln for ln in lines if ln)


SRT_TIME = re.compile(r"(\d+):(\d+):(\d+)[,.](\d+)\s*-->\s*(\d+):(\d+):(\d+)[,.](\d+)")


def parse_srt(text: str) -> list[Card]:
    """Cards from an SRT an editor changed (times in clip time)."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            m = SRT_TIME.search(line)
            if m:
                g = [int(x) for x in m.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                body = "\n".join(x.strip() for x in lines[i + 1 :] if x.strip())
                if body and end > start:
                    out.append(Card(start, end, body))
                break
    return out
