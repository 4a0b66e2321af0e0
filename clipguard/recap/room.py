"""The room minute by minute, and where it went quiet (冷场).

Everything here comes from what the pipeline already wrote: word timings and
coverage gaps (speech the VAD heard that has no words still counts as speech, so an
unheard stretch is never reported as dead air), the loudness envelope kept by the
transcription pass, findings and the chat. No media is decoded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from clipguard.chat import ChatMessage
from clipguard.models import SEVERITIES, Finding, Transcript
from clipguard.recap.model import Minute, Span

ENVELOPE_HOP = 0.1  # seconds per RMS value in audio_envelope.npy (clipguard.media)
MINUTE = 60.0


def spoken_units(text: str, zh: bool) -> int:
    """Characters spoken (Chinese: letters and digits count one each) or words."""
    if zh:
        return sum(1 for c in text if c.isalnum())
    return 1 if any(c.isalnum() for c in text) else 0


def speech_intervals(transcript: Transcript) -> list[tuple[float, float]]:
    """Merged stretches with speech: every word, a segment without word timings, and
    every coverage gap (speech that stayed unheard is still the host talking)."""
    spans: list[tuple[float, float]] = []
    for seg in transcript.segments:
        if seg.words:
            spans += [(w.start, w.end) for w in seg.words if w.end > w.start]
        elif seg.end > seg.start:
            spans.append((seg.start, seg.end))
    if transcript.coverage is not None:
        spans += [(g.start, g.end) for g in transcript.coverage.gaps if g.end > g.start]
    merged: list[list[float]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def dead_air(intervals: Sequence[tuple[float, float]], threshold: float) -> list[Span]:
    """Every silence of ``threshold`` seconds or more between the first and the last
    speech: the stream's start and end (before the host begins, after the goodbye)
    are not dead air."""
    out = []
    for (_, prev_end), (start, _) in zip(intervals, intervals[1:]):
        if start - prev_end >= threshold:
            out.append(Span(prev_end, start))
    return out


def loudness_db(envelope: np.ndarray | None, a: float, b: float) -> float | None:
    """Mean level in dBFS between ``a`` and ``b`` (power mean of the RMS envelope)."""
    if envelope is None or envelope.size == 0:
        return None
    lo, hi = int(a / ENVELOPE_HOP), int(math.ceil(b / ENVELOPE_HOP))
    part = envelope[lo:hi]
    if part.size == 0:
        return None
    power = float(np.mean(np.square(part.astype(np.float64))))
    return 10 * math.log10(max(power, 1e-10))


def minutes(
    transcript: Transcript,
    intervals: Sequence[tuple[float, float]],
    findings: Sequence[Finding],
    chat: Sequence[ChatMessage],
    envelope: np.ndarray | None,
    duration: float,
) -> list[Minute]:
    """One row per started minute of the recording (the aligned charts' data)."""
    n = max(1, int(math.ceil(duration / MINUTE - 1e-9)))
    zh = transcript.language in ("zh", "")
    chars = [0] * n
    for w in transcript.words:
        chars[min(n - 1, max(0, int(w.start // MINUTE)))] += spoken_units(w.word, zh)
    for seg in transcript.segments:
        if not seg.words:
            chars[min(n - 1, max(0, int(seg.start // MINUTE)))] += spoken_units(seg.text, zh)
    messages: list[list[ChatMessage]] = [[] for _ in range(n)]
    for m in chat:
        if m.t < n * MINUTE:
            messages[int(m.t // MINUTE)].append(m)
    sev: list[dict[str, int]] = [dict.fromkeys(reversed(SEVERITIES), 0) for _ in range(n)]
    for f in findings:
        i = min(n - 1, max(0, int(f.start // MINUTE)))
        sev[i][f.severity] = sev[i].get(f.severity, 0) + 1
    # the running index keeps this linear in the number of speech stretches
    out, j = [], 0
    for i in range(n):
        a, b = i * MINUTE, (i + 1) * MINUTE
        while j < len(intervals) and intervals[j][1] <= a:
            j += 1
        k, spoken = j, 0.0
        while k < len(intervals) and intervals[k][0] < b:
            s, e = intervals[k]
            spoken += max(0.0, min(e, b) - max(s, a))
            k += 1
        out.append(
            Minute(
                start=a,
                speech_seconds=spoken,
                chars=chars[i],
                chat_messages=len(messages[i]),
                chatters=len({m.user for m in messages[i]}),
                findings=sev[i],
                loudness=loudness_db(envelope, a, min(b, duration)),
            )
        )
    return out
