"""The second opinion: the numpy reader gives scikit-learn's own probabilities, the
shipped model belongs to the corpus files in the repo, and what it adds is a ``review``
finding with its evidence, only where no rule of its category already spoke."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

import clipguard
from clipguard.compliance_rules.scanner import Document, scanner_for
from clipguard.compliance_rules.second_opinion import MODEL_PATH, SecondOpinion, ngram_counts
from clipguard.models import MediaInfo, Segment, Transcript, Word

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "rule_corpus"
# dev2_zh's 这款草本贴连续贴一个月，高血压就能停药了 as the base model wrote it: the
# verb misheard (披药), the promise intact; no rule matches it, the model does
MISHEARD_CURE = "这款草本天连续天一个月,高血压就能披药了"


@pytest.fixture(scope="module")
def data():
    return np.load(MODEL_PATH, allow_pickle=False)


def test_the_reader_gives_scikit_learns_probabilities(data):
    probe = str(data["probe"]).split("\x00")
    mine = SecondOpinion.load().proba_many(probe)
    assert len(probe) >= 30
    assert mine.shape == data["probe_proba"].shape
    np.testing.assert_allclose(mine, data["probe_proba"], atol=1e-6)


def test_the_model_was_trained_on_the_tuning_files_in_the_repo(data):
    """Change a tuning file and this fails until benchmarks/train_second_opinion.py is
    run again; the independent held-out files are never among them."""
    halves = str(data["halves"]).split("\x00")
    split = yaml.safe_load((CORPUS / "halves.yaml").read_text(encoding="utf-8"))
    assert halves == split["tuning"] and not set(halves) & set(split["independent"])
    h = hashlib.sha256()
    for half in halves:
        h.update((CORPUS / f"{half}.yaml").read_bytes())
    assert str(data["corpus"]) == h.hexdigest()[:16]


def test_char_wb_ngrams_pad_each_word_like_scikit_learn():
    grams = ngram_counts("Ab  c")
    assert grams[" ab"] == 1 and grams["ab "] == 1 and grams[" c "] == 1
    assert grams[" "] == 4 and grams["c"] == 1 and "b c" not in grams


def test_a_misheard_cure_promise_is_a_review_with_its_evidence():
    [f] = clipguard.scan_text(MISHEARD_CURE)
    assert (f.rule_id, f.category, f.severity, f.match) == (
        "learned.medical_claims",
        "medical_claims",
        "review",
        "learned",
    )
    assert 0.75 <= f.extra["probability"] <= 1.0
    assert f.extra["evidence"] and all(g in MISHEARD_CURE for g in f.extra["evidence"])
    assert f.matched == "、".join(f.extra["evidence"])
    assert "p=" in f.description


@pytest.mark.parametrize(
    "text",
    [
        "家人们好，今天给大家带来一款面膜，补水效果大家可以看评论。",
        "这个锅我用了三年了，还是很好用，涂层没掉。",
        "主播今天穿得很漂亮，谢谢大家的礼物。",
        "The shipping takes three days, and returns are free within a week.",
    ],
)
def test_everyday_sentences_get_no_second_opinion(text):
    assert [f for f in clipguard.scan_text(text) if f.match == "learned"] == []


def test_no_second_opinion_where_a_rule_already_found_the_category():
    text = "这个茶专治高血压，喝一个月降压药就可以停了。"
    opinion = SecondOpinion.load().judge(text)
    assert opinion is not None and opinion.category == "medical_claims"  # it would speak
    found = clipguard.scan_text(text)
    assert any(f.category == "medical_claims" and f.match != "learned" for f in found)
    assert [f for f in found if f.match == "learned"] == []


def test_only_the_categories_of_the_packs_in_use():
    assert clipguard.scan_text(MISHEARD_CURE, rules=["vulgarity"]) == []


def test_a_transcripts_second_opinion_is_timed_from_its_words():
    words = [Word(10.0 + i * 0.25, 10.25 + i * 0.25, c) for i, c in enumerate(MISHEARD_CURE)]
    seg = Segment(10.0, words[-1].end, MISHEARD_CURE, tuple(words))
    media = MediaInfo(path="x.mp4", duration=30.0, sha256="0" * 64)
    tr = Transcript(media=media, language="zh", model="base", segments=(seg,))
    [f] = clipguard.scan(tr)
    assert f.match == "learned" and f.start == 10.0 and f.end == pytest.approx(words[-1].end)
    scanner = scanner_for(("all",))
    assert scanner.scan(Document.from_transcript(tr)) == []  # the rules alone: nothing
