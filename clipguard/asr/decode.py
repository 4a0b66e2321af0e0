"""Decoding one window: the batched pass over the VAD's speech, then re-decodes of
whatever speech still has no words (see ``clipguard.asr.coverage``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from clipguard.asr import coverage
from clipguard.asr.coverage import Span
from clipguard.faults import refinement
from clipguard.media import SAMPLE_RATE
from clipguard.models import Coverage, Gap, Word
from clipguard.text import to_simplified

log = logging.getLogger(__name__)

RETRIES = 2  # re-decodes per uncovered stretch: batched over all holes, then sequential
HOLE_JOIN = 2.0  # uncovered stretches closer than this are re-decoded as one
HOLE_CONTEXT = 0.5  # seconds of heard audio on each side of a re-decoded stretch
TOKENS_PER_SECOND = 12  # fast Mandarin is ~7 syllables/s, under 1.5 tokens each
# Whisper's well-known inventions on near-silence; dropped only when the model itself
# was unsure the segment held speech, so a streamer who really says them is kept.
HALLUCINATIONS = ("字幕由", "amara.org", "请不吝点赞", "订阅我的频道", "明镜与点点")


def _keep(seg: Any) -> bool:
    """Drop segments that are most likely invented rather than heard."""
    if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
        return False
    if seg.compression_ratio > 2.4:
        return False
    text = seg.text.lower()
    return not (seg.no_speech_prob > 0.3 and any(h in text for h in HALLUCINATIONS))


def _word_text(raw: str, zh: bool) -> str:
    return to_simplified(raw) if zh else raw


def speech_spans(audio: np.ndarray) -> list[Span]:
    """Silero VAD speech spans in seconds: tight padding so the accounting is honest,
    spans capped below the decoder's 30 s window so a chunk never loses its tail."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(max_speech_duration_s=28.0, min_silence_duration_ms=300, speech_pad_ms=100)
    return [
        (ts["start"] / SAMPLE_RATE, ts["end"] / SAMPLE_RATE)
        for ts in get_speech_timestamps(audio, opts)
    ]


def decoded_words(
    segments: Iterable[Any], zh: bool, to_source: Callable[[float], float]
) -> Iterator[Word]:
    for seg in segments:
        if not _keep(seg) or not seg.words:
            continue
        for w in seg.words:
            start, end = to_source(w.start), to_source(w.end)
            yield Word(start, max(start, end), _word_text(w.word, zh), float(w.probability))


def virtual_audio(audio: np.ndarray, lay: coverage.SpeechLayout) -> tuple[np.ndarray, list[dict]]:
    """The laid-out speech as one array, and its chunks as faster-whisper takes them.

    Both come from the same integer sample counts (``SpeechLayout.sample_pieces`` and
    ``sample_chunks``), so the chunks tile the virtual audio exactly: faster-whisper
    turns each chunk edge back into samples with ``int(t * rate)`` and asserts that
    the chunks do not add up to more audio than it was given. A piece that runs past
    the end of the decoded audio (rounding at the file's last sample) is padded with
    silence rather than coming out short.
    """
    pieces = lay.sample_pieces(SAMPLE_RATE)
    total = pieces[-1][0] + pieces[-1][2] if pieces else 0
    virtual = np.zeros(total, dtype=audio.dtype if audio.size else np.float32)
    for v, s, n in pieces:
        part = audio[max(s, 0) : max(s, 0) + n]
        virtual[v : v + part.size] = part
    return virtual, decoder_clips(lay)


def decoder_clips(lay: coverage.SpeechLayout) -> list[dict]:
    """The layout's chunks as faster-whisper's ``clip_timestamps`` (seconds).

    Each edge is given at the middle of its sample, so faster-whisper's
    ``int(t * rate)`` gives back exactly the sample edge whatever the float rounding,
    and the chunks add up to the virtual audio's length, never more.
    """
    pieces = lay.sample_pieces(SAMPLE_RATE)
    total = pieces[-1][0] + pieces[-1][2] if pieces else 0
    edges = ((min(a, total), min(b, total)) for a, b in lay.sample_chunks(SAMPLE_RATE))
    return [
        {"start": (a + 0.5) / SAMPLE_RATE if a else 0.0, "end": (b + 0.5) / SAMPLE_RATE}
        for a, b in edges
        if b > a
    ]


@dataclass(frozen=True)
class Decoder:
    """One window's decoding settings, shared by the batched pass and the retries."""

    model: Any
    language: str | None
    prompt: str | None
    options: Any

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    def batched(self, audio: np.ndarray, lay: coverage.SpeechLayout) -> Iterable[Any]:
        """Segments of the batched pass over the laid-out speech.

        With timestamps the decoder writes every sentence of a chunk; without them
        (faster-whisper's batched default) it stopped after the first sentence of a
        chunk and dropped the rest: 11 of 46 sentences of dev_zh (measured). The
        batches are decoded side by side, one per model worker (``asr.batches``).
        """
        from clipguard.asr.batches import ConcurrentPipeline

        virtual, clips = virtual_audio(audio, lay)
        segs, _ = ConcurrentPipeline(self.model).transcribe(
            virtual,
            language=self.language,
            beam_size=self.options.beam_size,
            batch_size=self.options.batch_size,
            word_timestamps=True,
            without_timestamps=False,
            clip_timestamps=clips,
            initial_prompt=self.prompt,
            condition_on_previous_text=False,
        )
        return segs

    def sequential(self, audio: np.ndarray, attempt: int) -> Any:
        """A re-decode of one stretch with the sequential decoder, which seeks by
        timestamps and so goes on past a sentence end.

        Temperature fallback is on (a greedy decode looped on "这些东西，" for 4 s on
        dev_zh before the compression check threw it away), and the number of new
        tokens is bounded by the stretch's length, so a loop costs little. The second
        attempt drops the prompt, which can pull the model away from what was said.
        """
        seconds = audio.size / SAMPLE_RATE
        segs, _ = self.model.transcribe(
            audio,
            language=self.language,
            beam_size=self.options.beam_size,
            word_timestamps=True,
            vad_filter=False,
            initial_prompt=self.prompt if attempt == 0 else None,
            condition_on_previous_text=False,
            temperature=(0.0, 0.2, 0.4) if attempt == 0 else (0.2, 0.4, 0.6),
            max_new_tokens=min(440, int(TOKENS_PER_SECOND * seconds) + 16),
        )
        return segs


def _redecode(
    decoder: Decoder, audio: np.ndarray, speech: list[Span], holes: list[Span], attempt: int
) -> Iterator[tuple[Span, list[Any]]]:
    """Decode the holes again: ``(hole, segments heard)`` in virtual or source time.

    The first attempt puts every hole of the window into one batched call (one encoder
    batch instead of a 30 s-padded encode per hole: a short hole cost ~3 s
    sequentially); later attempts decode each hole sequentially, which seeks past a
    sentence end the batched decoder may have stopped at.
    """
    duration = audio.size / SAMPLE_RATE
    widened = [(max(0.0, lo - HOLE_CONTEXT), min(duration, hi + HOLE_CONTEXT)) for lo, hi in holes]
    if attempt == 0:
        inside = coverage.subtract(
            coverage.union(speech), coverage.subtract([(0.0, duration)], coverage.union(widened))
        )
        lay = coverage.layout(inside, duration)
        segs = list(decoder.batched(audio, lay))
        for hole in holes:
            yield hole, [_Mapped(s, lay.to_source) for s in segs]
        return
    for hole, (a, b) in zip(holes, widened):
        segs = list(decoder.sequential(audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)], attempt))
        yield hole, [_Mapped(s, lambda t, a=a: a + t) for s in segs]


@dataclass(frozen=True)
class _Mapped:
    """A decoded segment with the map from its own time base to the window's."""

    segment: Any
    to_source: Callable[[float], float]


def fill_holes(
    decoder: Decoder,
    audio: np.ndarray,
    speech: list[Span],
    words: list[Word],
    base: float,
) -> tuple[list[Word], Coverage]:
    """Re-decode only the speech no word covers, until covered or retries are spent."""
    reasons: dict[Span, str] = {}
    retries = 0

    def local() -> list[Span]:
        return [(w.start - base, w.end - base) for w in words]

    before = coverage.total(coverage.uncovered(speech, local()))
    for attempt in range(RETRIES):
        spans = local()
        # holes closer than HOLE_JOIN are decoded as one stretch: one pass over 25 s
        # costs far less than five passes over 5 s each (measured)
        holes = coverage.union(coverage.uncovered(speech, spans), join=HOLE_JOIN)
        if not holes:
            break
        retries += len(holes)
        done: set[Span] = set()
        # a re-decode is a refinement: if it fails, its holes stay gaps whose reason
        # names the failure, and the words already heard are kept
        with refinement("transcribe", "re-decode of unheard speech") as outcome:
            for hole, mapped in _redecode(decoder, audio, speech, holes, attempt):
                heard = [
                    w for m in mapped for w in decoded_words([m.segment], decoder.zh, m.to_source)
                ]
                new = [
                    w
                    for _, _, w in coverage.fresh_words(
                        ((w.start, w.end, w) for w in heard), hole, spans
                    )
                ]
                log.debug(
                    "re-decoded %.1f-%.1f s (attempt %d): %d new words",
                    base + hole[0],
                    base + hole[1],
                    attempt,
                    len(new),
                )
                done.add(hole)
                if new:
                    spans.extend((w.start, w.end) for w in new)
                    words.extend(replace(w, start=w.start + base, end=w.end + base) for w in new)
                    reasons[hole] = (
                        f"re-decoded {attempt + 1}x, part of the stretch still has no words"
                    )
                elif mapped and not any(_keep(m.segment) for m in mapped):
                    reasons[hole] = "decoded text rejected as a likely hallucination"
                else:
                    reasons[hole] = f"no words decoded in {attempt + 1} re-decodes"
        if outcome.failed:
            for hole in holes:
                if hole not in done:
                    reasons[hole] = f"re-decode failed: {outcome.error}"
        words.sort(key=lambda w: (w.start, w.end))
    spans = local()
    after = coverage.total(coverage.uncovered(speech, spans))
    cov = coverage.account(
        speech, spans, reasons, retries=retries, recovered=max(0.0, before - after)
    )
    return words, _shift(cov, base)


def _shift(cov: Coverage, base: float) -> Coverage:
    gaps = tuple(Gap(g.start + base, g.end + base, g.reason) for g in cov.gaps)
    return replace(cov, gaps=gaps)
