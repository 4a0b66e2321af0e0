"""The clips as a 剪映 (JianyingPro) draft: a folder 剪映 opens as an editable project.

Chinese short-video editors finish promos in 剪映, so besides OTIO and FCP 7 XML the
clip stage writes ``clips/jianying/<stem>/`` with pyJianYingDraft (0.3.1): one video
segment per clip taken from the ORIGINAL recording at the clip's source in/out (the
clean picture; the burned ``clip_NN.mp4`` would bake captions into it), the captions
as an editable text track styled like the burned ones (white on a dark box at 78 % of
the height), words the ASR was unsure of coloured yellow (``Card.uncertain``, for the
editor to check and reset), the promo line as its own text track, and the first
clip's cover as the draft cover.

What the format targets and what it cannot do (not checked against a running 剪映
here: the layout follows pyJianYingDraft and drafts other tools write):

- 剪映专业版 5.x for Windows (the library's template says 5.9.0, the version it is
  tested on). 剪映 6.x and later encrypt ``draft_content.json`` when they save, but
  open a plain one (the library's notes); once saved by them it no longer reads back
  as JSON. Newer builds and CapCut for macOS are reported to read ``draft_info.json``,
  which we do not write.
- 剪映 lists only drafts inside its draft folder (设置 → 草稿位置, e.g.
  ``D:\\JianyingPro Drafts\\``): copy the ``<stem>`` folder there and reopen 剪映.
  ``draft_fold_path``/``draft_root_path`` name where clipguard wrote it.
- Media: ``link_media=absolute`` names the recording by its absolute path, which means
  nothing on another machine (剪映 then asks to relink, 链接媒体). ``copy``/``hardlink``
  put it in ``<stem>/media/`` and refer to it as
  ``##_draftpath_placeholder_<UUID>_##/media/<name>``, the token 剪映's own drafts use
  for "this draft's folder, wherever it is now", so the folder can be carried to the
  editor's Windows machine as is; the media panel entry (``draft_materials``) holds
  the folder-relative path. A copied draft is as big as the recording.
- One draft holds all clips one after another; 剪映 exports a draft as one video, so
  an editor exports a clip by its range or deletes the others.
- The picture is the clean recording, not the burned framing: a "fit" clip gets
  剪映's blur background, a cropped one a centred fill (subject tracking is not
  reproduced). Fonts are 剪映's default; sizes are in 剪映's unit, set by eye. The
  cover is ``draft_cover.jpg`` (pyJianYingDraft has no cover call; we write it).
- Colour ranges count characters like pyJianYingDraft; text outside the BMP (emoji)
  may be shifted in 剪映.
- pyJianYingDraft probes media with pymediainfo (libmediainfo); we do not: duration
  and size come from clipguard's own probe, so nothing is probed or downloaded.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyJianYingDraft as jy
from pyJianYingDraft import assets as jy_assets

from clipguard.clipper.timeline import ClipTimeline, TimelineClip
from clipguard.writers import atomic_dir, normal_mode, write_json, write_text

log = logging.getLogger(__name__)

SEC = jy.SEC  # 剪映 counts microseconds
# 剪映 replaces this with the draft's own folder (the token its own drafts use)
PLACEHOLDER = "##_draftpath_placeholder_0E685133-18CE-45ED-8CB8-2904A212EC80_##"
MEDIA_DIR = "media"
CONTENT, META, COVER = "draft_content.json", "draft_meta_info.json", "draft_cover.jpg"
TRACKS = ("clips", "captions", "promo")  # bottom to top

WHITE = (1.0, 1.0, 1.0)
UNCERTAIN = (1.0, 0.85, 0.0)  # yellow: words the ASR was unsure of
# positions in half canvas heights from the centre (up is positive); the burned
# caption card is centred at 78 % of the height, the promo card starts at 8 %
CAPTION_Y = (0.5 - 0.78) * 2
PROMO_Y = (0.5 - 0.12) * 2
CAPTION_STYLE = jy.TextStyle(
    size=8.0, color=WHITE, align=1, auto_wrapping=True, max_line_width=0.88
)
PROMO_STYLE = jy.TextStyle(
    size=9.0, bold=True, color=WHITE, align=1, auto_wrapping=True, max_line_width=0.88
)


class _ProbedVideo(jy.VideoMaterial):
    """A video material from clipguard's own probe: pyJianYingDraft's constructor asks
    libmediainfo for what the transcript's ``MediaInfo`` already knows."""

    def __init__(self, path: str, name: str, duration_us: int, width: int, height: int) -> None:
        self.material_name = name
        self.material_id = uuid.uuid4().hex
        self.path = path
        self.crop_settings = jy.CropSettings()
        self.local_material_id = ""
        self.material_type = "video"
        self.duration = duration_us
        self.width, self.height = width, height


class _Caption(jy.TextSegment):
    """A text segment whose ``marks`` (character ranges) are coloured ``UNCERTAIN``.

    剪映 styles text by ranges (``content.styles[].range``); pyJianYingDraft writes
    one style over the whole text, so the style is split here at the marks."""

    def __init__(
        self, text: str, timerange: jy.Timerange, marks: Sequence[Sequence[int]], **kw: Any
    ) -> None:
        super().__init__(text, timerange, **kw)
        self.marks = tuple((int(a), int(b)) for a, b in marks)

    def export_material(self) -> dict[str, Any]:
        material = super().export_material()
        pieces = colour_ranges(len(self.text), self.marks)
        if not any(marked for _, _, marked in pieces):
            return material
        content = json.loads(material["content"])
        base = content["styles"][0]
        content["styles"] = []
        for a, b, marked in pieces:
            style = deepcopy(base)
            style["range"] = [a, b]
            if marked:
                style["fill"]["content"]["solid"]["color"] = list(UNCERTAIN)
            content["styles"].append(style)
        material["content"] = json.dumps(content, ensure_ascii=False)
        return material


def colour_ranges(n: int, marks: Sequence[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """``[0, n)`` cut into consecutive (start, end, marked) pieces; marks are clipped
    to the text and merged where they overlap or touch."""
    merged: list[list[int]] = []
    for a, b in sorted((max(0, a), min(n, b)) for a, b in marks):
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    pieces, pos = [], 0
    for a, b in merged:
        if a > pos:
            pieces.append((pos, a, False))
        pieces.append((a, b, True))
        pos = b
    if pos < n:
        pieces.append((pos, n, False))
    return pieces


def _fill_scale(tl: ClipTimeline) -> float:
    """剪映 fits a material into the canvas at scale 1; this scale fills it instead."""
    if not (tl.width and tl.height):
        return 1.0
    (cw, ch), (w, h) = tl.canvas, (tl.width, tl.height)
    return max(cw / w, ch / h) / min(cw / w, ch / h)


def _video(tl: ClipTimeline, clip: TimelineClip, material: jy.VideoMaterial, at: int) -> Any:
    start = round(clip.start * SEC)
    end = min(round(clip.end * SEC), material.duration)
    source = jy.Timerange(start, max(1, end - start))
    if clip.reframe == "fit":  # the burned clip: the whole frame over a blur
        segment = jy.VideoSegment(
            material, jy.Timerange(at, source.duration), source_timerange=source
        )
        return segment.add_background_filling("blur", 0.0625)
    scale = _fill_scale(tl)
    return jy.VideoSegment(
        material,
        jy.Timerange(at, source.duration),
        source_timerange=source,
        clip_settings=jy.ClipSettings(scale_x=scale, scale_y=scale),
    )


def build_script(tl: ClipTimeline, media_ref: str, draft_id: str) -> jy.ScriptFile:
    """The draft's content: the clips one after another on the main track, their
    captions and the promo line above them, all in microseconds of the timeline."""
    width, height = tl.canvas
    fps = round(tl.fps) if tl.fps else 30
    script = jy.ScriptFile(width, height, fps, maintrack_adsorb=True)
    now = int(time.time() * SEC)
    script.content.update(id=draft_id, name=tl.name, create_time=now, update_time=now)
    material = _ProbedVideo(
        media_ref,
        Path(tl.media).name,
        round(tl.duration * SEC),
        tl.width or width,
        tl.height or height,
    )
    video, captions, promo = (
        script.append_track(jy.TrackSpec(kind, name))
        for kind, name in zip((jy.TrackType.video, jy.TrackType.text, jy.TrackType.text), TRACKS)
    )
    caption_box = jy.TextBackground(color="#000000", alpha=round(110 / 255, 3))
    promo_box = jy.TextBackground(color="#D62828", alpha=round(220 / 255, 3))
    at = 0
    for clip in tl.clips:
        segment = _video(tl, clip, material, at)
        script.add_segment(segment, video)
        end = at + segment.duration
        for card in clip.cards:
            a, b = at + round(card.start * SEC), min(end, at + round(card.end * SEC))
            if b <= a:
                continue
            text = jy.Timerange(a, b - a)
            marks = getattr(card, "uncertain", ())  # ASR confidence, when captext has it
            script.add_segment(
                _Caption(
                    card.text,
                    text,
                    marks,
                    style=CAPTION_STYLE,
                    background=caption_box,
                    clip_settings=jy.ClipSettings(transform_y=CAPTION_Y),
                ),
                captions,
            )
        if tl.promo_text:
            script.add_segment(
                jy.TextSegment(
                    tl.promo_text,
                    jy.Timerange(at, segment.duration),
                    style=PROMO_STYLE,
                    background=promo_box,
                    clip_settings=jy.ClipSettings(transform_y=PROMO_Y),
                ),
                promo,
            )
        at = end
    return script


def _meta(
    tl: ClipTimeline, dest: Path, draft_id: str, duration_us: int, panel_path: str, cover: bool
) -> dict[str, Any]:
    """``draft_meta_info.json``: the library's template with this draft's id, name,
    folder, length and cover, and the recording registered in the media panel."""
    meta = json.loads(jy_assets.get_asset_path("DRAFT_META_TEMPLATE").read_text("utf-8"))
    now_us = int(time.time() * SEC)
    media_us = round(tl.duration * SEC)
    entry = {
        "create_time": int(now_us / SEC),
        "duration": media_us,
        "extra_info": Path(tl.media).name,
        "file_Path": panel_path,
        "height": tl.height,
        "id": str(uuid.uuid4()).upper(),
        "import_time": int(now_us / SEC),
        "import_time_ms": now_us,
        "item_source": 1,
        "md5": "",
        "metetype": "video",  # sic: 剪映's own spelling
        "roughcut_time_range": {"duration": media_us, "start": 0},
        "sub_time_range": {"duration": -1, "start": -1},
        "type": 0,
        "width": tl.width,
    }
    for group in meta.get("draft_materials", []):
        if group.get("type") == 0:
            group["value"] = [entry]
    meta.update(
        draft_id=draft_id,
        draft_name=dest.name,
        draft_fold_path=dest.resolve().as_posix(),
        draft_root_path=dest.parent.resolve().as_posix(),
        draft_cover=COVER if cover else "",
        tm_duration=duration_us,
        tm_draft_create=now_us,
        tm_draft_modified=now_us,
    )
    return meta


def _place_media(tl: ClipTimeline, folder: Path, previous: Path) -> tuple[str, str]:
    """Where the draft finds the recording: (path in the content, path in the media
    panel). ``copy``/``hardlink`` put it inside the draft, reusing the previous draft's
    copy of the same file instead of copying gigabytes again."""
    source = Path(tl.media).resolve()
    if tl.link_media == "absolute":
        return source.as_posix(), source.as_posix()
    rel = f"{MEDIA_DIR}/{source.name}"
    target, old = folder / rel, previous / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    st = source.stat()
    try:
        kept = old.stat()
        reuse = kept.st_size == st.st_size and kept.st_mtime >= st.st_mtime
    except OSError:
        reuse = False
    for origin in ([old] if reuse else []) + ([source] if tl.link_media == "hardlink" else []):
        try:
            os.link(origin, target)
            break
        except OSError as exc:  # another filesystem, or links not allowed: copy
            log.info("cannot hard-link %s (%s)", origin, exc)
    else:
        shutil.copyfile(source, target)
        os.chmod(target, normal_mode())
    return f"{PLACEHOLDER}/{rel}", rel


def write_draft(tl: ClipTimeline, dest: Path) -> Path:
    """Write the draft folder ``dest`` whole (``writers.atomic_dir``: built beside it,
    then swapped in), so a failure or a kill never leaves half a draft. Returns it."""
    dest = Path(dest)
    with atomic_dir(dest) as tmp:
        draft_id = str(uuid.uuid4()).upper()
        media_ref, panel_path = _place_media(tl, tmp, dest)
        script = build_script(tl, media_ref, draft_id)
        write_text(tmp / CONTENT, script.dumps())
        cover = next((c.cover for c in tl.clips if c.cover and Path(c.cover).is_file()), None)
        if cover is not None:
            shutil.copyfile(cover, tmp / COVER)
            os.chmod(tmp / COVER, normal_mode())
        meta = _meta(tl, dest, draft_id, script.duration, panel_path, cover is not None)
        write_json(tmp / META, meta)
    return dest


def material_path(draft: Path, path: str) -> Path:
    """A material path of a draft resolved the way 剪映 does: the placeholder is the
    draft's folder, wherever it is now."""
    if path.startswith(PLACEHOLDER):
        return Path(draft) / path[len(PLACEHOLDER) :].lstrip("/")
    return Path(path)


@dataclass(frozen=True)
class JianyingWriter:
    """The ``jianying`` timeline format (``clipper.timeline.WRITERS``)."""

    label: str = "剪映 draft"

    def write(self, timeline: ClipTimeline, dest: Path) -> None:
        write_draft(timeline, dest)


WRITER = JianyingWriter()
