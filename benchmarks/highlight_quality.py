"""Highlight quality on the fixtures, and video-analysis speed per hour of 720p.

Quality: do the top highlights land on the truth's ``hype`` sentences, and does any
rendered clip span overlap a sentence with a violation (it must not)?
Speed: keyframe-only scoring of a synthetic 720p30 video (keyframe every 2 s), scaled
to one hour, beside decoding every frame.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import av
from _common import FIXTURES, machine, synthetic_video, table

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.clipper.highlights import HighlightOptions, min_clip_seconds
from clipguard.clipper.signals import exact_cuts, scan_keyframes
from clipguard.clipper.spans import clip_spans
from clipguard.compliance_rules.hotwords import hotwords_for
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.evaluation import load_truth, overlaps
from clipguard.pipeline.clipping import gated_spans
from clipguard.pipeline.highlights import stage_highlights
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_scan, stage_transcribe

OPTS = HighlightOptions(count=3, min_seconds=4, max_seconds=20)  # the fixtures are 28-50 s long


def quality(tmp: Path) -> list[list[object]]:
    scanner = Scanner(resolve_packs(None))
    rows = []
    for name, top in (("shop_zh", 2), ("review_en", 1)):
        media = FIXTURES / f"{name}.mp4"
        truth = load_truth(FIXTURES / f"{name}.truth.json")
        out = RecordingLayout(tmp / name)
        transcript, _ = stage_transcribe(
            media, out, TranscribeOptions(hotwords=hotwords_for(scanner.rules))
        )
        findings = stage_scan(transcript, out, scanner)
        t0 = time.perf_counter()
        result = stage_highlights(
            media, transcript, findings, out, OPTS, FIXTURES / f"{name}.chat.jsonl"
        )
        hs = list(result.highlights)
        secs = time.perf_counter() - t0
        hype = [s for s in truth["segments"] if s["style"] == "hype"]
        bad = [s for s in truth["segments"] if s["violations"]]
        hits = sum(
            any(overlaps(h.start, h.end, s["start"], s["end"]) for s in hype) for h in hs[:top]
        )
        segments = [s for s in transcript.segments if s.words]
        spans = clip_spans(
            hs,
            OPTS.count,
            segments,
            exact_cuts(media),
            floor=min_clip_seconds(OPTS),
            max_seconds=OPTS.max_seconds,
            forbidden=gated_spans(transcript, findings, OPTS.gate),  # as stage_clips does
        )
        leaks = sum(any(overlaps(a, b, s["start"], s["end"]) for s in bad) for a, b, _ in spans)
        gate = ", ".join(f"{h.gate}" for h in hs[:4])
        rows.append([name, f"{hits}/{top}", len(spans), leaks, gate, f"{secs:.2f}"])
    return rows


def speed(tmp: Path, seconds: float = 300) -> list[list[object]]:
    src = synthetic_video(tmp / "720p.mp4", seconds)
    t0 = time.perf_counter()
    kf = scan_keyframes(src)
    kf_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        n = sum(1 for _ in c.decode(s))
    full_s = time.perf_counter() - t0
    per_hour = 3600 / seconds
    return [
        ["keyframes only (used)", len(kf.times) + 1, f"{kf_s:.2f}", f"{kf_s * per_hour:.1f}"],
        ["every frame (for scale)", n, f"{full_s:.2f}", f"{full_s * per_hour:.1f}"],
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        q = quality(Path(tmp))
        sp = speed(Path(tmp))
    print(
        f"highlights (min {OPTS.min_seconds:g} s, max {OPTS.max_seconds:g} s, gate {OPTS.gate}); machine: {machine()}\n"
    )
    print(
        table(
            [
                "recording",
                "top-k on hype",
                "clips",
                "clips overlapping a violation",
                "gate of top 4",
                "seconds",
            ],
            q,
        )
    )
    print(
        "\nvideo analysis, synthetic 720p30, keyframe every 2 s (5 min measured, scaled to 1 h)\n"
    )
    print(table(["decode", "frames", "seconds (5 min)", "seconds per hour"], sp))


if __name__ == "__main__":
    main()
