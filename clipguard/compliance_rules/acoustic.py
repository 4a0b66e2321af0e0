"""Findings the text missed but the audio confirms: candidates by sound
(``sound.py``), verified by the acoustic model (``clipguard.asr.verify``).

Thresholds are log-probability differences per changed character, calibrated on
dev_zh (sentence-long unpadded encodes): true substitutions scored +3.3 (降血压),
+0.3 (你妈的), -3.8 (专治颈椎病) and -4.0 (保证回本); clean sound-alikes -7.5 and -8.8
(根治 for 跟着), -14.8 (私电话 for 的电话) and -15.9 (驻地 for 位置), but also -3.1
(出港 for a clean 出稿). At or above ``ACCEPT`` the rule's own severity applies;
between ``REVIEW`` and ``ACCEPT`` a person decides (``review``, which the default clip
gate also keeps out of promos); below, the candidate is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clipguard.compliance_rules.document import Document
from clipguard.compliance_rules.sound import Candidate, SoundIndex
from clipguard.models import Finding

ACCEPT = -2.0
REVIEW = -6.0
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
        if rule.severity != "block" or c.distance > MAX_BY_LENGTH.get(len(c.term), 0.35):
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


def verify(cands: list[Candidate], rules: Sequence, doc: Document, score: Scorer) -> list[Finding]:
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
    deltas = [[scored[p][k]] for p, k, _ in order]
    cands = [c for _, _, c in order]
    out = []
    for c, d in zip(cands, deltas):
        per_char = d[0] / _diff(c.heard, c.term)
        if per_char < REVIEW:
            continue
        rule = rules[c.rule]
        words = doc.words[doc.word_at(c.start) : doc.word_at(c.end - 1) + 1]
        out.append(
            Finding(
                rule_id=rule.id,
                category=rule.category,
                severity=rule.severity if per_char >= ACCEPT else "review",
                start=words[0].start,
                end=words[-1].end,
                text=c.heard,
                matched=c.term,
                context=doc.text[c.sentence[0] : c.sentence[1]].strip(),
                match="acoustic",
                pack=rule.pack,
                description=rule.description,
                extra={"heard": c.heard, "score": round(per_char, 3), "margin": ACCEPT},
            )
        )
    return _strongest(out)


def _strongest(found: list[Finding]) -> list[Finding]:
    """One finding per rule and stretch of audio: 专制紧垂病 and 专制紧垂 both verify
    as 专治颈椎…, and a reviewer needs to hear it once (best score, then longest)."""
    kept: list[Finding] = []
    for f in sorted(found, key=lambda f: (-f.extra["score"], f.start - f.end)):
        if not any(k.rule_id == f.rule_id and k.start < f.end and f.start < k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)
