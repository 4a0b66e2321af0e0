"""Compile rule packs once, then scan transcripts into timed findings.

All literal work (terms, near-pairs, exceptions, pinyin forms) goes through a few
Aho-Corasick automata (pyahocorasick), so scanning cost grows with the text, not
with the number of rules; only regex patterns are run one by one.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import ahocorasick
import jieba
import numpy as np

from clipguard.compliance_rules.normalize import (
    Normalized,
    has_han,
    normalize,
    term_forms,
    term_pinyin,
)
from clipguard.compliance_rules.packs import Rule, RulePack
from clipguard.models import Finding, Transcript, Word, severity_rank

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)

CONTEXT_CHARS = 24
_EDGE_PUNCT = ",.!?;:，。！？；：、…\"'“”‘’"
KIND_RANK = {
    "literal": 0,
    "latin": 0,
    "regex": 1,
    "near": 1,
    "token": 2,
    "pinyin": 3,
    "pinyin_fuzzy": 4,
}


@dataclass(frozen=True)
class Entry:
    rule: int
    term: str
    role: str  # term | near-a | near-b | prefix | except
    near: int = -1


@dataclass(frozen=True)
class Hit:
    rule: int
    start: int  # original character offsets, end exclusive
    end: int
    cstart: int  # compact-view offsets, end exclusive
    cend: int
    matched: str
    kind: str


@dataclass
class Document:
    """Transcript text as one string; ``word_starts`` gives each word's first offset,
    so any character is timed by a binary search instead of a per-character table."""

    text: str
    word_starts: list[int]
    words: list[Word]
    segments: list[tuple[int, int]]
    norm: Normalized = field(init=False)
    _starts: list[int] | None = field(default=None, init=False)
    token_cache: dict[int, list[tuple[str, int, int]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.norm = normalize(self.text)

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

    def word_at(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.word_starts, pos) - 1)

    def segment_of(self, pos: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [s for s, _ in self.segments]
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and self.segments[i][0] <= pos < self.segments[i][1]:
            return self.segments[i]
        return 0, len(self.text)


class _Automaton:
    def __init__(self) -> None:
        self.entries: dict[str, list[Entry]] = defaultdict(list)
        self.auto = ahocorasick.Automaton()

    def add(self, key: str, entry: Entry) -> None:
        if key:
            self.entries[key].append(entry)

    def build(self) -> None:
        for key, entries in self.entries.items():
            self.auto.add_word(key, (len(key), tuple(entries)))
        if self.entries:
            self.auto.make_automaton()

    def iter(self, text: str) -> Iterable[tuple[int, int, tuple[Entry, ...]]]:
        if not self.entries or not text:
            return
        for end, (length, entries) in self.auto.iter(text):
            yield end - length + 1, end + 1, entries


class Scanner:
    """Compiled form of one or more rule packs; reuse it for many transcripts."""

    def __init__(self, packs: list[RulePack]) -> None:
        self.packs = packs
        self.rules: list[Rule] = [r for p in packs for r in p.rules]
        self._han = _Automaton()  # compact view
        self._latin = _Automaton()  # spaced view, latin-word boundaries checked
        self._pinyin = _Automaton()  # exact toneless pinyin, 2-syllable terms
        self._fuzzy = _Automaton()  # fuzzy pinyin, 3+ syllable terms
        self._patterns: list[tuple[int, str, object, bool]] = []
        self._allow: list[tuple[str, frozenset[str]]] = []
        self._tokenizer: jieba.Tokenizer | None = None
        for i, rule in enumerate(self.rules):
            for term in rule.terms:
                self._add_term(i, term, "term", -1, rule.pinyin)
            for k, near in enumerate(rule.near):
                for term in near.a:
                    # the "verb" side (加, 联系, 治疗) is short and common: matching it by
                    # sound pairs 价格 with 微信, so only the object side uses pinyin
                    self._add_term(i, term, "near-a", k, False)
                for term in near.b:
                    self._add_term(i, term, "near-b", k, rule.pinyin)
            for prefix in rule.token_prefix:
                self._add_term(i, prefix, "prefix", -1, False)
            for exc in rule.exceptions:
                self._add_term(i, exc, "except", -1, False)
            for pat in rule.patterns:
                self._patterns.append((i, pat, re.compile(pat, re.IGNORECASE), has_han(pat)))
        for pack in packs:
            for allow in pack.allow:
                self._add_term(-1, allow.text, "except", -1, False)
                self._allow.append((term_forms(allow.text)[0], frozenset(allow.rules)))
        for a in (self._han, self._latin, self._pinyin, self._fuzzy):
            a.build()
        if any(r.token_prefix or r.word_boundary for r in self.rules):
            self._tokens_init()  # jieba loads its dictionary (~0.4 s): at compile, not per scan

    @property
    def fingerprint(self) -> str:
        """Changes whenever any rule or allow entry changes: the scan stage's cache key."""
        import hashlib

        blob = repr([(p.name, p.version, p.rules, p.allow) for p in self.packs])
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    @property
    def headers(self) -> list[dict[str, str]]:
        return [p.header() for p in self.packs]

    def _add_term(self, rule: int, term: str, role: str, near: int, pinyin: bool | None) -> None:
        compact, spaced = term_forms(term)
        entry = Entry(rule, term, role, near)
        if has_han(compact):
            self._han.add(compact, entry)
            # v信 has two sounds (v + xin): a latin run counts as one unit
            syllables = sum(1 for c in compact if has_han(c)) + len(re.findall(r"[a-z]+", compact))
            if pinyin is not False and syllables >= (2 if pinyin else 3):
                if syllables == 2:
                    self._pinyin.add(term_pinyin(compact, False), entry)
                else:
                    self._fuzzy.add(term_pinyin(compact, True), entry)
        else:
            self._latin.add(spaced, entry)

    # -- matching ---------------------------------------------------------------

    def _raw(self, doc: Document) -> list[tuple[Entry, int, int, str]]:
        """Every automaton match as (entry, compact start, compact end, kind)."""
        norm = doc.norm
        out: list[tuple[Entry, int, int, str]] = []
        for s, e, entries in self._han.iter(norm.compact.text):
            out.extend((en, s, e, "literal") for en in entries)
        spaced = norm.spaced.text
        for s, e, entries in self._latin.iter(spaced):
            if (s > 0 and spaced[s - 1].isascii() and spaced[s - 1].isalnum()) or (
                e < len(spaced) and spaced[e].isascii() and spaced[e].isalnum()
            ):
                continue  # inside a longer latin word: "vx" in "voxel"
            cs, ce = int(norm.spaced_to_compact[s]), int(norm.spaced_to_compact[e - 1]) + 1
            out.extend((en, cs, ce, "latin") for en in entries)
        for auto, fuzzy_sounds, kind in (
            (self._pinyin, False, "pinyin"),
            (self._fuzzy, True, "pinyin_fuzzy"),
        ):
            if not auto.entries:
                continue
            view = norm.pinyin(fuzzy_sounds)
            compact = norm.compact.text
            for s, e, entries in auto.iter(view.text):
                if not view.aligned(s, e):
                    continue
                cs, ce = view.unit(s), view.unit(e - 1) + 1
                if not has_han(compact[cs:ce]) and not has_han(compact[max(0, cs - 10) : ce + 10]):
                    continue  # typed pinyin (weixin) counts in Chinese speech only, not "made"
                out.extend((en, cs, ce, kind) for en in entries)
        return out

    def _hit(self, doc: Document, rule: int, cs: int, ce: int, matched: str, kind: str) -> Hit:
        origin = doc.norm.compact.origin
        return Hit(rule, int(origin[cs]), int(origin[ce - 1]) + 1, cs, ce, matched, kind)

    def hits(self, doc: Document) -> list[Hit]:
        norm = doc.norm
        hits: list[Hit] = []
        excepted: dict[int, list[tuple[int, int]]] = defaultdict(list)
        near_a: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
        near_b: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
        for en, cs, ce, kind in self._raw(doc):
            if en.role == "term":
                hits.append(self._hit(doc, en.rule, cs, ce, en.term, kind))
            elif en.role == "near-a":
                near_a[(en.rule, en.near)].append((cs, ce, en.term))
            elif en.role == "near-b":
                near_b[(en.rule, en.near)].append((cs, ce, en.term))
            elif en.role == "except" and kind in ("literal", "latin"):
                excepted[en.rule].append((cs, ce))
            elif en.role == "prefix" and kind in ("literal", "latin"):
                hit = self._token_hit(doc, en, cs)
                if hit:
                    hits.append(hit)
        for (rule, k), alist in near_a.items():
            spec = self.rules[rule].near[k]
            blist = sorted(near_b.get((rule, k), []))
            if not blist:
                continue
            alist.sort(key=lambda a: a[1])
            a_ends = [a[1] for a in alist]
            for bs, be, bterm in blist:  # a ... b: a ends at most `within` before b starts
                lo = bisect.bisect_left(a_ends, bs - spec.within)
                for as_, _ae, aterm in alist[lo : bisect.bisect_right(a_ends, bs)]:
                    hits.append(self._hit(doc, rule, as_, be, f"{aterm}…{bterm}", "near"))
            if not spec.ordered:  # b ... a
                b_ends = sorted((b[1], b[0], b[2]) for b in blist)
                ends = [b[0] for b in b_ends]
                for as_, ae, aterm in alist:
                    lo = bisect.bisect_left(ends, as_ - spec.within)
                    for _be, bs, bterm in b_ends[lo : bisect.bisect_right(ends, as_)]:
                        hits.append(self._hit(doc, rule, bs, ae, f"{bterm}…{aterm}", "near"))
        for rule, _pat, rx, on_compact in self._patterns:
            view = norm.compact if on_compact else norm.spaced
            for m in rx.finditer(view.text):
                if m.end() <= m.start():
                    continue
                if on_compact:
                    cs, ce = m.start(), m.end()
                else:
                    cs = int(norm.spaced_to_compact[m.start()])
                    ce = int(norm.spaced_to_compact[m.end() - 1]) + 1
                if ce > cs:
                    hits.append(self._hit(doc, rule, cs, ce, m.group(0).strip(), "regex"))
        hits = [h for h in hits if not self._suppressed(h, excepted)]
        return [
            h for h in hits if not self.rules[h.rule].word_boundary or self._on_boundaries(doc, h)
        ]

    def _suppressed(self, hit: Hit, excepted: dict[int, list[tuple[int, int]]]) -> bool:
        rule = self.rules[hit.rule]
        spans = list(excepted.get(hit.rule, []))
        for s, e in excepted.get(-1, []):
            # an allow entry covers this rule when it names no rules or names this one
            if any(not ids or rule.id in ids for _, ids in self._allow):
                spans.append((s, e))
        return any(s <= hit.cstart and hit.cend <= e for s, e in spans)

    def _tokens_init(self) -> jieba.Tokenizer:
        """A private jieba tokenizer per scanner (no global dictionary state), taught the
        rule terms so that a term is one token where it occurs."""
        if self._tokenizer is None:
            tok = jieba.Tokenizer()
            tok.initialize()
            for rule in self.rules:
                if rule.token_prefix or rule.word_boundary:
                    for t in (*rule.terms, *rule.exceptions):
                        if has_han(t) and len(t) <= 6:
                            tok.add_word(t)
            self._tokenizer = tok
        return self._tokenizer

    def _tokens(self, doc: Document, pos: int) -> list[tuple[str, int, int]]:
        s, e = doc.segment_of(pos)
        cache = doc.token_cache
        if s not in cache:
            cache[s] = [
                (w, s + a, s + b) for w, a, b in self._tokens_init().tokenize(doc.text[s:e])
            ]
        return cache[s]

    def _on_boundaries(self, doc: Document, hit: Hit) -> bool:
        tokens = self._tokens(doc, hit.start)
        starts = {a for _, a, _ in tokens}
        ends = {b for _, _, b in tokens}
        return hit.start in starts and hit.end in ends

    def _token_hit(self, doc: Document, en: Entry, cs: int) -> Hit | None:
        """A jieba token that begins with the prefix (最低价, 最好) but is not the prefix
        alone or an allowed word (最近, 最后): 最 alone is everyday speech."""
        origin = doc.norm.compact.origin
        pos = int(origin[cs])
        for word, a, b in self._tokens(doc, pos):
            if a == pos and len(word) > len(en.term) and word.startswith(en.term):
                ce = int(np.searchsorted(origin, b, side="left"))
                return Hit(en.rule, a, b, cs, ce, word, "token")
        return None

    # -- findings ---------------------------------------------------------------

    def scan(self, source: Transcript | Document) -> list[Finding]:
        doc = source if isinstance(source, Document) else Document.from_transcript(source)
        findings = [self._finding(doc, h) for h in self.hits(doc)]
        return _dedupe(findings)

    def _finding(self, doc: Document, hit: Hit) -> Finding:
        rule = self.rules[hit.rule]
        first, last = doc.word_at(hit.start), doc.word_at(hit.end - 1)
        words = doc.words[first : last + 1]
        s, e = doc.segment_of(hit.start)
        ctx = doc.text[
            max(s, hit.start - CONTEXT_CHARS) : min(max(e, hit.end), hit.end + CONTEXT_CHARS)
        ]
        return Finding(
            rule_id=rule.id,
            category=rule.category,
            severity=rule.severity,
            start=words[0].start if words else 0.0,
            end=words[-1].end if words else 0.0,
            text="".join(w.word for w in words).strip().strip(_EDGE_PUNCT),
            matched=hit.matched,
            context=" ".join(ctx.split()),
            match=hit.kind,
            pack=rule.pack,
            description=rule.description,
        )

    def hotwords(self, limit: int = 100) -> str:
        return hotwords_for(self.rules, limit)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per violation: within a category, drop a finding whose time span is
    covered by another of at least the same severity (加我微信 near-match vs 微信 mention),
    and overlapping matches of one rule, keeping the most direct match kind.

    Candidates are visited best first; kept spans live in a per-category list sorted by
    start, so each check looks only at neighbours (linear-ish, not quadratic)."""
    order = sorted(
        findings,
        key=lambda f: (
            -severity_rank(f.severity),
            KIND_RANK.get(f.match, 9),
            -(f.end - f.start),
            f.start,
        ),
    )
    starts: dict[str, list[float]] = defaultdict(list)
    spans: dict[str, list[Finding]] = defaultdict(list)
    longest: dict[str, float] = defaultdict(float)
    kept: list[Finding] = []
    for f in order:
        cat_starts, cat_spans = starts[f.category], spans[f.category]
        lo = bisect.bisect_left(cat_starts, f.start - longest[f.category] - 1e-6)
        hi = bisect.bisect_right(cat_starts, f.end + 1e-6)
        rank = severity_rank(f.severity)
        if any(
            severity_rank(k.severity) >= rank
            and (
                (k.start <= f.start + 1e-6 and f.end <= k.end + 1e-6)
                or (k.rule_id == f.rule_id and min(k.end, f.end) > max(k.start, f.start))
            )
            for k in cat_spans[lo:hi]
        ):
            continue
        pos = bisect.bisect_left(cat_starts, f.start)
        cat_starts.insert(pos, f.start)
        cat_spans.insert(pos, f)
        longest[f.category] = max(longest[f.category], f.end - f.start)
        kept.append(f)
    return sorted(kept, key=lambda f: (f.start, f.end, f.rule_id))


def hotwords_for(rules: list[Rule], limit: int = 100) -> str:
    """One Chinese term per blocking rule, to bias the recognizer toward rule
    vocabulary. Kept short: a long prompt costs decoding time and accuracy (measured on
    the fixtures: CER 6.8% -> 5.2% with this list). Never profanity."""
    picked: list[str] = []
    for rule in rules:
        if rule.severity != "block" or rule.category == "vulgarity":
            continue
        term = next((t for t in rule.terms if has_han(t) and 2 <= len(t) <= 6), None)
        if term and term not in picked and len(" ".join([*picked, term])) <= limit:
            picked.append(term)
    return " ".join(picked)


def default_hotwords() -> str | None:
    """Rule vocabulary of every built-in pack (whatever ``--rules`` selects), so that
    ``transcribe`` and later ``scan``/``run`` share one cached transcript."""
    from clipguard.compliance_rules.packs import resolve_packs

    return hotwords_for([r for p in resolve_packs(None) for r in p.rules]) or None


@functools.lru_cache(maxsize=8)
def scanner_for(rules: tuple[str, ...]) -> Scanner:
    """One compiled scanner per rule selection per process: batch workers scan many
    recordings, and compiling (jieba's dictionary included) costs ~0.45 s."""
    from clipguard.compliance_rules.packs import resolve_packs

    return Scanner(resolve_packs(list(rules)))
