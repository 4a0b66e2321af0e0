"""The batched pass with its batches decoded side by side, one per model worker.

On CPU, CTranslate2 spreads one call over its intra-op threads, and a Whisper batch
is small work per step (4 chunks x beam 2 rows through a 6-layer decoder), so the
threads spend much of each step waiting for each other; OpenMP's waiting is busy, so
it costs CPU time as well as leaving cores idle. Two workers of one thread each, each
decoding its own batch, keep both cores on real work: on 2 cores, two batches of 4
chunks of dev_zh (encode + generate at beam 2) took 11.2 s wall / 16.5 CPU s on one
worker of 2 threads, 13.0 / 13.0 on one worker of 1 thread, and **7.0 / 13.4** on two
workers of 1 thread running at once (``clipguard.asr.model.load_model`` loads it so).

faster-whisper's ``BatchedInferencePipeline`` calls ``forward`` for one batch after
another; this subclass hands the batches to a thread pool of as many threads as the
model has workers and yields the segments in order, as the parent does. Each batch
runs on its own pipeline object, because ``forward`` keeps one piece of state between
batches (the last speech time, which trims an overlong first word after a pause): it
is set, per batch, to the end of the chunk before it, the same for any number of
workers, so the transcript does not depend on how the batches were scheduled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from faster_whisper import BatchedInferencePipeline
from faster_whisper.transcribe import Segment, Word


def workers(model: Any) -> int:
    """How many batches the model decodes at once (CTranslate2's ``inter_threads``)."""
    return max(1, int(getattr(model.model, "num_workers", 1) or 1))


class ConcurrentPipeline(BatchedInferencePipeline):
    """``BatchedInferencePipeline`` decoding up to ``workers(model)`` batches at once."""

    def _forward(
        self, features: Any, tokenizer: Any, metas: list, options: Any, last: float
    ) -> Any:
        batch = BatchedInferencePipeline(self.model)
        batch.last_speech_timestamp = last
        return batch.forward(features, tokenizer, metas, options)

    def _batched_segments_generator(  # type: ignore[override]
        self,
        features: Any,
        tokenizer: Any,
        chunks_metadata: list,
        batch_size: int,
        options: Any,
        log_progress: bool,
    ) -> Iterator[Segment]:
        n = workers(self.model)
        seg_idx = 0
        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="whisper-batch") as pool:
            pending: deque[Future] = deque()
            queued = iter(range(0, len(features), batch_size))

            def submit() -> None:
                i = next(queued, None)
                if i is None:
                    return
                metas = chunks_metadata[i : i + batch_size]
                before = chunks_metadata[i - 1] if i else None
                last = before["offset"] + before["duration"] if before else 0.0
                pending.append(
                    pool.submit(
                        self._forward, features[i : i + batch_size], tokenizer, metas, options, last
                    )
                )

            try:
                for _ in range(n):  # one batch per worker in flight, the rest waits
                    submit()
                while pending:
                    results = pending.popleft().result()
                    submit()
                    for result in results:
                        for segment in result:
                            seg_idx += 1
                            yield Segment(
                                seek=segment["seek"],
                                id=seg_idx,
                                text=segment["text"],
                                start=round(segment["start"], 3),
                                end=round(segment["end"], 3),
                                words=(
                                    [Word(**w) for w in segment["words"]]
                                    if options.word_timestamps
                                    else None
                                ),
                                tokens=segment["tokens"],
                                avg_logprob=segment["avg_logprob"],
                                no_speech_prob=segment["no_speech_prob"],
                                compression_ratio=segment["compression_ratio"],
                                temperature=options.temperatures[0],
                            )
            finally:
                for f in pending:  # the consumer stopped early: drop what has not started
                    f.cancel()
