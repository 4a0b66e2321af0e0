"""Sentence-sized segments from timed words.

Captions, findings and highlight edges all work in sentences, so the word stream is
cut on sentence punctuation and long pauses, and an over-long sentence is cut again at
its clause mark nearest the middle (or its widest pause).
"""

from __future__ import annotations

import numpy as np

from clipguard.models import Segment, Word

SENTENCE_END = tuple("。！？!?；;…")
CLAUSE_END = tuple("，,、：:")
MAX_SENTENCE_SECONDS = 12.0
PAUSE_SPLIT_SECONDS = 1.2


def split_sentences(words: list[Word]) -> list[list[Word]]:
    """Split on sentence punctuation and long pauses; cap sentence length at clauses."""
    out: list[list[Word]] = []
    cur: list[Word] = []
    for i, w in enumerate(words):
        if cur and w.start - cur[-1].end > PAUSE_SPLIT_SECONDS:
            out.append(cur)
            cur = []
        cur.append(w)
        end_here = w.word.strip().endswith(SENTENCE_END) or (
            w.word.strip().endswith(".") and not w.word.strip()[:-1].replace(".", "").isdigit()
        )
        if end_here or i == len(words) - 1:
            out.append(cur)
            cur = []
    result: list[list[Word]] = []
    for sent in out:
        result.extend(cap_length(sent))
    return result


def cap_length(sent: list[Word]) -> list[list[Word]]:
    if len(sent) < 2 or sent[-1].end - sent[0].start <= MAX_SENTENCE_SECONDS:
        return [sent]
    mid = (sent[0].start + sent[-1].end) / 2
    candidates = [i for i, w in enumerate(sent[:-1]) if w.word.strip().endswith(CLAUSE_END)]
    if candidates:
        cut = min(candidates, key=lambda i: abs(sent[i].end - mid)) + 1
    else:  # no clause mark: cut at the widest pause between words
        gaps = [sent[i + 1].start - sent[i].end for i in range(len(sent) - 1)]
        cut = int(np.argmax(gaps)) + 1
    return cap_length(sent[:cut]) + cap_length(sent[cut:])


def to_segment(words: list[Word]) -> Segment:
    text = "".join(w.word for w in words).strip()
    return Segment(words[0].start, words[-1].end, text, tuple(words))
