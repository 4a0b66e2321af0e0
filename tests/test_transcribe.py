"""Foundation: offline transcription with the real base model on real media."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clipguard.asr import model as asr_model
from clipguard.asr.transcribe import TranscribeOptions
from clipguard.cli import app
from clipguard.compliance_rules.scanner import default_hotwords
from clipguard.evaluation import cer, load_truth
from clipguard.media import sha256_file
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_transcribe
from clipguard.text import to_simplified

pytestmark = pytest.mark.slow  # transcribes, renders or reads real media

runner = CliRunner()


def _invariants(transcript) -> None:
    last = 0.0
    for seg in transcript.segments:
        assert seg.words, seg
        assert seg.start == seg.words[0].start
        assert seg.end == seg.words[-1].end
        for w in seg.words:
            assert w.start >= last - 1e-6, "words must be time-ordered"
            assert 0 <= w.start <= w.end <= transcript.media.duration + 0.05
            last = w.start


def test_mandarin_transcript_is_simplified_and_accurate(transcripts, fixtures):
    t = transcripts["shop_zh"]
    assert t.language == "zh"
    text = t.text
    for phrase in ("欢迎来到", "直播间", "全网最低价", "加我微信", "高血压"):
        assert phrase in text
    assert to_simplified(text) == text, "output must be Simplified Chinese"
    truth = load_truth(fixtures / "shop_zh.truth.json")
    assert cer("".join(s["text"] for s in truth["segments"]), text) <= 0.10
    _invariants(t)
    # batched segments are split into sentences: about one per spoken sentence
    assert 8 <= len(t.segments) <= 14


def test_english_transcript(transcripts):
    t = transcripts["review_en"]
    assert t.language == "en"
    assert "WhatsApp" in t.text
    assert "best scope in the world" in t.text
    _invariants(t)


def test_outputs_follow_spec(transcripts, out_root, fixtures):
    out_dir = RecordingLayout.of(out_root, fixtures / "shop_zh.mp4").root
    data = json.loads((out_dir / "transcript.json").read_text(encoding="utf-8"))
    assert set(data["media"]) >= {"path", "sha256", "duration"}
    assert abs(data["media"]["duration"] - 50.2) < 0.5
    assert data["language"] == "zh" and data["model"] == "base"
    seg = data["segments"][0]
    assert set(seg) >= {"start", "end", "text", "words"}
    assert set(seg["words"][0]) >= {"start", "end", "word", "probability"}
    srt = (out_dir / "transcript.srt").read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,000 --> ") and "欢迎来到" in srt
    vtt = (out_dir / "transcript.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "00:00:10." in vtt
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stages"]["transcribe"]["status"] == "ok"
    assert manifest["input"]["sha256"] == data["media"]["sha256"]


def test_second_run_reuses_cache_without_model(
    transcripts, seed_transcript, fixtures, tmp_path, monkeypatch
):
    # its own copy: the failed run below leaves a failed transcribe stage behind, which
    # would make a later test in the session's out_root transcribe again
    seed_transcript(tmp_path, "shop_zh")

    def boom(*a, **k):
        raise AssertionError("model must not run again for unchanged input and options")

    monkeypatch.setattr("clipguard.pipeline.stages.transcribe", boom)
    media = fixtures / "shop_zh.mp4"
    options = TranscribeOptions(hotwords=default_hotwords())
    t, cached = stage_transcribe(media, RecordingLayout.of(tmp_path, media), options)
    assert cached
    assert [(s.start, s.text) for s in t.segments] == [
        (round(s.start, 3), s.text) for s in transcripts["shop_zh"].segments
    ]
    # changing an option that changes the output invalidates the cache
    with pytest.raises(AssertionError):
        stage_transcribe(media, RecordingLayout.of(tmp_path, media), replace(options, beam_size=5))


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("no_audio.mp4", "no audio stream"),
        ("not_media.mp4", "not a media file"),
        ("truncated.mp4", "truncated"),
        ("silence.wav", "silent"),
        ("missing.mp4", "no such file"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(name, needle, fixtures, tmp_path):
    result = runner.invoke(
        app, ["transcribe", str(fixtures / "bad" / name), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in result.output


def test_silence_gives_empty_transcript_not_hallucination(fixtures, tmp_path):
    runner.invoke(
        app, ["transcribe", str(fixtures / "bad" / "silence.wav"), "--out", str(tmp_path)]
    )
    data = json.loads((tmp_path / "silence" / "transcript.json").read_text(encoding="utf-8"))
    assert data["segments"] == []


def test_truncated_with_allow_partial_transcribes_readable_part(fixtures, tmp_path):
    result = runner.invoke(
        app,
        [
            "transcribe",
            str(fixtures / "bad" / "truncated.mp4"),
            "--allow-partial",
            "--out",
            str(tmp_path),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "truncated" / "transcript.json").read_text(encoding="utf-8"))
    assert data["media"]["truncated"] is True
    assert 15 < data["media"]["decoded_duration"] < 30
    assert "欢迎来到" in "".join(s["text"] for s in data["segments"])
    assert max(w["end"] for s in data["segments"] for w in s["words"]) < 30


def test_unwritable_out_is_a_clean_error(fixtures, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "clipguard.cli",
            "transcribe",
            str(fixtures / "review_en.mp4"),
            "--out",
            str(blocker),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "not writable" in proc.stderr and "Traceback" not in proc.stderr
    assert blocker.read_text() == "not a dir", "user data must not be touched"


def _assemble(cache: str) -> str:
    import os

    os.environ["CLIPGUARD_CACHE"] = cache
    return asr_model.resolve_model("base").path


def test_concurrent_first_runs_assemble_one_verified_model(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        paths = pool.map(_assemble, [str(tmp_path)] * 3)
    assert len(set(paths)) == 1
    model_dir = Path(paths[0])
    assert (model_dir / "model.bin").stat().st_size == asr_model.BASE_SIZE
    assert sha256_file(model_dir / "model.bin") == asr_model.BASE_SHA256
    leftovers = [p for p in model_dir.parent.iterdir() if p != model_dir]
    assert leftovers == [], "temporary assembly dirs must be cleaned up"
