"""Recap speed: an hour's outputs (17 x dev_zh's script, shifted) -> recap.json + recap.html.

The recap decodes no media: it reads what the pipeline wrote. The peer is the cost of
reading those files alone (json.load of the transcript, findings and chat), so the
table shows what the analysis and the page add on top of the I/O floor.

The hour is generated from dev_zh's truth script (one word per character, timed
evenly inside each sentence) with its chat log repeated, so the benchmark needs no
transcription; the findings are the built-in packs' scan of that text.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import FIXTURES, machine, table

from clipguard.chat import read_chat
from clipguard.compliance_rules.scanner import scanner_for
from clipguard.models import Coverage, MediaInfo, Segment, Transcript, Word
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.recap import load_inputs, recap_options, stage_recap
from clipguard.pipeline.stages import findings_document
from clipguard.recap import build_recap
from clipguard.writers import read_json, write_json

COPIES = 17


def hour(folder: Path) -> tuple[RecordingLayout, Path, Path]:
    truth = json.loads((FIXTURES / "dev_zh.truth.json").read_text(encoding="utf-8"))
    period = float(truth["duration"])
    segments = []
    for k in range(COPIES):
        for s in truth["segments"]:
            a, b, text = s["start"] + k * period, s["end"] + k * period, s["text"]
            step = (b - a) / max(1, len(text))
            words = tuple(Word(a + i * step, a + (i + 1) * step, c) for i, c in enumerate(text))
            segments.append(Segment(a, b, text, words))
    speech = sum(s.end - s.start for s in segments)
    media = MediaInfo(str(FIXTURES / "dev_zh.mp4"), "0" * 64, period * COPIES, has_video=True)
    transcript = Transcript(media, "zh", "base", tuple(segments), coverage=Coverage(speech, speech))
    layout = RecordingLayout(folder / "hour").create()
    write_json(layout.transcript, transcript.to_dict())
    scanner = scanner_for(())
    write_json(layout.findings, findings_document(scanner, transcript, scanner.scan(transcript)))
    np.save(
        layout.envelope,
        (0.05 + 0.02 * np.random.default_rng(1).random(int(period * COPIES * 10))).astype(
            np.float32
        ),
    )
    chat = folder / "hour.chat.jsonl"
    rows = []
    for k in range(COPIES):
        for m in read_chat(FIXTURES / "dev_zh.chat.jsonl"):
            rows.append(
                json.dumps(
                    {"t": m.t + k * period, "user": m.user, "text": m.text}, ensure_ascii=False
                )
            )
    chat.write_text("\n".join(rows) + "\n", encoding="utf-8")
    products = folder / "products.yaml"
    products.write_text(
        "- name: 坦克模型\n  aliases: [坦克]\n- name: 飞机模型\n  aliases: [飞机]\n"
        "- name: 舰船模型\n  aliases: [舰船]\n  link: 5号链接\n",
        encoding="utf-8",
    )
    return layout, chat, products


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        layout, chat, products = hour(Path(tmp))
        t0 = time.perf_counter()
        read_json(layout.transcript), read_json(layout.findings)
        [json.loads(line) for line in chat.read_text(encoding="utf-8").splitlines()]
        peer = time.perf_counter() - t0

        options = recap_options(8.0, products)
        t0 = time.perf_counter()
        inputs = load_inputs(layout, chat)
        load = time.perf_counter() - t0
        scanner = scanner_for(())  # the pipeline hands the recap its compiled rules
        t0 = time.perf_counter()
        stage_recap(layout, options, chat=chat, scanner=scanner)
        first = time.perf_counter() - t0  # the cue pack is compiled once per process
        t0 = time.perf_counter()
        stage_recap(layout, options, chat=chat, scanner=scanner)
        stage = time.perf_counter() - t0
        t0 = time.perf_counter()
        recap = build_recap(inputs, options, scanner=scanner)
        warm = time.perf_counter() - t0
        size = layout.recap_html.stat().st_size
        print(
            f"{machine()}; {recap.duration / 3600:.2f} h, {len(inputs.transcript.segments)} sentences,"
        )
        print(
            f"{len(inputs.findings)} findings, {len(inputs.chat)} chat messages, {len(recap.minutes)} minutes"
        )
        print(
            table(
                ["step", "seconds"],
                [
                    ["peer: json.load of transcript + findings + chat", f"{peer:.2f}"],
                    ["read + parse the outputs (load_inputs)", f"{load:.2f}"],
                    ["analysis alone (build_recap)", f"{warm:.2f}"],
                    ["whole stage, first in the process (cue pack compiled)", f"{first:.2f}"],
                    [f"whole stage: recap.json + recap.html ({size // 1024} KB)", f"{stage:.2f}"],
                ],
            )
        )


if __name__ == "__main__":
    main()
