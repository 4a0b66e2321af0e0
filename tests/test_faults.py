"""Degrade, never die: a failure injected into each optional refinement is caught
where it happens, recorded as a warning ({stage, what, error, count}) in the manifest,
the result, the report and the batch row, and the recording goes on. A bug outside a
refinement still fails, as an internal error that names its stage."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from clipguard.asr.decode import Decoder
from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.errors import InternalError
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.run import RunOptions, process_recording, safe_process
from clipguard.writers import read_json

INJECTED = "injected fault"


def _boom(*args, **kwargs):
    raise RuntimeError(INJECTED)


def _warned(warnings: list[dict]) -> set[tuple[str, str]]:
    return {(w["stage"], w["what"]) for w in warnings}


@pytest.fixture(scope="module")
def short_audio(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 s of shop_zh's audio: a few sentences, cheap to decode."""
    dest = tmp_path_factory.mktemp("faults") / "short_zh.wav"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(fixtures / "shop_zh.mp4")]
        + ["-t", "12", "-vn", "-ac", "1", "-ar", "16000", str(dest)],
        check=True,
    )
    return dest


@pytest.mark.slow
def test_failed_decoding_becomes_gaps_that_name_the_failure(short_audio, tmp_path, monkeypatch):
    """The batched pass and every re-decode fail: no words, but the run completes;
    all speech is a gap whose reason names the failure, and the warnings say why."""
    monkeypatch.setattr(Decoder, "batched", _boom)
    monkeypatch.setattr(Decoder, "sequential", _boom)
    options = RunOptions(transcribe=TranscribeOptions(language="zh"), clips=False)
    result = process_recording(short_audio, tmp_path, options)
    assert result.status == "review"
    assert result.coverage is not None and result.coverage < 0.1
    layout = RecordingLayout.of(tmp_path, short_audio)
    transcript = read_json(layout.transcript)
    gaps = transcript["coverage"]["gaps"]
    assert gaps and sum(g["end"] - g["start"] for g in gaps) > 8.0  # ~10 s of speech
    assert all(f"re-decode failed: RuntimeError: {INJECTED}" in g["reason"] for g in gaps)
    manifest = read_json(layout.manifest)
    assert _warned(manifest["warnings"]) >= {
        ("transcribe", "batched pass over a window"),
        ("transcribe", "re-decode of unheard speech"),
    }
    assert all(INJECTED in w["error"] for w in manifest["warnings"])
    assert _warned(result.warnings) == _warned(manifest["warnings"])
    # the report shows the warnings (as data the page renders as text)
    assert "re-decode of unheard speech" in layout.report.read_text(encoding="utf-8")


@pytest.mark.slow
def test_failed_first_redecode_is_recovered_by_the_second(short_audio, tmp_path, monkeypatch):
    """Only the batched decoder fails: the sequential re-decode hears the speech."""
    monkeypatch.setattr(Decoder, "batched", _boom)
    options = RunOptions(transcribe=TranscribeOptions(language="zh"), clips=False)
    result = process_recording(short_audio, tmp_path, options)
    assert result.coverage is not None and result.coverage >= 0.9
    assert ("transcribe", "batched pass over a window") in _warned(result.warnings)


def test_every_refinement_failing_still_gives_clips_and_report(
    fixtures, tmp_path, seed_transcript, monkeypatch
):
    """Acoustic check, OCR, QR, shot detection, dense motion, reframing, cover frame
    and timeline export all fail at once; the recording still gets findings, a clip,
    its report, and one warning per failed refinement."""
    import clipguard.clipper.render as render
    import clipguard.clipper.signals as signals
    import clipguard.clipper.timeline as timeline
    import clipguard.compliance_rules.scanner as scanner
    import clipguard.screen.ocr as ocr
    import clipguard.screen.qr as qr

    seed_transcript(tmp_path, "shop_zh")
    for module, name in [
        (scanner.Scanner, "verify_by_sound"),
        (ocr, "read_text"),
        (qr, "read_qr"),
        (signals, "scan_keyframes"),
        (signals, "dense_motion"),
        (render.Image, "fromarray"),
        (timeline, "write"),
    ]:
        monkeypatch.setattr(module, name, _boom)
    media = fixtures / "shop_zh.mp4"
    options = RunOptions(
        transcribe=TranscribeOptions(hotwords=default_hotwords()),
        highlight=HighlightOptions(count=1, min_seconds=4, max_seconds=10),
    )
    result = process_recording(media, tmp_path, options)
    assert result.findings["block"] >= 5  # the text's findings stand
    assert result.clips == 1
    expected = {
        ("scan", "acoustic verification of sound-alike terms"),
        ("screen", "OCR of a frame"),
        ("screen", "QR read of a frame"),
        ("signals", "keyframe scan (shot detection)"),
        ("clips", "frame-exact shot detection at a clip edge"),
        ("clips", "cover frame"),
        ("clips", "timeline export (OTIO)"),
        ("clips", "timeline export (FCP 7 XML)"),
        ("clips", "timeline export (剪映 draft)"),
    }
    # (shop_zh is 640x360: its vertical clip is fitted, not cropped, so no subject is
    # tracked; reframing's failure is checked on a 1080p source below)
    warned = _warned(result.warnings)
    assert expected <= warned, warned
    layout = RecordingLayout.of(tmp_path, media)
    assert not layout.timeline_otio.exists() and not layout.jianying_draft.exists()
    clips = read_json(layout.clips_index)["clips"]
    assert clips[0]["cover"] == "" and (layout.root / clips[0]["path"]).stat().st_size > 10_000
    manifest = read_json(layout.manifest)
    assert _warned(manifest["warnings"]) == warned
    assert manifest["stages"]["clips"]["warnings"]
    summary = json.dumps(result.to_dict())
    assert "cover frame" in summary


def test_a_bug_outside_a_refinement_names_its_stage(
    fixtures, tmp_path, seed_transcript, monkeypatch
):
    """Not every failure is optional: a bug in the scan itself still fails the
    recording, as an internal error that names the stage (and a batch row)."""
    import clipguard.pipeline.run as run

    seed_transcript(tmp_path, "shop_zh")
    monkeypatch.setattr(run, "stage_scan", _boom)
    options = RunOptions(
        transcribe=TranscribeOptions(hotwords=default_hotwords()),
        screen=False,
        acoustic=False,
        clips=False,
    )
    with pytest.raises(InternalError, match="in the scan stage: RuntimeError: injected"):
        process_recording(fixtures / "shop_zh.mp4", tmp_path, options)
    row = safe_process(fixtures / "shop_zh.mp4", tmp_path, options)
    assert row.status == "failed"
    assert row.error == f"internal error in the scan stage: RuntimeError: {INJECTED}"


@pytest.mark.slow
def test_failed_reframing_falls_back_to_the_whole_frame(tmp_path, monkeypatch):
    """Subject tracking fails on a source large enough to crop: the clip is still
    rendered, the whole frame fitted over a blurred fill (what the renderer does when
    no subject is tracked), and the warning is recorded."""
    import clipguard.clipper.render as render
    from clipguard.clipper.render import RenderOptions, render_clip
    from clipguard.faults import collecting
    from clipguard.models import ClipPlan

    src = tmp_path / "hd.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i"]
        + ["testsrc2=size=1920x1080:rate=25:duration=3", "-f", "lavfi", "-i"]
        + ["sine=frequency=440:duration=3", "-shortest", "-pix_fmt", "yuv420p", str(src)],
        check=True,
    )
    monkeypatch.setattr(render, "subject_track", _boom)
    plan = ClipPlan(1, src, 0.5, 2.5, 1.0, 540, 960, (), "", {}, None, None)
    with collecting() as faults:
        clip = render_clip(plan, tmp_path / "clip_01.mp4", RenderOptions(loudness=False))
    assert clip.reframe == "fit"
    assert (tmp_path / Path(clip.path).name).stat().st_size > 5_000
    assert [(f.stage, f.what, f.count) for f in faults] == [
        ("clips", "reframing (subject tracking)", 1)
    ]
