"""``terms``: literal, latin and sound-alike matches of rule terms."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.matchers.base import CompileContext, register
from clipguard.compliance_rules.packs import Rule
from clipguard.compliance_rules.terms import TermIndex


class TermMatcher:
    def __init__(self, index: TermIndex, kind: str | None = None) -> None:
        self.index = index
        self.kind = kind  # reported instead of the index's own kind

    def hits(self, doc: Document) -> Iterator[Hit]:
        for (rule, term), cs, ce, kind in self.index.matches(doc, sound=self.kind is None):
            yield doc.hit(rule, cs, ce, term, self.kind or kind)


@register("terms")
def compile_terms(rules: Sequence[Rule], context: CompileContext) -> TermMatcher | None:
    index = TermIndex()
    for i, rule in enumerate(rules):
        for term in rule.terms:
            index.add(term, (i, term), rule.pinyin)
    return TermMatcher(index.build()) if index else None


@register("variants")
def compile_variants(rules: Sequence[Rule], context: CompileContext) -> TermMatcher | None:
    """Confirmed mishearings, literally: the reviewer heard the rule's words in them."""
    index = TermIndex()
    for i, rule in enumerate(rules):
        for text in rule.variants:
            index.add(text, (i, text), False)
    return TermMatcher(index.build(), "variant") if index else None
