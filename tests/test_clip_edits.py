"""Clips an editor can publish as they are: safe by default, on the moment, whole
shots, Chinese captions in the SC face, an edit loop, and an NLE timeline."""

from __future__ import annotations

import hashlib
import json
import re

import av
import jieba
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.captext import (
    UNCERTAIN_BELOW,
    Glossary,
    cards,
    chinese_punctuation,
    parse_srt,
)
from clipguard.clipper.captions import default_font, load_font
from clipguard.clipper.highlights import HighlightOptions
from clipguard.clipper.timeline import source_ranges
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.models import Finding, Highlight, Transcript, severity_rank
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.run import RunOptions, process_recording
from clipguard.writers import read_json

# default gate (review); the fixtures are short, so shorter clips are asked for

OPTS = RunOptions(
    transcribe=TranscribeOptions(hotwords=default_hotwords()),
    highlight=HighlightOptions(count=3, min_seconds=4, max_seconds=20),
)
HAN = r"[\u4e00-\u9fff]"


@pytest.fixture(scope="module")
def shop_run(fixtures, own_root, transcripts):
    """`run` with default gate on shop_zh (the transcript is already cached)."""
    assert OPTS.highlight.gate == "review", "the default gate keeps review findings out"
    media = fixtures / "shop_zh.mp4"
    result = process_recording(media, own_root, OPTS)
    layout = RecordingLayout.of(own_root, media)
    clips = read_json(layout.clips_index)["clips"]
    assert clips, "shop_zh has clean material for at least one clip"
    return media, layout, result, clips


def _cuts(media) -> list[float]:
    """Shot changes, found independently of clipguard: every frame decoded, a jump in
    the mean grey level difference of small frames."""
    times, diffs, prev = [], [], None
    with av.open(str(media)) as c:
        for f in c.decode(video=0):
            g = f.to_ndarray(format="gray", width=64, height=36).astype(np.float32) / 255
            if prev is not None:
                times.append(float(f.time))
                diffs.append(float(np.abs(g - prev).mean()))
            prev = g
    d = np.asarray(diffs)
    return [t for t, x in zip(times, d) if x > max(0.08, 6 * np.median(d))]


def test_default_gate_keeps_review_findings_and_gaps_out(shop_run):
    _, layout, _, clips = shop_run
    findings = [Finding.from_dict(f) for f in read_json(layout.findings)["findings"]]
    transcript = Transcript.from_dict(read_json(layout.transcript))
    gated = [f for f in findings if severity_rank(f.severity) >= severity_rank("review")]
    assert any(f.severity == "review" for f in gated), "shop_zh has review-level findings"
    sentences = [s for s in transcript.segments if s.words]
    for c in clips:
        for f in gated:
            sent = [s for s in sentences if s.start <= f.start <= s.end + 0.3]
            for s in sent:
                assert not (c["start"] < s.end and c["end"] > s.start), (c, f.text, s.text)
        for g in transcript.coverage.gaps:
            assert not (c["start"] < g.end and c["end"] > g.start)


def test_clips_stay_on_their_moment(shop_run):
    _, layout, _, clips = shop_run
    highlights = [Highlight.from_dict(h) for h in read_json(layout.highlights)["highlights"]]
    for c in clips:
        h = c["highlight"]
        overlap = max(0.0, min(c["end"], h["end"]) - max(c["start"], h["start"]))
        assert overlap >= 0.6 * (c["end"] - c["start"]), (c, h)
        assert any(abs(x.start - h["start"]) < 1e-3 for x in highlights)
    doc = read_json(layout.highlights)
    for d in doc["dropped"]:
        assert d["dropped"], "a dropped highlight says why"


def test_clip_edges_sit_on_whole_shots(shop_run):
    media, _, _, clips = shop_run
    cuts = _cuts(media)
    assert len(cuts) >= 4, cuts  # the fixture changes shot between sentences
    for c in clips:
        for edge in (c["start"], c["end"]):
            for cut in cuts:
                near = abs(edge - cut)
                assert near >= 0.8 or near <= 0.07, (
                    f"edge {edge:.2f} is {near:.2f}s from a shot change"
                )


def test_captions_use_chinese_punctuation_and_break_between_words(shop_run):
    _, layout, _, clips = shop_run
    transcript = Transcript.from_dict(read_json(layout.transcript))
    tok = jieba.Tokenizer()
    for c in clips:
        srt = (layout.clips_dir / c["srt"]).read_text(encoding="utf-8")
        body = "\n".join(x.text for x in parse_srt(srt))
        assert body
        assert not re.search(HAN + r"[,.!?:;]|[,.!?:;]" + HAN, body), body
        for card in parse_srt(srt):
            assert card.text[-1:] not in "，。,."  # no final punctuation on a card
            assert all(len(line) <= 13 for line in card.text.splitlines()), card.text
    # every card boundary inside a sentence is a jieba word boundary of that sentence
    for seg in transcript.segments[:12]:
        text = chinese_punctuation(seg.text)
        bounds = {0}
        for _, a, b in tok.tokenize(text):
            bounds |= {a, b}
        pos = 0
        for card in cards([seg], aspect="9:16", offset=0, duration=1e9):
            flat = card.text.replace("\n", "")
            at = text.find(flat, pos)
            assert at >= 0, (flat, text)
            assert at in bounds and at + len(flat) in bounds | {len(text.rstrip("，。！？"))}, (
                flat,
                text,
            )
            pos = at + len(flat)


def test_caption_face_is_simplified_chinese():
    font = load_font(None, 96)
    assert font.getname()[0] == "Noto Sans CJK SC"

    def draw(f: ImageFont.FreeTypeFont) -> np.ndarray:
        img = Image.new("L", (400, 130), 0)
        ImageDraw.Draw(img).text((4, 4), "骨直角", font=f, fill=255)
        return np.asarray(img, dtype=np.int16)

    path = str(default_font())
    faces = {ImageFont.truetype(path, 96, index=i).getname()[0]: i for i in range(5)}
    sc = ImageFont.truetype(path, 96, index=faces["Noto Sans CJK SC"])
    tc = ImageFont.truetype(path, 96, index=faces["Noto Sans CJK TC"])
    for f in (sc, tc):
        f.set_variation_by_axes([700])
    ours = draw(font)
    assert np.abs(ours - draw(sc)).mean() < 0.5, "captions draw the SC glyphs"
    assert np.abs(ours - draw(tc)).mean() > 2.0, "which differ from the Taiwan forms"


def test_glossary_fixes_captions_by_sound():
    g = Glossary(("上链接", "坦克模型"))
    assert g.correct("家人们，三二一，上练结") == "家人们，三二一，上链接"
    assert g.correct("一款坦克磨型") == "一款坦克模型"
    assert g.correct("今天天气不错") == "今天天气不错"
    assert chinese_punctuation("家人们,三二一,上练结!") == "家人们，三二一，上练结！"
    assert chinese_punctuation("price: 5.5 dollars") == "price: 5.5 dollars"


def _marked_chars(body: str) -> list[tuple[str, bool]]:
    """An .srt card body read without clipguard: each shown character, and whether it
    sits between an opening ``{\\?P}`` and a closing ``{\\?}``."""
    out, inside = [], False
    for piece in re.split(r"(\{\\\?[0-9.]*\})", body):
        if re.fullmatch(r"\{\\\?[0-9.]*\}", piece):
            inside = piece != "{\\?}"
        else:
            out += [(ch, inside) for ch in piece]
    return out


def test_clip_srt_marks_exactly_the_words_below_the_threshold(shop_run):
    _, layout, _, clips = shop_run
    transcript = Transcript.from_dict(read_json(layout.transcript))
    n_marks = 0
    for c in clips:
        path = layout.clips_dir / c["srt"]
        srt = path.read_text(encoding="utf-8")
        # the hash the edit loop compares is of the file as written, marks and all
        assert hashlib.sha256(path.read_bytes()).hexdigest() == c["srt_sha256"]
        heard = [
            (ch, w.probability)
            for s in transcript.segments
            if s.words and s.end > c["start"] and s.start < c["end"]
            for w in s.words
            for ch in w.word
            if ch.isalnum()
        ]
        pos = 0
        for block in re.split(r"\n\s*\n", srt.strip()):
            for ch, inside in _marked_chars("\n".join(block.splitlines()[2:])):
                if not ch.isalnum():
                    continue
                while heard[pos][0] != ch:  # the clip's captions are its words in order
                    pos += 1
                assert inside == (heard[pos][1] < UNCERTAIN_BELOW), (ch, heard[pos], block)
                pos += 1
        marks = re.findall(r"\{\\\?([0-9.]+)\}(.*?)\{\\\?\}", srt)
        assert all(float(p) < UNCERTAIN_BELOW for p, _ in marks)
        assert [w for u in c["uncertain"] for w in u["words"]] == [w for _, w in marks]
        for u in c["uncertain"]:
            assert c["start"] <= u["start"] < c["end"]
            assert [u["caption"][a:b] for a, b in u["spans"]] == u["words"]
        n_marks += len(marks)
    assert n_marks, "the base model is unsure of some words of shop_zh"


def _caption_band(path, t):
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            if f.time >= t:
                img = f.to_ndarray(format="rgb24")
                return img[int(1920 * 0.70) : int(1920 * 0.86)].astype(np.int16)
    raise AssertionError("no frame")


def test_edited_srt_rerenders_that_clip_only(shop_run, own_root):
    media, layout, _, clips = shop_run
    target = layout.clips_dir / clips[0]["srt"]
    before = _caption_band(layout.clip(1), 1.0)
    others = {i: layout.clip(i).stat().st_mtime_ns for i in range(2, len(clips) + 1)}
    edited = parse_srt(target.read_text(encoding="utf-8"))
    # the editor fixed the words and left one mark in place
    lines = [
        f"{i}\n00:00:00,000 --> 00:00:{int(edited[-1].end) + 1:02d},000\n"
        "明晚8点 {\\?0.30}不见{\\?}不散\n"
        for i in (1,)
    ]
    target.write_text("\n".join(lines), encoding="utf-8")
    result = process_recording(media, own_root, OPTS)
    assert result.clips == len(clips)
    manifest = read_json(layout.manifest)
    assert manifest["stages"]["clips"]["rendered"] == 1
    assert manifest["stages"]["transcribe"]["cached"] and manifest["stages"]["scan"]["cached"]
    index = read_json(layout.clips_index)["clips"]
    assert index[0]["captions"] == "edited"
    (card,) = parse_srt(target.read_text(encoding="utf-8"))
    assert card.text == "明晚8点 不见不散", "the marks are not part of the caption"
    assert "{\\?0.30}不见{\\?}" in target.read_text(encoding="utf-8"), "the left mark stays"
    assert index[0]["uncertain"][0]["words"] == ["不见"]
    after = _caption_band(layout.clip(1), 1.0)
    assert np.abs(after - before).mean() > 1.0, "the burned-in caption changed"
    assert all(layout.clip(i).stat().st_mtime_ns == m for i, m in others.items())


def test_timelines_read_back_with_the_clips_source_ranges(shop_run):
    _, layout, _, clips = shop_run
    for path in (layout.timeline_otio, layout.timeline_xml):
        ranges = source_ranges(path)
        assert len(ranges) == len(clips), path
        for (name, start, end), c in zip(ranges, clips):
            assert name == f"clip_{clips.index(c) + 1:02d}"
            assert abs(start - c["start"]) < 0.05 and abs(end - c["end"]) < 0.05, (path, name)
    otio_doc = json.loads(layout.timeline_otio.read_text(encoding="utf-8"))
    assert "highlights" in json.dumps(otio_doc["metadata"])
    assert "<xmeml" in layout.timeline_xml.read_text(encoding="utf-8")
