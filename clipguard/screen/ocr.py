"""Offline OCR with RapidOCR and the PP-OCR models its wheel ships.

The models are named by path (never by the library's download table), so nothing
is fetched at run time; a missing file is one clear error.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.errors import ModelError

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx"}
MIN_SCORE = 0.6  # recognition confidence below which a line is noise


@dataclass(frozen=True)
class TextBox:
    text: str
    score: float
    bbox: tuple[int, int, int, int]  # x, y, w, h in source pixels


def model_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("on-screen text needs the PyPI package rapidocr (pip install rapidocr)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@functools.lru_cache(maxsize=2)
def engine(threads: int = 0) -> Any:
    from rapidocr import RapidOCR

    params: dict[str, object] = {
        "Global.use_cls": False,  # overlays are upright; the classifier costs a third
        "Global.log_level": "error",
        "Det.limit_type": "max",  # shrink big frames instead of enlarging small ones
        "Det.limit_side_len": 960,
    }
    for part, name in MODELS.items():
        path = model_dir() / name
        if not path.is_file():
            raise ModelError(f"OCR model missing: {path} (reinstall rapidocr)")
        params[f"{part}.model_path"] = str(path)
    if threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
    return RapidOCR(params=params)


def read_text(image: np.ndarray) -> list[TextBox]:
    """Text lines of one RGB frame."""
    result = engine()(image)
    if result.boxes is None or result.txts is None:
        return []
    out = []
    for box, text, score in zip(result.boxes, result.txts, result.scores):
        if score < MIN_SCORE or not text.strip():
            continue
        pts = np.asarray(box)
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        out.append(
            TextBox(text.strip(), float(score), (int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
        )
    return out
