"""Scan quality end to end from media: recall of planted violations and clean sentences
flagged, against the fixtures' truth files (a finding counts when it overlaps the
violating sentence in time and has its category)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import FIXTURES, machine, table

from clipguard.asr.transcribe import TranscribeOptions
from clipguard.compliance_rules.packs import resolve_packs
from clipguard.compliance_rules.scanner import Scanner
from clipguard.evaluation import load_truth, score_findings
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.stages import stage_transcribe


def main() -> None:
    scanner = Scanner(resolve_packs(None))
    rows = []
    total_planted = total_found = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("shop_zh", "review_en"):
            media = FIXTURES / f"{name}.mp4"
            truth = load_truth(FIXTURES / f"{name}.truth.json")
            transcript, _ = stage_transcribe(
                media,
                RecordingLayout(Path(tmp) / name),
                TranscribeOptions(hotwords=scanner.hotwords()),
            )
            findings = scanner.scan(transcript)
            score = score_findings(truth, [f.to_dict() for f in findings])
            clean = sum(
                1 for s in truth["segments"] if not s["violations"] and not s.get("ambiguous")
            )
            total_planted += score.planted
            total_found += score.found
            rows.append(
                [
                    name,
                    score.planted,
                    score.found,
                    f"{100 * score.recall:.0f}%",
                    f"{len(score.false_positive_sentences)}/{clean}",
                    len(findings),
                    "; ".join(f"#{i} {t} ({c})" for i, t, c in score.missed) or "-",
                ]
            )
    print(f"scan quality, end to end from media (model base, int8); machine: {machine()}\n")
    print(
        table(
            [
                "recording",
                "planted",
                "found",
                "recall",
                "clean sentences flagged",
                "findings",
                "missed",
            ],
            rows,
        )
    )
    print(f"\noverall recall: {100 * total_found / max(1, total_planted):.0f}%")


if __name__ == "__main__":
    main()
