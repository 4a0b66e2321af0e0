"""The whole ``run`` (transcript, screen, findings, highlights, 3 clips, recap, report)
on one hour of 720p30, against faster-whisper's lossy batched pass on the same audio.

The hour (``--minutes``, default 60) is assembled from the Mandarin fixtures'
sentences by their truth times (``benchmarks/_stream.py``): calm stretches of clean
sentences, hype stretches between them, and one violating sentence every 3-5 minutes
(seeded), each piece encoded once to 1280x720 at 30 fps (H.264 + AAC) and joined
with ffmpeg's concat demuxer, with the fixtures' chat messages beside it. The truth
of every piece is kept, so the table says how many sentences were heard, how many
planted violations were found, and whether a clip touches one (it must not).

Before the run and again after it, in a process of its own (so it touches neither the
run's memory peak nor its caches), the same model (its load not timed; as one worker
of all the threads, since faster-whisper's pipeline calls it one batch at a time,
where clipguard decodes two batches at once on two workers of one thread:
``clipguard.asr.batches``) transcribes the hour with
``BatchedInferencePipeline(model).transcribe(path, language="zh")`` and its other
defaults: the lossy fast path a user could run instead (see ``peers.py``). Wall and
CPU seconds (this process and its ffmpeg children) are shown for both; on a shared
machine the CPU ratio moves far less with other load. The ratios are to the mean of
the two lossy passes: one pass after the run measured 169.8 s in one run and 197.6 s
in the next on the same host, while the run itself took 237.0 and 238.0 s, so a
single pass on one side of the run can flatter or penalise it by 15%.

``--copies N`` is the old input instead: dev_zh re-encoded once to 720p30 and copied
end to end N times (a violation every 8 s, so no clip passes the gate). Building the
input is not counted. Takes 10-15 minutes for an hour on 2 busy cores.

    python benchmarks/run_hour.py [--minutes 60] [--seed 21] [--no-lossy]
    python benchmarks/run_hour.py --copies 17
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import FIXTURES, ffmpeg_exe, machine, table, x264
from _stream import assemble

from clipguard.asr.model import load_model, threads_and_workers
from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.evaluation import (
    _chars,
    concat_recordings,
    load_truth,
    overlaps,
    score_findings,
    sentences_kept,
)
from clipguard.models import Transcript
from clipguard.pipeline.manifest import Manifest
from clipguard.pipeline.run import RunOptions, process_recording
from clipguard.writers import read_json, write_json


def build(tmp: Path, copies: int) -> tuple[Path, dict[str, Any]]:
    """The old input: dev_zh at 720p30, ``copies`` times, and its truth."""
    one = tmp / "dev_zh_720p30.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(FIXTURES / "dev_zh.mp4"),
            "-vf",
            "scale=1280:720:flags=lanczos,fps=30",
            *x264(),
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(one),
        ],
        check=True,
    )
    truth = load_truth(FIXTURES / "dev_zh.truth.json")
    segments = [
        {
            **s,
            "index": i * len(truth["segments"]) + k,
            "start": s["start"] + off,
            "end": s["end"] + off,
        }
        for i in range(copies)
        for off in (i * truth["duration"],)
        for k, s in enumerate(truth["segments"])
    ]
    hour = {**truth, "duration": copies * truth["duration"], "segments": segments}
    return concat_recordings([one] * copies, tmp / "hour.mp4"), hour


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (ffmpeg)."""
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mb() -> float:
    """This process's peak resident set so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Phases:
    """Wall and CPU seconds per stage the run's progress callback names, and the peak
    RSS when each stage ended: the peak never falls, so the stage where it rises is
    the one that set it."""

    def __init__(self) -> None:
        self.current = ""
        self.mark = (0.0, 0.0)
        self.seconds: dict[str, tuple[float, float]] = {}
        self.peaks: dict[str, float] = {"(before the run)": peak_mb()}

    def __call__(self, done: float, total: float, stage: str) -> None:
        if stage != self.current:
            now = (time.perf_counter(), cpu_seconds())
            if self.current:
                wall, cpu = self.seconds.get(self.current, (0.0, 0.0))
                self.seconds[self.current] = (
                    wall + now[0] - self.mark[0],
                    cpu + now[1] - self.mark[1],
                )
                self.peaks[self.current] = peak_mb()
            self.current, self.mark = stage, now


def lossy_pass(model: Any, media: Path) -> tuple[str, float, float]:
    """faster-whisper's batched pass with its defaults: (text, wall s, CPU s)."""
    from faster_whisper import BatchedInferencePipeline

    t, c = time.perf_counter(), cpu_seconds()
    segments, _ = BatchedInferencePipeline(model).transcribe(str(media), language="zh")
    text = "".join(s.text for s in segments)
    return text, time.perf_counter() - t, cpu_seconds() - c


def lossy_child(media: Path) -> tuple[str, float, float]:
    """``lossy_pass`` in a process of its own (model load not timed), so neither pass
    touches the run's memory peak or caches: (text, wall s, CPU s)."""
    out = subprocess.run(
        [sys.executable, __file__, "--lossy-only", str(media)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return d["text"], d["wall"], d["cpu"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the assembled stream")
    ap.add_argument("--seed", type=int, default=21, help="seed of the assembly's choices")
    ap.add_argument("--copies", type=int, default=0, help="old input: N x dev_zh instead")
    ap.add_argument("--no-lossy", action="store_true", help="skip faster-whisper's batched pass")
    ap.add_argument("--out", type=Path, help="keep the input and the run's outputs here")
    ap.add_argument("--lossy-only", type=Path, help=argparse.SUPPRESS)  # lossy_child's
    args = ap.parse_args()
    if args.lossy_only:
        o = TranscribeOptions()
        model = load_model(o.model, o.device, o.compute_type, min(4, os.cpu_count() or 1))
        text, wall, cpu = lossy_pass(model, args.lossy_only)
        print(json.dumps({"text": text, "wall": wall, "cpu": cpu}, ensure_ascii=False))
        return
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(args.out or tmp_s)
        tmp.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if args.copies:
            media, truth = build(tmp, args.copies)
            what = f"{args.copies} x dev_zh at 720p30"
            made = ""
        else:
            stream = assemble(tmp / "hour.mp4", args.minutes * 60, args.seed)
            media, truth = stream.media, stream.truth
            write_json(tmp / "hour.truth.json", truth)
            what = f"dev_zh/dev2_zh/shop_zh sentences at 720p30 (seed {args.seed})"
            made = (
                f"{stream.pieces} sentences ({stream.stats['calm']} calm, {stream.stats['hype']} "
                f"hype, {stream.stats['violation']} violating) from {stream.unique} pieces; "
                f"{stream.stats['chat']} chat messages; "
            )
        build_s = time.perf_counter() - t0
        options = RunOptions(
            transcribe=TranscribeOptions(hotwords=default_hotwords()),
            highlight=HighlightOptions(count=3),
        )
        o = options.transcribe
        t0 = time.perf_counter()
        load_model(o.model, o.device, o.compute_type, o.cpu_threads)  # the run's own
        threads = min(4, os.cpu_count() or 1)  # the lossy pass's, in its own process
        load_s = time.perf_counter() - t0
        before = None if args.no_lossy else lossy_child(media)
        if before:
            print(f"lossy pass before: {before[1]:.1f} s wall, {before[2]:.1f} s CPU", flush=True)
        phases = Phases()
        t0, c0 = time.perf_counter(), cpu_seconds()
        result = process_recording(media, tmp / "out", options, progress=phases)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        phases(1.0, 1.0, "")
        rss = peak_mb()
        root = Path(result.out_dir)
        stages = Manifest.load(root / "manifest.json").data["stages"]
        transcript = Transcript.from_dict(read_json(root / "transcript.json"))
        findings = read_json(root / "findings.json")["findings"]
        clips = read_json(root / "clips" / "clips.json")["clips"] if result.clips else []
        print(f"run: {wall:.1f} s wall, {cpu:.1f} s CPU; {phases.seconds}", flush=True)
        after = None if args.no_lossy else lossy_child(media)
        if after:
            print(f"lossy pass after: {after[1]:.1f} s wall, {after[2]:.1f} s CPU\n", flush=True)
        lossy = None
        if before and after:
            lossy = (after[0], (before[1] + after[1]) / 2, (before[2] + after[2]) / 2)
    kept = sentences_kept(truth, transcript.words)
    segs = truth["segments"]
    bad = [s for s in segs if s["violations"]]
    heard_bad = sum(f >= 0.5 for f, s in zip(kept, segs) if s["violations"])
    score = score_findings(truth, findings)
    touching = [
        f"clip {i} ({c['start']:.1f}-{c['end']:.1f} s) over sentence {s['index']}"
        for i, c in enumerate(clips, 1)
        for s in bad
        if overlaps(c["start"], c["end"], s["start"], s["end"])
    ]

    print(f"run on {what} ({result.duration / 60:.1f} min); machine: {machine()}")
    print(
        f"input: {made}building it took {build_s:.0f} s, model load {load_s:.1f} s "
        f"(neither counted); load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after\n"
    )
    rows: list[list[object]] = []
    for name, st in stages.items():
        c = phases.seconds.get(name)
        cpu_s = f"{c[1]:.1f}" if c else "(in highlights)" if name == "signals" else "-"
        rows.append([name, f"{st.get('seconds', 0):.1f}", cpu_s])
    rows.append(["whole run", f"{wall:.1f}", f"{cpu:.1f}"])
    print(table(["stage", "wall s (manifest)", "CPU s (with ffmpeg)"], rows))
    if "signals" in stages and "highlights" in stages:
        print(
            "(the manifest times signals and highlights from the same start: the "
            "highlights span holds the signals', they are one span, not two)"
        )
    missing = Counter(s.get("source", s["index"]) for f, s in zip(kept, segs) if f < 0.5)
    unheard = "; not heard: " + ", ".join(
        f"{k} x{n}" if n > 1 else str(k) for k, n in missing.most_common()
    )
    unheard = unheard if missing else ""
    durations = ", ".join(f"{c['duration']:.1f}" for c in clips)
    print(
        f"\nRTF of transcription {stages['transcribe']['seconds'] / result.duration:.3f}; "
        f"coverage {result.coverage or 0:.3f}, gaps {result.gaps}\n"
        f"sentences heard {sum(f >= 0.5 for f in kept)}/{len(kept)} "
        f"(violating ones {heard_bad}/{len(bad)}){unheard}\n"
        f"planted violations found {score.found}/{score.planted} in {len(bad)} sentences; "
        f"clean sentences with a finding {len(score.false_positive_sentences)}; "
        f"findings {sum(result.findings.values())} {result.findings}\n"
        f"clips {result.clips} ({durations or '-'} s){'; ' + result.clips_note if result.clips_note else ''}\n"
        f"clips over a planted violation: {'; '.join(touching) or 'none'}\n"
        f"peak RSS {rss:.0f} MB (goal <= 2048); when each stage ended: "
        + ", ".join(f"{k} {v:.0f}" for k, v in phases.peaks.items())
    )
    if score.missed:
        missed = ", ".join(f"#{i} {term} ({cat})" for i, term, cat in score.missed[:8])
        print(f"missed: {missed}{' ...' if len(score.missed) > 8 else ''}")
    if lossy is None:
        return
    text, lossy_wall, lossy_cpu = lossy
    t_wall, t_cpu = phases.seconds.get("transcribe", (stages["transcribe"]["seconds"], 0.0))
    rows = [
        ["whole run", wall, cpu, len(_chars(transcript.text))],
        ["transcribe stage", t_wall, t_cpu, len(_chars(transcript.text))],
        ['fw batched (language="zh"), mean', lossy_wall, lossy_cpu, len(_chars(text))],
        ["  before the run", before[1], before[2], len(_chars(before[0]))],
        ["  after the run", after[1], after[2], len(_chars(after[0]))],
    ]
    print(
        f"\nagainst faster-whisper's lossy batched pass, same model "
        f"({o.model} {o.compute_type}; the run {threads_and_workers(o.device, o.cpu_threads)}, "
        f"the lossy pass ({threads}, 1) (threads, workers)), "
        f"same file, before and after the run (ratios to their mean):\n"
    )
    print(
        table(
            ["", "wall s", "wall vs lossy", "CPU s", "CPU vs lossy", "characters"],
            [
                [
                    name,
                    f"{w:.1f}",
                    f"{w / lossy_wall:.2f}x",
                    f"{c:.1f}",
                    f"{c / lossy_cpu:.2f}x",
                    f"{n:,}",
                ]
                for name, w, c, n in rows
            ],
        )
    )
    print(
        f"\nwhole run / lossy pass: {wall / lossy_wall:.2f}x wall, {cpu / lossy_cpu:.2f}x CPU "
        f"(goal <= 1.3x); transcribe stage / lossy pass: {t_wall / lossy_wall:.2f}x wall, "
        f"{t_cpu / lossy_cpu:.2f}x CPU"
    )


if __name__ == "__main__":
    main()
