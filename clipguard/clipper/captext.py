"""Caption text an editor accepts: Chinese punctuation, cards broken between words,
balanced lines, and the glossary's spelling.

Layout works on characters with their times: every character of a sentence keeps the
timing of the word it came from, so a card starts when its first word is spoken.
Breaks fall only between jieba words (a private tokenizer, taught the glossary), and
within a card the two lines are balanced.

Characters also keep their word's probability, so a card knows which words the model
was unsure of (``Card.uncertain``) for the editor to check; the .srt holds them between
SSA override blocks (``{\\?P}`` ... ``{\\?}``) that ffmpeg, libass, mpv and VLC hide.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import jieba

from clipguard.errors import UsageError
from clipguard.models import Segment
from clipguard.text import is_han, private_tokenizer, syllable

jieba.setLogLevel(logging.WARNING)

# Han characters per caption line by output aspect: big enough to read on a phone,
# short enough for the frame (9:16 is 1080 px wide: 12 characters of ~76 px)
LINE_CHARS = {"9:16": 12, "4:5": 14, "1:1": 16, "16:9": 22}
LINES_PER_CARD = 2
ASCII_TO_CJK = {",": "，", ".": "。", "!": "！", "?": "？", ":": "：", ";": "；"}
CJK_PUNCT = "，。！？：；、…"
_TRAILING = CJK_PUNCT + ",.!?:; "
# a word below this probability is marked for checking; measured against the truth
# scripts of the fixtures in benchmarks/caption_confidence.py (see the README)
UNCERTAIN_BELOW = 0.7


@dataclass(frozen=True)
class Card:
    """One caption card in clip time; ``text`` holds its lines joined by newlines.
    ``uncertain``: [start, end) offsets into ``text`` of words the model was unsure of
    (in order, never across a line break); ``probability``: the lowest in each."""

    start: float
    end: float
    text: str
    uncertain: tuple[tuple[int, int], ...] = ()
    probability: tuple[float, ...] = ()


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
                # same length only: characters keep their positions (times, marks)
                if term and len(term) == n and "".join(window) != term:
                    chars[i : i + n] = list(term)
        return "".join(chars)


@functools.lru_cache(maxsize=4)
def _tokenizer(terms: tuple[str, ...]) -> jieba.Tokenizer:
    tok = private_tokenizer()
    for t in terms:
        tok.add_word(t)
    return tok


def words_of(text: str, glossary: Glossary) -> list[tuple[int, int]]:
    """jieba word spans (start, end) of a caption sentence."""
    return [(a, b) for _, a, b in _tokenizer(glossary.terms).tokenize(text)]


def _char_times(seg: Segment) -> tuple[str, list[float], list[float]]:
    """The sentence's text and, per character, its word's start time and probability."""
    text, times, probs = "", [], []
    for w in seg.words or ():
        text += w.word
        times += [w.start] * len(w.word)
        probs += [w.probability] * len(w.word)
    if not text:
        text, times, probs = seg.text, [seg.start] * len(seg.text), [1.0] * len(seg.text)
    return text, times, probs


def _ends_clause(token: str) -> bool:
    return bool(token) and token[-1] in CJK_PUNCT


def _balanced(tokens: list[str], max_chars: float) -> int:
    """Where to break one line in two: the word boundary that evens their widths (0:
    no break); a split after a comma is worth three characters of imbalance, and no
    line starts with punctuation."""
    joined = "".join(tokens)
    if width(joined) <= max_chars or len(tokens) < 2:
        return 0
    splits = [k for k in range(1, len(tokens)) if tokens[k][:1] not in CJK_PUNCT] or [1]

    def cost(k: int) -> float:
        a, b = width("".join(tokens[:k])), width("".join(tokens[k:]))
        over = max(0.0, a - max_chars) + max(0.0, b - max_chars)
        return abs(a - b) + 10 * over - (3.0 if _ends_clause(tokens[k - 1]) else 0.0)

    return min(splits, key=cost)


def cards(
    segments: Iterable[Segment],
    *,
    aspect: str,
    offset: float,
    duration: float,
    glossary: Glossary | None = None,
    uncertain_below: float = UNCERTAIN_BELOW,
) -> list[Card]:
    """Caption cards in clip time, each shown from its first word to the next card;
    characters of words below ``uncertain_below`` probability are marked uncertain
    (punctuation and the glossary replace characters one for one, so offsets hold)."""
    glossary = glossary or Glossary()
    max_chars = LINE_CHARS.get(aspect, 12)
    capacity = max_chars * LINES_PER_CARD
    raw: list[Card] = []
    for seg in segments:
        text, times, probs = _char_times(seg)
        text = glossary.correct(chinese_punctuation(text))
        spans = words_of(text, glossary)
        card = functools.partial(
            _card, text, times, probs, uncertain_below, max_chars=max_chars, seg_end=seg.end
        )
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
                raw.append(card(current[:cut]))
                current = current[cut:]
            if not current and not text[a:b].strip(_TRAILING):
                continue  # a card never opens on punctuation
            current.append((a, b))
            if (
                text[a:b].strip()
                and text[a:b].strip()[-1] in "。！？!?"
                and width(text[current[0][0] : b]) > max_chars / 2
            ):
                raw.append(card(current))
                current = []
        if current:
            raw.append(card(current))
    out: list[Card] = []
    raw = [r for r in raw if r.text]
    for i, card in enumerate(raw):
        s, e = card.start, card.end
        nxt = raw[i + 1].start if i + 1 < len(raw) else e
        end = min(max(e, min(nxt, e + 0.6)), nxt) if nxt > s else e
        s, end = max(0.0, s - offset), min(duration, end - offset)
        if end > s:
            out.append(replace(card, start=s, end=end))
    return out


def _card(
    text: str,
    times: list[float],
    probs: list[float],
    below: float,
    spans: Sequence[tuple[int, int]],
    max_chars: float,
    seg_end: float,
) -> Card:
    """A card in sentence time from the jieba words ``spans`` of ``text``: edge
    punctuation dropped, two balanced lines, and each final character traced back to
    its sentence position, which carries its word's probability."""
    tokens = list(spans)
    while tokens and not text[tokens[0][0] : tokens[0][1]].strip(_TRAILING):
        tokens.pop(0)
    while tokens and not text[tokens[-1][0] : tokens[-1][1]].strip(_TRAILING):
        tokens.pop()
    if not tokens:
        return Card(0.0, 0.0, "")
    a, b = tokens[0]
    tokens[0] = (b - len(text[a:b].lstrip(_TRAILING)), b)
    a, b = tokens[-1]  # short-video style: no final punctuation
    tokens[-1] = (a, a + len(text[a:b].rstrip(_TRAILING)))
    tokens = [(a, b) for a, b in tokens if b > a]
    k = _balanced([text[a:b] for a, b in tokens], max_chars)
    lines = [tokens[:k], tokens[k:]] if k else [tokens]
    where: list[int | None] = []  # sentence position of each character of the card
    for line in lines:
        idx = [i for a, b in line for i in range(a, b)]
        flat = "".join(text[i] for i in idx)
        lead = len(flat) - len(flat.lstrip())
        if idx := idx[lead : lead + len(flat.strip())]:
            where += ([None] if where else []) + idx
    body = "".join("\n" if i is None else text[i] for i in where)
    unsure = [i is not None and probs[i] < below for i in where]
    marks = _runs(body, unsure)
    lowest = tuple(min(probs[i] for i in where[a:b] if i is not None) for a, b in marks)
    start = times[min(spans[0][0], len(times) - 1)]
    last = spans[-1][1]
    end = times[last] if last < len(times) else seg_end
    return Card(start, max(start, end), body, tuple(marks), lowest)


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """The span [a, b) of ``text`` without punctuation or spaces at its edges."""
    a += len(text[a:b]) - len(text[a:b].lstrip(_TRAILING))
    return a, a + len(text[a:b].rstrip(_TRAILING))


def _runs(body: str, flags: Sequence[bool]) -> list[tuple[int, int]]:
    """Runs of flagged characters, cut at line breaks and trimmed (a mark around a
    comma tells the editor nothing)."""
    out, a = [], -1
    for i, (ch, flag) in enumerate(zip(body + "\n", [*flags, False])):
        if flag and ch != "\n":
            a = i if a < 0 else a
        elif a >= 0:
            out.append(_trim(body, a, i))
            a = -1
    return [(x, y) for x, y in out if y > x]


SRT_TIME = re.compile(r"(\d+):(\d+):(\d+)[,.](\d+)\s*-->\s*(\d+):(\d+):(\d+)[,.](\d+)")
# SSA override blocks: ffmpeg's SubRip decoder drops ``{\...}`` before libass, VLC
# hides it, libass ignores a tag it does not know; a text editor shows it
_OVERRIDE = re.compile(r"\{\\[^}]*\}")
_MARK = re.compile(r"\{\\\?(\d+(?:\.\d*)?)?\}")  # {\?0.42} opens, {\?} closes


def marked_text(card: Card) -> str:
    r"""The card's text for its .srt: each uncertain span between ``{\?P}`` (P its
    lowest word probability) and ``{\?}``, which an editor sees and players do not."""
    out, at = [], 0
    for (a, b), p in zip(card.uncertain, (*card.probability, *[0.0] * len(card.uncertain))):
        p = math.floor(p * 100 + 1e-6) / 100  # never shown higher: 0.699 is not 0.70
        out += [card.text[at:a], f"{{\\?{p:.2f}}}", card.text[a:b], "{\\?}"]
        at = b
    return "".join(out) + card.text[at:]


def _unmark(line: str) -> tuple[str, list[tuple[int, int, float]]]:
    """A line of an .srt without override blocks (players hide them, so the burned
    caption does too), and the spans our marks hold; a mark left open ends the line."""
    clean, spans, at = "", [], 0
    opened: tuple[int, float] | None = None
    for m in _OVERRIDE.finditer(line):
        clean, at = clean + line[at : m.start()], m.end()
        ours = _MARK.fullmatch(m.group())
        if ours and ours.group(1) and opened is None:
            opened = (len(clean), float(ours.group(1)))
        elif ours and not ours.group(1) and opened is not None:
            spans.append((opened[0], len(clean), opened[1]))
            opened = None
    clean += line[at:]
    if opened is not None:
        spans.append((opened[0], len(clean), opened[1]))
    lead, body = len(clean) - len(clean.lstrip()), clean.strip()
    trimmed = [(*_trim(body, max(0, a - lead), min(len(body), b - lead)), p) for a, b, p in spans]
    return body, [(a, b, p) for a, b, p in trimmed if b > a]


def parse_srt(text: str) -> list[Card]:
    """Cards from an SRT an editor changed (times in clip time): the clean text, with
    the uncertain marks the editor left in place as ``uncertain`` spans."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            m = SRT_TIME.search(line)
            if m:
                g = [int(x) for x in m.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                body, marks, probs = "", [], []
                for clean, spans in (_unmark(x) for x in lines[i + 1 :]):
                    if clean:
                        body += "\n" if body else ""
                        marks += [(len(body) + a, len(body) + b) for a, b, _ in spans]
                        probs += [p for _, _, p in spans]
                        body += clean
                if body and end > start:
                    out.append(Card(start, end, body, tuple(marks), tuple(probs)))
                break
    return out
