"""The whole ``run`` (transcript, findings, 3 clips, report) on one hour of 720p30.

The hour is dev_zh re-encoded once to 1280x720 at 30 fps (H.264 + AAC, keyframe
every 2 s), then copied end to end 17 times with ffmpeg's concat demuxer, so the
truth of every copy is known: the table also says how many of the 17 x 46 sentences
were heard. Takes about 6 minutes on 2 cores.

    python benchmarks/run_hour.py [--copies 17]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from _common import FIXTURES, ffmpeg_exe, machine, table, x264

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.evaluation import concat_recordings, load_truth, sentences_kept
from clipguard.models import Transcript
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.run import RunOptions, process_recording
from clipguard.writers import read_json


def build(tmp: Path, copies: int) -> Path:
    one = tmp / "dev_zh_720p30.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(FIXTURES / "dev_zh.mp4"),
            "-vf",
            "scale=1280:720:flags=lanczos,fps=30",
            *x264(),
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(one),
        ],
        check=True,
    )
    return concat_recordings([one] * copies, tmp / "hour.mp4")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=17)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        t0 = time.perf_counter()
        media = build(tmp, args.copies)
        build_s = time.perf_counter() - t0
        options = RunOptions(
            transcribe=TranscribeOptions(hotwords=default_hotwords()),
            highlight=HighlightOptions(count=3),
        )
        t0 = time.perf_counter()
        result = process_recording(media, tmp / "out", options)
        wall = time.perf_counter() - t0
        layout_root = Path(result.out_dir)
        stages = Manifest.load(layout_root / "manifest.json").data["stages"]
        transcript = Transcript.from_dict(read_json(layout_root / "transcript.json"))
        truth = load_truth(FIXTURES / "dev_zh.truth.json")
        kept = [
            f
            for i in range(args.copies)
            for f in sentences_kept(truth, transcript.words, i * truth["duration"])
        ]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"run on {args.copies} x dev_zh at 720p30 ({result.duration / 60:.1f} min); machine: {machine()}"
    )
    print(f"building the input took {build_s:.0f} s (not counted)\n")
    rows = [[name, f"{st.get('seconds', 0):.1f}"] for name, st in stages.items()]
    rows.append(["whole run (wall)", f"{wall:.1f}"])
    print(table(["stage", "seconds"], rows))
    print(
        f"\nRTF of transcription {stages['transcribe']['seconds'] / result.duration:.3f}; "
        f"coverage {result.coverage:.3f}, gaps {result.gaps}; sentences heard "
        f"{sum(f >= 0.5 for f in kept)}/{len(kept)}; clips {result.clips}; peak RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
