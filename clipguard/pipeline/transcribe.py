"""Speech to timed words with faster-whisper, offline, in bounded memory.

Design choices, each measured on the fixtures (see benchmarks/transcribe.py):
- Silero VAD finds the speech first; it is laid end to end (long pauses shortened)
  and cut into <= 30 s chunks between VAD spans, so no chunk loses its tail.
- ``BatchedInferencePipeline`` with beam 5 *and timestamps*: RTF ~0.085 on 2 cores
  versus ~0.11 for the sequential decoder. Without timestamps (faster-whisper's batched
  default) it stopped a chunk after its first sentence: 11 of dev_zh's 46 sentences
  vanished. It never uses temperature fallback, which bounds the worst case on music.
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

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.asr import coverage
from clipguard.asr.coverage import Span
from clipguard.compliance_rules.normalize import has_han, to_simplified
from clipguard.errors import ClipguardError, MediaError
from clipguard.models import MediaInfo, Segment, Transcript, Word
from clipguard.pipeline.asr_model import DEFAULT_MODEL, load_model
from clipguard.pipeline.media import SAMPLE_RATE, AudioStats, iter_audio, probe

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]

# Bump when prompting, filtering or sentence splitting changes, so cached transcripts
# made by older logic are not reused.
TRANSCRIBER_REVISION = 3
RETRIES = 2  # sequential re-decodes per uncovered stretch (temperature 0, then fallback)
HOLE_JOIN = 2.0  # uncovered stretches closer than this are re-decoded as one
HOLE_CONTEXT = 0.5  # seconds of heard audio on each side of a re-decoded stretch
TOKENS_PER_SECOND = 12  # fast Mandarin is ~7 syllables/s, under 1.5 tokens each
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


def _segment(words: list[Word]) -> Segment:
    text = "".join(w.word for w in words).strip()
    return Segment(words[0].start, words[-1].end, text, tuple(words))


def _speech(audio: np.ndarray) -> list[Span]:
    """Silero VAD speech spans in seconds: tight padding so the accounting is honest,
    spans capped below the decoder's 30 s window so a chunk never loses its tail."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(max_speech_duration_s=28.0, min_silence_duration_ms=300, speech_pad_ms=100)
    return [
        (ts["start"] / SAMPLE_RATE, ts["end"] / SAMPLE_RATE)
        for ts in get_speech_timestamps(audio, opts)
    ]


def _words(
    segments: Iterable[Any], zh: bool, to_source: Callable[[float], float]
) -> Iterator[Word]:
    for seg in segments:
        if not _keep(seg) or not seg.words:
            continue
        for w in seg.words:
            start, end = to_source(w.start), to_source(w.end)
            yield Word(start, max(start, end), _word_text(w.word, zh), float(w.probability))


@dataclass(frozen=True)
class _Decoder:
    """One window's decoding settings, shared by the batched pass and the retries."""

    model: Any
    language: str | None
    prompt: str | None
    options: TranscribeOptions

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    def batched(self, audio: np.ndarray, lay: coverage.Layout) -> Iterator[Any]:
        """Segments of the batched pass over the laid-out speech.

        With timestamps the decoder writes every sentence of a chunk; without them
        (faster-whisper's batched default) it stopped after the first sentence of a
        chunk and dropped the rest: 11 of 46 sentences of dev_zh (measured).
        """
        from faster_whisper import BatchedInferencePipeline

        virtual = np.concatenate(
            [
                audio[int(s * SAMPLE_RATE) : int(s * SAMPLE_RATE) + int(n * SAMPLE_RATE)]
                for _, s, n in lay.pieces
            ]
        )
        segs, _ = BatchedInferencePipeline(self.model).transcribe(
            virtual,
            language=self.language,
            beam_size=self.options.beam_size,
            batch_size=self.options.batch_size,
            word_timestamps=True,
            without_timestamps=False,
            clip_timestamps=[{"start": a, "end": b} for a, b in lay.chunks],
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
    decoder: _Decoder, audio: np.ndarray, speech: list[Span], holes: list[Span], attempt: int
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


def _fill_holes(
    decoder: _Decoder,
    audio: np.ndarray,
    speech: list[Span],
    words: list[Word],
    base: float,
) -> tuple[list[Word], coverage.Coverage]:
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
        for hole, mapped in _redecode(decoder, audio, speech, holes, attempt):
            heard = [w for m in mapped for w in _words([m.segment], decoder.zh, m.to_source)]
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
            if new:
                spans.extend((w.start, w.end) for w in new)
                words.extend(replace(w, start=w.start + base, end=w.end + base) for w in new)
                reasons[hole] = f"re-decoded {attempt + 1}x, part of the stretch still has no words"
            elif mapped and not any(_keep(m.segment) for m in mapped):
                reasons[hole] = "decoded text rejected as a likely hallucination"
            else:
                reasons[hole] = f"no words decoded in {attempt + 1} re-decodes"
        words.sort(key=lambda w: (w.start, w.end))
    spans = local()
    after = coverage.total(coverage.uncovered(speech, spans))
    cov = coverage.account(
        speech, spans, reasons, retries=retries, recovered=max(0.0, before - after)
    )
    return words, _shift(cov, base)


def _shift(cov: coverage.Coverage, base: float) -> coverage.Coverage:
    gaps = tuple(coverage.Gap(g.start + base, g.end + base, g.reason) for g in cov.gaps)
    return replace(cov, gaps=gaps)


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
    sequentially (``_fill_holes``); what stays unheard is reported as a coverage gap.
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
        for offset, audio in _windows(iter_audio(Path(path), 30.0, stats), window, search):
            base = offset / SAMPLE_RATE
            speech = _speech(audio)
            if not speech:
                if progress:
                    progress(min(total, base + audio.size / SAMPLE_RATE), total)
                continue
            if language is None:
                language = _detect_language(model, _speech_only(audio, speech))
            decoder = _Decoder(model, language, _prompt(options, language), options)
            lay = coverage.layout(speech, audio.size / SAMPLE_RATE)
            words: list[Word] = []
            for w in _words(decoder.batched(audio, lay), decoder.zh, lay.to_source):
                words.append(replace(w, start=w.start + base, end=w.end + base))
                if progress:  # a lazy generator: report progress as words arrive
                    progress(min(total, w.end), total)
            words.sort(key=lambda w: (w.start, w.end))
            words, window_cov = _fill_holes(decoder, audio, speech, words, base)
            cov = cov.plus(window_cov)
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
        coverage=cov,
    )
