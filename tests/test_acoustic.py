"""Hearing violations through ASR errors: candidates by sound, verified on real audio
with the real Whisper model; sentence-aware matching; scoped allow entries; variants."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clipguard.asr.verify import Probe, score_probes
from clipguard.cli import app
from clipguard.compliance_rules import acoustic
from clipguard.compliance_rules.acoustic import ACCEPT, REVIEW, STRICT
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Document, Scanner, scanner_for
from clipguard.compliance_rules.sound import SoundIndex
from clipguard.evaluation import load_truth
from clipguard.models import MediaInfo, Segment, Transcript, Word

runner = CliRunner()


def _per_char(delta: float, changed: int) -> float:
    return delta / changed


def test_real_audio_prefers_the_words_that_were_said(fixtures):
    """dev_zh 75.2-78.9 s says 这款茶喝了能降血压; 186.3-190.0 s says 我跟着说明书…;
    194.1-197.7 s says 出稿. The model must prefer 降血压 over a mishearing there, and
    reject 根治 in place of the everyday 跟着 (the same sound class: gen/zhe vs gen/zhi)."""
    media = fixtures / "dev_zh.mp4"
    probes = [
        Probe(
            75.0,
            79.1,
            "这款茶喝了能酱雪压，比吃药还管用。",
            ("这款茶喝了能降血压，比吃药还管用。",),
        ),
        Probe(
            186.1,
            190.2,
            "我跟着说明书一步一步组装，这样更直接一点。",
            ("我根治说明书一步一步组装，这样更直接一点。",),
        ),
        Probe(
            194.0, 197.9, "他写文章出稿很快，编辑都很满意。", ("他写文章出港很快，编辑都很满意。",)
        ),
    ]
    deltas = score_probes(media, probes, "zh")
    true_bp = _per_char(deltas[0][0], 2)
    clean_genzhi = _per_char(deltas[1][0], 2)
    clean_chugang = _per_char(deltas[2][0], 1)
    assert true_bp >= ACCEPT, true_bp
    assert clean_genzhi < REVIEW, clean_genzhi
    # 出稿/出港 differ in one final only and score close (-3.1 measured): never a
    # block on sound alone; at most a review a person decides
    assert clean_chugang < ACCEPT, clean_chugang
    assert true_bp - clean_chugang > 3


def test_verification_on_the_dev_transcript(transcripts, fixtures):
    """End to end on what Whisper actually wrote: every acoustic finding sits on a
    sentence with a planted violation of its category, none on a clean one."""
    transcript = transcripts["dev_zh"]
    scanner = scanner_for(("all",))
    text = scanner.scan(transcript)
    media = fixtures / "dev_zh.mp4"

    def score(probes: list) -> list[list[float]]:
        return score_probes(media, probes, "zh")

    found = scanner.verify_by_sound(transcript, text, score)
    truth = load_truth(fixtures / "dev_zh.truth.json")["segments"]
    for f in found:
        assert f.match == "acoustic" and f.extra["heard"] and f.extra["score"] >= REVIEW
        sentences = [s for s in truth if s["start"] - 0.3 < f.end and f.start < s["end"] + 0.3]
        cats = {v["category"] for s in sentences for v in s["violations"]}
        assert f.category in cats, (f.text, f.matched, sentences)
    # what text matching alone misses on this recording and sound recovers
    before = {(f.category, round(f.start)) for f in text}
    assert found, "no misheard violation recovered on dev_zh"
    assert all((f.category, round(f.start)) not in before for f in found)


def test_candidates_come_by_sound_not_by_text():
    rules = [r for r in scanner_for(("all",)).rules]
    index = SoundIndex(rules)
    doc = Document.from_text("这款茶喝了能酱雪压，比吃药还管用")
    terms = {c.term for c in index.candidates(doc)}
    assert any("血压" in t for t in terms), terms
    clean = Document.from_text("这个价格很实惠，大家可以看看")
    assert not [c for c in index.candidates(clean) if c.distance < 0.15]


def test_no_match_across_a_sentence_end():
    scanner = scanner_for(("all",))
    doc = Document.from_text("有问题可以私聊。我们明天继续上新")
    assert "私聊我" not in {f.matched for f in scanner.scan(doc)}
    assert "私聊我" in {f.matched for f in scanner.scan(Document.from_text("有问题私聊我"))}


@pytest.mark.parametrize(
    "text",
    ["我们营的番号我现在就告诉大家", "部队驻地的坐标我发给你们", "我给大家透露一下我们的部署"],
)
def test_disclosure_is_block(text):
    found = scanner_for(("all",)).scan(Document.from_text(text))
    mil = [f for f in found if f.category == "military_secrets"]
    assert mil and max(mil, key=lambda f: f.severity == "block").severity == "block", mil


def test_two_scoped_allow_entries_do_not_leak(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "pack: p\nrules:\n"
        "  - {id: r.free, category: custom, severity: review, terms: [免费]}\n"
        "  - {id: r.gift, category: custom, severity: review, terms: [礼物]}\n"
        "allow:\n  - {text: 免费礼物, rules: [r.free]}\n  - {text: 送礼物啦, rules: [r.gift]}\n",
        encoding="utf-8",
    )
    scanner = Scanner(resolve_packs([str(pack)]))
    assert [f.rule_id for f in scanner.scan(Document.from_text("今天有免费礼物"))] == ["r.gift"]
    assert [f.rule_id for f in scanner.scan(Document.from_text("主播送礼物啦"))] == []
    assert [f.rule_id for f in scanner.scan(Document.from_text("全部免费"))] == ["r.free"]


def test_variants_from_exported_decisions_match_literally(tmp_path):
    decisions = tmp_path / "dev_zh.decisions.json"
    decisions.write_text(
        json.dumps(
            {
                "decisions": [
                    {
                        "decision": "confirmed",
                        "rule_id": "med.treats_disease",
                        "category": "medical_claims",
                        "match": "acoustic",
                        "text": "萌酱薛鸭",
                        "matched": "能降血压",
                        "extra": {"heard": "萌酱薛鸭", "score": -0.4, "margin": -2.0},
                    },
                    {  # heard as said: nothing to learn
                        "decision": "confirmed",
                        "rule_id": "abs.ranking",
                        "match": "literal",
                        "text": "全国第一",
                        "matched": "全国第一",
                    },
                    {  # a false positive is never a variant
                        "decision": "false_positive",
                        "rule_id": "med.treats_disease",
                        "match": "acoustic",
                        "text": "跟着",
                        "matched": "根治",
                        "extra": {"heard": "跟着"},
                    },
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "variants.yaml"
    result = runner.invoke(app, ["rules", "variants", str(decisions), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == [
        {"text": "萌酱薛鸭", "rules": ["med.treats_disease"]}
    ]
    again = runner.invoke(app, ["rules", "variants", str(decisions), "-o", str(out), "--json"])
    assert json.loads(again.stdout)["added"] == [], "merging twice adds nothing"
    scanner = Scanner(resolve_packs(["all", str(out)]))
    found = scanner.scan(Document.from_text("这款茶喝了萌酱薛鸭，比吃药还管用"))
    hit = [f for f in found if f.match == "variant"]
    assert hit and hit[0].rule_id == "med.treats_disease" and hit[0].text == "萌酱薛鸭"
    assert hit[0].severity == "block"
    # literally only: the variant's sound alone is not a match
    assert not [f for f in scanner.scan(Document.from_text("萌将学雅")) if f.match == "variant"]


def _doubtful(*sentences: str) -> Transcript:
    """A transcript whose every word Whisper was unsure of (below ``CONFIDENT``), so
    each sound-alike window is a candidate for verification."""
    segs, t = [], 0.0
    for text in sentences:
        words = tuple(Word(t + i * 0.3, t + i * 0.3 + 0.25, c, 0.5) for i, c in enumerate(text))
        segs.append(Segment(words[0].start, words[-1].end, text, words))
        t = words[-1].end + 0.5
    return Transcript(MediaInfo("x.mp4", "0" * 64, t), "zh", "base", tuple(segs))


def _prefers_rule_words(score: float):
    """A verifier that prefers the rule's words by ``score`` per character everywhere:
    what a sound-alike the audio cannot tell apart looks like to the scanner."""
    return lambda probes: [[score * 2] * len(p.variants) for p in probes]


@pytest.mark.parametrize(
    "sentences",
    [
        ("跟这个版本相比，新款轻了很多。",),  # 根治 by sound, said on unseen audio
        ("我跟着说明书一步一步组装。", "这样更直接一点。"),  # 根治 for 跟着
        ("他写文章出稿很快。", "编辑都很满意。"),  # 出港 for 出稿
        ("这个位置放电池。", "那个位置放电机。"),  # 驻地 for 位置
        ("跟这个比起来，那款更重。", "我们明天再看。"),
    ],
)
def test_clean_sound_alikes_without_context_stay_silent(sentences):
    """Even when the audio would accept the rule's words (above ``ACCEPT``), a
    candidate with no word of its category in its sentence or the next is dropped."""
    scanner = scanner_for(("all",))
    t = _doubtful(*sentences)
    text = scanner.scan(t)
    assert text == []
    found = scanner.verify_by_sound(t, text, _prefers_rule_words(ACCEPT + 1.0))
    assert found == [], [(f.matched, f.text, f.extra) for f in found]


def test_the_known_false_positive_is_a_candidate_before_the_context_gate():
    scanner = scanner_for(("all",))
    doc = Document.from_transcript(_doubtful("跟这个版本相比，新款轻了很多。"))
    cands = acoustic.candidates(scanner.sounds, scanner.rules, doc, [])
    assert "根治" in {c.term for c in cands}


def test_sound_alike_with_context_or_a_clear_margin_is_kept():
    scanner = scanner_for(("all",))
    with_context = _doubtful("这款茶喝了能酱雪压，比吃药还管用。")
    found = scanner.verify_by_sound(with_context, [], _prefers_rule_words(ACCEPT + 1.0))
    assert any(f.category == "medical_claims" for f in found), found
    f = next(f for f in found if f.category == "medical_claims")
    assert f.match == "acoustic" and f.extra["context"] and f.severity == "block"
    # the same clean sound-alike as above, when the audio clearly prefers the rule's
    # words (a margin no clean sound-alike of dev_zh came near): a finding, no context
    clear = scanner.verify_by_sound(
        _doubtful("跟这个版本相比，新款轻了很多。"), [], _prefers_rule_words(STRICT + 1.0)
    )
    assert clear and all(f.extra["context"] == "" for f in clear)
