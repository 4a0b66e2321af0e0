"""Compile rule packs once, then scan documents into timed findings.

The scanner only orchestrates: each matcher kind lives in ``matchers/`` behind one
interface, exceptions and allow entries suppress hits of the rules they name, and
``dedupe`` leaves one finding per violation.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections import defaultdict

from clipguard.compliance_rules import acoustic
from clipguard.compliance_rules import opinion as opinion_mod
from clipguard.compliance_rules.acoustic import Scorer
from clipguard.compliance_rules.dedupe import dedupe
from clipguard.compliance_rules.document import SENTENCE_MARKS, Document, Hit
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.compliance_rules.matchers import CompileContext, compile_all
from clipguard.compliance_rules.negation import (
    UNEXCUSED,
    compile_cues,
    negated,
    refused,
    rule_cues,
)
from clipguard.compliance_rules.packs import Rule, RulePack
from clipguard.compliance_rules.second_opinion import SecondOpinion
from clipguard.compliance_rules.sound import SoundIndex
from clipguard.compliance_rules.terms import TermIndex
from clipguard.models import Finding, Transcript
from clipguard.text import mandarin

__all__ = ["Document", "Hit", "Scanner", "default_hotwords", "scanner_for"]

CONTEXT_CHARS = 24
_EDGE_PUNCT = ",.!?;:，。！？；：、…\"'“”‘’"


def with_variants(rules: list[Rule], packs: list[RulePack]) -> list[Rule]:
    """Rules with the pack-level variants that name them added to their own."""
    extra: dict[str, list[str]] = defaultdict(list)
    for pack in packs:
        for v in pack.variants:
            for rid in v.rules:
                extra[rid].append(v.text)
    return [
        dataclasses.replace(r, variants=r.variants + tuple(extra[r.id])) if r.id in extra else r
        for r in rules
    ]


class Scanner:
    """Compiled form of one or more rule packs; reuse it for many documents."""

    def __init__(self, packs: list[RulePack]) -> None:
        self.packs = packs
        self.rules: list[Rule] = with_variants([r for p in packs for r in p.rules], packs)
        self.context = CompileContext(self.rules)
        self.matchers = compile_all(self.rules, self.context)
        # exceptions and allow entries, each keyed by the rule indexes it silences
        self._except = TermIndex()
        ids = {r.id: i for i, r in enumerate(self.rules)}
        for i, rule in enumerate(self.rules):
            for exc in rule.exceptions:
                self._except.add(exc, frozenset([i]), False)
        for pack in packs:
            for allow in pack.allow:
                # an allow entry silences only the rules it names (all when it names none)
                scope = (
                    frozenset(ids[r] for r in allow.rules if r in ids)
                    if allow.rules
                    else frozenset(range(len(self.rules)))
                )
                self._except.add(allow.text, scope, False)
        self._except.build()
        self._negations = [compile_cues(rule_cues(r.id, r.negations)) for r in self.rules]
        self._requires = [
            re.compile("|".join(f"(?:{mandarin(p)})" for p in r.requires)) if r.requires else None
            for r in self.rules
        ]
        self._context = acoustic.context_index([kv for p in packs for kv in p.context])
        self.refusals = True  # SENTENCE_REFUSAL; off only to measure what it costs
        if any(r.word_boundary for r in self.rules):
            self.context.tokenizer()

    @property
    def fingerprint(self) -> str:
        """Changes whenever any rule or allow entry changes: the scan stage's cache key."""
        blob = repr(
            [(p.name, p.version, p.rules, p.allow, p.variants, p.context) for p in self.packs]
        ) + (self.model.digest if self.model else "")
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    @property
    def headers(self) -> list[dict[str, str]]:
        return [p.header() for p in self.packs]

    def hits(self, doc: Document) -> list[Hit]:
        excepted: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for scope, cs, ce, _kind in self._except.matches(doc, sound=False):
            for rule in scope:
                excepted[rule].append((cs, ce))
        out = []
        refusals: dict[tuple[int, int], bool] = {}  # per sentence: asked once, many hits
        for matcher in self.matchers:
            # 私聊。我们 is not 私聊我: terms stay inside one sentence, unless the matcher
            # is about a construction over two (在部队待过。这事我清楚)
            spans = getattr(matcher, "sentence_breaks", 0)
            asks = getattr(matcher, "spans_questions", False)
            for hit in matcher.hits(doc):
                if any(s <= hit.cstart and hit.cend <= e for s, e in excepted.get(hit.rule, ())):
                    continue
                if doc.crosses(hit.start, hit.end - 1, soft=asks) and (
                    not spans or doc.sentence_breaks(hit.start, hit.end - 1) > spans
                ):
                    continue  # across a sentence end (a short question's mark may be crossed)
                if self.rules[hit.rule].word_boundary and not self._on_boundaries(doc, hit):
                    continue
                cues = self._negations[hit.rule]
                if cues is not None and negated(doc, hit, cues):
                    continue  # 不治病, 千万不要打赏: the rule's words in a denial
                a, b, e = self._bounds(doc, hit)
                need = self._requires[hit.rule]
                if need is not None and not need.search(doc.plain[a:b]):
                    continue  # 微信支付, 未成年人下单请家长: the word without its construction
                if self.refusals and self.rules[hit.rule].category not in UNEXCUSED:
                    if (a, b) not in refusals:
                        refusals[a, b] = refused(doc.plain, a, b, e)
                    if refusals[a, b]:
                        continue  # 有弹幕问我番号，这个真不能说: a refusal, not a disclosure
                out.append(hit)
        return out

    @staticmethod
    def _bounds(doc: Document, hit: Hit) -> tuple[int, int, int]:
        """The hit's sentence, from the sentence mark before it to the one after it,
        inside its transcript segment, and where that segment ends."""
        s, e = doc.segment_of(hit.start)
        text = doc.text
        a = hit.start
        while a > s and text[a - 1] not in SENTENCE_MARKS:
            a -= 1
        b = hit.end
        while b < e and text[b] not in SENTENCE_MARKS:
            b += 1
        return a, b, e

    def _on_boundaries(self, doc: Document, hit: Hit) -> bool:
        starts, ends = self.context.boundaries(doc, hit.start)
        return hit.start in starts and hit.end in ends

    def scan(self, source: Transcript | Document, *, opinion: bool = False) -> list[Finding]:
        """The rules' findings; with ``opinion``, also the second opinion's (speech and
        scripts: the model learned how hosts talk, not on-screen titles or chat)."""
        doc = source if isinstance(source, Document) else Document.from_transcript(source)
        found = dedupe(
            [self._finding(doc, h.rule, h.start, h.end, h.matched, h.kind) for h in self.hits(doc)]
        )
        return self.with_opinion(doc, found) if opinion else found

    def with_opinion(self, doc: Document, found: list[Finding]) -> list[Finding]:
        """``found`` after the second opinion: doubted where it reads clean, then what
        it adds (one place for the order, used by ``scan`` and the pipeline's stage)."""
        found = self.doubted(doc, found)
        return found + self.second_opinion(doc, found)

    def doubted(self, doc: Document, found: list[Finding]) -> list[Finding]:
        """See ``opinion.doubted``."""
        return opinion_mod.doubted(self, doc, found)

    @functools.cached_property
    def model(self) -> SecondOpinion | None:
        """The second opinion (``second_opinion``), loaded on first use; None when the
        file is missing, so rule packs alone still work."""
        try:
            return SecondOpinion.load()
        except (OSError, ValueError, KeyError):
            return None

    def second_opinion(self, source: Transcript | Document, found: list[Finding]) -> list[Finding]:
        """See ``opinion.added``."""
        doc = source if isinstance(source, Document) else Document.from_transcript(source)
        return opinion_mod.added(self, doc, found)

    def timed(self, doc: Document, start: int, end: int) -> Finding:
        """Offsets ``start:end`` as an untyped finding: times, words and context."""
        first, last = doc.word_at(start), doc.word_at(end - 1)
        words = doc.words[first : last + 1]
        s, e = doc.segment_of(start)
        ctx = doc.text[max(s, start - CONTEXT_CHARS) : min(max(e, end), end + CONTEXT_CHARS)]
        return Finding(
            rule_id="",
            category="",
            severity="",
            start=words[0].start if words else 0.0,
            end=words[-1].end if words else 0.0,
            text="".join(w.word for w in words).strip().strip(_EDGE_PUNCT),
            matched="",
            context=" ".join(ctx.split()),
        )

    def _finding(
        self, doc: Document, index: int, start: int, end: int, matched: str, kind: str
    ) -> Finding:
        """A match at document offsets ``start:end`` as a finding timed from its words."""
        rule = self.rules[index]
        return dataclasses.replace(
            self.timed(doc, start, end),
            rule_id=rule.id,
            category=rule.category,
            severity=rule.severity,
            matched=matched,
            match=kind,
            pack=rule.pack,
            description=rule.description,
        )

    @functools.cached_property
    def sounds(self) -> SoundIndex:
        """Rule terms by sound, for acoustic verification (built on first use)."""
        return SoundIndex(self.rules)

    def verify_by_sound(
        self, source: Transcript | Document, found: list[Finding], score: Scorer
    ) -> list[Finding]:
        """Findings the text missed that the audio confirms (see ``acoustic``): timed,
        described and placed in context like any other finding, with what was heard and
        the context word that let it through (none: the audio cleared ``STRICT``)."""
        doc = source if isinstance(source, Document) else Document.from_transcript(source)
        cands = acoustic.candidates(self.sounds, self.rules, doc, found)
        out = []
        cache: dict[str, list] = {}  # the document's context words, found once
        for c, score_ in acoustic.verify(cands, doc, score) if cands else []:
            rule = self.rules[c.rule]
            word = acoustic.context_word(c, rule.category, doc, self._context, cache)
            if word is None and score_ < acoustic.STRICT:
                continue  # a clean sound-alike: nothing around it speaks of the category
            f = self._finding(doc, c.rule, c.start, c.end, c.term, "acoustic")
            extra = {
                "heard": c.heard,
                "score": round(score_, 3),
                "margin": acoustic.ACCEPT,
                "context": word or "",
            }
            out.append(
                dataclasses.replace(
                    f, severity=acoustic.severity(f.severity, score_), text=c.heard, extra=extra
                )
            )
        return dedupe(out)  # two rules may hear the same stretch (治…颈椎 and 专治颈椎病)


@functools.lru_cache(maxsize=8)
def scanner_for(rules: tuple[str, ...]) -> Scanner:
    """One compiled scanner per rule selection per process: batch workers scan many
    recordings, and compiling (jieba's dictionary included) costs ~0.45 s."""
    from clipguard.compliance_rules.packs import resolve_packs

    return Scanner(resolve_packs(list(rules)))
