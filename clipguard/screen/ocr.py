"""Offline OCR with RapidOCR and the PP-OCR models its wheel ships.

The models are named by path (never by the library's download table), so nothing
is fetched at run time; a missing file is one clear error.

Two ways in: ``read_text`` finds the lines of an image (detection, then recognition of
each line) and ``read_line`` only recognizes one image known to hold one line, for a
line whose place is known already (its digits changed): detection is the larger
share of reading a crop, and all of reading a whole frame.
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


def _session(path: Path, threads: int) -> Any:
    """An onnxruntime session whose threads sleep between runs.

    onnxruntime's threads spin for a while after each run by default, and RapidOCR
    runs two sessions one after the other (detection, then recognition): on a small
    machine the detector's spinning threads take the cores the recognizer needs
    (measured on 2 cores: a card crop cost 213 ms of CPU and 106 ms of wall, 104 ms and
    65 ms without spinning). RapidOCR's configuration has no key for session
    options, so the session is made here and handed over through the custom-session
    entry its engines read (``<part>.session``)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.enable_cpu_mem_arena = False
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


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
    ocr = RapidOCR(params=params)
    try:
        for part, name in MODELS.items():
            # params only take plain values (OmegaConf), so the session object goes into
            # the loaded configuration, before the first call loads the engines from it
            section = ocr.cfg[part]
            section._set_flag("allow_objects", True)  # OmegaConf's own, but private
            section.session = _session(model_dir() / name, threads)
    except Exception:  # noqa: BLE001 - a speed refinement; RapidOCR's own sessions still read
        ocr = RapidOCR(params=params)
    return ocr


def read_text(image: np.ndarray) -> list[TextBox]:
    """Text lines of one RGB image (a frame or a crop of one)."""
    # every step is named on each call: RapidOCR keeps a step switched off by an
    # earlier call (``read_line``) switched off
    result = engine()(image, use_det=True, use_cls=False, use_rec=True)
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


def read_line(image: np.ndarray) -> TextBox | None:
    """The text of an RGB image holding one line, recognition only (no detection: the
    caller knows where the line is); None when nothing reads above ``MIN_SCORE``. The
    box is the whole image."""
    result = engine()(image, use_det=False, use_cls=False, use_rec=True)
    if not result.txts:
        return None
    text, score = result.txts[0].strip(), float(result.scores[0])
    if score < MIN_SCORE or not text:
        return None
    return TextBox(text, score, (0, 0, image.shape[1], image.shape[0]))
