"""The clip stage: spans on whole shots, one render per clip, an editor's loop, and
the editing-software timeline.

Each clip has its own key (source, span, caption text, render options), so a re-run
re-renders only the clips whose inputs changed. An editor who fixes a caption in
``clips/clip_NN.srt`` and runs ``clip`` again gets that clip re-rendered with the
edited text and nothing else redone: the .srt on disk differs from the one written,
so its text becomes the clip's captions (and part of its key).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from clipguard.clipper.highlights import (
    GATE_MARGIN,
    HighlightOptions,
    HighlightsResult,
    gated_findings,
    min_clip_seconds,
)
from clipguard.clipper.render import RenderOptions, render_clip
from clipguard.clipper.signals import GRID, exact_cuts
from clipguard.clipper.spans import clip_spans
from clipguard.faults import refinement
from clipguard.keys import code_version, sha256_file, stage_key
from clipguard.media import require_video
from clipguard.models import SCHEMA_VERSION, Clip, ClipPlan, Finding, Transcript
from clipguard.options import output_size
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.progress import ProgressFn
from clipguard.writers import ensure_dir, read_json, write_json

log = logging.getLogger(__name__)


# the code that renders a clip, hashed into each clip's key (clipguard.keys)
RENDER_CODE = (
    "clipguard.clipper.render",
    "clipguard.clipper.captions",
    "clipguard.clipper.captext",
    "clipguard.clipper.reframe",
)


def _sha(path: Path) -> str:
    """An edited caption file's content hash; "" when there is none."""
    return sha256_file(path) if path.exists() else ""


def _previous(layout: RecordingLayout) -> list[Clip]:
    try:
        return [Clip.from_dict(c) for c in read_json(layout.clips_index)["clips"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _edited_cards(
    layout: RecordingLayout, i: int, span: tuple[float, float], old: list[Clip]
) -> tuple | None:
    """The cards of an .srt the editor changed for this same span, else None."""
    from clipguard.clipper.captext import parse_srt

    srt = layout.clip(i, ".srt")
    prev = old[i - 1] if i <= len(old) else None
    if prev is None or not srt.exists():
        return None
    if abs(prev.start - span[0]) > 1e-3 or abs(prev.end - span[1]) > 1e-3:
        return None  # the clip moved: the edit belonged to other words
    if prev.captions != "edited" and _sha(srt) == prev.srt_sha256:
        return None
    try:
        return tuple(parse_srt(srt.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return None


def gated_spans(
    transcript: Transcript, findings: list[Finding], gate: str
) -> list[tuple[float, float]]:
    """Where no clip edge may reach: the whole sentence around every finding at or
    above the gate (word end times run early, so a pause edge could keep a violating
    sentence's last syllable), every coverage gap, each with the gate's margin."""
    spans = []
    for f in gated_findings(transcript, findings, gate):
        a, b = f.start, f.end
        for s in transcript.segments:
            if s.start <= f.end and s.end >= f.start:
                a, b = min(a, s.start), max(b, s.end)
        spans.append((a - GATE_MARGIN, b + GATE_MARGIN))
    return spans


def stage_clips(
    media_path: Path,
    transcript: Transcript,
    findings: list[Finding],
    result: HighlightsResult,
    layout: RecordingLayout,
    highlight: HighlightOptions,
    options: RenderOptions,
    *,
    progress: ProgressFn | None = None,
) -> list[Clip]:
    """Render the top gated highlights, each only when its own inputs changed."""
    layout.create()
    manifest = Manifest.load(layout.manifest)
    segments = [s for s in transcript.segments if s.words]
    spans = clip_spans(
        result.highlights,
        highlight.count,
        segments,
        exact_cuts(Path(media_path)),
        floor=min_clip_seconds(highlight),
        max_seconds=highlight.max_seconds,
        forbidden=gated_spans(transcript, findings, highlight.gate),
    )
    width, height = output_size(options.aspect)
    old = _previous(layout)
    plans = []
    curve = result.score_curve()
    for i, (start, end, h) in enumerate(spans, 1):
        caps = tuple(s for s in segments if s.end > start and s.start < end)
        cover_time = None
        if curve is not None and curve.size:
            a, b = int(start / GRID), max(int(start / GRID) + 1, int(end / GRID))
            cover_time = (a + int(np.argmax(curve[a:b]))) * GRID + GRID / 2
        edited = _edited_cards(layout, i, (start, end), old)
        plan = ClipPlan(
            i,
            Path(media_path),
            start,
            end,
            h.score,
            width,
            height,
            caps,
            options.promo_text,
            h.reasons,
            cover_time,
            edited,
        )
        text = (
            [(c.start, c.end, c.text) for c in edited]
            if edited is not None
            else [s.text for s in caps]
        )
        key = stage_key(
            code_version(*RENDER_CODE),
            transcript.media.sha256,
            start,
            end,
            text,
            asdict(options),
            width,
            height,
        )
        plans.append((plan, h, key))
    stage = stage_key(
        [k for _, _, k in plans], [_sha(layout.clip(i, ".srt")) for i in range(1, len(plans) + 1)]
    )
    expected = [layout.clip(i) for i in range(1, len(plans) + 1)]
    cached = manifest.reuse(
        "clips", stage, [layout.clips_index, *expected], lambda: _previous(layout)
    )
    if cached is not None:
        return cached
    require_video(transcript.media)
    t0 = time.perf_counter()
    ensure_dir(layout.clips_dir)
    clips: list[Clip] = []
    rendered = 0
    for plan, h, key in plans:
        prev = old[plan.index - 1] if plan.index <= len(old) else None
        if prev is not None and prev.key == key and layout.clip(plan.index).exists():
            clips.append(prev)  # unchanged: keep the file
        else:
            clip = render_clip(plan, layout.clip(plan.index), options)
            clips.append(
                replace(
                    clip,
                    highlight={"start": h.start, "end": h.end, "gate": h.gate},
                    key=key,
                    srt_sha256=_sha(layout.clip(plan.index, ".srt")),
                    captions="edited" if plan.cards is not None else "transcript",
                )
            )
            rendered += 1
        if progress:
            progress(plan.index, len(plans))
    write_json(
        layout.clips_index,
        {"schema_version": SCHEMA_VERSION, "clips": [c.to_dict() for c in clips]},
    )
    for stale in old[len(clips) :]:  # our own earlier clips beyond the new count
        for suffix in (".mp4", ".srt", ".jpg"):
            layout.clip(int(Path(stale.path).stem.split("_")[-1]), suffix).unlink(missing_ok=True)
    with refinement("clips", "timeline export (OTIO, FCP 7 XML)"):
        _export_timeline(layout, Path(media_path), transcript, clips, list(result.highlights))
    stage = stage_key(
        [c.key for c in clips], [_sha(layout.clip(i, ".srt")) for i in range(1, len(clips) + 1)]
    )
    manifest.record(
        "clips",
        "ok",
        key=stage,
        seconds=time.perf_counter() - t0,
        clips=len(clips),
        rendered=rendered,
    )
    return clips


def _export_timeline(
    layout: RecordingLayout,
    media: Path,
    transcript: Transcript,
    clips: list[Clip],
    highlights: list,
) -> None:
    from clipguard.clipper import timeline

    tl = timeline.build(
        media.stem,
        media,
        transcript.media.duration,
        transcript.media.fps or 25.0,
        clips,
        highlights,
    )
    timeline.write(tl, layout.timeline_otio, layout.timeline_xml)
