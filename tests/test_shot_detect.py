"""Shot changes on colour (issue #20): the made corpus (``tests/shot_corpus.py``) is
found frame-exactly, and clips of a recording whose shots differ only in hue never
open or close on a frame of another shot."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
import shot_corpus as sc

from clipguard.clipper.highlights import HighlightOptions
from clipguard.clipper.render import RenderOptions
from clipguard.clipper.signals import dense_motion, scan_keyframes
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.keys import sha256_file
from clipguard.pipeline.clipping import stage_clips
from clipguard.pipeline.highlights import stage_highlights
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_scan


def _found(path: Path, seconds: float) -> list[int]:
    return [int(round(t * sc.FPS)) for t in dense_motion(path, 0.0, seconds + 1)[2]]


# the one miss, and why: its two camera scenes share a palette (histogram distance
# 0.27 across the dissolve, under GRADUAL_CUT), and content_val drowns in their motion
KNOWN_MISSES = {("held_out", "dissolve1")}


# ~6 s a split: the tune split stays in the quick run, the others go with the slow
@pytest.mark.parametrize(
    "split", ["tune", *(pytest.param(s, marks=pytest.mark.slow) for s in sc.SPLITS if s != "tune")]
)
def test_corpus_cuts_found_within_a_frame_and_none_on_static_scenes(split, tmp_path):
    hit = total = 0
    for case, path in sc.build(split, tmp_path):
        found = _found(path, case.frames / sc.FPS)
        h, n, false = sc.score(case, found)
        assert false == 0, (case.name, found)
        if (split, case.name) not in KNOWN_MISSES:
            assert h == n, (case.name, found, case.cuts, case.transitions)
        hit, total = hit + h, total + n
    assert hit >= total - sum(s == split for s, _ in KNOWN_MISSES), f"{split}: {hit}/{total}"


def test_keyframe_scan_sees_a_hue_only_change(tmp_path):
    """#2b3a55 -> #553b2b is one bin of a grey histogram; the scan must see it."""
    case = sc.cases("tune")[0]
    assert case.make is not None
    path = sc.encode(case.make(), tmp_path / "hue.mp4", gop=15)
    cuts = [int(round(t * sc.FPS)) for t in scan_keyframes(path).cuts]
    assert len(cuts) == len(case.cuts)
    assert all(0 <= f - c < 15 for f, c in zip(cuts, case.cuts)), (cuts, case.cuts)


# dark backgrounds of equal luma and different hue: a grey histogram sees one picture
PALETTE = [sc.equal_luma(h, 57) for h in (220, 20, 120)]
EDGE = 0.8  # seconds at each end of a clip that must show only the edge's own shot
W, H = 320, 180  # fitted over a blurred fill like any stream under 2.5x upscale


def _hue_recording(segments, audio: Path, dest: Path) -> tuple[Path, list[float]]:
    """``audio``'s speech over hue-only shots that change 0.1 s after a sentence's last
    word and 0.1 s before the next one's first word (a short shot in between): an edge
    the default breath (0.25 s) away from its word, snapped blind to the change,
    shows 0.15 s of another shot, as measured in the field (#20)."""
    changes: list[float] = []
    for a, b in zip(segments, segments[1:]):
        gap = (a.end + 0.1, b.start - 0.1)
        changes += list(gap) if gap[1] - gap[0] >= 0.2 else [(a.end + b.start) / 2]
    with av.open(str(audio)) as c:
        seconds = float(c.duration or 0) / av.time_base
    rng = np.random.default_rng(7)
    noise = [rng.normal(0, 2, (H, W, 1)) for _ in range(5)]

    def frames():
        for i in range(int(seconds * sc.FPS)):
            shot = int(np.searchsorted(changes, i / sc.FPS, side="right"))
            img = np.empty((H, W, 3), np.float32)
            img[:] = PALETTE[shot % len(PALETTE)]
            x = int(W * 0.45 + 15 * np.sin(i / 9.0))
            img[int(H * 0.35) :, x : x + W // 5] = (150, 140, 135)  # the presenter
            yield np.clip(img + noise[i % 5], 0, 255).astype(np.uint8)

    return sc.encode(frames(), dest, audio=audio), changes


def _background(img: np.ndarray) -> int:
    """The palette index nearest to a plain background patch of a rendered vertical
    frame: the 16:9 source is fitted over a blurred fill at rows 656-1263 (render.py's
    ``_blur_pad``), the presenter from row ~890 and column ~430 on, captions (off
    here) and the promo line outside the source."""
    patch = img[680:800, 60:360].reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(patch - np.asarray(p)).sum() for p in PALETTE]))


@pytest.mark.slow
def test_hue_only_shots_never_flash_at_a_clip_edge(transcripts, fixtures, tmp_path):
    transcript = transcripts["shop_zh"]
    segments = [s for s in transcript.segments if s.words]
    media, changes = _hue_recording(segments, fixtures / "shop_zh.mp4", tmp_path / "hue.mp4")
    info = replace(transcript.media, path=str(media), sha256=sha256_file(media), fps=sc.FPS)
    transcript = replace(transcript, media=replace(info, has_video=True, width=W, height=H))
    layout = RecordingLayout.of(tmp_path / "out", media)
    opts = HighlightOptions(count=2, min_seconds=4, max_seconds=8)
    fast = RenderOptions(preset="ultrafast", captions=False, loudness=False)
    findings = stage_scan(transcript, layout, Scanner(resolve_packs(None)))
    result = stage_highlights(media, transcript, findings, layout, opts)
    clips = stage_clips(media, transcript, findings, result, layout, opts, fast)
    assert clips, "shop_zh has clean material for a clip"
    index = json.loads(layout.clips_index.read_text(encoding="utf-8"))["clips"]

    def shot(t: float) -> int:
        return int(np.searchsorted(changes, t, side="right")) % len(PALETTE)

    for c in index:
        want_start, want_end = shot(c["start"] + 1e-3), shot(c["end"] - 1e-3)
        with av.open(str(layout.root / c["path"])) as container:
            duration = float(container.duration or 0) / av.time_base
            for f in container.decode(video=0):
                t = float(f.time or 0.0)
                if EDGE <= t <= duration - EDGE:
                    continue
                want = want_start if t < EDGE else want_end
                got = _background(f.to_ndarray(format="rgb24"))
                assert got == want, f"{c['path']} at {t:.2f}s shows shot colour {got}, not {want}"
