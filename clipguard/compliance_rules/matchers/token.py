"""``token_prefix``: a jieba token that begins with a prefix (最低价, 最好) but is not
the prefix alone or an allowed word (最近, 最后): 最 alone is everyday speech."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.matchers.base import CompileContext, register
from clipguard.compliance_rules.packs import Rule
from clipguard.compliance_rules.terms import TermIndex


class TokenMatcher:
    def __init__(self, index: TermIndex, context: CompileContext) -> None:
        self.index = index
        self.context = context
        context.tokenizer()  # load jieba's dictionary at compile time

    def hits(self, doc: Document) -> Iterator[Hit]:
        origin = doc.norm.compact.origin
        for (rule, prefix), cs, _ce, _kind in self.index.matches(doc, sound=False):
            pos = int(origin[cs])
            for word, a, b in self.context.tokens(doc, pos):
                if a == pos and len(word) > len(prefix) and word.startswith(prefix):
                    ce = int(np.searchsorted(origin, b, side="left"))
                    yield Hit(rule, a, b, cs, ce, word, "token")
                    break


@register("token_prefix")
def compile_token(rules: Sequence[Rule], context: CompileContext) -> TokenMatcher | None:
    index = TermIndex()
    for i, rule in enumerate(rules):
        for prefix in rule.token_prefix:
            index.add(prefix, (i, prefix), False)
    return TokenMatcher(index.build(), context) if index else None
