"""Scan quality end to end from media: recall of planted violations and clean sentences
flagged, against the fixtures' truth files (a finding counts when it overlaps the
violating sentence in time and has its category), findings by match kind, and what
acoustic verification costs next to transcription.

The fixtures are read from ``tests/fixtures``, dev2_zh from ``../shared/fixtures`` where
that folder is beside the checkout.

    python benchmarks/scan_quality.py            # with acoustic verification (default)
    ACOUSTIC=0 python benchmarks/scan_quality.py # text matching only
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from _common import machine, table
from _stream import fixture

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.evaluation import load_truth, score_findings
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.run import RunOptions, scan_recording
from clipguard.writers import read_json


def main() -> None:
    acoustic = os.environ.get("ACOUSTIC", "1") != "0"
    options = RunOptions(
        transcribe=TranscribeOptions(hotwords=default_hotwords()), screen=False, acoustic=acoustic
    )
    rows = []
    total_planted = total_found = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("dev_zh", "dev2_zh", "shop_zh", "review_en"):
            try:  # dev2_zh (lower voice, echo, music) lives in ../shared/fixtures only
                media = fixture(name, ".mp4")
            except FileNotFoundError as exc:
                print(f"skipped: {exc}")
                continue
            truth = load_truth(fixture(name, ".truth.json"))
            scan_recording(media, Path(tmp), options)
            layout = RecordingLayout.of(Path(tmp), media)
            findings = read_json(layout.findings)["findings"]
            stages = read_json(layout.manifest)["stages"]
            score = score_findings(truth, findings)
            clean = sum(
                1 for s in truth["segments"] if not s["violations"] and not s.get("ambiguous")
            )
            total_planted += score.planted
            total_found += score.found
            kinds = Counter(f["match"] for f in findings)
            rows.append(
                [
                    name,
                    score.planted,
                    score.found,
                    f"{100 * score.recall:.0f}%",
                    f"{len(score.false_positive_sentences)}/{clean}",
                    " ".join(f"{k}:{v}" for k, v in sorted(kinds.items())),
                    f"{stages['scan'].get('acoustic_seconds', 0):.1f} / {stages['transcribe']['seconds']:.1f}",
                    "; ".join(f"#{i} {t} ({c})" for i, t, c in score.missed) or "-",
                ]
            )
    print(
        f"scan quality from media (base int8; acoustic verification {'on' if acoustic else 'off'}); machine: {machine()}\n"
    )
    print(
        table(
            [
                "recording",
                "planted",
                "found",
                "recall",
                "clean flagged",
                "findings by match",
                "verify s / transcribe s",
                "missed",
            ],
            rows,
        )
    )
    print(f"\noverall recall: {100 * total_found / max(1, total_planted):.0f}%")


if __name__ == "__main__":
    main()
