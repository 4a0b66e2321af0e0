"""A second opinion beside the rules: a character n-gram model trained on the rule
corpus's tuning material, read with numpy.

Why: the rules find a violation from its words or its construction; every new writer
of the independent corpus brings wordings no construction covers yet (each is found at
~0.7 before tuning). A linear model over character 1-3-grams, trained on all the tuning
files, recognises some of them by their texture (measured on a writer it never saw:
+6 points of recall for one more clean sentence flagged; ``benchmarks/rule_corpus.py``).
It only speaks as ``review``, with its evidence (the n-grams that weighed most), and
only where no rule of the same category already found the sentence.

Why numpy and not scikit-learn at run time: the model is exported as arrays
(``benchmarks/train_second_opinion.py``), so the runtime needs no pickle and no
matching scikit-learn version. The reader reproduces scikit-learn's ``char_wb``
analyzer, sublinear TF-IDF with L2 norm, and the multinomial softmax exactly; a test
compares it with probabilities scikit-learn wrote at training time.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).parent / "models" / "second_opinion.npz"
NGRAMS = (1, 3)
MIN_CHARS = 6  # shorter sentences carry too little texture to judge
EVIDENCE = 3
_SPACES = re.compile(r"\s\s+")


def ngram_counts(text: str) -> Counter[str]:
    """scikit-learn's ``char_wb`` n-grams (lowercased; each word padded with spaces)."""
    out: Counter[str] = Counter()
    lo, hi = NGRAMS
    for w in _SPACES.sub(" ", text.lower()).split():
        w = f" {w} "
        for n in range(lo, hi + 1):
            offset = 0
            out[w[offset : offset + n]] += 1
            while offset + n < len(w):
                offset += 1
                out[w[offset : offset + n]] += 1
            if offset == 0:  # a word shorter than n counts once, as scikit-learn does
                break
    return out


@dataclass(frozen=True)
class Opinion:
    """What the model says of one sentence: the category, how sure, and why."""

    category: str
    probability: float
    evidence: tuple[str, ...]


class SecondOpinion:
    """The exported model: vocabulary, idf, one weight row per class."""

    def __init__(
        self,
        grams: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: list[str],
        threshold: float,
        digest: str,
    ) -> None:
        self.index = {g: i for i, g in enumerate(grams)}
        self.grams = grams
        self.idf = idf.astype(np.float64)
        self.coef = coef.astype(np.float64)
        self.intercept = intercept.astype(np.float64)
        self.classes = classes
        self.threshold = threshold
        self.digest = digest

    @classmethod
    @functools.lru_cache(maxsize=2)
    def load(cls, path: Path = MODEL_PATH) -> SecondOpinion:
        data = np.load(path, allow_pickle=False)
        return cls(
            str(data["grams"]).split("\x00"),
            data["idf"],
            data["coef"],
            data["intercept"],
            str(data["classes"]).split("\x00"),
            float(data["threshold"]),
            hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16],
        )

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and L2-normalised sublinear TF-IDF values of the known n-grams."""
        pairs = [
            (self.index[g], 1.0 + math.log(c))
            for g, c in ngram_counts(text).items()
            if g in self.index
        ]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        val = np.fromiter((v for _, v in pairs), dtype=np.float64, count=len(pairs))
        val *= self.idf[idx]
        norm = float(np.sqrt((val * val).sum()))
        return idx, (val / norm if norm else val)

    def proba(self, text: str) -> np.ndarray:
        idx, val = self._features(text)
        z = self.coef[:, idx] @ val + self.intercept
        z = np.exp(z - z.max())
        return z / z.sum()

    def proba_many(self, texts: list[str]) -> np.ndarray:
        return np.array([self.proba(t) for t in texts])

    def judge(self, text: str, allowed: frozenset[str] | None = None) -> Opinion | None:
        """The category the sentence reads as, when the model is sure enough and it is
        one of ``allowed`` (the categories of the packs in use); else None."""
        if len(text.strip()) < MIN_CHARS:
            return None
        p = self.proba(text)
        best = int(np.argmax(p))
        cat = self.classes[best]
        if cat == "clean" or p[best] < self.threshold or (allowed and cat not in allowed):
            return None
        idx, val = self._features(text)
        weight = self.coef[best, idx] * val
        order = np.argsort(-weight)
        evidence = tuple(
            g
            for g in (self.grams[int(idx[k])].strip() for k in order if weight[k] > 0)
            if len(g) >= 2
        )[:EVIDENCE]
        return Opinion(cat, float(p[best]), evidence)
