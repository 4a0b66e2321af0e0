"""What the second opinion does to a scan of speech or a script: it adds ``review``
findings for sentences it reads as a violation that no finding of that category covers
(``added``), and it casts doubt on rule findings in sentences it reads as clean
(``doubted``). Kept apart from the scanner so the scanner stays the rules' matcher.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

from clipguard.compliance_rules.document import Document
from clipguard.compliance_rules.negation import UNEXCUSED, refused
from clipguard.models import Finding

if TYPE_CHECKING:  # the scanner imports this module
    from clipguard.compliance_rules.scanner import Scanner

# findings a doubt never touches: sound-verified terms were misheard in the text (the
# text reads clean by construction), the model's own, and coverage pseudo-findings
UNDOUBTED_MATCHES = frozenset({"acoustic", "learned", "coverage"})


def _overlaps(f: Finding, sentence: Finding) -> bool:
    """Whether a finding overlaps a sentence's timed span (text documents time
    characters, so a one-character finding still has width)."""
    return sentence.start < max(f.end, f.start + 1e-9) and f.start < sentence.end


def doubted(scanner: Scanner, doc: Document, found: list[Finding]) -> list[Finding]:
    """The rules' ``review``/``block`` findings in sentences the second opinion reads as
    clean (p >= the model's ``doubt``, alone and with the sentences either side) become ``info``,
    with the model's word beside the rule's: still listed for the reviewer and still
    kept out of clips (``extra["doubted"]``), no longer counted as a violation. Insults
    are never doubted (``UNEXCUSED``): the word is the violation whatever the sentence."""
    model = scanner.model
    flagging = [
        f
        for f in found
        if f.severity in ("review", "block")
        and f.category not in UNEXCUSED
        and f.match not in UNDOUBTED_MATCHES
    ]
    if model is None or not flagging:
        return found
    spans = doc.sentences()
    timed = [scanner.timed(doc, a, b) for a, b in spans]
    inside = {id(f): [i for i, t in enumerate(timed) if _overlaps(f, t)] for f in flagging}
    holding = sorted({i for ii in inside.values() for i in ii})
    # the sentence alone and with its neighbours must both read clean: ASR cuts
    # 年化收益百分之十五，本金有保障 into two, and 本金有保障 alone reads clean
    texts = [doc.text[slice(*spans[i])] for i in holding]
    near = [
        doc.text[spans[max(0, i - 1)][0] : spans[min(len(spans) - 1, i + 1)][1]] for i in holding
    ]
    unique = list(dict.fromkeys(texts + near))  # one embedding per distinct text
    by_text = dict(zip(unique, model.clean_odds(unique)))
    doubts = {
        i: min(a, b)
        for i, t, n in zip(holding, texts, near)
        if (a := by_text[t]) is not None
        and (b := by_text[n]) is not None
        and min(a, b) >= model.doubt
    }
    if not doubts:
        return found
    out = []
    for f in found:
        ii = inside.get(id(f))  # a finding across sentences needs every one doubted
        if not ii or any(i not in doubts for i in ii):
            out.append(f)
            continue
        p = min(doubts[i] for i in ii)
        out.append(
            dataclasses.replace(
                f,
                severity="info",
                description=(
                    f"{f.description}; second opinion: the sentence reads as clean "
                    f"(p={p:.2f}), kept as info (was {f.severity})"
                ),
                extra={**f.extra, "doubted": {"was": f.severity, "clean": round(p, 3)}},
            )
        )
    return out


def added(scanner: Scanner, doc: Document, found: list[Finding]) -> list[Finding]:
    """Sentences the model reads as a violation of one of the packs' categories that no
    finding of that category covers yet: ``review`` findings that carry the model's
    probability and the n-grams that weighed most."""
    model = scanner.model
    if model is None:
        return []
    allowed = frozenset(r.category for r in scanner.rules)
    spans = doc.sentences()

    @functools.cache
    def timed(i: int) -> Finding:
        return scanner.timed(doc, *spans[i])

    def covered(i: int, category: str) -> bool:
        f = timed(i)
        return any(g.category == category and g.start <= f.end and g.end >= f.start for g in found)

    opinions = model.judge_many([doc.text[a:b] for a, b in spans], allowed, covered)
    out = []
    for i, ((a, b), opinion) in enumerate(zip(spans, opinions)):
        if opinion is None:
            continue
        if (
            scanner.refusals
            and opinion.category not in UNEXCUSED
            and refused(doc.plain, a, b, doc.segment_of(a)[1])
        ):
            continue  # a refusal or a warning speaks about the rule, as for the rules
        if covered(i, opinion.category):
            continue  # a rule already found it: the model adds nothing
        out.append(
            dataclasses.replace(
                timed(i),
                rule_id=f"learned.{opinion.category}",
                category=opinion.category,
                severity="review",
                matched="、".join(opinion.evidence),
                match="learned",
                pack="second_opinion",
                description=(
                    f"second opinion: a model of character n-grams and sentence meaning "
                    f"trained on the rule corpus reads this sentence as {opinion.category} "
                    f"(p={opinion.probability:.2f}); please confirm"
                ),
                extra={
                    "probability": round(opinion.probability, 3),
                    "evidence": list(opinion.evidence),
                },
            )
        )
    return out
