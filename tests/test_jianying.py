"""剪映 drafts of real clips, read back with pyJianYingDraft's own loader.

The clips are those of tests/test_clips.py (same recording, highlight and render
options, same session output root), so in a full run every clip is already rendered
and only the timelines are written here; run alone, this module renders them once.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyJianYingDraft as jy
import pytest
from typer.testing import CliRunner

from clipguard.cli.app import app
from clipguard.clipper import jianying, timeline
from clipguard.clipper.captext import Card, parse_srt
from clipguard.clipper.highlights import HighlightOptions
from clipguard.clipper.render import RenderOptions
from clipguard.clipper.timeline import ClipTimeline, TimelineClip
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.options import TIMELINES, RunOptions
from clipguard.pipeline.clipping import stage_clips
from clipguard.pipeline.highlights import stage_highlights
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_scan
from clipguard.writers import read_json

SHORT = HighlightOptions(count=3, min_seconds=4, max_seconds=20)  # as tests/test_clips.py
PROMO = "明晚8点 直播间见"
runner = CliRunner()


@pytest.fixture(scope="module")
def make_clips(transcripts, own_root, fixtures):
    """The clip stage on shop_zh with the given timelines / link_media."""
    media = fixtures / "shop_zh.mp4"
    layout = RecordingLayout.of(own_root, media)
    findings = stage_scan(transcripts["shop_zh"], layout, Scanner(resolve_packs(None)))
    result = stage_highlights(
        media, transcripts["shop_zh"], findings, layout, SHORT, fixtures / "shop_zh.chat.jsonl"
    )

    def make(**kw):
        stage_clips(
            media,
            transcripts["shop_zh"],
            findings,
            result,
            layout,
            SHORT,
            RenderOptions(promo_text=PROMO),
            **kw,
        )
        return layout, read_json(layout.clips_index)["clips"], transcripts["shop_zh"]

    return make


def _texts(script) -> dict[str, str]:
    return {m["id"]: json.loads(m["content"])["text"] for m in script.imported_materials["texts"]}


def _colour(style) -> tuple[float, ...]:
    return tuple(style["fill"]["content"]["solid"]["color"])


def _track(script, name):
    kind = jy.TrackType.video if name == "clips" else jy.TrackType.text
    return script.get_imported_track(kind, name=name)


def test_draft_holds_the_clips_captions_promo_and_cover(make_clips):
    layout, clips, transcript = make_clips(timelines=TIMELINES, link_media="absolute")
    draft = layout.jianying_draft
    assert draft == layout.clips_dir / "jianying" / "shop_zh"
    script = jy.DraftFolder(str(draft.parent)).load_template(draft.name)
    assert (script.width, script.height) == (1080, 1920)

    # one segment per clip, cut from the ORIGINAL recording at the clip's source in/out
    videos = _track(script, "clips").segments
    assert len(videos) == len(clips) >= 1
    frame = 1 / (transcript.media.fps or 25)
    at = 0
    for seg, c in zip(videos, clips):
        src = seg.raw_data["source_timerange"]
        assert abs(src["start"] / 1e6 - c["start"]) <= frame
        assert abs((src["start"] + src["duration"]) / 1e6 - c["end"]) <= frame
        assert seg.start == at  # the clips follow each other on the main track
        at += seg.duration
    content = json.loads((draft / jianying.CONTENT).read_text(encoding="utf-8"))
    (material,) = content["materials"]["videos"]
    assert material["path"] == Path(transcript.media.path).resolve().as_posix()
    assert material["duration"] == round(transcript.media.duration * 1e6)

    # captions: the cards of each clip's .srt, at the clip's place on the timeline
    texts = _texts(script)
    captions = _track(script, "captions").segments
    got = [(s.start / 1e6, s.end / 1e6, texts[s.material_id]) for s in captions]
    want, cards = [], []
    for seg, c in zip(videos, clips):
        length = c["end"] - c["start"]  # an editor's card may run past the clip's end
        for card in parse_srt((layout.clips_dir / c["srt"]).read_text(encoding="utf-8")):
            end = min(card.end, length)
            want.append((seg.start / 1e6 + card.start, seg.start / 1e6 + end, card.text))
            cards.append(card)
    assert want, "shop_zh's clips have captions"
    assert [t for _, _, t in got] == [t for _, _, t in want]
    for (a, b, _), (x, y, _) in zip(got, want):
        assert abs(a - x) <= 0.0011 and abs(b - y) <= 0.0011
    # words the ASR was unsure of (marked in the .srt, when captext marks them) are yellow
    styles = {m["id"]: json.loads(m["content"])["styles"] for m in content["materials"]["texts"]}
    for seg, card in zip(captions, cards):
        yellow = [s["range"] for s in styles[seg.material_id] if _colour(s) == jianying.UNCERTAIN]
        marks = getattr(card, "uncertain", ())
        pieces = jianying.colour_ranges(len(card.text), marks)
        assert yellow == [[a, b] for a, b, marked in pieces if marked], card
    allowed = {jianying.WHITE, jianying.UNCERTAIN}  # white like the burned captions
    assert {_colour(s) for ss in styles.values() for s in ss} <= allowed
    # in the bottom area: 78 % down, where the burned cards sit
    assert captions[0].raw_data["clip"]["transform"]["y"] == pytest.approx(-0.56)

    # the promo line: its own track, over each whole clip
    promo = _track(script, "promo").segments
    assert [texts[s.material_id] for s in promo] == [PROMO] * len(clips)
    assert [(s.start, s.duration) for s in promo] == [(v.start, v.duration) for v in videos]

    # meta: name, length, the first clip's cover, the recording in the media panel
    meta = json.loads((draft / jianying.META).read_text(encoding="utf-8"))
    assert meta["draft_name"] == "shop_zh" and meta["tm_duration"] == at == script.duration
    assert meta["draft_id"] == content["id"]
    assert meta["draft_cover"] == jianying.COVER
    first_cover = layout.clips_dir / clips[0]["cover"]
    assert (draft / jianying.COVER).read_bytes() == first_cover.read_bytes()
    (entry,) = next(g for g in meta["draft_materials"] if g["type"] == 0)["value"]
    assert entry["file_Path"] == material["path"]


def test_copied_draft_moves_and_reruns_leave_no_debris(make_clips, tmp_path):
    layout, clips, transcript = make_clips(timelines=("jianying",), link_media="copy")
    make_clips(timelines=("jianying",), link_media="copy")  # a re-run replaces it whole
    draft = layout.jianying_draft
    assert [p.name for p in draft.parent.iterdir()] == [draft.name]  # no .part / .old
    assert not layout.timeline_otio.exists()  # only the chosen format is left
    content_text = (draft / jianying.CONTENT).read_text(encoding="utf-8")
    assert str(layout.root) not in content_text  # nothing points back at the output

    moved = tmp_path / "JianyingPro Drafts" / draft.name
    moved.parent.mkdir()
    shutil.move(str(draft), str(moved))
    script = jy.DraftFolder(str(moved.parent)).load_template(moved.name)
    assert len(_track(script, "clips").segments) == len(clips)
    (material,) = json.loads((moved / jianying.CONTENT).read_text("utf-8"))["materials"]["videos"]
    assert material["path"].startswith(jianying.PLACEHOLDER)
    resolved = jianying.material_path(moved, material["path"])
    assert resolved.is_relative_to(moved), resolved
    assert resolved.read_bytes() == Path(transcript.media.path).read_bytes()
    meta = json.loads((moved / jianying.META).read_text("utf-8"))
    (entry,) = next(g for g in meta["draft_materials"] if g["type"] == 0)["value"]
    assert (moved / entry["file_Path"]).is_file()
    assert (moved / meta["draft_cover"]).is_file()


def test_otio_alone_writes_no_draft(make_clips):
    layout, clips, _ = make_clips(timelines=("otio",))
    assert not layout.jianying_draft.exists() and not layout.jianying_draft.parent.exists()
    assert not layout.timeline_xml.exists()
    ranges = timeline.source_ranges(layout.timeline_otio)
    assert [(round(a, 1), round(b, 1)) for _, a, b in ranges] == [
        (round(c["start"], 1), round(c["end"], 1)) for c in clips
    ]


@dataclass(frozen=True)
class _UnsureCard(Card):
    """A card as captext will make it once it carries ASR confidence."""

    uncertain: tuple[tuple[int, int], ...] = ()


def test_uncertain_words_are_coloured_for_the_editor(monkeypatch):
    import pymediainfo

    # no libmediainfo needed: the material's duration and size are clipguard's own
    monkeypatch.setattr(pymediainfo.MediaInfo, "can_parse", lambda *a: False)
    card = _UnsureCard(0.5, 2.0, "包治百病\n效果好", ((0, 4), (3, 2), (6, 99)))
    tl = ClipTimeline(
        "live",
        Path("/recordings/live.mp4"),
        60.0,
        30.0,
        1920,
        1080,
        (1080, 1920),
        (TimelineClip("clip_01", 10.0, 20.0, cards=(card, Card(2.0, 3.0, "没问题"))),),
        promo_text="",
    )
    content = json.loads(jianying.build_script(tl, str(tl.media), "ID").dumps())
    first, second = (json.loads(m["content"]) for m in content["materials"]["texts"])
    colours = [(s["range"], s["fill"]["content"]["solid"]["color"]) for s in first["styles"]]
    assert colours == [
        ([0, 4], list(jianying.UNCERTAIN)),
        ([4, 6], [1.0, 1.0, 1.0]),
        ([6, 8], list(jianying.UNCERTAIN)),
    ]
    assert [s["range"] for s in second["styles"]] == [[0, 3]]  # no marks: one style
    (video,) = next(t for t in content["tracks"] if t["type"] == "video")["segments"]
    assert video["source_timerange"] == {"start": 10_000_000, "duration": 10_000_000}
    assert video["clip"]["scale"]["x"] == pytest.approx(1920 / 1080 * 1920 / 1080)  # a fill
    assert not [t for t in content["tracks"] if t["name"] == "promo" and t["segments"]]


def test_every_timeline_format_has_a_writer_and_a_path(tmp_path):
    layout = RecordingLayout(tmp_path / "live")
    assert set(timeline.WRITERS) == set(TIMELINES)
    for fmt in TIMELINES:
        assert timeline.writer(fmt).label == timeline.label(fmt)
        assert layout.clips_dir in layout.timeline(fmt).parents


def test_timeline_flag_reaches_the_options_and_a_bad_value_is_one_line(
    fixtures, tmp_path, monkeypatch
):
    import clipguard.compliance_rules.scanner as scanner
    import clipguard.pipeline.run as run

    seen = []
    monkeypatch.setattr(scanner, "scanner_for", lambda rules: None)  # not what is tested
    monkeypatch.setattr(run, "process_recording", lambda *a, **kw: seen.append(a[2]) or _stop())
    media = str(fixtures / "shop_zh.mp4")
    for args, want in (([], TIMELINES), (["--timeline", "otio"], ("otio",))):
        runner.invoke(app, ["clip", media, "--out", str(tmp_path), *args])
        assert seen.pop().timeline == want
    assert RunOptions.of(timeline="fcp7, jianying").timeline == ("fcp7", "jianying")

    bad = runner.invoke(app, ["clip", media, "--timeline", "otio,capcut", "--out", str(tmp_path)])
    assert bad.exit_code == 2
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "--timeline" in bad.stderr and "'capcut'" in bad.stderr
    assert "Traceback" not in bad.output and not list(tmp_path.iterdir())


def _stop():
    raise SystemExit(0)  # the options were seen: no need to transcribe
