"""``follows``: a construction said over one sentence or two — a claim, then what it
leads to (在部队待过。这事我清楚 / 当兵那几年…说给你们听).

``near`` keeps both parts inside one sentence, which is right for 加…微信 but misses a
speaker who first says he served and then, in the next breath, offers to tell. Here
``b`` must come after ``a``, at most ``within`` characters later and with at most one
sentence end between them; the scanner lets these hits span that one end.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator, Sequence

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.matchers.base import CompileContext, register
from clipguard.compliance_rules.packs import Rule
from clipguard.compliance_rules.terms import TermIndex

Occurrence = tuple[int, int, str]  # compact start, end, term


class FollowsMatcher:
    sentence_breaks = 1  # the scanner's limit for hits of this matcher

    def __init__(self, rules: Sequence[Rule], index: TermIndex) -> None:
        self.rules = rules
        self.index = index

    def hits(self, doc: Document) -> Iterator[Hit]:
        sides: dict[tuple[int, int, str], list[Occurrence]] = defaultdict(list)
        for (rule, k, side, term), cs, ce, _kind in self.index.matches(doc, sound=False):
            sides[(rule, k, side)].append((cs, ce, term))
        origin = doc.norm.compact.origin
        for (rule, k, side), alist in sides.items():
            if side != "a" or not sides.get((rule, k, "b")):
                continue
            spec = self.rules[rule].follows[k]
            blist = sorted(sides[(rule, k, "b")])
            b_starts = [b[0] for b in blist]
            done: set[int] = set()
            for as_, ae, aterm in sorted(alist):
                lo = bisect.bisect_left(b_starts, ae)
                for bs, be, bterm in blist[lo : bisect.bisect_right(b_starts, ae + spec.within)]:
                    if bs in done:
                        continue
                    if doc.sentence_breaks(int(origin[ae - 1]) + 1, int(origin[bs])) > 1:
                        break  # later b's are further still
                    done.add(bs)
                    yield doc.hit(rule, as_, be, f"{aterm}…{bterm}", "follows")
                    break


@register("follows")
def compile_follows(rules: Sequence[Rule], context: CompileContext) -> FollowsMatcher | None:
    index = TermIndex()
    for i, rule in enumerate(rules):
        for k, spec in enumerate(rule.follows):
            for term in spec.a:
                index.add(term, (i, k, "a", term), False)
            for term in spec.b:
                index.add(term, (i, k, "b", term), False)
    return FollowsMatcher(rules, index.build()) if index else None
