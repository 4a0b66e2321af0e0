"""Batch throughput: recordings per hour and audio-hours per wall-hour, 1 and 2 workers.

The whole nightly job per recording (transcribe, scan, highlights, one clip, report)
on copies of the fixtures, each configuration in a fresh output folder.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from _common import FIXTURES, machine, table

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions
from clipguard.compliance_rules.scanner import default_hotwords
from clipguard.pipeline.batch import BatchOptions, run_batch
from clipguard.pipeline.run import RunOptions

COPIES = 3  # of each fixture: 6 recordings, 3.9 minutes of audio


def main() -> None:
    options = RunOptions(
        transcribe=TranscribeOptions(hotwords=default_hotwords()),
        highlight=HighlightOptions(count=1, min_seconds=4, max_seconds=20),
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox = tmp / "inbox"
        inbox.mkdir()
        for i in range(COPIES):
            for name in ("shop_zh", "review_en"):
                shutil.copy(FIXTURES / f"{name}.mp4", inbox / f"{name}_{i}.mp4")
        files = sorted(inbox.iterdir())
        for workers in (1, 2):
            t0 = time.perf_counter()
            report = run_batch(
                files, tmp / f"out{workers}", BatchOptions(run=options, workers=workers)
            )
            wall = time.perf_counter() - t0
            audio = sum(r.duration for r in report.results.values())
            ok = sum(r.status in ("ok", "review") for r in report.results.values())
            rows.append(
                [
                    workers,
                    report.options["threads"],
                    ok,
                    f"{wall:.1f}",
                    f"{ok * 3600 / wall:.0f}",
                    f"{audio / wall:.1f}",
                ]
            )
    print(
        f"batch throughput, {len(files)} recordings ({audio / 60:.1f} min of audio); machine: {machine()}\n"
    )
    print(
        table(
            [
                "workers",
                "ASR threads each",
                "recordings ok",
                "wall s",
                "recordings / hour",
                "audio-hours / wall-hour",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
