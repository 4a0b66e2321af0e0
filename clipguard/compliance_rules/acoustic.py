"""Findings the text missed but the audio confirms: candidates by sound
(``sound.py``), verified by the acoustic model (``clipguard.asr.verify``).

Thresholds are log-probability differences per changed character, calibrated on
dev_zh (sentence-long unpadded encodes): true substitutions scored +3.3 (降血压),
+0.3 (你妈的), -3.8 (专治颈椎病) and -4.0 (保证回本); clean sound-alikes -7.5 and -8.8
(根治 for 跟着), -14.8 (私电话 for 的电话) and -15.9 (驻地 for 位置), but also -3.1
(出港 for a clean 出稿). At or above ``ACCEPT`` the rule's own severity applies;
between ``REVIEW`` and ``ACCEPT`` a person decides (``review``, which the default clip
gate also keeps out of promos); below, the candidate is dropped.

Sound alone is not enough: on unseen recordings a clean, correctly transcribed
跟这个版本相比 was verified as 根治 although nothing in it or around it spoke of health.
So a verified candidate becomes a finding only when its sentence or a neighbouring one
carries its category's context words (the packs' ``context``: 病/药/吃 for medical
rules, 钱/投资 for financial ones), or when the audio prefers the rule's words by at
least ``STRICT`` — a margin none of the clean sound-alikes measured came near.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from clipguard.compliance_rules.document import Document
from clipguard.compliance_rules.sound import MAX_DISTANCE, Candidate, SoundIndex
from clipguard.compliance_rules.terms import TermIndex
from clipguard.models import Finding

ACCEPT = -2.0
REVIEW = -6.0
# without context words the audio must clearly prefer the rule's words: the true
# substitutions of dev_zh scored up to +3.3, the clean sound-alikes -3.1 at best
STRICT = 0.0
# a 2-syllable term is matched only when its sound is nearly the same; longer terms
# keep enough context to allow a little more
MAX_BY_LENGTH = {2: 0.15, 3: 0.25}
PER_SENTENCE = 4  # at most this many candidates of one sentence are verified
PER_WINDOW = 2  # and this many rule terms for one heard window
# Whisper is rarely sure of the words it gets wrong: on dev_zh the misheard windows'
# least probable word scored 0.60-0.64, while most clean sound-alikes that the audio
# rejected had every word >= 0.93. Windows the model was sure of are not re-scored,
# which keeps the encoder passes (the whole cost) to the doubtful ones.
CONFIDENT = 0.9

Scorer = Callable[[list], list[list[float]]]  # probes -> deltas (see asr.verify)


def candidates(
    index: SoundIndex, rules: Sequence, doc: Document, found: Sequence[Finding]
) -> list[Candidate]:
    """Blocking-rule candidates that no finding of the same category already covers."""
    covered: dict[str, list[tuple[float, float]]] = {}
    for f in found:
        covered.setdefault(f.category, []).append((f.start, f.end))
    per_window: dict[tuple[int, int], list[Candidate]] = {}
    for c in index.candidates(doc):
        rule = rules[c.rule]
        if rule.severity != "block" or c.distance > MAX_BY_LENGTH.get(len(c.term), MAX_DISTANCE):
            continue
        words = doc.words[doc.word_at(c.start) : doc.word_at(c.end - 1) + 1]
        if min(w.probability for w in words) >= CONFIDENT:
            continue
        t0, t1 = words[0].start, words[-1].end
        if any(a < t1 and t0 < b for a, b in covered.get(rule.category, ())):
            continue
        per_window.setdefault((c.start, c.end), []).append(c)
    by_sentence: dict[tuple[int, int], list[Candidate]] = {}
    for cs in per_window.values():  # the two closest terms of each window
        for c in sorted(cs, key=lambda c: c.distance)[:PER_WINDOW]:
            by_sentence.setdefault(c.sentence, []).append(c)
    return [
        c
        for cs in by_sentence.values()
        for c in sorted(cs, key=lambda c: c.distance)[:PER_SENTENCE]
    ]


def _diff(heard: str, term: str) -> int:
    if len(heard) != len(term):
        return max(len(heard), len(term))
    return max(1, sum(a != b for a, b in zip(heard, term)))


def verify(cands: list[Candidate], doc: Document, score: Scorer) -> list[tuple[Candidate, float]]:
    """The candidates the audio supports, with their score (log-probability gain per
    changed character, >= ``REVIEW``); one per rule and stretch of audio."""
    from clipguard.asr.verify import Probe

    sentences: dict[tuple[int, int], list[Candidate]] = {}
    for c in cands:
        sentences.setdefault(c.sentence, []).append(c)
    probes, order = [], []
    for (s, e), cs in sentences.items():
        words = doc.words[doc.word_at(s) : doc.word_at(e - 1) + 1]
        texts = [(doc.text[s : c.start] + c.term + doc.text[c.end : e]).strip() for c in cs]
        variants = tuple(dict.fromkeys(texts))  # 专制紧垂(病) -> 专治颈椎(病): one text
        probes.append(
            Probe(words[0].start - 0.2, words[-1].end + 0.2, doc.text[s:e].strip(), variants)
        )
        order += [(len(probes) - 1, variants.index(t), c) for t, c in zip(texts, cs)]
    scored = score(probes)
    supported = [(c, scored[p][k] / _diff(c.heard, c.term)) for p, k, c in order]
    return _strongest([(c, x) for c, x in supported if x >= REVIEW], doc)


def severity(rule_severity: str, score: float) -> str:
    """The rule's own severity when the audio clearly prefers its words, else review."""
    return rule_severity if score >= ACCEPT else "review"


def _strongest(
    found: list[tuple[Candidate, float]], doc: Document
) -> list[tuple[Candidate, float]]:
    """One per rule and stretch of audio: 专制紧垂病 and 专制紧垂 both verify as 专治颈椎…,
    and a reviewer needs to hear it once (best score, then longest)."""

    def span(c: Candidate) -> tuple[float, float]:
        return doc.words[doc.word_at(c.start)].start, doc.words[doc.word_at(c.end - 1)].end

    kept: list[tuple[Candidate, float]] = []
    for c, x in sorted(found, key=lambda cx: (-cx[1], cx[0].start - cx[0].end)):
        a, b = span(c)
        if not any(k.rule == c.rule and span(k)[0] < b and a < span(k)[1] for k, _ in kept):
            kept.append((c, x))
    return sorted(kept, key=lambda cx: cx[0].start)


def context_index(context: Sequence[tuple[str, Sequence[str]]]) -> TermIndex:
    """(category, words) pairs, merged across packs, as one literal index."""
    index = TermIndex()
    for category, words in context:
        for w in words:
            index.add(w, (category, w), False)
    return index.build()


def context_word(
    c: Candidate, category: str, doc: Document, index: TermIndex, cache: dict[str, list]
) -> str | None:
    """A context word of ``category`` in the candidate's sentence or a neighbouring
    one, outside the heard window itself (its own sound cannot vouch for it)."""
    if "occ" not in cache:  # (original start, end, category, word), once per document
        origin = doc.norm.compact.origin
        cache["occ"] = sorted(
            (int(origin[cs]), int(origin[ce - 1]) + 1, cat, w)
            for (cat, w), cs, ce, _k in index.matches(doc, sound=False)
        )
        cache["seg"] = [s for s, _ in doc.segments]
    starts = cache["seg"]
    i = bisect.bisect_right(starts, c.sentence[0]) - 1
    lo = doc.segments[max(0, i - 1)][0] if i >= 0 else 0
    hi = doc.segments[min(len(doc.segments) - 1, i + 1)][1] if i >= 0 else len(doc.text)
    for s, e, cat, w in cache["occ"]:
        if s >= hi:
            break
        if cat == category and s >= lo and (e <= c.start or s >= c.end):
            return w
    return None
