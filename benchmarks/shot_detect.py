"""Shot detection (#20): speed per hour of 720p30 and recall on the made cut corpus.

Detectors compared:
- ``grey (0.x)``: the detector before #20, a 32-bin grey histogram (Bhattacharyya
  > 0.35), on keyframes and densely;
- ``colour``: ``clipguard.clipper.shots`` (hue x saturation and value histograms,
  PySceneDetect's ``content_val``, gradual transitions over ``LAG`` frames);
- ``PySceneDetect content`` / ``adaptive``: its own ``detect()`` with
  ``ContentDetector()`` / ``AdaptiveDetector()`` defaults, when it is importable
  (``pip install scenedetect-headless==0.7.2``; not a clipguard dependency).

Corpus (``tests/shot_corpus.py``): a cut is found within one frame, a fade or
dissolve anywhere in ``[start - 1, end + 1]``; "extra" counts detections beyond the
first inside one transition. Keyframe scans are scored on the corpus re-encoded with
a keyframe every 15 frames: a cut is found by a keyframe cut at most 15 frames later.
The speed video (``testsrc2``: colour bars and moving shapes whose colours change
every frame) has no cut: every cut found on it is false.

    .venv/bin/python benchmarks/shot_detect.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import av
import cv2
import numpy as np
from _common import REPO, machine, synthetic_video, table

sys.path.insert(0, str(REPO / "tests"))
import shot_corpus as sc  # noqa: E402

from clipguard.clipper.signals import dense_motion, scan_keyframes  # noqa: E402
from clipguard.media import iter_keyframes, iter_video_frames  # noqa: E402

try:
    from scenedetect import AdaptiveDetector, ContentDetector, detect
except ImportError:  # the peer is optional
    detect = None

KEY_GOP = 15


def _grey_hist(frame: av.VideoFrame) -> np.ndarray:
    grey = frame.to_ndarray(format="gray", width=64, height=36)
    hist = cv2.calcHist([grey], [0], None, [32], [0, 256]).ravel()
    return (hist / max(1.0, hist.sum())).astype(np.float32)


def _grey_cuts(frames) -> list[float]:
    """The 0.x detector: grey histogram distance > 0.35 between frames given."""
    cuts, prev = [], None
    for frame in frames:
        hist = _grey_hist(frame)
        if prev is not None and cv2.compareHist(prev, hist, cv2.HISTCMP_BHATTACHARYYA) > 0.35:
            cuts.append(float(frame.time))
        prev = hist
    return cuts


def grey_dense(path: Path, start: float = 0.0, end: float = 1e9) -> list[float]:
    return _grey_cuts(iter_video_frames(path, start, end))


def grey_keyframes(path: Path) -> list[float]:
    return _grey_cuts(iter_keyframes(path))


def colour_dense(path: Path, start: float = 0.0, end: float = 1e9) -> list[float]:
    return dense_motion(path, start, end)[2]


def colour_keyframes(path: Path) -> list[float]:
    return scan_keyframes(path).cuts


def peer(kind: str):
    def run(path: Path, start: float = 0.0, end: float | None = None) -> list[float]:
        assert detect is not None
        det = ContentDetector() if kind == "content" else AdaptiveDetector()
        # floats: scenedetect reads an int as a frame number
        scenes = detect(
            str(path),
            det,
            start_time=float(start) or None,
            end_time=None if end is None else float(end),
        )
        return [a.seconds for a, _ in scenes[1:]]

    return run


DENSE = {"grey (0.x)": grey_dense, "colour": colour_dense}
if detect is not None:
    DENSE |= {"PySceneDetect content": peer("content"), "PySceneDetect adaptive": peer("adaptive")}
KEYFRAMES = {"grey (0.x)": grey_keyframes, "colour": colour_keyframes}


def _score_key(case: sc.Case, found: list[int]) -> tuple[int, int, int]:
    spans = [(c, c + KEY_GOP) for c in case.cuts] + [(a, b + KEY_GOP) for a, b in case.transitions]
    hit = sum(any(lo <= f <= hi for f in found) for lo, hi in spans)
    false = sum(not any(lo <= f <= hi for lo, hi in spans) for f in found)
    return hit, len(spans), false


def corpus(work: Path) -> None:
    for split in sc.SPLITS:
        dense: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        keys: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for case in sc.cases(split):
            assert case.make is not None
            path = sc.encode(case.make(), work / f"{split}_{case.name}.mp4")
            for name, fn in DENSE.items():
                found = [int(round(t * sc.FPS)) for t in fn(path)]
                hit, n, false = sc.score(case, found)
                extra = sum(
                    max(0, sum(a - 1 <= f <= b + 1 for f in found) - 1) for a, b in case.transitions
                )
                row = dense[(case.kind, name)]
                row[0], row[1], row[2], row[3] = (
                    row[0] + hit,
                    row[1] + n,
                    row[2] + false,
                    row[3] + extra,
                )
            kpath = sc.encode(case.make(), work / f"{split}_{case.name}_k.mp4", gop=KEY_GOP)
            for name, fn in KEYFRAMES.items():
                found = [int(round(t * sc.FPS)) for t in fn(kpath)]
                row = keys[(case.kind, name)]
                for i, v in enumerate(_score_key(case, found)):
                    row[i] += v
        kinds = list(dict.fromkeys(c.kind for c in sc.cases(split)))
        print(f"\n### corpus `{split}`: dense (frame-exact), found/expected, false cuts, extra\n")
        rows = [[kind, *(_cell(dense[(kind, name)]) for name in DENSE)] for kind in kinds] + [
            ["all", *(_cell(_total(dense, name)) for name in DENSE)]
        ]
        print(table(["case", *DENSE], rows))
        print(f"\n### corpus `{split}`: keyframe scan (keyframe every {KEY_GOP} frames)\n")
        rows = [[kind, *(_cell(keys[(kind, name)]) for name in KEYFRAMES)] for kind in kinds]
        rows.append(["all", *(_cell(_total(keys, name)) for name in KEYFRAMES)])
        print(table(["case", *KEYFRAMES], rows))


def _total(rows: dict[tuple[str, str], list[int]], name: str) -> list[int]:
    vals = [v for (_, n), v in rows.items() if n == name]
    return [sum(v[i] for v in vals) for i in range(len(vals[0]))]


def _cell(v: list[int]) -> str:
    text = f"{v[0]}/{v[1]}, {v[2]} false"
    return text + (f", {v[3]} extra" if len(v) > 3 and v[3] else "")


def speed(work: Path, seconds: float) -> None:
    video = synthetic_video(work / "720p.mp4", seconds)
    per_hour = 3600.0 / seconds
    rows = []
    grey_keyframes(video)  # warm the page cache: the first reader would pay for it
    for name, fn in KEYFRAMES.items():
        t0 = time.perf_counter()
        found = fn(video)
        took = (time.perf_counter() - t0) * per_hour
        rows.append([f"keyframe scan, {name}", f"{took:.0f}", "-", len(found)])
    edges = np.linspace(5.0, seconds - 5.0, 8)
    for name, fn in DENSE.items():
        t0 = time.perf_counter()
        found = fn(video, 0.0, seconds)
        whole = (time.perf_counter() - t0) * per_hour
        t0 = time.perf_counter()
        for e in edges:
            fn(video, float(e) - 1.75, float(e) + 1.75)
        edge = (time.perf_counter() - t0) / len(edges)
        rows.append([f"dense, {name}", f"{whole:.0f}", f"{edge:.2f}", len(found)])
    print(f"\n### speed on {seconds:.0f} s of 1280x720 30 fps H.264 (testsrc2), {machine()}\n")
    heads = ["detector", "s per hour of video", "s per clip edge (3.5 s window)", "false cuts"]
    print(table(heads, rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the 720p speed video")
    args = ap.parse_args()
    if detect is None:
        print("PySceneDetect not importable: its columns are left out")
    with tempfile.TemporaryDirectory() as tmp:
        speed(Path(tmp), args.seconds)
        corpus(Path(tmp))


if __name__ == "__main__":
    main()
