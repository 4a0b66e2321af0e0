"""Scoring against the fixtures' truth files, shared by benchmarks and tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clipguard.models import Word
from clipguard.text import CN_DIGITS, to_simplified

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def load_truth(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _clean(text: str) -> str:
    return _NON_WORD.sub("", to_simplified(text).lower())


def _chars(text: str) -> str:
    """Characters to compare, with spoken digits written as numerals (一三八 = 138)."""
    return _clean(text).translate(CN_DIGITS)


def kept_fraction(reference: str, heard: str) -> float:
    """Share of the reference's characters (as a multiset) that the heard text has."""
    ref, hyp = _chars(reference), _chars(heard)
    if not ref:
        return 1.0
    return sum(min(ref.count(c), hyp.count(c)) for c in set(ref)) / len(ref)


def heard_in(words: list[Word], start: float, end: float, slack: float = 0.3) -> str:
    """The transcript's text whose words' midpoints fall inside a truth sentence."""
    return "".join(w.word for w in words if start - slack <= (w.start + w.end) / 2 <= end + slack)


def sentences_kept(truth: dict[str, Any], words: list[Word], offset: float = 0.0) -> list[float]:
    """Per truth sentence, the share of its characters heard inside its time window."""
    return [
        kept_fraction(s["text"], heard_in(words, s["start"] + offset, s["end"] + offset))
        for s in truth["segments"]
    ]


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate after Simplified normalization, punctuation removed."""
    ref, hyp = _clean(reference), _clean(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))


def overlaps(a_start: float, a_end: float, b_start: float, b_end: float) -> bool:
    return min(a_end, b_end) - max(a_start, b_start) > 0


@dataclass
class ScanScore:
    planted: int
    found: int
    false_positive_sentences: list[int]
    missed: list[tuple[int, str, str]]

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 1.0


def score_findings(truth: dict[str, Any], findings: list[dict[str, Any]]) -> ScanScore:
    """A planted violation counts as found when a finding of its category overlaps its sentence."""
    planted = found = 0
    missed: list[tuple[int, str, str]] = []
    fp: list[int] = []
    for seg in truth["segments"]:
        hits = [f for f in findings if overlaps(f["start"], f["end"], seg["start"], seg["end"])]
        for v in seg["violations"]:
            planted += 1
            if any(f["category"] == v["category"] for f in hits):
                found += 1
            else:
                missed.append((seg["index"], v["term"], v["category"]))
        # ASR word times can spill a little into the pause: a finding that only grazes a
        # clean neighbour sentence (< 0.25 s of overlap) is not charged to it
        inside = [
            f for f in hits if min(f["end"], seg["end"]) - max(f["start"], seg["start"]) > 0.25
        ]
        if not seg["violations"] and not seg.get("ambiguous") and inside:
            fp.append(seg["index"])
    return ScanScore(planted, found, fp, missed)


def concat_recordings(sources: list[Path], dest: Path) -> Path:
    """Join recordings end to end with ffmpeg's concat demuxer (no re-encode): long
    test inputs whose truth is known for every copy."""
    import subprocess

    import imageio_ffmpeg

    listing = Path(dest).with_suffix(".txt")
    listing.write_text("".join(f"file '{Path(s).resolve()}'\n" for s in sources))
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat"]
    cmd += ["-safe", "0", "-i", str(listing), "-c", "copy", str(dest)]
    try:
        subprocess.run(cmd, check=True)
    finally:
        listing.unlink(missing_ok=True)
    return Path(dest)
