"""A long "live stream" assembled from the Mandarin fixtures' sentences, truth kept.

The fixtures (dev_zh, dev2_zh, shop_zh) say in their ``.truth.json`` which sentence
violates a rule and which is shouted ("hype"). Each sentence used is cut from its
recording by its truth times (with the half pause on either side, 0.3 s), encoded
once to 1280x720 at 30 fps (scaled and padded whatever the source size), and the
pieces are joined with ffmpeg's concat demuxer, as often as the schedule uses them:

- calm stretches (60-150 s) of consecutive clean sentences of one recording,
- between them hype stretches (about 20-35 s): the clean hype sentences of all
  three recordings with a clean sentence here and there,
- one violating sentence every 3-5 minutes (each a different one, first after
  1-3 minutes), wherever the clock falls, in a calm or a hype stretch.

Every piece lasts a whole number of frames; its sound is kept as 16 kHz PCM and laid
at the sample where its video starts, so the hour's AAC track (encoded once) stays in
sync to the sample however many pieces there are (per-piece AAC priming would drift).
Ambiguous sentences (shop_zh's 最爱) stay out. The chat logs' messages that fall in a
piece come along, shifted, in ``<stem>.chat.jsonl`` beside the video, where ``run``
finds them. Random choices are seeded.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import FIXTURES, REPO, ffmpeg_exe, x264

SOURCES = ("dev_zh", "dev2_zh", "shop_zh")
FPS = 30
RATE = 16_000  # Hz, mono: what the fixtures carry and what Whisper reads
EDGE = 0.3  # seconds of the pause kept before and after each sentence
SIZE = (1280, 720)


def fixture(name: str, suffix: str) -> Path:
    """``tests/fixtures`` (or ``CLIPGUARD_FIXTURES``) first, then ``../shared/fixtures``."""
    for root in (FIXTURES, REPO.parent / "shared" / "fixtures"):
        path = root / f"{name}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"{name}{suffix}: not in {FIXTURES} nor ../shared/fixtures")


@dataclass(frozen=True)
class Piece:
    """One sentence of one fixture, cut whole frames from ``cut`` on."""

    source: str
    segment: dict[str, Any]
    cut: float  # source time of the piece's first frame
    frames: int

    @property
    def key(self) -> str:
        return f"{self.source}_{self.segment['index']:03d}"

    @property
    def seconds(self) -> float:
        return self.frames / FPS

    @property
    def kind(self) -> str:
        return "violation" if self.segment["violations"] else self.segment.get("style", "calm")


@dataclass
class Stream:
    media: Path
    truth: dict[
        str, Any
    ]  # name, duration, segments (index, start, end, text, style, violations, source)
    chat: Path | None
    pieces: int = 0
    unique: int = 0
    stats: dict[str, int] = field(default_factory=dict)


def _pieces() -> dict[str, list[Piece]]:
    """Per fixture, each sentence as a piece (half the pause before and after it)."""
    out: dict[str, list[Piece]] = {}
    for name in SOURCES:
        truth = json.loads(fixture(name, ".truth.json").read_text(encoding="utf-8"))
        segs = truth["segments"]
        pieces = []
        for i, s in enumerate(segs):
            before = (s["start"] - segs[i - 1]["end"]) / 2 if i else s["start"]
            after = (segs[i + 1]["start"] - s["end"]) / 2 if i + 1 < len(segs) else 0.0
            after = min(after, max(0.0, truth["duration"] - s["end"] - 0.1))
            cut = round(max(0.0, s["start"] - min(EDGE, before)) * FPS) / FPS
            end = s["end"] + min(EDGE, after)
            pieces.append(Piece(name, s, cut, max(1, round((end - cut) * FPS))))
        out[name] = pieces
    return out


def schedule(seconds: float, seed: int) -> list[Piece]:
    """The order of the pieces: calm and hype stretches, a violation every 3-5 min."""
    rng = random.Random(seed)
    pieces = _pieces()
    clean = {
        n: [p for p in ps if not p.segment["violations"] and not p.segment.get("ambiguous")]
        for n, ps in pieces.items()
    }
    calm = {n: [p for p in ps if p.kind == "calm"] for n, ps in clean.items()}
    hype = [p for ps in clean.values() for p in ps if p.kind == "hype"]
    bad = [p for ps in pieces.values() for p in ps if p.segment["violations"]]
    rng.shuffle(bad)
    order: list[Piece] = []
    clock = 0.0
    next_bad = rng.uniform(60, 180)
    planted = 0

    def add(p: Piece) -> None:
        nonlocal clock, next_bad, planted
        if clock >= next_bad:  # the violation due now goes in before this sentence
            v = bad[planted % len(bad)]
            planted += 1
            order.append(v)
            clock += v.seconds
            next_bad = clock + rng.uniform(180, 300)
        order.append(p)
        clock += p.seconds

    while clock < seconds:
        name = rng.choice(SOURCES)
        run, i = calm[name], rng.randrange(len(calm[name]))
        stop = clock + rng.uniform(60, 150)
        while clock < min(stop, seconds):
            add(run[i % len(run)])
            i += 1
        stop = clock + rng.uniform(20, 35)
        last = None
        while clock < min(stop, seconds):
            if last is not None and last.kind == "hype" and rng.random() < 0.35:
                p = rng.choice(calm[rng.choice(SOURCES)])
            else:
                p = rng.choice([h for h in hype if h is not last])
            add(p)
            last = p
    return order


def _encode(piece: Piece, dest: Path) -> bytes:
    """The piece's video (1280x720, 30 fps, H.264, no sound) at ``dest``; its sound
    as 16 kHz mono s16le, exactly as long as the video."""
    w, h = SIZE
    vf = (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease:flags=lanczos,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={FPS}"
    )
    pcm = dest.with_suffix(".pcm")
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-ss", f"{piece.cut:.4f}"]
    cmd += ["-i", str(fixture(piece.source, ".mp4"))]
    cmd += ["-map", "0:v:0", "-vf", vf, "-frames:v", str(piece.frames), *x264(), "-an", str(dest)]
    cmd += ["-map", "0:a:0", "-t", f"{piece.seconds:.4f}", "-ac", "1", "-ar", str(RATE)]
    cmd += ["-f", "s16le", str(pcm)]
    subprocess.run(cmd, check=True)
    audio = pcm.read_bytes()
    pcm.unlink()
    return audio


def assemble(dest: Path, seconds: float, seed: int = 21) -> Stream:
    """Build ``dest`` (an .mp4 of at least ``seconds``) and its truth and chat log."""
    dest = Path(dest)
    work = dest.parent / f"{dest.stem}_pieces"
    work.mkdir(parents=True, exist_ok=True)
    order = schedule(seconds, seed)
    sound: dict[str, bytes] = {}
    for p in order:
        if p.key not in sound:
            sound[p.key] = _encode(p, work / f"{p.key}.mp4")
    chats = {n: _chat(n) for n in SOURCES}
    listing = work / "list.txt"
    pcm = work / "sound.pcm"
    segments: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    frames = 0
    with listing.open("w") as lst, pcm.open("wb") as out:
        for p in order:
            lst.write(f"file '{(work / p.key).with_suffix('.mp4').resolve()}'\n")
            lst.write(f"duration {p.seconds:.6f}\n")
            t = frames / FPS
            a, b = round(t * RATE), round((frames + p.frames) / FPS * RATE)
            data = sound[p.key][: 2 * (b - a)]
            out.write(data + b"\0" * (2 * (b - a) - len(data)))
            s = p.segment
            segments.append(
                {
                    "index": len(segments),
                    "start": round(t + s["start"] - p.cut, 3),
                    "end": round(t + s["end"] - p.cut, 3),
                    "text": s["text"],
                    "style": s.get("style", "calm"),
                    "violations": s["violations"],
                    "source": f"{p.source}#{s['index']}",
                }
            )
            messages += [
                {**m, "t": round(t + m["t"] - p.cut, 2)}
                for m in chats[p.source]
                if p.cut <= m["t"] < p.cut + p.seconds
            ]
            frames += p.frames
    duration = frames / FPS
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0"]
    cmd += ["-i", str(listing), "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", str(pcm)]
    cmd += ["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k"]
    subprocess.run([*cmd, str(dest)], check=True)
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    chat = None
    if messages:
        chat = dest.with_name(dest.stem + ".chat.jsonl")
        chat.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages))
    truth = {"name": dest.stem, "lang": "zh", "duration": duration, "segments": segments}
    stats = {k: sum(p.kind == k for p in order) for k in ("calm", "hype", "violation")}
    stats["chat"] = len(messages)
    return Stream(dest, truth, chat, len(order), len(sound), stats)


def _chat(name: str) -> list[dict[str, Any]]:
    try:
        path = fixture(name, ".chat.jsonl")
    except FileNotFoundError:
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
