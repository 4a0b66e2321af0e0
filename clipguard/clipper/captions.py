"""Caption and title images, drawn once per line with Pillow.

Every caption line becomes one RGBA array (premultiplied, float32) before rendering
starts; per frame the renderer only alpha-blends the active line's box, so no text is
laid out or rasterized per frame.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clipguard.errors import UsageError
from clipguard.models import Segment, Word

FONT_PACKAGE = "cvttf_NotoSansCJK_Regular"  # Noto Sans CJK (OFL), shipped on PyPI
FONT_FILE = "NotoSansCJKtc-Regular.otf"
CLAUSE_MARKS = tuple("，,、。！？!?；;：:")


def default_font() -> Path:
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("no CJK font: pip install cvttf-notosanscjk-regular, or pass --font FILE")
    return Path(next(iter(spec.submodule_search_locations))) / FONT_FILE


@functools.lru_cache(maxsize=16)
def load_font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    font_path = Path(path) if path else default_font()
    try:
        return ImageFont.truetype(str(font_path), size)
    except OSError as exc:
        raise UsageError(f"{font_path}: cannot load font ({exc})") from None


@dataclass(frozen=True)
class Overlay:
    """A pre-rendered image shown from ``start`` to ``end`` (clip time) at (x, y)."""

    start: float
    end: float
    x: int
    y: int
    color: np.ndarray  # premultiplied RGB, float32, h x w x 3
    alpha: np.ndarray  # float32, h x w x 1

    def blend(self, frame: np.ndarray) -> None:
        h, w = self.alpha.shape[:2]
        roi = frame[self.y : self.y + h, self.x : self.x + w]
        hh, ww = roi.shape[:2]
        a = self.alpha[:hh, :ww]
        roi[:] = (roi * (1.0 - a) + self.color[:hh, :ww]).astype(np.uint8)


def text_image(
    text: str,
    font: ImageFont.FreeTypeFont,
    max_width: int,
    *,
    box_alpha: int = 150,
    fg: tuple[int, int, int] = (255, 255, 255),
    box: tuple[int, int, int] = (0, 0, 0),
    pad: int = 18,
) -> Image.Image:
    lines = wrap(text, font, max_width - 2 * pad)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent + 8
    width = int(max(font.getlength(line) for line in lines)) + 2 * pad
    height = line_h * len(lines) + 2 * pad - 8
    img = Image.new("RGBA", (width, height), (*box, box_alpha))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        lw = font.getlength(line)
        draw.text(
            ((width - lw) / 2, pad + i * line_h),
            line,
            font=font,
            fill=(*fg, 255),
            stroke_width=max(1, font.size // 18),
            stroke_fill=(0, 0, 0, 255),
        )
    return img


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Break by width: between any CJK characters, at spaces for latin words."""
    lines: list[str] = []
    cur = ""
    tokens = _tokens(text)
    for tok in tokens:
        trial = cur + tok
        if cur and font.getlength(trial.strip()) > max_width:
            lines.append(cur.strip())
            cur = tok.lstrip()
        else:
            cur = trial
    if cur.strip():
        lines.append(cur.strip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for ch in text:
        if (
            out
            and (ch.isascii() and ch.isalnum() or ch in ",.!?'’")
            and out[-1][-1:].isascii()
            and out[-1].strip()
        ):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def to_overlay(img: Image.Image, start: float, end: float, x: int, y: int) -> Overlay:
    arr = np.asarray(img.convert("RGBA"), dtype=np.float32)
    alpha = arr[..., 3:4] / 255.0
    return Overlay(start, end, x, y, arr[..., :3] * alpha, alpha)


def caption_lines(
    segments: list[Segment],
    font: ImageFont.FreeTypeFont,
    max_width: int,
    offset: float,
    duration: float,
) -> list[tuple[float, float, str]]:
    """Group each sentence's words into lines that fit ``max_width`` (two lines max on
    screen would cover the product): each line is shown from its first word to the next
    line's first word, so captions follow the voice."""
    out: list[tuple[float, float, str]] = []
    for seg in segments:
        words: list[Word] = list(seg.words) or [Word(seg.start, seg.end, seg.text)]
        cur: list[Word] = []
        for w in words:
            text = "".join(x.word for x in [*cur, w]).strip()
            if cur and font.getlength(text) > max_width:
                # prefer to break after a clause mark in the second half of the line
                marks = [i for i, x in enumerate(cur[:-1]) if x.word.strip().endswith(CLAUSE_MARKS)]
                k = marks[-1] + 1 if marks and marks[-1] + 1 >= len(cur) / 2 else len(cur)
                out.append(_line(cur[:k]))
                cur = cur[k:]
            cur.append(w)
        if cur:
            out.append(_line(cur))
    result = []
    for i, (s, e, text) in enumerate(out):
        nxt = out[i + 1][0] if i + 1 < len(out) else e
        end = min(max(e, min(nxt, e + 0.6)), nxt) if nxt > s else e
        s, end = max(0.0, s - offset), min(duration, end - offset)
        if end > s and text:
            result.append((s, end, text))
    return result


def _line(words: list[Word]) -> tuple[float, float, str]:
    text = "".join(w.word for w in words).strip().strip("，,。.、")
    return words[0].start, words[-1].end, text
