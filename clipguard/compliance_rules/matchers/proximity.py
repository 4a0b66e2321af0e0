"""``near``: two term lists whose occurrences within N characters form one match
(加 … 微信, 治 … 高血压)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Sequence

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.matchers.base import CompileContext, register
from clipguard.compliance_rules.packs import Rule
from clipguard.compliance_rules.terms import TermIndex

Occurrence = tuple[int, int, str]  # compact start, end, term


class ProximityMatcher:
    def __init__(self, rules: Sequence[Rule], index: TermIndex) -> None:
        self.rules = rules
        self.index = index

    def hits(self, doc: Document) -> Iterator[Hit]:
        sides: dict[tuple[int, int, str], list[Occurrence]] = defaultdict(list)
        for (rule, k, side, term), cs, ce, _kind in self.index.matches(doc):
            sides[(rule, k, side)].append((cs, ce, term))
        for (rule, k, side), alist in sides.items():
            if side != "a":
                continue
            spec = self.rules[rule].near[k]
            blist = sorted(sides.get((rule, k, "b"), []))
            if not blist:
                continue
            alist.sort(key=lambda a: a[1])
            a_ends = [a[1] for a in alist]
            for bs, be, bterm in blist:  # a ... b: a ends at most `within` before b starts
                lo = bisect.bisect_left(a_ends, bs - spec.within)
                for as_, _ae, aterm in alist[lo : bisect.bisect_right(a_ends, bs)]:
                    yield doc.hit(rule, as_, be, f"{aterm}…{bterm}", "near")
            if not spec.ordered:  # b ... a
                b_ends = sorted((b[1], b[0], b[2]) for b in blist)
                ends = [b[0] for b in b_ends]
                for as_, ae, aterm in alist:
                    lo = bisect.bisect_left(ends, as_ - spec.within)
                    for _be, bs, bterm in b_ends[lo : bisect.bisect_right(ends, as_)]:
                        yield doc.hit(rule, bs, ae, f"{bterm}…{aterm}", "near")


@register("near")
def compile_near(rules: Sequence[Rule], context: CompileContext) -> ProximityMatcher | None:
    index = TermIndex()
    for i, rule in enumerate(rules):
        for k, near in enumerate(rule.near):
            for term in near.a:
                # the "verb" side (加, 联系, 治疗) is short and common: matching it by
                # sound pairs 价格 with 微信, so only the object side uses pinyin
                index.add(term, (i, k, "a", term), False)
            for term in near.b:
                index.add(term, (i, k, "b", term), rule.pinyin)
    return ProximityMatcher(rules, index.build()) if index else None
