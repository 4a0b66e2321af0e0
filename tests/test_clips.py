"""Highlights and compliance-gated clips, rendered for real and checked with PyAV."""

from __future__ import annotations

import json

import av
import numpy as np
import pyloudnorm
import pytest
from PIL import Image

from clipguard.clipper.highlights import HighlightOptions, min_clip_seconds
from clipguard.clipper.render import RenderOptions
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.evaluation import load_truth, overlaps
from clipguard.pipeline.clipping import stage_clips
from clipguard.pipeline.highlights import stage_highlights
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_scan

SHORT = HighlightOptions(count=3, min_seconds=4, max_seconds=20)  # the fixtures last 28-50 s


@pytest.fixture(scope="module")
def scanner():
    return Scanner(resolve_packs(None))


def _highlights(name, transcripts, own_root, fixtures, scanner, opts=SHORT):
    media = fixtures / f"{name}.mp4"
    layout = RecordingLayout.of(own_root, media)
    findings = stage_scan(transcripts[name], layout, scanner)
    result = stage_highlights(
        media, transcripts[name], findings, layout, opts, fixtures / f"{name}.chat.jsonl"
    )
    return media, layout, result, findings


@pytest.fixture(scope="module")
def shop_clips(transcripts, own_root, fixtures, scanner):
    media, layout, result, findings = _highlights(
        "shop_zh", transcripts, own_root, fixtures, scanner
    )
    clips = stage_clips(
        media,
        transcripts["shop_zh"],
        findings,
        result,
        layout,
        SHORT,
        RenderOptions(promo_text="明晚8点 直播间见"),
    )
    return layout.root, list(result.highlights), [c.to_dict() for c in clips]


def _hype(truth):
    return [s for s in truth["segments"] if s["style"] == "hype"]


def test_top_highlights_hit_hype_sentences(transcripts, own_root, fixtures, scanner):
    for name, top in (("shop_zh", 2), ("review_en", 1)):
        hs = list(_highlights(name, transcripts, own_root, fixtures, scanner)[2].highlights)
        hype = _hype(load_truth(fixtures / f"{name}.truth.json"))
        for h in hs[:top]:
            assert any(overlaps(h.start, h.end, s["start"], s["end"]) for s in hype), (name, h)
        assert all(h.reasons and h.score > 0 for h in hs)
        assert [h.score for h in hs] == sorted((h.score for h in hs), reverse=True)


def test_gate_keeps_violations_out_of_clips(shop_clips, fixtures):
    out_dir, hs, clips = shop_clips
    truth = load_truth(fixtures / "shop_zh.truth.json")
    bad = [s for s in truth["segments"] if s["violations"]]
    assert clips, "shop_zh has clean hype material"
    for c in clips:
        for s in bad:
            assert not overlaps(c["start"], c["end"], s["start"], s["end"]), (c, s["text"])
    # the second hype sentence says 全网最低价: its highlight is dropped, and says why
    second_hype = _hype(truth)[1]
    gated = [h for h in hs if overlaps(h.start, h.end, second_hype["start"], second_hype["end"])]
    assert gated and all(h.gate != "pass" for h in gated)
    doc = json.loads((out_dir / "highlights.json").read_text(encoding="utf-8"))
    assert any("全网最低价" in d["dropped"] for d in doc["dropped"])
    assert {"start", "end", "score", "reasons"} <= set(doc["highlights"][0])


def _audio_rms_and_lufs(path):
    with av.open(str(path)) as c:
        frames = [f.to_ndarray() for f in c.decode(audio=0)]
        rate = c.streams.audio[0].rate
    audio = np.concatenate(frames, axis=1).T.astype(np.float64)
    return float(np.sqrt(np.mean(audio**2))), pyloudnorm.Meter(rate).integrated_loudness(audio)


def _frame_at(path, t):
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            if f.time >= t:
                return f.to_ndarray(format="rgb24")
    raise AssertionError("no frame")


def test_rendered_clips_are_real_vertical_video(shop_clips):
    out_dir, _, clips = shop_clips
    index = json.loads((out_dir / "clips" / "clips.json").read_text(encoding="utf-8"))
    assert index["clips"] == clips and 1 <= len(clips) <= 3
    for c in clips:
        path = out_dir / c["path"]
        assert set(c) >= {"path", "start", "end", "score", "width", "height"}
        with av.open(str(path)) as container:
            v, a = container.streams.video[0], container.streams.audio[0]
            assert (v.codec_context.name, a.codec_context.name) == ("h264", "aac")
            assert (v.codec_context.width, v.codec_context.height) == (1080, 1920)
            duration = container.duration / av.time_base
        assert abs(duration - (c["end"] - c["start"])) <= 0.5
        assert min_clip_seconds(SHORT) - 0.5 <= duration <= SHORT.max_seconds + 1.5
        rms, lufs = _audio_rms_and_lufs(path)
        assert rms > 0.01, "audio must not be silent"
        assert -17 <= lufs <= -11, f"loudness normalized to about -14 LUFS, got {lufs:.1f}"
        cover = Image.open(out_dir / "clips" / c["cover"])
        assert cover.format == "JPEG" and cover.size == (1080, 1920)
        srt = (out_dir / "clips" / c["srt"]).read_text(encoding="utf-8")
        assert srt.startswith("1\n00:00:0")


def test_captions_and_promo_are_burned_in(shop_clips):
    out_dir, _, clips = shop_clips
    c = clips[0]
    path = out_dir / c["path"]
    srt = (out_dir / "clips" / c["srt"]).read_text(encoding="utf-8").split("\n\n")[0].splitlines()
    first_on = sum(
        float(x) * m
        for x, m in zip(srt[1].split(" --> ")[0].replace(",", ".").split(":"), (3600, 60, 1))
    )
    before, during = _frame_at(path, 0.0), _frame_at(path, first_on + 0.3)
    band = slice(int(1920 * 0.72), int(1920 * 0.84))
    white = lambda img: float(np.mean(np.all(img[band] > 225, axis=-1)))  # noqa: E731
    if first_on > 0.1:
        assert white(during) > white(before) + 0.003, "caption text must appear when speech starts"
    else:
        assert white(during) > 0.003
    top = during[int(1920 * 0.06) : int(1920 * 0.12), 200:880]
    red = np.mean((top[..., 0] > 150) & (top[..., 1] < 90) & (top[..., 2] < 90))
    assert red > 0.2, "promo banner on every frame"


def test_square_aspect_and_review_clip(transcripts, own_root, fixtures, scanner, tmp_path):
    media, _, result, findings = _highlights("review_en", transcripts, own_root, fixtures, scanner)
    layout = RecordingLayout(tmp_path / "review_en")
    one = HighlightOptions(count=1, min_seconds=4, max_seconds=20)
    clips = stage_clips(
        media, transcripts["review_en"], findings, result, layout, one, RenderOptions(aspect="1:1")
    )
    clips = [c.to_dict() for c in clips]
    assert len(clips) == 1
    with av.open(str(layout.root / clips[0]["path"])) as container:
        v = container.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (1080, 1080)
    hype = _hype(load_truth(fixtures / "review_en.truth.json"))[0]
    assert overlaps(clips[0]["start"], clips[0]["end"], hype["start"], hype["end"])
