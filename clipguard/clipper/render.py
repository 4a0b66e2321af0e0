"""Render a ClipPlan with MoviePy: reframe, captions, promo line, watermark, loudness.

Each step is a small effect with ``apply(clip) -> clip`` (MoviePy 2 style). Speed
choices, measured in benchmarks/render.py: crop before resize; resize with OpenCV in
the frame function; captions pre-rendered once per line and alpha-blended only in
their box; x264 ``veryfast`` with all cores.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pyloudnorm
from moviepy import VideoFileClip
from PIL import Image

from clipguard.clipper.captext import LINE_CHARS, Card, Glossary, cards, marked_text
from clipguard.clipper.captions import Overlay, load_font, text_image, to_overlay
from clipguard.clipper.encode import encode
from clipguard.clipper.reframe import SubjectTrack, subject_track
from clipguard.errors import MediaError, UsageError
from clipguard.faults import refinement
from clipguard.models import Clip, ClipPlan, Segment
from clipguard.options import RenderOptions
from clipguard.writers import atomic_path, srt_text, write_text

log = logging.getLogger(__name__)

TARGET_LUFS = -14.0
PEAK_CEILING_DB = -1.0


MAX_UPSCALE = 2.5  # beyond this a crop looks stair-stepped: fit the frame over a blur


def _resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Lanczos when enlarging (sharper edges than bilinear); area when shrinking to
    less than half (no aliasing); bilinear for a mild shrink, where area averaging
    looks the same and cost 6x as much (12 ms for 1280x720 -> 1080x607)."""
    ratio = max(size[0] / img.shape[1], size[1] / img.shape[0])
    if ratio > 1:
        return cv2.resize(img, size, interpolation=cv2.INTER_LANCZOS4)
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if ratio < 0.5 else cv2.INTER_LINEAR)


@dataclass
class Reframe:
    """Crop a window of the output aspect that follows ``track``; when no subject is
    tracked, or the crop would be enlarged more than ``MAX_UPSCALE`` times (a 640x360
    stream cut to 9:16 would be 5.3x), fit the whole frame over a blurred fill."""

    size: tuple[int, int]
    track: SubjectTrack | None

    def upscale(self, src_w: int, src_h: int) -> float:
        """How much a crop of the output aspect would be enlarged."""
        W, H = self.size
        crop_w = min(src_w, int(round(src_h * W / H)))
        crop_h = min(src_h, int(round(src_w * H / W)))
        return max(W / crop_w, H / crop_h)

    def mode(self, src_w: int, src_h: int) -> str:
        W, H = self.size
        if self.upscale(src_w, src_h) > MAX_UPSCALE:
            return "fit"
        same_aspect = abs(src_w / src_h - W / H) <= 0.05
        return "crop" if (self.track is not None or same_aspect) else "fit"

    def apply(self, clip: VideoFileClip) -> VideoFileClip:
        W, H = self.size
        src_w, src_h = clip.size
        track = self.track
        if self.mode(src_w, src_h) == "fit":
            return clip.transform(lambda gf, t: _blur_pad(gf(t), W, H), apply_to=[])
        crop_w = min(src_w, int(round(src_h * W / H)))
        crop_h = min(src_h, int(round(src_w * H / W)))

        def frame(get_frame, t):  # noqa: ANN001, ANN202 (MoviePy's frame-function signature)
            img = get_frame(t)
            cx = (track.at(t) if track else 0.5) * src_w
            x0 = int(np.clip(cx - crop_w / 2, 0, src_w - crop_w))
            y0 = (src_h - crop_h) // 2
            return _resize(img[y0 : y0 + crop_h, x0 : x0 + crop_w], (W, H))

        return clip.transform(frame, apply_to=[])


def _blur_pad(img: np.ndarray, W: int, H: int) -> np.ndarray:
    """The frame fitted over a dimmed, blurred fill of itself. The fill is blurred,
    dimmed and cropped at 1/16 scale and only then enlarged: working at full output
    size cost 85 ms a frame (1280x720 -> 1080x1920), most of a clip's render time."""
    h, w = img.shape[:2]
    k = 16
    scale_bg = max(W / w, H / h) / k
    size = (max(1, round(w * scale_bg)), max(1, round(h * scale_bg)))
    # every n-th pixel first, down to twice the fill's size: area-averaging the whole
    # frame cost 2.2 of the 4 ms (720p); after the blur the fill is the same to a level
    step = max(1, int(min(w / size[0], h / size[1]) // 2))
    if step > 1:
        img_small = cv2.resize(img, (w // step, h // step), interpolation=cv2.INTER_NEAREST)
    else:
        img_small = img
    small = cv2.resize(img_small, size, interpolation=cv2.INTER_AREA)
    small = cv2.convertScaleAbs(cv2.GaussianBlur(small, (0, 0), 3), alpha=0.6)
    sw, sh = max(1, round(W / k)), max(1, round(H / k))
    y0, x0 = max(0, (small.shape[0] - sh) // 2), max(0, (small.shape[1] - sw) // 2)
    canvas = cv2.resize(small[y0 : y0 + sh, x0 : x0 + sw], (W, H), interpolation=cv2.INTER_LINEAR)
    scale = min(W / w, H / h)
    fg = _resize(img, (int(w * scale), int(h * scale)))
    fy, fx = (H - fg.shape[0]) // 2, (W - fg.shape[1]) // 2
    canvas[fy : fy + fg.shape[0], fx : fx + fg.shape[1]] = fg
    return canvas


@dataclass
class Overlays:
    """Blend pre-rendered overlays (captions, promo banner, logo) active at time t."""

    items: list[Overlay] = field(default_factory=list)

    def apply(self, clip: VideoFileClip) -> VideoFileClip:
        if not self.items:
            return clip
        items = sorted(self.items, key=lambda o: o.start)
        starts = [o.start for o in items]

        def frame(get_frame, t):  # noqa: ANN001, ANN202
            img = np.array(get_frame(t), copy=True)
            for o in items[: bisect_right(starts, t)]:
                if o.start <= t < o.end:
                    o.blend(img)
            return img

        return clip.transform(frame, apply_to=[])


@dataclass
class NormalizeLoudness:
    """Integrated loudness to about -14 LUFS (what short-video platforms play at),
    never pushing peaks above -1 dBFS."""

    target: float = TARGET_LUFS

    def apply(self, clip: VideoFileClip) -> VideoFileClip:
        if clip.audio is None:
            return clip
        rate = 44100
        audio = clip.audio.to_soundarray(fps=rate)
        if audio.ndim == 1:
            audio = audio[:, None]
        if audio.shape[0] < rate // 2:
            return clip
        loudness = pyloudnorm.Meter(rate).integrated_loudness(audio)
        if not np.isfinite(loudness):
            return clip
        gain_db = self.target - loudness
        peak = float(np.abs(audio).max())
        if peak > 0:
            gain_db = min(gain_db, PEAK_CEILING_DB - 20 * np.log10(peak))
        return clip.with_volume_scaled(float(10 ** (gain_db / 20)))  # pyright: ignore[reportReturnType]


def caption_cards(plan: ClipPlan, opts: RenderOptions) -> list[Card]:
    """Caption cards in clip time, laid out once for the burned-in text and the .srt;
    an editor's edited .srt (``plan.cards``) wins over the transcript."""
    if plan.cards is not None:
        return list(plan.cards)
    if not plan.captions:
        return []
    glossary = Glossary(tuple(opts.glossary))
    return cards(
        plan.captions,
        aspect=opts.aspect,
        offset=plan.start,
        duration=plan.duration,
        glossary=glossary,
    )


def _caption_size(W: int, aspect: str) -> int:
    margin, pad = int(W * 0.06), 18
    return int((W - 2 * margin - 2 * pad) / LINE_CHARS.get(aspect, 12))


def _overlays(
    plan: ClipPlan, opts: RenderOptions, W: int, H: int, lines: list[Card]
) -> list[Overlay]:
    items: list[Overlay] = []
    margin = int(W * 0.06)
    if opts.captions and lines:
        font = load_font(opts.font, _caption_size(W, opts.aspect))
        for card in lines:
            img = text_image(card.text, font, W - 2 * margin, box_alpha=110)
            y = int(H * 0.78) - img.height // 2
            items.append(to_overlay(img, card.start, card.end, (W - img.width) // 2, y))
    if opts.promo_text:
        font = load_font(opts.font, int(W * 0.068))
        img = text_image(opts.promo_text, font, W - 2 * margin, box=(214, 40, 40), box_alpha=220)
        items.append(to_overlay(img, 0.0, plan.duration + 1, (W - img.width) // 2, int(H * 0.08)))
    if opts.logo:
        try:
            logo = Image.open(opts.logo).convert("RGBA")
        except OSError as exc:
            raise UsageError(f"{opts.logo}: cannot read logo image ({exc})") from None
        lw = int(W * 0.16)
        logo = logo.resize((lw, max(1, int(logo.height * lw / logo.width))))
        alpha = np.asarray(logo)[..., 3] * 0.8
        logo.putalpha(Image.fromarray(alpha.astype(np.uint8)))
        items.append(to_overlay(logo, 0.0, plan.duration + 1, W - lw - margin // 2, margin // 2))
    return items


def render_clip(plan: ClipPlan, mp4: Path, opts: RenderOptions) -> Clip:
    """Render one clip to ``mp4`` with its ``.srt`` and ``.jpg`` cover beside it (the
    caller names them: ``RecordingLayout.clip``), each written atomically."""
    W, H = plan.width, plan.height
    mp4 = Path(mp4)
    out_dir = mp4.parent
    srt, jpg = mp4.with_suffix(".srt"), mp4.with_suffix(".jpg")
    try:
        source = VideoFileClip(str(plan.source))
    except (OSError, KeyError, IndexError) as exc:
        raise MediaError(f"{plan.source}: cannot open video for rendering: {exc}") from None
    try:
        end = min(plan.end, source.duration - 1e-3)
        clip = source.subclipped(plan.start, end)
        # no subject to follow when the frame is too small to crop anyway
        track = None  # no subject to follow: the centre crop
        if Reframe((W, H), None).upscale(*source.size) <= MAX_UPSCALE:
            with refinement("clips", "reframing (subject tracking)"):
                track = subject_track(plan.source, plan.start, end)
        lines = caption_cards(plan, opts)
        reframe = Reframe((W, H), track)
        effects = [reframe, Overlays(_overlays(plan, opts, W, H, lines))]
        if opts.loudness:
            effects.append(NormalizeLoudness())
        for effect in effects:
            clip = effect.apply(clip)
        fps = min(opts.max_fps, source.fps or 25)
        threads = opts.threads or os.cpu_count() or 2
        with (
            tempfile.TemporaryDirectory(dir=out_dir, prefix=".render-") as tmp,
            atomic_path(mp4) as tmp_mp4,
        ):
            target = Path(tmp) / "clip.mp4"
            encode(
                clip,
                target,
                fps=fps,
                preset=opts.preset,
                crf=opts.crf,
                threads=threads,
                tmp=Path(tmp),
            )
            shutil.move(str(target), tmp_mp4)
        cover_t = (
            min(clip.duration - 0.05, max(0.0, plan.cover_time - plan.start))
            if plan.cover_time
            else clip.duration / 3
        )
        with refinement("clips", "cover frame") as cover_outcome:
            cover = clip.get_frame(cover_t)
            with atomic_path(jpg) as tmp_jpg:
                Image.fromarray(cover).save(tmp_jpg, format="JPEG", quality=88)
    finally:
        source.close()
    # the .srt marks the words to check; players hide the marks, parse_srt drops them
    write_text(srt, srt_text([Segment(c.start, c.end, marked_text(c)) for c in lines]))
    return Clip(
        path=str(mp4.relative_to(out_dir.parent)) if out_dir.parent in mp4.parents else str(mp4),
        start=plan.start,
        end=plan.end,
        score=plan.score,
        width=W,
        height=H,
        srt=srt.name,
        cover="" if cover_outcome.failed else jpg.name,
        reframe=(track.source if track else "center")
        if reframe.mode(*source.size) == "crop"
        else "fit",
        reasons=dict(plan.reasons),
        uncertain=uncertain_words(plan, lines),
    )


def uncertain_words(plan: ClipPlan, lines: list[Card]) -> list[dict[str, Any]]:
    """The caption words an editor should check, for ``clips.json`` and the report:
    per card with uncertain words, its time in the recording (when the card shows),
    its text, the words and their offsets in it, and their lowest probabilities."""
    return [
        {
            "start": round(plan.start + c.start, 3),
            "end": round(plan.start + c.end, 3),
            "caption": c.text,
            "words": [c.text[a:b] for a, b in c.uncertain],
            "spans": [[a, b] for a, b in c.uncertain],
            "probability": [round(p, 4) for p in c.probability],
        }
        for c in lines
        if c.uncertain
    ]
