"""The Python API, written to be read as its documentation.

Everything here goes through ``import clipguard`` only. Recordings are not
transcribed again: ``seed_transcript`` puts the session's transcript of a fixture
where a previous run would have left it, so the calls below reuse it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import clipguard


def test_scan_text_returns_findings_in_text_order():
    findings = clipguard.scan_text("这是全网最低价，加我微信私聊。")

    ids = [f.rule_id for f in findings]
    assert ids[0] == "abs.lowest_price" and "off.add_contact" in ids
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    first = findings[0]
    assert isinstance(first, clipguard.Finding)
    assert (first.severity, first.category, first.matched) == (
        "block",
        "absolute_claims",
        "全网最低价",
    )
    # without audio, start and end are character offsets into the text
    assert "这是全网最低价，加我微信私聊。"[int(first.start) : int(first.end)] == "全网最低价"


def test_scan_text_with_chosen_packs():
    text = "这是全网最低价，加我微信私聊。"
    assert {f.pack for f in clipguard.scan_text(text, rules=["off_platform"])} == {"off_platform"}
    assert clipguard.scan_text("今天天气不错。") == []


def test_an_unknown_pack_is_a_rule_pack_error():
    with pytest.raises(clipguard.RulePackError):
        clipguard.scan_text("全网最低价", rules=["no_such_pack"])


def test_transcribe_reuses_what_a_previous_run_left(fixtures, tmp_path, seed_transcript):
    seed_transcript(tmp_path, "shop_zh")

    transcript = clipguard.transcribe(fixtures / "shop_zh.mp4", out=tmp_path)

    assert isinstance(transcript, clipguard.Transcript)
    assert transcript.language == "zh"
    assert "欢迎来到" in transcript.text
    assert (tmp_path / "shop_zh" / "transcript.json").exists()


def test_scan_a_transcript_object(transcripts):
    findings = clipguard.scan(transcripts["shop_zh"], rules=["absolute_claims"])

    assert findings and {f.category for f in findings} == {"absolute_claims"}
    # findings carry the recording's time in seconds
    assert all(0 <= f.start < f.end <= transcripts["shop_zh"].media.duration for f in findings)


def test_scan_a_recording_writes_findings_and_report(fixtures, tmp_path, seed_transcript):
    seed_transcript(tmp_path, "shop_zh")

    findings = clipguard.scan(fixtures / "shop_zh.mp4", out=tmp_path, screen=False)

    assert any(f.severity == "block" for f in findings)
    assert (tmp_path / "shop_zh" / "findings.json").exists()
    assert (tmp_path / "shop_zh" / "report.html").exists()


def test_run_without_clips(fixtures, tmp_path, seed_transcript):
    seed_transcript(tmp_path, "shop_zh")

    result = clipguard.run(fixtures / "shop_zh.mp4", out=tmp_path, clips=False, screen=False)

    assert isinstance(result, clipguard.RecordingResult)
    assert result.status == "ok" and result.cached_transcript
    assert result.findings["block"] >= 1 and result.clips == 0
    assert result.fails("block") and not result.fails("never")
    assert (tmp_path / "shop_zh" / "manifest.json").exists()


def test_options_are_checked_and_name_the_parameter(fixtures, tmp_path):
    with pytest.raises(clipguard.UsageError, match="link_media must be one of"):
        clipguard.run(fixtures / "shop_zh.mp4", out=tmp_path, link_media="symlink")
    with pytest.raises(clipguard.UsageError, match=r"min_seconds \(90\)"):
        clipguard.run(fixtures / "shop_zh.mp4", out=tmp_path, min_seconds=90)
    with pytest.raises(TypeError, match="colour"):
        clipguard.run(fixtures / "shop_zh.mp4", out=tmp_path, colour="red")
    assert not (tmp_path / "shop_zh").exists()


def test_options_classes_gather_keyword_arguments():
    options = clipguard.RunOptions.of(count=5, language="zh", rules=["minors"], screen=False)

    assert options.highlight.count == 5
    assert options.transcribe.language == "zh"
    assert options.rules == ("minors",) and not options.screen
    assert clipguard.HighlightOptions().count == 3  # the defaults live in these classes


def test_the_public_names():
    assert set(clipguard.__all__) <= set(dir(clipguard))
    for name in clipguard.__all__:
        assert getattr(clipguard, name) is not None
    assert clipguard.run.__doc__ and "Raises:" in clipguard.run.__doc__


def test_import_clipguard_stays_cheap():
    code = (
        "import sys, clipguard; print(len([m for m in sys.modules if m.startswith('clipguard')]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert int(loaded) == 2  # clipguard and clipguard._version: nothing heavy yet
