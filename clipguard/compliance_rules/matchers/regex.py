"""``patterns``: regular expressions, on the compact view when they contain Han
characters (so spaces between characters cannot break them), else on the spaced view.

The compact view writes Chinese digits as numerals (一年 -> 1年, 统一 -> 统1), so a Han
pattern is put through the same digit table before compiling: its author writes
一个月 or 一定 as said, and it matches what the view holds."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.matchers.base import CompileContext, register
from clipguard.compliance_rules.matchers.prefilter import Required, required
from clipguard.compliance_rules.packs import Rule
from clipguard.text import CN_DIGITS, has_han, mandarin


class RegexMatcher:
    # a construction may run across a short question's mark (Document.soft_marks)
    spans_questions = True

    def __init__(self, patterns: list[tuple[int, re.Pattern[str], bool]]) -> None:
        self.patterns = patterns
        # what each pattern cannot match without (``prefilter``): a short document
        # (a chat message, a corpus sentence) skips most patterns on a set test
        self.required: list[Required] = [required(rx) for _rule, rx, _on in patterns]

    def hits(self, doc: Document) -> Iterator[Hit]:
        norm = doc.norm
        chars = {True: frozenset(norm.compact.text), False: frozenset(norm.spaced.text)}
        for (rule, rx, on_compact), need in zip(self.patterns, self.required):
            if need is not None and need.isdisjoint(chars[on_compact]):
                continue
            view = norm.compact if on_compact else norm.spaced
            for m in _in_sentences(rx, view.text, doc.view_breaks(on_compact, soft=True)):
                if m.end() <= m.start():
                    continue
                if on_compact:
                    cs, ce = m.start(), m.end()
                else:
                    cs, ce = doc.compact_from_spaced(m.start(), m.end())
                if ce > cs:
                    yield doc.hit(rule, cs, ce, m.group(0).strip(), "regex")


def _in_sentences(rx: re.Pattern[str], text: str, breaks: np.ndarray) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)``, except that a match running across a sentence start is
    searched again inside its first sentence. A hit never spans sentences (the scanner
    drops it), and without this a wide pattern (ringing in your ears .{0,60} clears)
    reaching into the next sentence used up the text a valid match there needed (Ringing
    in your ears? This stack clears it right up). Only crossing matches cost a second
    search, so a long transcript costs what it did."""
    pos = 0
    while pos <= len(text):
        m = rx.search(text, pos)
        if m is None:
            return
        s, e = m.span()
        k = int(np.searchsorted(breaks, s, side="right"))
        if k < len(breaks) and breaks[k] < e:
            yield from rx.finditer(text, s, int(breaks[k]))
            pos = int(breaks[k])
            continue
        yield m
        pos = e if e > s else s + 1


@register("patterns")
def compile_regex(rules: Sequence[Rule], context: CompileContext) -> RegexMatcher | None:
    patterns = [
        (
            i,
            re.compile(mandarin(pat).translate(CN_DIGITS) if has_han(pat) else pat, re.I),
            has_han(pat),
        )
        for i, rule in enumerate(rules)
        for pat in rule.patterns
    ]
    return RegexMatcher(patterns) if patterns else None
