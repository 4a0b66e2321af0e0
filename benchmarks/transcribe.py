"""Transcription speed (real-time factor) and accuracy (CER) with the default model.

RTF = processing seconds / audio seconds, end to end (decode + VAD + ASR + word
timestamps), model load excluded. The long input is the fixtures' audio repeated to
10 minutes and encoded to AAC, so decoding is measured too.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from _common import FIXTURES, machine, table

from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.evaluation import cer, load_truth
from clipguard.pipeline.asr_model import load_model
from clipguard.pipeline.media import SAMPLE_RATE, iter_audio
from clipguard.pipeline.transcribe import TranscribeOptions, transcribe


def make_long(dest: Path, seconds: float) -> Path:
    """Concatenate the fixtures' audio until ``seconds`` and write an AAC .m4a."""
    clips = [
        np.concatenate(list(iter_audio(FIXTURES / f))) for f in ("shop_zh.mp4", "review_en.mp4")
    ]
    pieces, total, i = [], 0, 0
    while total < seconds * SAMPLE_RATE:
        pieces.append(clips[i % 2])
        total += clips[i % 2].size
        i += 1
    audio = np.concatenate(pieces)[: int(seconds * SAMPLE_RATE)]
    with av.open(str(dest), "w") as out:
        stream = out.add_stream("aac", rate=SAMPLE_RATE)
        stream.layout = "mono"
        for start in range(0, audio.size, 1024 * 16):
            block = audio[start : start + 1024 * 16]
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)
    return dest


def main() -> None:
    threads = int(os.environ.get("CLIPGUARD_THREADS", "0")) or min(4, os.cpu_count() or 1)
    hotwords = Scanner(resolve_packs(None)).hotwords()
    opts = TranscribeOptions(cpu_threads=threads, hotwords=hotwords)
    t0 = time.perf_counter()
    load_model(opts.model, opts.device, opts.compute_type, opts.cpu_threads)
    load_s = time.perf_counter() - t0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        long_path = make_long(Path(tmp) / "long_10min.m4a", 600)
        for path, truth in (
            (FIXTURES / "shop_zh.mp4", FIXTURES / "shop_zh.truth.json"),
            (FIXTURES / "review_en.mp4", FIXTURES / "review_en.truth.json"),
            (long_path, None),
        ):
            t = transcribe(path, opts)
            rtf = t.seconds / t.media.duration
            err = "-"
            if truth:
                ref = "".join(s["text"] for s in load_truth(truth)["segments"])
                err = f"{100 * cer(ref, t.text):.1f}%"
            rows.append(
                [
                    path.name,
                    f"{t.media.duration:.0f}",
                    t.language,
                    f"{t.seconds:.1f}",
                    f"{rtf:.3f}",
                    err,
                    len(t.segments),
                ]
            )
    print(
        "transcription: faster-whisper base (bundled), int8, BatchedInferencePipeline beam 5, VAD, word timestamps"
    )
    print(f"threads: {threads}; model load: {load_s:.1f} s (excluded); machine: {machine()}\n")
    print(table(["input", "audio s", "lang", "wall s", "RTF", "CER", "segments"], rows))


if __name__ == "__main__":
    main()
