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

import cv2
import numpy as np
import pyloudnorm
from moviepy import VideoFileClip
from PIL import Image

from clipguard.clipper.captions import Overlay, caption_lines, load_font, text_image, to_overlay
from clipguard.clipper.reframe import Track, subject_track
from clipguard.errors import MediaError, UsageError
from clipguard.models import Clip, ClipPlan, Segment
from clipguard.writers import atomic_path, srt_text, write_text

log = logging.getLogger(__name__)

ASPECTS = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080), "4:5": (1080, 1350)}
TARGET_LUFS = -14.0
PEAK_CEILING_DB = -1.0


def output_size(aspect: str) -> tuple[int, int]:
    if aspect not in ASPECTS:
        raise UsageError(f"--aspect must be one of {', '.join(ASPECTS)} (got {aspect!r})")
    return ASPECTS[aspect]


@dataclass(frozen=True)
class RenderOptions:
    aspect: str = "9:16"
    font: str | None = None
    promo_text: str = ""
    logo: str | None = None
    captions: bool = True
    preset: str = "veryfast"
    crf: int = 23
    threads: int = 0
    max_fps: float = 30.0
    loudness: bool = True

    def __post_init__(self) -> None:
        output_size(self.aspect)  # one clear line for an unknown aspect


@dataclass
class Reframe:
    """Crop a window of the output aspect that follows ``track``; blur-pad without one."""

    size: tuple[int, int]
    track: Track | None

    def apply(self, clip: VideoFileClip) -> VideoFileClip:
        W, H = self.size
        src_w, src_h = clip.size
        track = self.track
        crop_w = min(src_w, int(round(src_h * W / H)))
        crop_h = min(src_h, int(round(src_w * H / W)))
        wide_enough = crop_w < src_w * 0.999 or crop_h < src_h * 0.999

        if track is None and wide_enough and abs(src_w / src_h - W / H) > 0.05:
            return clip.transform(lambda gf, t: _blur_pad(gf(t), W, H), apply_to=[])

        def frame(get_frame, t):  # noqa: ANN001, ANN202 (MoviePy's frame-function signature)
            img = get_frame(t)
            cx = (track.at(t) if track else 0.5) * src_w
            x0 = int(np.clip(cx - crop_w / 2, 0, src_w - crop_w))
            y0 = (src_h - crop_h) // 2
            crop = img[y0 : y0 + crop_h, x0 : x0 + crop_w]
            return cv2.resize(crop, (W, H), interpolation=cv2.INTER_LINEAR)

        return clip.transform(frame, apply_to=[])


def _blur_pad(img: np.ndarray, W: int, H: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale_bg = max(W / w, H / h)
    small = cv2.resize(
        img,
        (max(1, int(w * scale_bg / 8)), max(1, int(h * scale_bg / 8))),
        interpolation=cv2.INTER_AREA,
    )
    small = cv2.GaussianBlur(small, (0, 0), 6)
    bg = cv2.resize(small, (int(w * scale_bg), int(h * scale_bg)), interpolation=cv2.INTER_LINEAR)
    y0, x0 = (bg.shape[0] - H) // 2, (bg.shape[1] - W) // 2
    canvas = (bg[y0 : y0 + H, x0 : x0 + W] * 0.6).astype(np.uint8)
    scale = min(W / w, H / h)
    fg = cv2.resize(img, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_LINEAR)
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
        return clip.with_volume_scaled(float(10 ** (gain_db / 20)))


def _caption_lines(plan: ClipPlan, opts: RenderOptions, W: int) -> list[tuple[float, float, str]]:
    """Caption lines in clip time, laid out once for both the burned-in text and the .srt."""
    if not plan.captions:
        return []
    margin = int(W * 0.06)
    font = load_font(opts.font, int(W * 0.058))
    return caption_lines(list(plan.captions), font, W - 2 * margin - 36, plan.start, plan.duration)


def _overlays(
    plan: ClipPlan, opts: RenderOptions, W: int, H: int, lines: list[tuple[float, float, str]]
) -> list[Overlay]:
    items: list[Overlay] = []
    margin = int(W * 0.06)
    if opts.captions and lines:
        font = load_font(opts.font, int(W * 0.058))
        for s, e, text in lines:
            img = text_image(text, font, W - 2 * margin)
            items.append(
                to_overlay(img, s, e, (W - img.width) // 2, int(H * 0.78) - img.height // 2)
            )
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


def render_clip(plan: ClipPlan, out_dir: Path, opts: RenderOptions) -> Clip:
    """Render one clip (mp4 + srt + jpg cover), each written atomically."""
    W, H = plan.width, plan.height
    out_dir = Path(out_dir)
    mp4, srt, jpg = (out_dir / f"{plan.name}{ext}" for ext in (".mp4", ".srt", ".jpg"))
    try:
        source = VideoFileClip(str(plan.source))
    except (OSError, KeyError, IndexError) as exc:
        raise MediaError(f"{plan.source}: cannot open video for rendering: {exc}") from None
    try:
        end = min(plan.end, source.duration - 1e-3)
        clip = source.subclipped(plan.start, end)
        track = subject_track(plan.source, plan.start, end)
        lines = _caption_lines(plan, opts, W)
        effects = [Reframe((W, H), track), Overlays(_overlays(plan, opts, W, H, lines))]
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
            clip.write_videofile(
                str(target),
                fps=fps,
                codec="libx264",
                audio_codec="aac",
                audio_bitrate="128k",
                preset=opts.preset,
                threads=threads,
                logger=None,
                pixel_format="yuv420p",
                temp_audiofile_path=tmp,
                ffmpeg_params=["-crf", str(opts.crf), "-movflags", "+faststart"],
            )
            shutil.move(str(target), tmp_mp4)
        cover_t = (
            min(clip.duration - 0.05, max(0.0, plan.cover_time - plan.start))
            if plan.cover_time
            else clip.duration / 3
        )
        cover = clip.get_frame(cover_t)
        with atomic_path(jpg) as tmp_jpg:
            Image.fromarray(cover).save(tmp_jpg, format="JPEG", quality=88)
    finally:
        source.close()
    captions = [Segment(s, e, text) for s, e, text in lines]
    write_text(srt, srt_text(captions))
    return Clip(
        path=str(mp4.relative_to(out_dir.parent)) if out_dir.parent in mp4.parents else str(mp4),
        start=plan.start,
        end=plan.end,
        score=plan.score,
        width=W,
        height=H,
        srt=srt.name,
        cover=jpg.name,
        reframe=track.source if track else "blur-pad",
        reasons=dict(plan.reasons),
    )
