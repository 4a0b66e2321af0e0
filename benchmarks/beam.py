"""What the decoder's beam buys: findings, clean sentences flagged, sentences heard and
transcription time, end to end (``scan`` from media, acoustic verification on), per
beam size, on two halves.

- tuning half: the four fixtures (dev2_zh from ``../shared/fixtures`` where present);
  the default beam was chosen on these;
- held-out half, not used to choose: six acoustic variants of the fixtures (tempo,
  pitch, white and pink noise, echo; truth times scaled with the tempo) and a
  10-minute stream assembled from the fixtures' sentences (``_stream.py``, seed 21).
  They are the same four voices: this half tests robustness to the sound, not to new
  speakers.

"heard" aligns the transcript with the truth character by character (as in
``peers.py``): a truth sentence is heard when half its characters are matched.
Settings are ``<beam>`` or ``<beam>n`` (without the rule vocabulary in the prompt).
About 5 minutes per setting on 2 cores.

    python benchmarks/beam.py                 # settings 5,3,2,1,2n
    SETTINGS=5,2 python benchmarks/beam.py
    SETTINGS=2 ONLY=review_en,review_en_slow_low python benchmarks/beam.py  # a quick check
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import ffmpeg_exe, machine, table
from _stream import assemble, fixture
from peers import heard

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.evaluation import load_truth, score_findings
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.run import RunOptions, scan_recording
from clipguard.writers import read_json

MIX = "[a][n]amix=inputs=2:duration=first:weights=1 1"
# name: (fixture, ffmpeg audio filter after resampling to 16 kHz mono, tempo factor)
VARIANTS: dict[str, tuple[str, str, float]] = {
    "dev_zh_fast_noise": (
        "dev_zh",
        f"atempo=1.15[a];anoisesrc=color=white:amplitude=0.02:r=16000[n];{MIX}",
        1.15,
    ),
    "dev_zh_low_echo": (
        "dev_zh",
        "asetrate=16000*0.87,aresample=16000,atempo=1.149,aecho=0.8:0.7:60:0.3",
        1.0,
    ),
    "shop_zh_pink": (
        "shop_zh",
        f"anull[a];anoisesrc=color=pink:amplitude=0.06:r=16000[n];{MIX}",
        1.0,
    ),
    "dev2_zh_fast": ("dev2_zh", "atempo=1.1", 1.1),
    "review_en_slow_low": ("review_en", "asetrate=16000*0.9,aresample=16000", 0.9),
    "shop_zh_high_fast": ("shop_zh", "asetrate=16000*1.12,aresample=16000", 1.12),
}


def variant(name: str, dest_dir: Path) -> tuple[Path, Path]:
    """Write one variant's audio (.wav) and its truth with times scaled by the tempo."""
    src, filt, tempo = VARIANTS[name]
    head = "aresample=16000,aformat=channel_layouts=mono"
    args = (
        ["-filter_complex", f"[0:a]{head},{filt}"] if "[a]" in filt else ["-af", f"{head},{filt}"]
    )
    media = dest_dir / f"{name}.wav"
    cmd = [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(fixture(src, ".mp4")), "-vn"]
    subprocess.run([*cmd, *args, "-ar", "16000", "-ac", "1", str(media)], check=True)
    truth = load_truth(fixture(src, ".truth.json"))
    for s in truth["segments"]:
        s["start"], s["end"] = round(s["start"] / tempo, 3), round(s["end"] / tempo, 3)
    truth["name"] = name
    path = dest_dir / f"{name}.truth.json"
    path.write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    return media, path


def material(tmp: Path, only: set[str]) -> list[tuple[str, str, Path, Path]]:
    """(half, name, media, truth) for both halves (``only``: those names, if any); a
    missing dev2_zh is skipped."""
    out = []
    for name in ("dev_zh", "dev2_zh", "shop_zh", "review_en"):
        if only and name not in only:
            continue
        try:
            out.append(("tuning", name, fixture(name, ".mp4"), fixture(name, ".truth.json")))
        except FileNotFoundError as exc:
            print(f"skipped: {exc}")
    for name, (src, _, _) in VARIANTS.items():
        if only and name not in only:
            continue
        try:
            out.append(("held out", name, *variant(name, tmp)))
        except FileNotFoundError as exc:
            print(f"skipped {src}: {exc}")
    if only and "stream10" not in only:
        return out
    stream = assemble(tmp / "stream10.mp4", 600, seed=21)
    truth = tmp / "stream10.truth.json"
    truth.write_text(json.dumps(stream.truth, ensure_ascii=False), encoding="utf-8")
    out.append(("held out", "stream10", stream.media, truth))
    return out


def measure(setting: str, media: Path, truth_path: Path, tmp: Path) -> Counter:
    beam, vocab = int(setting.rstrip("n")), not setting.endswith("n")
    options = RunOptions(
        transcribe=TranscribeOptions(
            hotwords=default_hotwords() if vocab else None, beam_size=beam
        ),
        screen=False,
        acoustic=True,
    )
    out = tmp / f"out_{setting}"
    out.mkdir(parents=True, exist_ok=True)
    scan_recording(media, out, options)
    layout = RecordingLayout.of(out, media)
    truth = load_truth(truth_path)
    score = score_findings(truth, read_json(layout.findings)["findings"])
    text = "".join(s["text"] for s in read_json(layout.transcript)["segments"])
    return Counter(
        planted=score.planted,
        found=score.found,
        flagged=len(score.false_positive_sentences),
        clean=sum(1 for s in truth["segments"] if not s["violations"] and not s.get("ambiguous")),
        heard=heard(truth, text)[0],
        sentences=len(truth["segments"]),
        seconds=round(read_json(layout.manifest)["stages"]["transcribe"]["seconds"], 1),
    )


def main() -> None:
    settings = os.environ.get("SETTINGS", "5,3,2,1,2n").split(",")
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        items = material(tmp, set(filter(None, os.environ.get("ONLY", "").split(","))))
        # untimed first: the model load and one-time costs would go to the first item
        measure(
            settings[0],
            fixture("review_en", ".mp4"),
            fixture("review_en", ".truth.json"),
            tmp / "warm",
        )
        for setting in settings:
            halves: dict[str, Counter] = {}
            for half, name, media, truth in items:
                c = measure(setting, media, truth, tmp)
                print(setting, half, name, dict(c), flush=True)
                halves[half] = halves.get(half, Counter()) + c
            rows.append(
                [setting]
                + [
                    f"{h['found']}/{h['planted']} / {h['flagged']}/{h['clean']} / "
                    f"{h['heard']}/{h['sentences']} / {h['seconds']:.1f}"
                    for h in (halves.get("tuning", Counter()), halves.get("held out", Counter()))
                ]
            )
    print(
        f"\nbase int8; scan from media, acoustic verification on; machine: {machine()}; "
        f"{time.perf_counter() - t0:.0f} s in all\n"
    )
    cell = "found / clean flagged / heard / transcribe s"
    print(table(["setting", f"tuning: {cell}", f"held out: {cell}"], rows))


if __name__ == "__main__":
    main()
