"""Highlight signals: one array per signal on a common time grid, values in 0..1.

Each signal is a small plug-in (``name`` + ``compute``), so adding one is a class, not
a change to the scorer. Video is scored from keyframes only (cheap: no full decode);
``find_highlights`` then decodes densely (``dense_motion``) inside the few candidate
windows that matter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from clipguard.chat import read_chat
from clipguard.clipper.shots import ShotFrame, dense_shots, is_key_cut, shot_frame
from clipguard.clipper.shots import motion as frame_motion
from clipguard.compliance_rules.packs import parse_pack
from clipguard.compliance_rules.scanner import Scanner
from clipguard.faults import refinement
from clipguard.media import ENVELOPE_HOP, AudioStats, iter_audio, iter_keyframes, iter_video_frames
from clipguard.models import Transcript

if TYPE_CHECKING:
    import av

log = logging.getLogger(__name__)

GRID = 0.5  # seconds per bin


@dataclass
class SignalContext:
    media: Path
    transcript: Transcript
    duration: float
    envelope: np.ndarray | None = None  # RMS per ENVELOPE_HOP from the transcription pass
    chat: list[tuple[float, str]] = field(default_factory=list)
    keyframes: KeyframeScan | None = None
    # where the keyframe scan comes from when ``keyframes`` is not given: the pipeline
    # hands the one it ran beside the transcription (``clipguard.pipeline.ahead``)
    scan: Callable[[Path], KeyframeScan] | None = None
    # (start, end, shot changes) of each window decoded densely (``rank_highlights``)
    dense: list[tuple[float, float, tuple[float, ...]]] = field(default_factory=list)

    @property
    def bins(self) -> int:
        return max(1, int(np.ceil(self.duration / GRID)))


class Signal(Protocol):
    """A plug-in: one array on the GRID. Bump ``version`` when what it computes
    changes; the stage key includes every signal's version, so cached signals made
    by older code are never reused (and a new signal invalidates them by itself)."""

    name: str
    version: int

    def compute(self, ctx: SignalContext) -> np.ndarray: ...


def robust_unit(x: np.ndarray) -> np.ndarray:
    """Scale to 0..1 between the 10th and 98th percentiles: one loud spike or a long
    silence must not flatten everything else."""
    if x.size == 0:
        return x
    lo, hi = np.percentile(x, 10), np.percentile(x, 98)
    if hi - lo < 1e-9:
        return np.zeros_like(x, dtype=np.float64)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def _to_grid(values: np.ndarray, hop: float, bins: int) -> np.ndarray:
    """Average a finer series (one value per ``hop`` s) onto the GRID."""
    per = max(1, int(round(GRID / hop)))
    n = min(values.size, bins * per)
    out = np.zeros(bins)
    if n:
        padded = np.zeros(bins * per)
        padded[:n] = values[:n]
        out = padded.reshape(bins, per).mean(axis=1)
    return out


class Loudness:
    """Speech energy in dB: a streamer shouting "三二一，上链接" is a highlight."""

    name = "loudness"
    version = 1

    def compute(self, ctx: SignalContext) -> np.ndarray:
        env = ctx.envelope
        if env is None or env.size == 0:
            stats = AudioStats()
            for _ in iter_audio(ctx.media, 60.0, stats):
                pass
            env = np.asarray(stats.envelope or [], dtype=np.float64)
        db = 20 * np.log10(np.maximum(env, 1e-5))
        return robust_unit(_to_grid(db, ENVELOPE_HOP, ctx.bins))


class SpeechRate:
    """Characters (Chinese) or words (other languages) per second: fast talk is excitement."""

    name = "speech_rate"
    version = 1

    def compute(self, ctx: SignalContext) -> np.ndarray:
        counts = np.zeros(ctx.bins)
        zh = ctx.transcript.language == "zh"
        for w in ctx.transcript.words:
            units = sum(1 for c in w.word if c.isalnum()) if zh else 1
            i = min(ctx.bins - 1, int(w.start / GRID))
            counts[i] += units
        smoothed = np.convolve(counts, np.ones(4) / 4, mode="same")
        return robust_unit(smoothed)


class HypePhrases:
    """Hype phrases from the transcript, matched with the rule engine (pinyin included)."""

    name = "hype"
    version = 1
    _scanner: Scanner | None = None

    @classmethod
    def scanner(cls) -> Scanner:
        if cls._scanner is None:
            text = (
                resources.files("clipguard.clipper")
                .joinpath("hype.yaml")
                .read_text(encoding="utf-8")
            )
            cls._scanner = Scanner([parse_pack(text, "builtin:hype")])
        return cls._scanner

    def compute(self, ctx: SignalContext) -> np.ndarray:
        out = np.zeros(ctx.bins)
        for f in self.scanner().scan(ctx.transcript):
            a = max(0, int((f.start - 0.5) / GRID))
            b = min(ctx.bins, int(np.ceil((f.end + 1.0) / GRID)))
            out[a:b] += 1.0
        return np.clip(out / 2.0, 0.0, 1.0)


@dataclass
class KeyframeScan:
    times: np.ndarray
    motion: np.ndarray  # mean abs difference to the previous keyframe, 0..1
    cuts: list[float]


class KeyframeScanner:
    """The keyframe scan, fed one keyframe at a time: by ``scan_keyframes``'s own
    decode, or by a reader that decodes the keyframes anyway (the screen's, beside
    the transcription: ``clipguard.pipeline.ahead``), so they are decoded once.
    Shot changes are told on colour (``clipguard.clipper.shots``), not brightness
    alone."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.motion: list[float] = []
        self.cuts: list[float] = []
        self._prev: ShotFrame | None = None

    def add(self, frame: av.VideoFrame) -> None:
        if frame.time is None:
            return
        cur = shot_frame(frame)
        prev = self._prev
        if prev is not None:
            cut = is_key_cut(prev, cur)
            if cut:
                self.cuts.append(cur.time)
            self.times.append(cur.time)
            self.motion.append(0.0 if cut else frame_motion(prev, cur))  # a cut is not motion
        self._prev = cur

    def result(self) -> KeyframeScan:
        return KeyframeScan(np.asarray(self.times), np.asarray(self.motion), list(self.cuts))


def scan_keyframes(media: Path, *, stop: Callable[[], bool] | None = None) -> KeyframeScan:
    """Decode keyframes only (PyAV ``skip_frame='NONKEY'``): seconds per hour of video.
    ``stop`` is asked before each keyframe (incomplete when it says so: see
    ``clipguard.pipeline.ahead``)."""
    scanner = KeyframeScanner()
    for frame in iter_keyframes(media):
        if stop is not None and stop():
            break
        scanner.add(frame)
    return scanner.result()


def dense_motion(
    media: Path, start: float, end: float
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Every frame in [start, end): per-frame motion and frame-exact shot changes
    (hard cuts, and one time per fade or dissolve), on small colour frames."""
    d = dense_shots(iter_video_frames(media, start, end))
    return np.asarray(d.times), np.asarray(d.motion), d.cuts


# a window decoded for something else answers for a stretch this far inside it: the
# detector looks LAG frames back and WINDOW frames ahead (0.4 s at 30 fps)
DENSE_INSIDE = 0.5


def exact_cuts(
    media: Path, known: Sequence[tuple[float, float, Sequence[float]]] = ()
) -> Callable[[float, float], list[float]]:
    """Frame-exact scene cuts in a time window, decoded on demand and remembered per
    window: the clip edges need them, and only a few seconds around each edge.
    ``known`` windows (start, end, cuts), decoded densely already, answer for any
    stretch well inside them without a decode (``HighlightsResult.dense``)."""
    memo: dict[tuple[float, float], list[float]] = {}

    def near(a: float, b: float) -> list[float]:
        key = (round(max(0.0, a), 1), round(b, 1))
        for ka, kb, cuts in known:
            inside = ka <= 0.0 if key[0] <= 0.0 else ka + DENSE_INSIDE <= key[0]
            if inside and key[1] <= kb - DENSE_INSIDE:
                return [c for c in cuts if key[0] <= c < key[1]]
        if key not in memo:
            memo[key] = []  # no cut known there: edges fall on sentence pauses only
            with refinement("clips", "frame-exact shot detection at a clip edge"):
                memo[key] = dense_motion(media, key[0], key[1])[2]
        return memo[key]

    return near


class Motion:
    """Visual motion from keyframe differences (refined densely for candidates later)."""

    name = "motion"
    version = 2  # 2: keyframes that change colour are cuts, not motion

    def compute(self, ctx: SignalContext) -> np.ndarray:
        kf = ctx.keyframes
        out = np.zeros(ctx.bins)
        if kf is None or kf.times.size == 0:
            return out
        # a keyframe difference describes the span since the previous keyframe
        prev_t = 0.0
        for t, m in zip(kf.times.tolist(), kf.motion.tolist()):
            a, b = int(prev_t / GRID), max(int(prev_t / GRID) + 1, int(np.ceil(t / GRID)))
            out[a : min(b, ctx.bins)] = np.maximum(out[a : min(b, ctx.bins)], m)
            prev_t = t
        return robust_unit(out)


class ChatDensity:
    """Messages per second from the stream's chat log: the audience says what is exciting."""

    name = "chat"
    version = 1

    def compute(self, ctx: SignalContext) -> np.ndarray:
        counts = np.zeros(ctx.bins)
        for t, _ in ctx.chat:
            if 0 <= t < ctx.duration:
                counts[int(t / GRID)] += 1
        smoothed = np.convolve(counts, np.ones(6) / 6, mode="same")
        return robust_unit(smoothed) if ctx.chat else counts


SIGNALS: dict[str, Signal] = {
    s.name: s for s in (Loudness(), SpeechRate(), HypePhrases(), Motion(), ChatDensity())
}


def load_chat(path: Path) -> list[tuple[float, str]]:
    """JSON Lines or CSV with ``t``, ``user``, ``text``; bad lines name their line number
    (read by ``clipguard.chat``, the one chat reader)."""
    return [(m.t, m.text) for m in read_chat(Path(path))]


SIGNAL_VERSIONS = {name: sig.version for name, sig in SIGNALS.items()}


def compute_signals(ctx: SignalContext) -> dict[str, np.ndarray]:
    if ctx.keyframes is None and ctx.media:
        # shot and motion information refines the ranking; without it the highlights
        # still come from speech, hype words, loudness and chat
        with refinement("signals", "keyframe scan (shot detection)") as r:
            ctx.keyframes = (ctx.scan or scan_keyframes)(ctx.media)
        if r.failed:
            ctx.keyframes = KeyframeScan(np.zeros(0), np.zeros(0), [])
    return {name: sig.compute(ctx) for name, sig in SIGNALS.items()}
