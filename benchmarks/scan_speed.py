"""Scan speed: 1 MB of Chinese transcript against 10,000 generated rules.

Compares the compiled scanner (Aho-Corasick over normalized, compact and pinyin views)
with a naive loop running one regex per rule term over the raw text.
"""

from __future__ import annotations

import random
import re
import time

from _common import FIXTURES, machine, table

from clipguard.compliance_rules.packs import Near, Rule, RulePack, resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.evaluation import load_truth
from clipguard.models import MediaInfo, Segment, Transcript, Word

random.seed(7)
HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def make_rules(n: int) -> RulePack:
    rules = []
    for i in range(n):
        # 3-6 characters like most real rule terms; random 2-character terms from a
        # 3,000-character pool would match (by sound) thousands of times per MB
        terms = tuple("".join(random.choices(HAN, k=random.randint(3, 6))) for _ in range(3))
        kw = {}
        if i % 50 == 0:
            kw["near"] = (Near(("加", "联系"), (terms[0],), 5),)
        if i % 500 == 0:
            kw["patterns"] = (rf"{terms[1][0]}[0-9]{{3,}}",)
        rules.append(
            Rule(f"gen.{i}", "generated", random.choice(["block", "review"]), terms=terms, **kw)
        )
    return RulePack("generated", "1", tuple(rules))


def make_transcript(target_bytes: int) -> Transcript:
    sentences = [s["text"] for s in load_truth(FIXTURES / "shop_zh.truth.json")["segments"]]
    segs, t, size = [], 0.0, 0
    while size < target_bytes:
        text = (
            random.choice(sentences)
            if random.random() < 0.5
            else "".join(random.choices(HAN, k=24)) + "。"
        )
        words = []
        for ch in text:
            words.append(Word(t, t + 0.2, ch))
            t += 0.22
        segs.append(Segment(words[0].start, words[-1].end, text, tuple(words)))
        size += len(text.encode())
    return Transcript(MediaInfo("bench.mp4", "0" * 64, t), "zh", "base", tuple(segs))


def main() -> None:
    transcript = make_transcript(1_000_000)
    text = "\n".join(s.text for s in transcript.segments)
    rows = []
    for label, packs in (
        ("built-in packs", resolve_packs(None)),
        ("10,000 generated rules", [make_rules(10_000)]),
    ):
        t0 = time.perf_counter()
        scanner = Scanner(packs)
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        findings = scanner.scan(transcript)
        scan_s = time.perf_counter() - t0
        rows.append([label, len(scanner.rules), f"{compile_s:.2f}", f"{scan_s:.2f}", len(findings)])
    gen = make_rules(10_000)
    t0 = time.perf_counter()
    regexes = [re.compile(re.escape(term)) for r in gen.rules for term in r.terms]
    naive_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive_hits = sum(1 for rx in regexes for _ in rx.finditer(text))
    naive_s = time.perf_counter() - t0
    rows.append(
        [
            "naive regex loop (literal only)",
            len(gen.rules),
            f"{naive_compile:.2f}",
            f"{naive_s:.2f}",
            naive_hits,
        ]
    )
    print(
        f"scan speed on {len(text.encode()) / 1e6:.2f} MB of Chinese transcript ({len(transcript.words)} words)"
    )
    print(f"machine: {machine()}\n")
    print(table(["rules", "count", "compile s", "scan s", "findings"], rows))


if __name__ == "__main__":
    main()
