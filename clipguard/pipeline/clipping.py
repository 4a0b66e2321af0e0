"""The clip stage: spans on whole shots, one render per clip, an editor's loop, and
the editing-software timelines (OTIO, FCP 7 XML, 剪映 draft: ``RunOptions.timeline``).

Each clip has its own key (source, span, caption text, render options), so a re-run
re-renders only the clips whose inputs changed. An editor who fixes a caption in
``clips/clip_NN.srt`` and runs ``clip`` again gets that clip re-rendered with the
edited text and nothing else redone: the .srt on disk differs from the one written,
so its text becomes the clip's captions (and part of its key).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clipguard.clipper.highlights import (
    GATE_MARGIN,
    HighlightOptions,
    HighlightsResult,
    gated_findings,
    min_clip_seconds,
)
from clipguard.clipper.render import RenderOptions, caption_cards, render_clip
from clipguard.clipper.signals import GRID, exact_cuts
from clipguard.clipper.spans import clip_spans
from clipguard.faults import refinement
from clipguard.keys import code_version, sha256_file, stage_key
from clipguard.media import require_video
from clipguard.models import SCHEMA_VERSION, Clip, ClipPlan, Finding, Transcript
from clipguard.options import TIMELINES, output_size
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.progress import ProgressFn
from clipguard.writers import ensure_dir, read_json, write_json

if TYPE_CHECKING:
    from clipguard.clipper.timeline import ClipTimeline

log = logging.getLogger(__name__)


# the code that renders a clip, hashed into each clip's key (clipguard.keys)
RENDER_CODE = (
    "clipguard.clipper.render",
    "clipguard.clipper.captions",
    "clipguard.clipper.captext",
    "clipguard.clipper.reframe",
    "clipguard.clipper.encode",
)
# the code that writes the timelines, hashed into the stage's key
TIMELINE_CODE = ("clipguard.clipper.timeline", "clipguard.clipper.jianying")


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
    timelines: Sequence[str] = TIMELINES,
    link_media: str = "absolute",
) -> list[Clip]:
    """Render the top gated highlights, each only when its own inputs changed, and
    write the chosen ``timelines`` of them (``link_media``: how a 剪映 draft holds the
    recording). A changed choice of timelines re-exports them without re-rendering."""
    layout.create()
    manifest = Manifest.load(layout.manifest)
    segments = [s for s in transcript.segments if s.words]
    spans = clip_spans(
        result.highlights,
        highlight.count,
        segments,
        exact_cuts(Path(media_path), result.dense),
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
        # an edited card's marks count too: removing them re-renders (the report shows them)
        text = (
            [(c.start, c.end, c.text, c.uncertain) for c in edited]
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
    exports = (code_version(*TIMELINE_CODE), list(timelines), link_media)
    stage = stage_key(
        [k for _, _, k in plans],
        [_sha(layout.clip(i, ".srt")) for i in range(1, len(plans) + 1)],
        *exports,
    )
    expected = [layout.clip(i) for i in range(1, len(plans) + 1)]
    expected += [layout.timeline(f) for f in timelines]
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
    timeline = None
    with refinement("clips", "timeline export (the clips' timeline)"):
        ordered = [plan for plan, _, _ in plans]
        timeline = _clip_timeline(layout, transcript, clips, ordered, result, options, link_media)
    if timeline is not None:
        _export_timelines(layout, timeline, timelines)
    stage = stage_key(
        [c.key for c in clips],
        [_sha(layout.clip(i, ".srt")) for i in range(1, len(clips) + 1)],
        *exports,
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


def _clip_timeline(
    layout: RecordingLayout,
    transcript: Transcript,
    clips: list[Clip],
    plans: list[ClipPlan],
    result: HighlightsResult,
    options: RenderOptions,
    link_media: str,
) -> ClipTimeline:
    """What every timeline format shows: each clip's source range of the recording,
    its captions as burned (the renderer's own cards), its cover, the promo line."""
    from clipguard.clipper.timeline import ClipTimeline, TimelineClip

    media = transcript.media
    items = []
    for clip, plan in zip(clips, plans):
        cards = tuple(caption_cards(plan, options)) if options.captions else ()
        items.append(
            TimelineClip(
                name=f"clip_{plan.index:02d}",
                start=clip.start,
                end=clip.end,
                score=clip.score,
                highlight=dict(clip.highlight),
                cards=cards,
                cover=layout.clips_dir / clip.cover if clip.cover else None,
                reframe=clip.reframe,
            )
        )
    return ClipTimeline(
        name=Path(media.path).stem,
        media=Path(media.path),
        duration=media.duration,
        fps=media.fps or 25.0,
        width=media.width,
        height=media.height,
        canvas=output_size(options.aspect),
        clips=tuple(items),
        highlights=tuple(result.highlights),
        promo_text=options.promo_text,
        link_media=link_media,
    )


def _export_timelines(
    layout: RecordingLayout, timeline: ClipTimeline, timelines: Sequence[str]
) -> None:
    """Each chosen format in its own refinement (a failed 剪映 draft still leaves the
    OTIO); the formats not chosen are removed, so no stale timeline describes clips
    that changed since."""
    import shutil

    from clipguard.clipper import timeline as writers

    for fmt in TIMELINES:
        dest = layout.timeline(fmt)
        if fmt in timelines:
            with refinement("clips", f"timeline export ({writers.label(fmt)})"):
                writers.write(timeline, fmt, dest)
        else:
            if dest.is_dir():
                shutil.rmtree(dest, ignore_errors=True)
            else:
                dest.unlink(missing_ok=True)
            if dest.parent != layout.clips_dir:  # a draft's own folder, left empty
                with contextlib.suppress(OSError):
                    dest.parent.rmdir()
