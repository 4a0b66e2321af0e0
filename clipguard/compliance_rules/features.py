"""What the second opinion reads of a sentence: character n-grams and jieba words, each
counted the way scikit-learn counted them at training, as sublinear TF-IDF rows.

Why words beside the character n-grams: a 1-3-gram sees 停药 and 药了 but not that 停 and
药 are one word here and two there, and an English n-gram never spans two words. With
whole writers left out of each of five folds over all the tuning material, rules, doubt
and model together at precision >= 0.98, the mix with jieba words and word pairs found
0.990 of 26,828 violations for 541 clean sentences flagged, the mix without them 0.981
for 533 (``benchmarks/train_second_opinion.py``, README "The second opinion").

Why hand-written and not scikit-learn at run time: the model ships as arrays, and the
runtime needs no scikit-learn (``second_opinion``); these readers reproduce its
``char_wb`` analyzer and ``TfidfVectorizer(sublinear_tf=True)`` exactly, and a test
compares the probabilities with those scikit-learn wrote at training time.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

import jieba
import numpy as np

from clipguard.text import mandarin, private_tokenizer

NGRAMS = (1, 3)
_SPACES = re.compile(r"\s\s+")
# NFKC folds full-width forms (，？！：ｖｘ１２ → ,?!:vx12); the rest of the CJK punctuation
# NFKC keeps is folded by hand to the same ASCII marks
_FOLD = str.maketrans(
    {"。": ".", "、": ",", "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "—": "-"}
)


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


@functools.cache
def _tokenizer() -> jieba.Tokenizer:
    """jieba's default dictionary and nothing taught: the packs teach their own
    tokenizers their terms, and a word table that changes with the packs in use would
    cut a sentence otherwise than it was cut at training."""
    return private_tokenizer()


def word_grams(folded: str) -> list[str]:
    """jieba words of a folded sentence (lowercased, marks included: ？ after 吗 is part
    of how a question is asked) and each pair of neighbours, joined by a space (jieba
    never returns a space inside a word). The training's analyzer is this function."""
    words = [w.strip().lower() for w in _tokenizer().lcut(folded)]
    words = [w for w in words if w]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class TfidfBlock:
    """One vocabulary's sublinear TF-IDF row, L2-normalised as scikit-learn does."""

    def __init__(self, grams: list[str], idf: np.ndarray) -> None:
        self.grams = grams
        self.index = {g: i for i, g in enumerate(grams)}
        self.idf = idf.astype(np.float64)

    def row(self, counts: Iterable[tuple[str, int]]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and values of the known grams (unknown ones are dropped, as
        ``transform`` drops them)."""
        pairs = [(self.index[g], 1.0 + math.log(c)) for g, c in counts if g in self.index]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        val = np.fromiter((v for _, v in pairs), dtype=np.float64, count=len(pairs))
        val *= self.idf[idx]
        norm = float(np.sqrt((val * val).sum()))
        return idx, (val / norm if norm else val)
