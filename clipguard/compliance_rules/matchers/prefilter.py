"""Which characters a regular expression cannot match without: a cheap test that skips a
pattern on a text that holds none of them.

Why: a scan runs every pattern of the packs (about 1,500) over each document. A
transcript is one long document, but chat messages, on-screen text and the rule corpus
are many short ones, and there ``re`` spent most of the scan failing patterns whose
words were nowhere in the text (a Mandarin sentence searched for ``\\bnobody\\b``). A
pattern's required set is computed once, from ``re``'s own parse of it (no hand-written
regex parser): a set S such that every match contains at least one character of S. A
text whose characters are disjoint from S cannot match, so skipping it changes nothing.

Conservative by construction: anything the walk does not understand (classes such as
``\\w``, negated sets, back-references, look-arounds, optional parts) contributes
nothing, and a pattern with no requirement left is always searched. Under ``re.I`` an
ASCII letter stands for both cases and the non-ASCII characters Python's ``re`` folds
onto it (İ ı for i, the Kelvin sign for k, long s for s); any other cased character
makes the walk give up on that item.
"""

from __future__ import annotations

import importlib
import re
from typing import Any


def _module(name: str, before_311: str) -> Any:
    """``re``'s own parser: re._parser since Python 3.11, sre_parse before."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover (Python 3.10)
        return importlib.import_module(before_311)


parser = _module("re._parser", "sre_parse")
c = _module("re._constants", "sre_constants")

Required = frozenset[str] | None
# the characters besides both ASCII cases that re.I lets an ASCII letter match
# (measured over every code point with Python 3.11's re)
_FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
_MAX_SET = 40  # a character class wider than this is no useful requirement


def _char(code: int, ignore_case: bool) -> Required:
    ch = chr(code)
    if not ignore_case or ch.lower() == ch.upper():
        return frozenset(ch)
    if ch.isascii():
        low = ch.lower()
        return frozenset(low + low.upper() + _FOLDS.get(low, ""))
    return None  # a non-ASCII cased letter: its folds are not worth enumerating


def _union(parts: list[Required]) -> Required:
    if any(p is None for p in parts):
        return None
    out: frozenset[str] = frozenset().union(*parts)  # type: ignore[arg-type]
    return out if len(out) <= _MAX_SET else None


def _in(items: list[tuple[Any, Any]], ignore_case: bool) -> Required:
    parts: list[Required] = []
    for op, av in items:
        if op is c.LITERAL:
            parts.append(_char(av, ignore_case))
        elif op is c.RANGE and av[1] - av[0] < _MAX_SET:
            parts.extend(_char(x, ignore_case) for x in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY (\d \w \s), a wide range
            return None
    return _union(parts)


def _seq(items: Any, ignore_case: bool) -> Required:
    """The smallest requirement among the items that every match must pass through."""
    best: Required = None
    for op, av in items:
        got = _item(op, av, ignore_case)
        if got is not None and (best is None or len(got) < len(best)):
            best = got
    return best


def _item(op: Any, av: Any, ignore_case: bool) -> Required:
    if op is c.LITERAL:
        return _char(av, ignore_case)
    if op is c.IN:
        return _in(av, ignore_case)
    if op is c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        ic = (ignore_case or bool(add_flags & re.I)) and not (del_flags & re.I)
        return _seq(sub, ic)
    if op is c.BRANCH:
        return _union([_seq(b, ignore_case) for b in av[1]])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        return _seq(sub, ignore_case) if low >= 1 else None
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _seq(av, ignore_case)
    return None  # ANY, AT, ASSERT(_NOT), NOT_LITERAL, GROUPREF, CATEGORY …


def required(rx: re.Pattern[str]) -> Required:
    """The characters at least one of which every match of ``rx`` contains, or None
    when no such set is known (the pattern is then always searched)."""
    try:
        parsed = parser.parse(rx.pattern, rx.flags)
    except Exception:  # noqa: BLE001 (an internal parser: never let it break a scan)
        return None
    return _seq(parsed, bool(rx.flags & re.I))
