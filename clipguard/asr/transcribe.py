"""Speech to timed words with faster-whisper, offline, in bounded memory.

Design choices, each measured on the fixtures (see benchmarks/transcribe.py):
- Silero VAD finds the speech first; it is laid end to end (long pauses shortened)
  and cut into <= 30 s chunks between VAD spans, so no chunk loses its tail.
- ``BatchedInferencePipeline`` *with timestamps*: without them (faster-whisper's
  batched default) it stopped a chunk after its first sentence: 11 of dev_zh's 46
  sentences vanished. It never uses temperature fallback, which bounds the worst case
  on music. Beam 2 by default (``TranscribeOptions.beam_size``): the same findings as
  beam 5 for 40% less decoding.
- Completeness is checked, not assumed: speech the VAD found that no word covers is
  decoded again sequentially (which seeks past sentence ends), at most ``RETRIES``
  times, and what stays unheard is recorded as a coverage gap with its reason.
- Audio is decoded in windows of ``window_seconds`` cut at the quietest point near the
  window end, so memory does not grow with the recording's length.
- Chinese is normalized to Simplified (OpenCC); the model is also prompted in
  Simplified, which it then mostly follows.
- Long batched segments are split into sentences on punctuation and pauses, so that
  captions, findings and highlight boundaries work with sentence-sized units.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.asr import coverage
from clipguard.asr.coverage import Span
from clipguard.asr.decode import Decoder, decoded_words, fill_holes, speech_spans
from clipguard.asr.model import load_model
from clipguard.asr.sentences import split_sentences, to_segment
from clipguard.errors import ClipguardError, MediaError
from clipguard.faults import refinement
from clipguard.keys import code_version, stage_key
from clipguard.media import SAMPLE_RATE, AudioStats, iter_audio, probe
from clipguard.models import MediaInfo, Segment, Transcript, Word
from clipguard.options import TranscribeOptions
from clipguard.progress import ProgressFn
from clipguard.text import has_han

log = logging.getLogger(__name__)

# the code that makes a transcript: its source is part of the cache key, so a change
# to prompting, filtering or sentence splitting is never served a stale transcript
TRANSCRIBER_CODE = (
    "clipguard.asr.transcribe",
    "clipguard.asr.decode",
    "clipguard.asr.batches",
    "clipguard.asr.sentences",
    "clipguard.asr.coverage",
    "clipguard.asr.model",
    "clipguard.media",
    "clipguard.text",
)
ZH_PROMPT = "以下是普通话直播的简体中文字幕，有标点。"


def cache_key(media: MediaInfo, options: TranscribeOptions) -> str:
    """The transcript's key: the audio's content, the options and the code."""
    return stage_key(code_version(*TRANSCRIBER_CODE), media.sha256, options.output_key())


def _audio_windows(
    chunks: Iterable[np.ndarray], window: int, search: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Regroup decoded chunks into windows cut at the quietest 100 ms near each end."""
    buf = np.zeros(0, dtype=np.float32)
    offset = 0
    hop = SAMPLE_RATE // 10
    for chunk in chunks:
        buf = np.concatenate([buf, chunk])
        while buf.size >= window + search:
            lo = window - search
            region = buf[lo : window + search]
            frames = region[: region.size // hop * hop].reshape(-1, hop)
            cut = lo + int(np.argmin((frames * frames).mean(axis=1))) * hop + hop // 2
            yield offset, buf[:cut]
            offset += cut
            buf = buf[cut:]
    if buf.size:
        yield offset, buf


def _prompt(options: TranscribeOptions, language: str | None) -> str | None:
    """The initial prompt, with the rule vocabulary woven in as a sentence.

    faster-whisper's own ``hotwords`` prefix made the base model drop punctuation
    (so no sentence boundaries) on the Mandarin fixture; the same terms inside a
    punctuated Simplified prompt lowered CER from 6.8% to 5.2% and kept punctuation.
    Chinese vocabulary is never shown to the English decoder (it hurt: 7% -> 10%).
    """
    if options.initial_prompt is not None:
        return options.initial_prompt
    if language not in (None, "zh"):
        return options.hotwords if options.hotwords and not has_han(options.hotwords) else None
    prompt = ZH_PROMPT
    if options.hotwords and has_han(options.hotwords):
        prompt += "可能提到：" + "、".join(options.hotwords.split()) + "。"
    return prompt


def _detect_language(model: Any, audio: np.ndarray) -> str | None:
    """Detect once, on speech only, so the prompt can match the language.

    A Simplified-Chinese prompt helps Mandarin but hurts English, so the language must
    be known before decoding; ``None`` (no speech in this window) defers to the next.
    """
    try:
        lang, prob, _ = model.detect_language(audio=audio)
    except (ValueError, IndexError, RuntimeError):
        return None
    log.info("detected language %s (p=%.2f)", lang, prob)
    return lang


def _speech_only(audio: np.ndarray, speech: list[Span], seconds: float = 30.0) -> np.ndarray:
    """The first ``seconds`` of speech, so language detection needs no second VAD pass."""
    parts, n = [], 0
    for a, b in speech:
        part = audio[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]
        parts.append(part)
        n += part.size
        if n >= seconds * SAMPLE_RATE:
            break
    return np.concatenate(parts) if parts else audio


def _finite(x: float) -> float | None:
    return round(float(x), 1) if np.isfinite(x) else None


def transcribe(
    path: Path,
    options: TranscribeOptions | None = None,
    *,
    media: MediaInfo | None = None,
    progress: ProgressFn | None = None,
    stats: AudioStats | None = None,
) -> Transcript:
    """Transcribe one recording; ``stats`` collects loudness from the same decode pass.

    Every window is decoded in three steps: the VAD finds the speech, the batched
    decoder transcribes it, and whatever speech still has no words is decoded again
    sequentially (``fill_holes``); what stays unheard is reported as a coverage gap.
    """
    options = options or TranscribeOptions()
    media = media or probe(Path(path), allow_partial=options.allow_partial)
    model = load_model(options.model, options.device, options.compute_type, options.cpu_threads)
    stats = stats if stats is not None else AudioStats()
    language = options.language
    total = media.decoded_duration or media.duration
    t0 = time.perf_counter()
    segments: list[Segment] = []
    cov = coverage.Coverage(0.0, 0.0)
    window = int(options.window_seconds * SAMPLE_RATE)
    search = min(int(10 * SAMPLE_RATE), window // 4)
    try:
        for offset, audio in _audio_windows(iter_audio(Path(path), 30.0, stats), window, search):
            base = offset / SAMPLE_RATE
            speech = speech_spans(audio)
            if not speech:
                if progress:
                    progress(min(total, base + audio.size / SAMPLE_RATE), total)
                continue
            if language is None:
                language = _detect_language(model, _speech_only(audio, speech))
            decoder = Decoder(model, language, _prompt(options, language), options)
            lay = coverage.layout(speech, audio.size / SAMPLE_RATE)
            words: list[Word] = []
            # the batched pass is the fast path, not the only one: if it fails, every
            # speech span is a hole that fill_holes decodes again (and names, if that
            # fails too), so the recording goes on
            with refinement("transcribe", "batched pass over a window"):
                for w in decoded_words(decoder.batched(audio, lay), decoder.zh, lay.to_source):
                    words.append(replace(w, start=w.start + base, end=w.end + base))
                    if progress:  # a lazy generator: report progress as words arrive
                        progress(min(total, w.end), total)
            words.sort(key=lambda w: (w.start, w.end))
            words, window_cov = fill_holes(decoder, audio, speech, words, base)
            cov = cov.plus(window_cov)
            segments.extend(to_segment(s) for s in split_sentences(words) if s)
            if progress:
                progress(min(total, base + audio.size / SAMPLE_RATE), total)
    except ClipguardError:
        raise
    except RuntimeError as exc:
        raise MediaError(f"{path}: transcription failed: {exc}") from exc
    if stats.samples == 0:
        raise MediaError(f"{path}: the audio stream holds no decodable samples")
    options_used = replace(options, language=language)
    return Transcript(
        media=replace(media, decoded_duration=media.decoded_duration),
        language=language or "",
        model=options.model,
        segments=tuple(segments),
        options=options_used.output_key() | {"peak_dbfs": _finite(stats.peak_dbfs)},
        cache_key=cache_key(media, options),
        seconds=time.perf_counter() - t0,
        coverage=cov,
    )
