"""Batches decoded side by side: the worker layout, and the real model on real speech
giving the same words whether its batches run one after another or at once."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from clipguard.asr import batches
from clipguard.asr.model import threads_and_workers


def test_two_single_thread_workers_on_a_two_core_cpu(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert threads_and_workers("cpu") == (1, 2)
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert threads_and_workers("cpu") == (2, 2)  # 4 threads at most, split in two
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert threads_and_workers("cpu") == (1, 1)


def test_explicit_threads_and_gpus_get_one_worker(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert threads_and_workers("cpu", 3) == (3, 1)
    assert threads_and_workers("cuda") == (2, 1)


@pytest.mark.slow
def test_batches_run_at_once_and_give_the_words_of_one_batch(fixtures, monkeypatch):
    """shop_zh's first 26 s laid out as two chunks. As two batches of one chunk they
    are decoded at the same time by the model's two workers (their calls overlap),
    and the words are those of the same two chunks decoded as one batch: same text,
    same times, and the truth's five sentences heard."""
    from faster_whisper import WhisperModel

    from clipguard.asr import coverage
    from clipguard.asr.decode import Decoder, decoded_words, speech_spans
    from clipguard.asr.model import resolve_model
    from clipguard.asr.transcribe import TranscribeOptions
    from clipguard.evaluation import load_truth, sentences_kept
    from clipguard.media import SAMPLE_RATE, iter_audio

    # two workers whatever this machine's core count (2 cores load it so by default)
    model = WhisperModel(resolve_model().path, cpu_threads=1, num_workers=2)
    assert batches.workers(model) == 2
    audio = np.concatenate(list(iter_audio(fixtures / "shop_zh.mp4", 30.0)))[: 26 * SAMPLE_RATE]
    lay = coverage.layout(speech_spans(audio), 26.0, max_chunk=14.0)
    assert len(lay.chunks) == 2

    calls: list[tuple[float, float]] = []
    lock = threading.Lock()
    forward = batches.ConcurrentPipeline._forward

    def timed(self, *args):
        t0 = time.perf_counter()
        out = forward(self, *args)
        with lock:
            calls.append((t0, time.perf_counter()))
        return out

    monkeypatch.setattr(batches.ConcurrentPipeline, "_forward", timed)

    def words(batch_size: int) -> list:
        opts = TranscribeOptions(batch_size=batch_size)
        decoder = Decoder(model, "zh", None, opts)
        return list(decoded_words(decoder.batched(audio, lay), True, lay.to_source))

    apart = words(1)
    assert len(calls) == 2
    (a0, a1), (b0, b1) = sorted(calls)
    assert b0 < a1, "the two batches did not overlap in time"
    together = words(2)
    assert "".join(w.word for w in apart) == "".join(w.word for w in together)
    assert len(apart) == len(together) > 30
    for x, y in zip(apart, together):
        assert abs(x.start - y.start) <= 0.5 and abs(x.end - y.end) <= 0.5, (x, y)
    assert [w.start for w in apart] == sorted(w.start for w in apart)
    kept = sentences_kept(load_truth(fixtures / "shop_zh.truth.json"), apart)[:5]
    assert all(k >= 0.5 for k in kept), kept  # both chunks' sentences, at their times
