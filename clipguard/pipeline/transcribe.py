"""Speech to timed words with faster-whisper, offline, in bounded memory.

Design choices, each measured on the fixtures (see benchmarks/transcribe.py):
- ``BatchedInferencePipeline`` with beam 5: RTF ~0.07 on 2 cores versus ~0.12 for the
  sequential decoder at the same accuracy. It never uses temperature fallback, which
  bounds the worst case on music or game audio (fallback made it 5-6x slower there).
- Audio is decoded in windows of ``window_seconds`` cut at the quietest point near the
  window end, so memory does not grow with the recording's length.
- Chinese is normalized to Simplified (OpenCC); the model is also prompted in
  Simplified, which it then mostly follows.
- Long batched segments are split into sentences on punctuation and pauses, so that
  captions, findings and highlight boundaries work with sentence-sized units.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.compliance_rules.normalize import has_han, to_simplified
from clipguard.errors import ClipguardError, MediaError
from clipguard.models import MediaInfo, Segment, Transcript, Word
from clipguard.pipeline.asr_model import DEFAULT_MODEL, load_model
from clipguard.pipeline.media import SAMPLE_RATE, AudioStats, iter_audio, probe

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]

# Bump when prompting, filtering or sentence splitting changes, so cached transcripts
# made by older logic are not reused.
TRANSCRIBER_REVISION = 2
ZH_PROMPT = "以下是普通话直播的简体中文字幕，有标点。"
SENTENCE_END = tuple("。！？!?；;…")
CLAUSE_END = tuple("，,、：:")
MAX_SENTENCE_SECONDS = 12.0
PAUSE_SPLIT_SECONDS = 1.2
# Whisper's well-known inventions on near-silence; dropped only when the model itself
# was unsure the segment held speech, so a streamer who really says them is kept.
HALLUCINATIONS = ("字幕由", "amara.org", "请不吝点赞", "订阅我的频道", "明镜与点点")


@dataclass(frozen=True)
class TranscribeOptions:
    model: str = DEFAULT_MODEL
    language: str | None = None  # None: detect on the first window with speech
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 0
    beam_size: int = 5
    batch_size: int = 16
    window_seconds: float = 300.0  # peak RSS: 120 s 1.0 GB, 300 s 1.6 GB, 600 s 2.6 GB (measured)
    initial_prompt: str | None = None
    hotwords: str | None = None
    allow_partial: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def output_key(self) -> dict[str, Any]:
        """Options that change the transcript (threads and device do not)."""
        d = asdict(self)
        for k in ("device", "cpu_threads", "allow_partial", "extra"):
            d.pop(k)
        return d


def cache_key(media: MediaInfo, options: TranscribeOptions) -> str:
    blob = json.dumps(
        {"sha256": media.sha256, "revision": TRANSCRIBER_REVISION, **options.output_key()},
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def load_cached(path: Path, key: str) -> Transcript | None:
    """Return the transcript at ``path`` if it was made from the same input and options."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("cache_key") != key:
        return None
    try:
        return Transcript.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def _windows(
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


def _split_sentences(words: list[Word]) -> list[list[Word]]:
    """Split on sentence punctuation and long pauses; cap sentence length at clauses."""
    out: list[list[Word]] = []
    cur: list[Word] = []
    for i, w in enumerate(words):
        if cur and w.start - cur[-1].end > PAUSE_SPLIT_SECONDS:
            out.append(cur)
            cur = []
        cur.append(w)
        end_here = w.word.strip().endswith(SENTENCE_END) or (
            w.word.strip().endswith(".") and not w.word.strip()[:-1].replace(".", "").isdigit()
        )
        if end_here or i == len(words) - 1:
            out.append(cur)
            cur = []
    result: list[list[Word]] = []
    for sent in out:
        result.extend(_cap_length(sent))
    return result


def _cap_length(sent: list[Word]) -> list[list[Word]]:
    if len(sent) < 2 or sent[-1].end - sent[0].start <= MAX_SENTENCE_SECONDS:
        return [sent]
    mid = (sent[0].start + sent[-1].end) / 2
    candidates = [i for i, w in enumerate(sent[:-1]) if w.word.strip().endswith(CLAUSE_END)]
    if candidates:
        cut = min(candidates, key=lambda i: abs(sent[i].end - mid)) + 1
    else:  # no clause mark: cut at the widest pause between words
        gaps = [sent[i + 1].start - sent[i].end for i in range(len(sent) - 1)]
        cut = int(np.argmax(gaps)) + 1
    return _cap_length(sent[:cut]) + _cap_length(sent[cut:])


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
        lang, prob, _ = model.detect_language(audio=audio, vad_filter=True)
    except (ValueError, IndexError, RuntimeError):
        return None
    log.info("detected language %s (p=%.2f)", lang, prob)
    return lang


def _finite(x: float) -> float | None:
    return round(float(x), 1) if np.isfinite(x) else None


def _segment(words: list[Word]) -> Segment:
    text = "".join(w.word for w in words).strip()
    return Segment(words[0].start, words[-1].end, text, tuple(words))


def transcribe(
    path: Path,
    options: TranscribeOptions | None = None,
    *,
    media: MediaInfo | None = None,
    progress: ProgressFn | None = None,
    stats: AudioStats | None = None,
) -> Transcript:
    """Transcribe one recording; ``stats`` collects loudness from the same decode pass."""
    from faster_whisper import BatchedInferencePipeline

    options = options or TranscribeOptions()
    media = media or probe(Path(path), allow_partial=options.allow_partial)
    model = load_model(options.model, options.device, options.compute_type, options.cpu_threads)
    pipe = BatchedInferencePipeline(model)
    stats = stats if stats is not None else AudioStats()
    language = options.language
    total = media.decoded_duration or media.duration
    t0 = time.perf_counter()
    segments: list[Segment] = []
    window = int(options.window_seconds * SAMPLE_RATE)
    search = min(int(10 * SAMPLE_RATE), window // 4)
    try:
        for offset, audio in _windows(iter_audio(Path(path), 30.0, stats), window, search):
            base = offset / SAMPLE_RATE
            if language is None:
                language = _detect_language(model, audio)
            prompt = _prompt(options, language)
            segs, info = pipe.transcribe(
                audio,
                language=language,
                beam_size=options.beam_size,
                batch_size=options.batch_size,
                word_timestamps=True,
                vad_filter=True,
                initial_prompt=prompt,
                condition_on_previous_text=False,
            )
            zh = (language or info.language) == "zh"
            words: list[Word] = []
            for seg in segs:  # a lazy generator: report progress as segments arrive
                if progress:
                    progress(min(total, base + seg.end), total)
                if not _keep(seg) or not seg.words:
                    continue
                for w in seg.words:
                    words.append(
                        Word(
                            base + w.start,
                            base + w.end,
                            _word_text(w.word, zh),
                            float(w.probability),
                        )
                    )
            segments.extend(_segment(s) for s in _split_sentences(words) if s)
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
    )
