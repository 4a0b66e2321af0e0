"""Acoustic verification: does the audio fit the rule's words better than the heard ones?

The model that misheard a term can score how well another text fits the same audio:
CTranslate2's ``align`` returns the probability of every token of a text we supply,
given the encoder's view of the audio (faster-whisper's word timestamps use the same
call). A candidate sentence is scored twice, as heard and with the rule term in
place of the heard window, and the difference in log-probability per changed
character says how plausible the substitution is.

Encoding is the expensive part. Whisper pads every window to 30 s, but CTranslate2's
encoder takes a shorter input as it is, and a sentence's own 3-5 s encode 8x faster
(0.3 s instead of 1.8 s on 2 cores) with scores that separate as well: on dev_zh the
true substitutions moved from -5.6/+2.1/-4.9 to -3.8/+3.3/-4.0 per character and the
clean sound-alikes from -7.0/-8.7/-14.3 to -7.5/-8.8/-15.9. So each sentence is
encoded once, unpadded, and every variant of it is one short decoder pass (~0.05 s).
Laying several sentences end to end in one window saved encodes but cost accuracy
(专治颈椎病 fell from -5.1 to -10.7 per character), so sentences are never packed.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clipguard.asr.batches import workers
from clipguard.asr.model import load_model
from clipguard.asr.transcribe import TranscribeOptions
from clipguard.media import read_audio


@dataclass(frozen=True)
class Probe:
    """A sentence (source seconds and text as heard) and texts to try in its place."""

    start: float
    end: float
    heard: str
    variants: tuple[str, ...]


def _score(
    model: object, tokenizer: object, audio: np.ndarray, texts: Sequence[str]
) -> list[float]:
    """Total log-probability of each text given this audio (one encode for all)."""
    import ctranslate2

    features = model.feature_extractor(audio)[:, :3000]  # type: ignore[attr-defined]
    frames = features.shape[-1]
    encoded = model.model.encode(  # type: ignore[attr-defined]
        ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], np.float32))
    )
    out = []
    for text in texts:
        tokens = tokenizer.encode(text)  # type: ignore[attr-defined]
        result = model.model.align(encoded, tokenizer.sot_sequence, [tokens], frames)[0]  # type: ignore[attr-defined]
        out.append(float(np.sum(np.log(np.maximum(result.text_token_probs, 1e-9)))))
    return out


def score_probes(
    media: Path,
    probes: Sequence[Probe],
    language: str,
    options: TranscribeOptions | None = None,
) -> list[list[float]]:
    """For each probe, log P(variant) - log P(heard) for each of its variants.

    ``options`` are the transcription's, so the model it already loaded (same name,
    device, compute type and threads: ``load_model``'s cache key) is the one used."""
    if not probes:
        return []
    from faster_whisper.tokenizer import Tokenizer

    o = options or TranscribeOptions()
    model = load_model(o.model, o.device, o.compute_type, o.cpu_threads)
    tokenizer = Tokenizer(
        model.hf_tokenizer,
        model.model.is_multilingual,
        task="transcribe",
        language=language or "zh",
    )
    windows = read_audio(media, [(p.start, p.end) for p in probes])

    def deltas(probe: Probe, audio: np.ndarray) -> list[float]:
        if audio.size < 1600:  # under 0.1 s: nothing to hear
            return [float("-inf")] * len(probe.variants)
        heard, *variants = _score(model, tokenizer, audio, [probe.heard, *probe.variants])
        return [v - heard for v in variants]

    # one probe per model worker at a time (see clipguard.asr.batches for why)
    with ThreadPoolExecutor(max_workers=workers(model)) as pool:
        return list(pool.map(deltas, probes, windows))
