"""`clipguard run`: every stage, resumable per stage; only what changed is redone."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from clipguard.cli import app

runner = CliRunner()
QUICK = ["--count", "1", "--min-seconds", "4", "--max-seconds", "20"]


def _manifest(out_dir):
    return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))


def test_run_writes_everything_and_resumes_per_stage(transcripts, own_root, fixtures):
    media = fixtures / "shop_zh.mp4"
    out_dir = own_root / "shop_zh"
    first = runner.invoke(
        app,
        [
            "run",
            str(media),
            "--out",
            str(own_root),
            "--json",
            *QUICK,
            "--chat",
            str(fixtures / "shop_zh.chat.jsonl"),
            "--promo-text",
            "明晚8点开播",
        ],
    )
    assert first.exit_code == 1, first.output  # block findings and the default --fail-on block
    summary = json.loads(first.stdout)
    rec = summary["recordings"][0]
    assert summary["failed"] is True and rec["findings"]["block"] >= 5 and rec["clips"] == 1
    assert rec["cached_transcript"] is True, "the transcript made with the same options is reused"
    for name in (
        "transcript.json",
        "transcript.srt",
        "transcript.vtt",
        "findings.json",
        "highlights.json",
        "clips/clips.json",
        "report.html",
        "recap.json",
        "recap.html",
        "manifest.json",
    ):
        assert (out_dir / name).exists(), name
    m1 = _manifest(out_dir)
    assert {"tool", "model", "options", "input", "stages"} <= set(m1)
    assert {k: v["status"] for k, v in m1["stages"].items()} == {
        "transcribe": "ok",
        "screen": "ok",
        "scan": "ok",
        "signals": "ok",
        "highlights": "ok",
        "clips": "ok",
        "recap": "ok",
        "report": "ok",
    }
    assert rec["coverage"] >= 0.99 and rec["status"] == "ok"
    assert rec["top"] and rec["top"][0]["severity"] == "block"
    assert all("seconds" in v for v in m1["stages"].values())

    # only the rules change: transcription is reused, the scan runs again
    second = runner.invoke(
        app,
        [
            "run",
            str(media),
            "--out",
            str(own_root),
            "--json",
            *QUICK,
            "--chat",
            str(fixtures / "shop_zh.chat.jsonl"),
            "--promo-text",
            "明晚8点开播",
            "--rules",
            "military_secrets",
            "--fail-on",
            "never",
        ],
    )
    assert second.exit_code == 0, second.output
    m2 = _manifest(out_dir)
    assert m2["stages"]["transcribe"]["cached"] is True
    assert m2["stages"]["scan"]["key"] != m1["stages"]["scan"]["key"]
    findings = json.loads((out_dir / "findings.json").read_text(encoding="utf-8"))
    assert {f["category"] for f in findings["findings"]} == {"military_secrets"}
    assert [r["pack"] for r in findings["rules"]] == ["military_secrets"]
    # with fewer findings gating, the clip choice may change, but never onto a violation
    clips = json.loads((out_dir / "clips" / "clips.json").read_text(encoding="utf-8"))["clips"]
    mil = [f for f in findings["findings"] if f["severity"] == "block"]
    assert all(not (c["start"] < f["end"] and c["end"] > f["start"]) for c in clips for f in mil)
    report = (out_dir / "report.html").read_text(encoding="utf-8")
    assert "military_secrets" in report and "clip_01" in report


def test_outputs_get_the_umask_mode_and_bad_input_leaves_nothing(
    seed_transcript, fixtures, tmp_path
):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "out"
        seed_transcript(out, "shop_zh")  # written again below: every output gets the mode
        result = runner.invoke(
            app, ["scan", str(fixtures / "shop_zh.mp4"), "--out", str(out), "--fail-on", "never"]
        )
        assert result.exit_code == 0, result.output
        files = [p for p in (out / "shop_zh").rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {"transcript.json", "findings.json", "report.html"}
        for p in files:
            assert stat.S_IMODE(p.stat().st_mode) == 0o644, (p, oct(p.stat().st_mode))
        # the summary names the worst findings with time, severity, rule and words
        assert "block" in result.output and "abs." in result.output
        bad = runner.invoke(
            app, ["run", str(fixtures / "bad" / "not_media.mp4"), "--out", str(out)]
        )
        assert bad.exit_code == 2
        assert not (out / "not_media").exists(), "a bad input must not leave a folder"
    finally:
        os.umask(old)
