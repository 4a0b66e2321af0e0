"""``terms``: literal, latin and sound-alike matches of rule terms."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.matchers.base import CompileContext, register
from clipguard.compliance_rules.packs import Rule
from clipguard.compliance_rules.terms import TermIndex


class TermMatcher:
    def __init__(self, index: TermIndex) -> None:
        self.index = index

    def hits(self, doc: Document) -> Iterator[Hit]:
        for (rule, term), cs, ce, kind in self.index.matches(doc):
            yield doc.hit(rule, cs, ce, term, kind)


@register("terms")
def compile_terms(rules: Sequence[Rule], context: CompileContext) -> TermMatcher | None:
    index = TermIndex()
    for i, rule in enumerate(rules):
        for term in rule.terms:
            index.add(term, (i, term), rule.pinyin)
    return TermMatcher(index.build()) if index else None
