"""Term indexes: Aho-Corasick automata (pyahocorasick) over the normalized views.

Scanning cost grows with the text, not with the number of terms: 10,000 rules scan
1 MB of transcript in about half a second. A matcher adds its terms with a payload
and gets back ``(payload, compact start, compact end, kind)`` for every occurrence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import ahocorasick

from clipguard.compliance_rules.document import Document
from clipguard.text import has_han, term_forms, term_pinyin


class Automaton:
    def __init__(self) -> None:
        self.entries: dict[str, list[Any]] = defaultdict(list)
        self.auto = ahocorasick.Automaton()

    def add(self, key: str, payload: Any) -> None:
        if key:
            self.entries[key].append(payload)

    def build(self) -> None:
        for key, payloads in self.entries.items():
            self.auto.add_word(key, (len(key), tuple(payloads)))
        if self.entries:
            self.auto.make_automaton()

    def iter(self, text: str) -> Iterable[tuple[int, int, tuple[Any, ...]]]:
        if not self.entries or not text:
            return
        for end, (length, payloads) in self.auto.iter(text):
            yield end - length + 1, end + 1, payloads


def syllables(compact: str) -> int:
    """Syllables of a compact term; a latin run (v in v信) counts as one."""
    return sum(1 for c in compact if has_han(c)) + len(re.findall(r"[a-z]+", compact))


class TermIndex:
    """Literal (Han on the compact view), latin (word-bounded, spaced view) and sound
    (toneless pinyin for 2 syllables, fuzzy pinyin for 3+) matching of many terms.

    ``pinyin`` per term: ``False`` never by sound, ``None`` from 3 syllables, ``True``
    from 2 (2-syllable homophones are everywhere: 最优/最有, so rules opt in)."""

    def __init__(self) -> None:
        self.han = Automaton()
        self.latin = Automaton()
        self.pinyin = Automaton()
        self.fuzzy = Automaton()

    def add(self, term: str, payload: Any, pinyin: bool | None = None) -> None:
        compact, spaced = term_forms(term)
        if has_han(compact):
            self.han.add(compact, payload)
            n = syllables(compact)
            if pinyin is not False and n >= (2 if pinyin else 3):
                if n == 2:
                    self.pinyin.add(term_pinyin(compact, False), payload)
                else:
                    self.fuzzy.add(term_pinyin(compact, True), payload)
        else:
            self.latin.add(spaced, payload)

    def build(self) -> TermIndex:
        for a in (self.han, self.latin, self.pinyin, self.fuzzy):
            a.build()
        return self

    def __bool__(self) -> bool:
        return any(a.entries for a in (self.han, self.latin, self.pinyin, self.fuzzy))

    def matches(self, doc: Document, sound: bool = True) -> Iterator[tuple[Any, int, int, str]]:
        norm = doc.norm
        for s, e, payloads in self.han.iter(norm.compact.text):
            for p in payloads:
                yield p, s, e, "literal"
        spaced = norm.spaced.text
        for s, e, payloads in self.latin.iter(spaced):
            if (s > 0 and spaced[s - 1].isascii() and spaced[s - 1].isalnum()) or (
                e < len(spaced) and spaced[e].isascii() and spaced[e].isalnum()
            ):
                continue  # inside a longer latin word: "vx" in "voxel"
            cs, ce = doc.compact_from_spaced(s, e)
            for p in payloads:
                yield p, cs, ce, "latin"
        if not sound:
            return
        compact = norm.compact.text
        for auto, fuzzy_sounds, kind in (
            (self.pinyin, False, "pinyin"),
            (self.fuzzy, True, "pinyin_fuzzy"),
        ):
            if not auto.entries:
                continue
            view = norm.pinyin(fuzzy_sounds)
            for s, e, payloads in auto.iter(view.text):
                if not view.aligned(s, e):
                    continue
                cs, ce = view.unit(s), view.unit(e - 1) + 1
                if not has_han(compact[cs:ce]) and not has_han(compact[max(0, cs - 10) : ce + 10]):
                    continue  # typed pinyin (weixin) counts in Chinese speech only, not "made"
                for p in payloads:
                    yield p, cs, ce, kind
