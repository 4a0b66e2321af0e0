"""Which caption words to mark for checking: how well Whisper's word probability
separates misheard words from right ones, against the fixtures' truth scripts.

Each recording's transcript is aligned to its script unit by unit (a Han character or
a digit is a unit, a Latin word is one unit; spoken digits count as numerals, so 三二一
and 321 agree) with difflib; an ASR word is *wrong* when any of its units is not in an
equal block. A word is *marked* when its probability is below the threshold. The table
gives precision and recall of marked vs wrong per threshold, on the tuning recordings
(dev_zh + shop_zh) and on the held-out ones (dev2_zh + review_en), and the share of
words an editor would be asked to check.

    python benchmarks/caption_confidence.py       # transcripts cached in OUT (below)
    CAPTION_BENCH_OUT=/tmp/x python benchmarks/caption_confidence.py
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from _common import FIXTURES, REPO, machine, table

from clipguard.clipper.captext import UNCERTAIN_BELOW
from clipguard.evaluation import load_truth
from clipguard.models import Transcript, Word
from clipguard.text import CN_DIGITS, to_simplified

TUNING = ("dev_zh", "shop_zh")
HELD_OUT = ("dev2_zh", "review_en")
THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(4, 19))  # 0.20 .. 0.90
OUT = Path(os.environ.get("CAPTION_BENCH_OUT", "/tmp/clipguard-caption-confidence"))
_UNIT = re.compile(r"[a-z']+|\w", re.UNICODE)


def units(text: str) -> list[str]:
    """What is compared: one unit per Han character or digit, one per Latin word."""
    text = to_simplified(text).lower().translate(CN_DIGITS)
    return [u for u in _UNIT.findall(text) if u != "_"]


def fixture(name: str) -> Path:
    for folder in (FIXTURES, REPO.parent / "shared" / "fixtures"):
        if (folder / f"{name}.mp4").exists():
            return folder / f"{name}.mp4"
    raise SystemExit(f"{name}.mp4 not found in {FIXTURES} or ../shared/fixtures")


def transcript(name: str) -> Transcript:
    """The CLI's transcript of a fixture (rule vocabulary as prompt), cached in OUT."""
    from clipguard.asr.transcribe import TranscribeOptions
    from clipguard.compliance_rules.hotwords import default_hotwords
    from clipguard.pipeline.layout import RecordingLayout
    from clipguard.pipeline.stages import stage_transcribe

    media = fixture(name)
    options = TranscribeOptions(hotwords=default_hotwords())
    result, _ = stage_transcribe(media, RecordingLayout.of(OUT, media), options)
    return result


def judged_words(name: str) -> list[tuple[Word, bool]]:
    """Every ASR word that has units, and whether it is wrong against the script."""
    truth = load_truth(fixture(name).with_suffix(".truth.json"))
    ref = [u for s in truth["segments"] for u in units(s["text"])]
    words = [w for s in transcript(name).segments for w in s.words]
    hyp: list[str] = []
    owner: list[int] = []
    for i, w in enumerate(words):
        for u in units(w.word):
            hyp.append(u)
            owner.append(i)
    right = [False] * len(hyp)
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if tag == "equal":
            right[j1:j2] = [True] * (j2 - j1)
    wrong: dict[int, bool] = {}
    for k, i in enumerate(owner):
        wrong[i] = wrong.get(i, False) or not right[k]
    return [(words[i], bad) for i, bad in sorted(wrong.items())]


def f1(judged: list[tuple[Word, bool]], threshold: float) -> tuple[float, float, float, float]:
    """Precision, recall and F1 of marked vs wrong, and the share of words marked."""
    marked = [bad for w, bad in judged if w.probability < threshold]
    hits, n_wrong = sum(marked), sum(bad for _, bad in judged)
    p = hits / len(marked) if marked else 1.0
    r = hits / n_wrong if n_wrong else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), len(marked) / len(judged)


def scores(judged: list[tuple[Word, bool]], threshold: float) -> list[str]:
    p, r, f, share = f1(judged, threshold)
    return [f"{100 * p:.0f}%", f"{100 * r:.0f}%", f"{f:.3f}", f"{100 * share:.0f}%"]


def main() -> None:
    judged = {name: judged_words(name) for name in TUNING + HELD_OUT}
    print(f"caption confidence (base int8, CLI options); machine: {machine()}\n")
    rows = []
    for name, js in judged.items():
        bad = sum(b for _, b in js)
        rows.append([name, len(js), bad, f"{100 * bad / len(js):.0f}%"])
    print(table(["recording", "ASR words", "wrong", "share wrong"], rows), "\n")
    rows = []
    for t in THRESHOLDS + ((UNCERTAIN_BELOW,) if UNCERTAIN_BELOW not in THRESHOLDS else ()):
        tune = scores([j for n in TUNING for j in judged[n]], t)
        held = scores([j for n in HELD_OUT for j in judged[n]], t)
        per = [scores(judged[n], t)[:2] for n in TUNING + HELD_OUT]
        rows.append(
            [f"{t:.2f}" + (" *" if t == UNCERTAIN_BELOW else ""), *tune, *held]
            + [f"{p}/{r}" for p, r in per]
        )
    head = ["p <", "tune P", "tune R", "tune F1", "tune marked", "held P", "held R", "held F1"]
    head += ["held marked", *(f"{n} P/R" for n in TUNING + HELD_OUT)]
    print(table(head, rows))
    tuning = [j for n in TUNING for j in judged[n]]
    top = max(f1(tuning, t)[2] for t in THRESHOLDS)
    # a tie (within 0.01 of the best F1 on tuning) goes to the lower threshold: fewer
    # words for the editor to check for the same separation
    pick = min(t for t in THRESHOLDS if f1(tuning, t)[2] >= top - 0.01)
    print(f"\n* UNCERTAIN_BELOW = {UNCERTAIN_BELOW} (clipguard.clipper.captext)")
    print(f"best F1 on tuning {top:.3f}; lowest threshold within 0.01 of it: p < {pick:.2f}")


if __name__ == "__main__":
    main()
