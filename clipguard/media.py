"""Probing and streaming audio decoding with PyAV.

Audio is decoded straight to 16 kHz mono float32 in bounded chunks: a multi-hour
recording never becomes one array in memory or a temporary WAV on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import av.audio.resampler
import av.audio.stream
import av.container
import av.error
import av.stream
import numpy as np

from clipguard.errors import MediaError
from clipguard.keys import sha256_file
from clipguard.models import MediaInfo

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
ENVELOPE_HOP = 0.1  # seconds per RMS value kept for the loudness signal
SILENCE_DBFS = -60.0  # a recording whose peak stays under this has nothing to transcribe
MEDIA_SUFFIXES = {
    ".mp4",
    ".m4v",
    ".mov",
    ".mkv",
    ".webm",
    ".flv",
    ".ts",
    ".mts",
    ".m2ts",
    ".avi",
    ".m4a",
    ".aac",
    ".mp3",
    ".wav",
    ".flac",
    ".ogg",
    ".opus",
}


def require_video(info: MediaInfo) -> None:
    """Clips need pictures: an audio-only input to ``clip`` is an error."""
    if not info.has_video:
        raise MediaError(f"{info.path}: has no video stream, so there is nothing to clip")


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if path.is_dir():
        raise MediaError(f"{path}: is a directory, not a media file")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise MediaError(f"{path}: not a media file ffmpeg can read ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() if ": '" in text else text


def _readable_end(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    """Time of the last packet that can actually be read, seeking near the declared end.

    A recording cut off mid-write (crash, full disk) keeps an index that promises more
    than the file holds; reading a few packets at the tail tells the two apart cheaply.
    """
    duration = container.duration / av.time_base if container.duration else 0.0
    last = 0.0
    try:
        if duration > 5 and stream.time_base:
            container.seek(int((duration - 3) / stream.time_base), stream=stream, backward=True)
            for pkt in container.demux(stream):
                if pkt.pts is not None and pkt.size:
                    last = max(last, float((pkt.pts + (pkt.duration or 0)) * stream.time_base))  # pyright: ignore[reportOperatorIssue]
            if last:
                return last
            container.seek(0, stream=stream)
        for pkt in container.demux(stream):
            if pkt.pts is not None and pkt.size:
                last = max(last, float((pkt.pts + (pkt.duration or 0)) * stream.time_base))  # pyright: ignore[reportOperatorIssue]
    except av.error.FFmpegError:
        pass
    return last


def probe(path: Path, *, allow_partial: bool = False) -> MediaInfo:
    """Describe a recording and fail early, with one clear line, on what cannot be used."""
    path = Path(path)
    with _open(path) as container:
        audio = container.streams.audio[0] if container.streams.audio else None
        video = container.streams.video[0] if container.streams.video else None
        if audio is None and video is None:
            raise MediaError(f"{path}: no audio or video stream")
        if audio is None:
            raise MediaError(f"{path}: has no audio stream, so there is nothing to transcribe")
        duration = container.duration / av.time_base if container.duration else 0.0
        width = height = 0
        fps = 0.0
        if video is not None:
            width, height = video.codec_context.width, video.codec_context.height
            fps = float(video.average_rate or video.guessed_rate or 0)
        truncated = False
        readable = duration
        if duration > 0:
            readable = _readable_end(container, audio)
            if readable < duration - max(2.0, 0.05 * duration):
                truncated = True
                if not allow_partial:
                    raise MediaError(
                        f"{path}: file is truncated or corrupt: only {readable:.1f} s of "
                        f"{duration:.1f} s can be read (use allow_partial to process that part)",
                        params=("allow_partial",),
                    )
                log.warning(
                    "%s: truncated, processing the first %.1f s of %.1f s", path, readable, duration
                )
        if duration <= 0:
            duration = readable
    return MediaInfo(
        path=str(path),
        sha256=sha256_file(path),
        duration=float(duration),
        has_video=video is not None,
        width=int(width),
        height=int(height),
        fps=round(fps, 3),
        decoded_duration=float(readable) if truncated else None,
        truncated=truncated,
    )


@dataclass
class AudioStats:
    """Side products of the single decode pass, reused by the highlight stage."""

    samples: int = 0
    peak: float = 0.0
    envelope: list[float] | None = None  # RMS per ENVELOPE_HOP seconds

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    @property
    def peak_dbfs(self) -> float:
        return 20 * np.log10(self.peak) if self.peak > 0 else float("-inf")


def iter_audio(
    path: Path, chunk_seconds: float = 30.0, stats: AudioStats | None = None
) -> Iterator[np.ndarray]:
    """Yield 16 kHz mono float32 chunks of about ``chunk_seconds`` each."""
    path = Path(path)
    resampler = av.audio.resampler.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    target = int(chunk_seconds * SAMPLE_RATE)
    hop = int(ENVELOPE_HOP * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_n = 0
    tail = np.zeros(0, dtype=np.float32)  # envelope remainder between chunks
    if stats is not None and stats.envelope is None:
        stats.envelope = []

    def account(block: np.ndarray) -> None:
        nonlocal tail
        if stats is None:
            return
        stats.samples += block.size
        if block.size:
            stats.peak = max(stats.peak, float(np.abs(block).max()))
        joined = np.concatenate([tail, block])
        whole = joined.size // hop * hop
        if whole:
            frames = joined[:whole].reshape(-1, hop)
            envelope = stats.envelope if stats.envelope is not None else []
            envelope.extend(np.sqrt(np.mean(frames * frames, axis=1)).tolist())
            stats.envelope = envelope
        tail = joined[whole:]

    with _open(path) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio stream, so there is nothing to transcribe")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                for arr in _mono(resampler, frame):
                    pending.append(arr)
                    pending_n += arr.size
                if pending_n >= target:
                    block = np.concatenate(pending)
                    pending, pending_n = [], 0
                    account(block)
                    yield block
        except av.error.FFmpegError as exc:
            log.warning("%s: decoding stopped early: %s", path, exc)
        for out in resampler.resample(None):
            pending.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        if pending:
            block = np.concatenate(pending)
            account(block)
            yield block


def iter_video_frames(path: Path, start: float, end: float) -> Iterator[av.VideoFrame]:
    """Decoded video frames with ``start <= time < end``, after one seek to the
    keyframe before ``start``: dense decoding confined to a window."""
    with _open(Path(path)) as container:
        if not container.streams.video:
            return
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.time_base:
            container.seek(
                int(max(0.0, start - 0.1) / stream.time_base), stream=stream, backward=True
            )
        for frame in container.decode(stream):
            if frame.time is None or frame.time < start:
                continue
            if frame.time >= end:
                break
            yield frame


def iter_keyframes(path: Path) -> Iterator[av.VideoFrame]:
    """Keyframes only (``skip_frame='NONKEY'``): a whole hour of video in seconds."""
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            return
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        stream.thread_type = "AUTO"
        try:
            yield from container.decode(stream)
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: cannot read video: {_reason(exc)}") from None


def iter_sampled_frames(
    path: Path,
    every: float = 1.0,
    keyframe: Callable[[av.VideoFrame], None] | None = None,
) -> Iterator[tuple[float, av.VideoFrame]]:
    """About one frame per ``every`` seconds, decoding as little as possible.

    When keyframes come at least every 2.5 s (most encoders), only keyframes are
    decoded (``skip_frame='NONKEY'``); otherwise every frame is decoded and one per
    ``every`` seconds is yielded. The keyframe spacing is read from the packets
    (demuxing, no decoding). ``keyframe`` is handed every timed keyframe as it is
    decoded, whichever is yielded: the same frames ``iter_keyframes`` gives, for a
    second reader that then needs no decode of its own."""
    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            return
        stream = container.streams.video[0]
        tb = stream.time_base
        key_times = [
            float(p.pts * tb)
            for p in container.demux(stream)
            if p.is_keyframe and p.pts is not None and tb
        ]
        gaps = np.diff(key_times) if len(key_times) > 1 else np.zeros(0)
        keyframes_only = bool(gaps.size) and float(np.percentile(gaps, 90)) <= 2.5
        container.seek(0, stream=stream)
        stream.thread_type = "AUTO"
        if keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        last = -1e9
        try:
            for frame in container.decode(stream):
                if keyframe is not None and frame.key_frame and frame.time is not None:
                    keyframe(frame)
                if frame.time is None or frame.time - last < every * 0.999 and not keyframes_only:
                    continue
                last = frame.time
                yield float(frame.time), frame
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: cannot read video: {_reason(exc)}") from None


def read_audio(path: Path, spans: Sequence[tuple[float, float]]) -> list[np.ndarray]:
    """16 kHz mono float32 samples of each ``(start, end)``, from one open of the file
    and one seek per span (no full decode)."""
    path = Path(path)
    out: list[np.ndarray] = []
    with _open(path) as container:
        if not container.streams.audio:
            raise MediaError(f"{path}: has no audio stream")
        stream = container.streams.audio[0]
        for start, end in spans:
            out.append(_read_span(container, stream, path, start, end))
    return out


def _read_span(
    container: av.container.InputContainer,
    stream: av.audio.stream.AudioStream,
    path: Path,
    start: float,
    end: float,
) -> np.ndarray:
    # a fresh resampler per span: one carries samples over from where it last stopped
    resampler = av.audio.resampler.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    if stream.time_base:
        container.seek(int(max(0.0, start - 0.5) / stream.time_base), stream=stream, backward=True)
    pieces: list[np.ndarray] = []
    first: float | None = None
    try:
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            if first is None:
                first = float(frame.time)
            pieces += _mono(resampler, frame)
            if frame.time > end:
                break
    except av.error.FFmpegError as exc:
        log.warning("%s: decoding stopped early: %s", path, exc)
    if not pieces or first is None:
        return np.zeros(0, dtype=np.float32)
    audio = np.concatenate(pieces)
    a = max(0, int((start - first) * SAMPLE_RATE))
    return audio[a : a + int((end - start) * SAMPLE_RATE)]


def _mono(resampler: av.audio.resampler.AudioResampler, frame: av.AudioFrame) -> list[np.ndarray]:
    """A decoded frame as 16 kHz mono float32 arrays (the resampler may buffer)."""
    return [
        out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        for out in resampler.resample(frame)
    ]
