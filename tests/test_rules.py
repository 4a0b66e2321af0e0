"""Rule engine: packs, normalization, matchers, timing, CLI. Sentences here are not the
fixtures' own: the rules must generalize to other wording and evasions."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clipguard.cli import app
from clipguard.compliance_rules.packs import builtin_names, parse_pack, resolve_packs
from clipguard.compliance_rules.scanner import Document, Scanner
from clipguard.errors import RulePackError
from clipguard.evaluation import load_truth, score_findings
from clipguard.models import MediaInfo, Segment, Transcript, Word
from clipguard.text import mandarin, normalize, plain

runner = CliRunner()


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(resolve_packs(None))


def hits(scanner: Scanner, text: str) -> list[tuple[str, str, str]]:
    return [(f.category, f.severity, f.match) for f in scanner.scan(Document.from_text(text))]


def categories(scanner: Scanner, text: str) -> set[str]:
    return {c for c, _, _ in hits(scanner, text)}


def test_builtin_packs_cover_spec_categories(scanner):
    assert {
        "absolute_claims",
        "off_platform",
        "medical_claims",
        "financial_promises",
        "military_secrets",
        "vulgarity",
        "minors",
    } <= {r.category for r in scanner.rules}
    assert all(r.description and r.source for r in scanner.rules), (
        "reviewers need the rule and its source"
    )
    assert len(builtin_names()) == 7


@pytest.mark.parametrize(
    "text",
    [
        "需要的宝宝加 V❤信 详聊",
        "有问题私我，加一下我的薇信",
        "直接联系我 weixin 就行",
        "家人们扫我二维码",
        "宝子们 加威 信 领券",
        "我电话一三九一二三四五六七八",
        "想要的 +v 详聊",
        "加我绿泡泡",
        "加我V心",
        "小窗我下单",
    ],
)
def test_off_platform_evasions_are_caught(scanner, text):
    assert "off_platform" in categories(scanner, text)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("这款面霜能根治湿疹", "medical_claims"),
        ("喝这个茶可以降血糖", "medical_claims"),
        ("这个药包制摆兵", "medical_claims"),  # homophone ASR error of 包治百病
        ("跟着老师投资稳赚不赔", "financial_promises"),
        ("这个理财产品保本保息，年化收益百分之十二", "financial_promises"),
        ("我们连队的驻地就在城东", "military_secrets"),
        ("不对的住地位置我就不说了", "military_secrets"),  # 部队驻地 misheard
        ("史上最低价，只有今天", "absolute_claims"),
        ("我们是国家级品质", "absolute_claims"),
        ("你个傻逼", "vulgarity"),
        ("小学生也可以来刷礼物", "minors"),
    ],
)
def test_violations_in_new_wording(scanner, text, category):
    assert category in categories(scanner, text)


@pytest.mark.parametrize(
    "text",
    [
        "最近天气不错，最后给大家讲一下用法",
        "这个模型第一次做得这么好",
        "今天降价了，抗摔又耐用",
        "家人们，上链接了，秒杀开始",
        "谢谢大家，明天晚上八点见",
        "军迷朋友们好",
        "我操作一下给大家看",
        "加个手机壳更耐摔",
        "这匹马的毛色很漂亮",
        "这个最有意思",
        "线下门店也能买到",
    ],
)
def test_everyday_speech_stays_clean(scanner, text):
    assert hits(scanner, text) == []


def test_word_boundaries_for_superlative_prefix(scanner):
    assert categories(scanner, "最近很忙，最后一单") == set()
    assert ("absolute_claims", "block", "literal") in hits(scanner, "这是最好的面膜")


def test_match_kind_is_recorded(scanner):
    kinds = {f.match for f in scanner.scan(Document.from_text("这茶包致摆病，加一下薇信"))}
    assert {"pinyin_fuzzy", "near"} <= kinds or {"pinyin_fuzzy", "pinyin"} <= kinds


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Honestly the finest blender on the market, best value in the world", "absolute_claims"),
        ("DM me on Telegram for the real price", "off_platform"),
        ("text me at 415 555 0199 and I'll ship it", "off_platform"),
        ("this oil cures arthritis, trust me", "medical_claims"),
        ("guaranteed returns every month, risk-free investment", "financial_promises"),
        ("what the fuck is this", "vulgarity"),
    ],
)
def test_english_rules(scanner, text, category):
    assert category in categories(scanner, text)


def test_english_boundaries(scanner):
    assert categories(scanner, "This voxel art scope is secure and well made") == set()


def test_pack_exceptions_and_allowlist(tmp_path):
    pack_file = tmp_path / "mine.yaml"
    pack_file.write_text(
        "pack: mine\nversion: '1'\nrules:\n"
        "  - id: t.gift\n    category: custom\n    severity: review\n    terms: [礼物]\n    exceptions: [礼物盒]\n"
        "allow:\n  - text: 神秘礼物\n    rules: [t.gift]\n",
        encoding="utf-8",
    )
    scanner = Scanner(resolve_packs(["absolute_claims", str(pack_file)]))
    found = [f.matched for f in scanner.scan(Document.from_text("送你礼物，还有礼物盒和神秘礼物"))]
    assert found == ["礼物"]


def _long_segment_transcript() -> Transcript:
    text = "今天我们聊聊这个产品的各种细节和使用方法大家可以慢慢看如果想要更便宜的价格可以加我微信然后我们再详细说说后面的安排"
    words = tuple(Word(i * 0.4, i * 0.4 + 0.3, c) for i, c in enumerate(text))
    seg = Segment(words[0].start, words[-1].end, text, words)
    return Transcript(MediaInfo("x.mp4", "0" * 64, 45.0), "zh", "base", (seg,))


def test_findings_are_timed_from_words_not_segments(scanner):
    t = _long_segment_transcript()
    assert t.segments[0].end - t.segments[0].start > 20
    f = next(f for f in scanner.scan(t) if f.category == "off_platform")
    assert 0.5 <= f.end - f.start <= 3.0
    idx = t.segments[0].text.index("加我微信")
    assert f.start == pytest.approx(idx * 0.4)
    assert "加我微信" in f.text and "加我微信" in f.context


def test_fixture_recall_and_precision(transcripts, fixtures, scanner):
    for name in ("shop_zh", "review_en"):
        findings = [f.to_dict() for f in scanner.scan(transcripts[name])]
        score = score_findings(load_truth(fixtures / f"{name}.truth.json"), findings)
        # measured 8/8 and 3/3; one ASR slip on another CPU must not turn it red
        assert score.recall >= 0.85, score.missed
        assert score.false_positive_sentences == []
        for f in findings:
            assert f["end"] - f["start"] <= 4.0 and f["text"] and f["matched"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: high\n    terms: [x]\n",
            ":5: rules[0].severity: must be one of",
        ),
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: block\n    patterns: ['(x']\n",
            ":6: rules[0].patterns[0]: invalid regular expression",
        ),
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: block\n    term: [x]\n",
            ":6: rules[0].term: unknown field",
        ),
        (
            "pack: p\nrules:\n  - category: c\n    severity: block\n    terms: [x]\n",
            ":3: rules[0].id: is required",
        ),
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: block\n",
            ":3: rules[0]: a rule needs at least one of",
        ),
        ("pack: p\nrules: [\n", ": not valid YAML"),
        (
            "pack: p\ncontext: [病, 药]\nrules:\n  - {id: a, category: c, severity: block, terms: [x]}\n",
            ":2: context: must be a mapping",
        ),
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: block\n    follows: [{a: [x]}]\n",
            ":6: rules[0].follows[0].b: is required",
        ),
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: block\n    terms: [x]\n    negations: {no: x}\n",
            ":7: rules[0].negations: must be a list of strings",
        ),
        (
            "pack: p\nrules:\n  - id: a\n    category: c\n    severity: block\n    terms: [x]\n  - id: a\n    category: c\n    severity: block\n    terms: [y]\n",
            ":7: rules[1].id: duplicate rule id",
        ),
    ],
)
def test_lint_names_file_line_and_field(tmp_path, body, needle):
    path = tmp_path / "pack.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RulePackError) as err:
        parse_pack(body, str(path))
    assert str(path) in str(err.value) and needle in str(err.value)
    result = runner.invoke(app, ["rules", "lint", str(path)])
    assert result.exit_code == 2 and needle in result.stderr


def test_rules_cli_list_show_test():
    listed = runner.invoke(app, ["rules", "list", "--json"])
    assert listed.exit_code == 0
    assert {p["pack"] for p in json.loads(listed.stdout)["packs"]} >= {
        "off_platform",
        "military_secrets",
    }
    shown = runner.invoke(app, ["rules", "show", "medical_claims"])
    assert shown.exit_code == 0 and "med.cure_all" in shown.stdout and "广告法" in shown.stdout
    tried = runner.invoke(
        app, ["rules", "test", "all", "--text", "宝宝们加 V 信，包致摆病", "--json"]
    )
    found = json.loads(tried.stdout)["findings"]
    assert {f["category"] for f in found} == {"off_platform", "medical_claims"}
    assert any(f["match"].startswith("pinyin") for f in found)


def test_scan_cli_from_transcript_json_and_fail_on(transcripts, out_root, fixtures, tmp_path):
    tjson = out_root / "review_en" / "transcript.json"
    out = tmp_path / "out"
    blocked = runner.invoke(app, ["scan", str(tjson), "--out", str(out), "--json"])
    assert blocked.exit_code == 1, blocked.output
    summary = json.loads(blocked.stdout)
    assert summary["failed"] is True and summary["recordings"][0]["findings"]["block"] >= 3
    doc = json.loads((out / "review_en" / "findings.json").read_text(encoding="utf-8"))
    assert {"pack", "version"} <= set(doc["rules"][0])
    f = doc["findings"][0]
    assert set(f) >= {
        "rule_id",
        "category",
        "severity",
        "start",
        "end",
        "text",
        "matched",
        "context",
    }
    ok = runner.invoke(app, ["scan", str(tjson), "--out", str(out), "--fail-on", "never", "-q"])
    assert ok.exit_code == 0
    only_vulgar = runner.invoke(
        app, ["scan", str(tjson), "--out", str(out), "--rules", "vulgarity"]
    )
    assert only_vulgar.exit_code == 0, "no vulgarity in the English fixture"
    assert (out / "review_en" / "report.html").exists()


def test_allowlist_from_reviewer_decisions(tmp_path):
    decisions = tmp_path / "d.json"
    decisions.write_text(
        json.dumps(
            {
                "decisions": [
                    {
                        "decision": "false_positive",
                        "rule_id": "abs.absolute_words",
                        "text": "绝对新鲜",
                        "matched": "绝对",
                    },
                    {
                        "decision": "confirmed",
                        "rule_id": "abs.ranking",
                        "text": "全国第一",
                        "matched": "全国第一",
                    },
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    allow = tmp_path / "allow.yaml"
    result = runner.invoke(app, ["rules", "allowlist", str(decisions), "--out", str(allow)])
    assert result.exit_code == 0, result.output
    scanner = Scanner(resolve_packs(["absolute_claims", str(allow)]))
    left = {f.rule_id for f in scanner.scan(Document.from_text("水果绝对新鲜，销量全国第一"))}
    assert left == {"abs.ranking"}
    assert "abs.absolute_words" in {f.rule_id for f in scanner.scan(Document.from_text("绝对便宜"))}


def test_unreadable_rule_pack_is_a_clean_error(tmp_path):
    result = runner.invoke(app, ["rules", "test", str(tmp_path / "nope.yaml"), "--text", "x"])
    assert result.exit_code == 2 and "no such rule pack file" in result.stderr


def test_cantonese_is_read_in_mandarin_offset_for_offset():
    """Rules and denial cues are written in Mandarin; a Guangdong host writes 唔 for 不
    and 冇 for 没. The mapping is one character for one, so every view still maps back
    to the original offsets and the finding shows the words as written."""
    text = "呢个唔系全网最低价，佢冇得讲；你个冚家铲"
    assert plain(text) == "呢个不是全网最低价，他没得讲；你个全家铲"
    assert len(plain(text)) == len(text)
    assert mandarin("系统关系") == "系统关系"  # 系 alone is Mandarin's, not "is"
    found = Scanner(resolve_packs(None)).scan(Document.from_text(text), opinion=False)
    assert [(f.category, f.matched) for f in found] == [("vulgarity", "冚家铲")], found
    # the same claim without the Cantonese denial is found
    claim = Scanner(resolve_packs(None)).scan(Document.from_text("呢个系全网最低价"))
    assert "absolute_claims" in {f.category for f in claim}


def test_taiwan_wording_is_read_in_mandarin_offset_for_offset():
    """OpenCC turns 國中生 into 国中生 and 私訊 into 私讯, Taiwan words the Mandarin
    rules do not hold; they are mapped word for word of the same length (国中 alone is
    not: 中国中部)."""
    text = "國中生想直播賺零用錢的，私訊我，中国中部的朋友也可以"
    assert plain(text) == "初中生想直播赚零用钱的，私信我，中国中部的朋友也可以"
    assert len(plain(text)) == len(text)
    found = Scanner(resolve_packs(None)).scan(
        Document.from_text("國中生想直播的私訊我，我帶你開播")
    )
    assert "minors" in {f.category for f in found}, found


def test_tone_marked_pinyin_and_financial_numerals_meet_plain_rules():
    """dì一名 (pinyin with its tone mark for 第) and 第壹 (the numeral written as on a
    cheque) are how hosts slip 第一 past a word list; the normalized text the rules
    read has the plain letter and the digit, one character for one."""
    n = normalize("这是dì一名，第壹品牌，café")
    assert n.compact.text == "这是di1名第1品牌cafe"
    assert len(n.spaced.origin) == len(n.spaced.text)
    scanner = Scanner(resolve_packs(None))
    for text in ("这个口味是dì一名，那个字我不能讲，你们自己懂", "第壹品牌的阿胶，恁懂的"):
        found = scanner.scan(Document.from_text(text), opinion=False)
        assert "absolute_claims" in {f.category for f in found}, (text, found)
    # the word refused outright is still a refusal, and an accent changes nothing else
    assert not scanner.scan(Document.from_text("第一这个词我们不能说"), opinion=False)
