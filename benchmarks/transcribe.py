"""Transcription speed (RTF), accuracy (CER) and completeness (coverage).

RTF = processing seconds / audio seconds, end to end (decode + VAD + ASR + word
timestamps + re-decoding of uncovered speech), model load excluded. "kept" counts the
truth sentences with at least half of their characters heard inside their own time
window. The dense long input is dev_zh three times over (concatenated with PyAV), so
its truth is known for every copy.

    python benchmarks/transcribe.py            # the table for the README
    BEAMS=5,2,1 python benchmarks/transcribe.py   # also what beam size buys and costs
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from _common import FIXTURES, machine, table

from clipguard.asr.model import load_model, threads_and_workers
from clipguard.asr.transcribe import TranscribeOptions, transcribe
from clipguard.compliance_rules.scanner import default_hotwords
from clipguard.evaluation import cer, concat_recordings, load_truth, sentences_kept


def row(path: Path, truth_path: Path | None, copies: int, opts: TranscribeOptions) -> list:
    t = transcribe(path, opts)
    rtf = t.seconds / t.media.duration
    err = kept = "-"
    if truth_path:
        truth = load_truth(truth_path)
        one = truth["duration"] if copies > 1 else 0.0
        fractions = [f for i in range(copies) for f in sentences_kept(truth, t.words, i * one)]
        kept = f"{sum(f >= 0.5 for f in fractions)}/{len(fractions)}"
        if copies == 1:
            ref = "".join(s["text"] for s in truth["segments"])
            err = f"{100 * cer(ref, t.text):.1f}%"
    cov = t.coverage
    return [
        path.name,
        opts.beam_size,
        f"{t.media.duration:.0f}",
        f"{t.seconds:.1f}",
        f"{rtf:.3f}",
        err,
        kept,
        f"{cov.ratio:.3f}" if cov else "-",
        len(cov.gaps) if cov else "-",
        cov.retries if cov else "-",
        f"{cov.recovered_seconds:.1f}" if cov else "-",
    ]


def main() -> None:
    # 0: clipguard's default (two workers of one thread on 2 cores); N: one worker of N
    threads = int(os.environ.get("CLIPGUARD_THREADS", "0"))
    beams = [int(b) for b in os.environ.get("BEAMS", str(TranscribeOptions().beam_size)).split(",")]
    base = TranscribeOptions(cpu_threads=threads, hotwords=default_hotwords())
    t0 = time.perf_counter()
    load_model(base.model, base.device, base.compute_type, base.cpu_threads)
    load_s = time.perf_counter() - t0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        dense = concat_recordings([FIXTURES / "dev_zh.mp4"] * 3, Path(tmp) / "dev_zh_x3.mp4")
        inputs = [
            (FIXTURES / "dev_zh.mp4", FIXTURES / "dev_zh.truth.json", 1),
            (FIXTURES / "shop_zh.mp4", FIXTURES / "shop_zh.truth.json", 1),
            (FIXTURES / "review_en.mp4", FIXTURES / "review_en.truth.json", 1),
            (dense, FIXTURES / "dev_zh.truth.json", 3),
            (FIXTURES / "bad" / "silence.wav", None, 1),
        ]
        for beam in beams:
            opts = TranscribeOptions(cpu_threads=threads, hotwords=base.hotwords, beam_size=beam)
            for path, truth, copies in inputs if beam == beams[0] else inputs[:1]:
                try:
                    rows.append(row(path, truth, copies, opts))
                except Exception as exc:  # silence: the table says so
                    rows.append(
                        [path.name, beam, "-", "-", "-", "-", "-", "-", "-", "-", str(exc)[-30:]]
                    )
    print(
        "faster-whisper base (bundled), int8, VAD + batched decode with timestamps + re-decode of holes"
    )
    print(
        f"(threads, workers): {threads_and_workers(base.device, threads)}; model load: {load_s:.1f} s (excluded); machine: {machine()}\n"
    )
    print(
        table(
            [
                "input",
                "beam",
                "audio s",
                "wall s",
                "RTF",
                "CER",
                "kept",
                "coverage",
                "gaps",
                "retries",
                "recovered s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
