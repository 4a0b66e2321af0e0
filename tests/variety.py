"""The variety corpus: the shapes real recordings come in, built from the fixtures.

Each variant is made with ffmpeg (the binary of the ``imageio-ffmpeg`` wheel, so it
needs nothing from the system) or numpy from a 20 s cut of ``shop_zh`` — four
sentences, speech from 0.0 s, two of them violating (absolute claims at 10.7-14.8 s,
off-platform contact at 15.4-19.5 s). Nothing new is stored in the repository.

``clear``: the speech is as clear as the fixture's, so coverage must be ≥ 0.98 and
both violations must be found. Degraded variants (noise, music, tempo) must complete
with no internal error and hear most of the speech.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
BASE_SECONDS = 20.1  # the first four sentences of shop_zh
VIDEO = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "96k"]


@dataclass(frozen=True)
class Variant:
    name: str
    file: str
    clear: bool = True  # speech as clear as the fixture: coverage >= 0.98, both found
    video: bool = True
    violations: bool = True  # holds both planted violations whole


def ff(*args: str | Path) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-y", *map(str, args)], check=True)


def _pcm(path: Path, rate: int = 16000) -> np.ndarray:
    out = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-vn", "-ac", "1", "-ar", str(rate)]
        + ["-f", "f32le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32)


def _wav(path: Path, pcm: np.ndarray, rate: int = 16000) -> None:
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1"]
        + ["-i", "pipe:0", "-c:a", "pcm_s16le", str(path)],
        input=np.clip(pcm, -1, 1).astype(np.float32).tobytes(),
        check=True,
    )


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink (1/f) noise by shaping white noise's spectrum."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size, dtype=np.float64)
    f[0] = 1.0
    noise = np.fft.irfft(spec / np.sqrt(f), n)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def _music(n: int, rate: int = 16000) -> np.ndarray:
    """A music bed: a I-V-vi-IV chord loop with a beat, the sound of many streams."""
    t = np.arange(n) / rate
    chords = [
        (261.6, 329.6, 392.0),
        (196.0, 246.9, 293.7),
        (220.0, 261.6, 329.6),
        (174.6, 220.0, 261.6),
    ]
    out = np.zeros(n, dtype=np.float64)
    bar = 2.0
    for i, chord in enumerate(chords * int(np.ceil(n / rate / bar / 4) + 1)):
        a, b = int(i * bar * rate), min(n, int((i + 1) * bar * rate))
        if a >= n:
            break
        seg = t[a:b]
        out[a:b] = sum(np.sin(2 * np.pi * f * seg) for f in chord) / 3
    beat = (np.sin(2 * np.pi * 2.0 * t) > 0.95).astype(np.float64) * np.sin(2 * np.pi * 60 * t)
    out += 0.5 * beat
    return (out / np.sqrt(np.mean(out**2))).astype(np.float32)


def _rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)


def build(fixtures: Path, d: Path) -> list[Variant]:
    """Build every variant into ``d``; returns them in a stable order."""
    d.mkdir(parents=True, exist_ok=True)
    src = fixtures / "shop_zh.mp4"
    base = d / "base.mp4"
    # re-encoded with a keyframe each 2 s, like a recorder's output
    ff("-i", src, "-t", BASE_SECONDS, *VIDEO, *AAC, "-ar", "16000", base)
    short = d / "short.mp4"  # three sentences, so four copies stay under 60 s
    ff("-i", src, "-t", 14.8, *VIDEO, *AAC, "-ar", "16000", short)
    out: list[Variant] = []

    def concat(name: str, part: Path, times: int) -> None:
        lst = d / f"{name}.txt"
        lst.write_text("".join(f"file '{part.name}'\n" for _ in range(times)))
        ff("-f", "concat", "-safe", "0", "-i", lst, "-c", "copy", d / f"{name}.mp4")

    concat("joined_2x", base, 2)
    out.append(Variant("joined 2x (-c copy)", "joined_2x.mp4"))
    concat("joined_4x", short, 4)
    out.append(Variant("joined 4x (-c copy)", "joined_4x.mp4", violations=False))
    ff("-ss", 4.888, "-i", src, "-t", 15.3, *VIDEO, *AAC, d / "speech_at_zero.mp4")
    out.append(Variant("speech at 0.0 s", "speech_at_zero.mp4"))
    ff("-i", src, "-t", 17.3, *VIDEO, *AAC, d / "cut_mid_word.mp4")
    out.append(Variant("speech cut mid-word at the end", "cut_mid_word.mp4", violations=False))
    ff(
        "-i", base, "-vf", "tpad=start_duration=20:stop_duration=20:start_mode=clone:stop_mode=clone",
        "-af", "adelay=20000:all=1,apad=pad_dur=20", *VIDEO, *AAC, d / "silence_padded.mp4",
    )  # fmt: skip
    out.append(Variant("20 s silence before and after", "silence_padded.mp4"))
    ff("-i", base, "-vn", "-ac", 1, "-ar", 8000, d / "mono_8k.wav")
    out.append(Variant("8 kHz mono wav", "mono_8k.wav", video=False))
    ff("-i", base, "-vn", "-ac", 2, "-ar", 44100, *AAC, d / "stereo_44k.m4a")
    out.append(Variant("44.1 kHz stereo m4a", "stereo_44k.m4a", video=False))
    ff("-i", base, *VIDEO, "-ac", 2, "-ar", 48000, *AAC, d / "stereo_48k.mp4")
    out.append(Variant("48 kHz stereo mp4", "stereo_48k.mp4"))
    ff("-i", base, "-vn", "-c:a", "libmp3lame", "-b:a", "64k", d / "audio.mp3")
    out.append(Variant("audio-only mp3", "audio.mp3", video=False))
    ff("-i", base, "-vn", "-c:a", "libopus", "-b:a", "32k", d / "audio.opus")
    out.append(Variant("audio-only opus", "audio.opus", video=False))
    ff("-i", base, "-vn", "-c:a", "pcm_s16le", d / "audio.wav")
    out.append(Variant("audio-only wav", "audio.wav", video=False))
    ff("-i", base, "-filter:a", "atempo=1.25", "-filter:v", "setpts=PTS/1.25", *VIDEO, *AAC,
       d / "tempo_125.mp4")  # fmt: skip
    out.append(Variant("tempo 1.25x", "tempo_125.mp4", clear=False))
    speech = _pcm(base)
    rng = np.random.default_rng(16)
    level = _rms_db(speech[speech**2 > 1e-5])  # speech level, pauses excluded
    for name, bed, snr in [("pink_noise_10db", _pink(speech.size, rng), 10.0),
                           ("music_bed", _music(speech.size), 12.0)]:  # fmt: skip
        gain = 10 ** ((level - snr) / 20)
        _wav(d / f"{name}.wav", speech + gain * bed)
        out.append(Variant(f"{name.replace('_', ' ')}", f"{name}.wav", clear=False, video=False))
    ff("-i", base, "-vf", "select='not(eq(mod(n\\,5)\\,1))*not(eq(mod(n\\,7)\\,3))'",
       "-fps_mode", "vfr", *VIDEO, "-c:a", "copy", d / "vfr.mp4")  # fmt: skip
    out.append(Variant("variable frame rate", "vfr.mp4"))
    ff("-i", base, "-vf", "scale=1080:-2,pad=1080:1920:(ow-iw)/2:(oh-ih)/2", *VIDEO,
       "-c:a", "copy", d / "portrait.mp4")  # fmt: skip
    out.append(Variant("portrait 1080x1920", "portrait.mp4"))
    ff("-display_rotation", 90, "-i", base, "-c", "copy", d / "rotated.mp4")
    out.append(Variant("phone video with a rotation matrix", "rotated.mp4"))
    ff("-i", base, "-i", fixtures / "review_en.mp4", "-map", "0:v", "-map", "0:a", "-map", "1:a",
       "-t", BASE_SECONDS, "-c:v", "copy", *AAC, d / "two_audio.mp4")  # fmt: skip
    out.append(Variant("two audio streams", "two_audio.mp4"))
    ff("-i", base, "-vf", "fps=1", *VIDEO, "-c:a", "copy", d / "one_fps.mp4")
    out.append(Variant("1 fps video", "one_fps.mp4"))
    return out
