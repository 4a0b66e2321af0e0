"""Does prompting with rule vocabulary make the model write rule words that were not said?

Transcribes each recording twice (the default prompt with the rule vocabulary woven
in, and the plain Simplified-Chinese prompt without it) and counts, per variant:
CER, recall of planted violations by text matching alone, findings on clean
sentences, and prompt words written inside clean sentences (where nobody said them).
Whisper is known to echo its prompt on silence and music, so two made recordings are
added: 60 s of synthetic music alone, and dev_zh with the same music under it at
-12 dB.

    python benchmarks/prompt.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from _common import FIXTURES, ffmpeg_exe, machine, table

from clipguard.asr.transcribe import TranscribeOptions, transcribe
from clipguard.compliance_rules.hotwords import default_hotwords
from clipguard.compliance_rules.scanner import scanner_for
from clipguard.evaluation import cer, load_truth, overlaps, score_findings

# a C-major / A-minor progression with a beat: tonal, dense, not speech
MUSIC = (
    "aevalsrc='0.15*(sin(2*PI*(261.6+(mod(floor(t/2),2))*(-41.6))*t)"
    "+sin(2*PI*329.6*t)+sin(2*PI*392*t))*(0.6+0.4*sin(2*PI*2*t))"
    "+0.05*sin(2*PI*110*t)*lt(mod(t,0.5),0.08)':s=44100:d={d}"
)


def music(dest: Path, seconds: float) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i", MUSIC.format(d=seconds)]
        + ["-c:a", "aac", str(dest)],
        check=True,
    )
    return dest


def under_music(speech: Path, dest: Path) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(speech), "-f", "lavfi"]
        + ["-i", MUSIC.format(d=300), "-filter_complex"]
        + ["[1:a]volume=-12dB[m];[0:a][m]amix=inputs=2:duration=first:normalize=0[a]"]
        + ["-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", str(dest)],
        check=True,
    )
    return dest


def row(name: str, media: Path, truth: dict | None, hotwords: str | None) -> list:
    t = transcribe(media, TranscribeOptions(hotwords=hotwords))
    terms = (default_hotwords() or "").split()
    scanner = scanner_for(("all",))
    findings = [f.to_dict() for f in scanner.scan(t)]
    if truth is None:  # music alone: everything written is invented
        echoed = sum(t.text.count(x) for x in terms)
        return [name, "on" if hotwords else "off", "-", "-", len(findings), echoed, len(t.text)]
    clean = [s for s in truth["segments"] if not s["violations"]]
    written = [
        w.word
        for w in t.words
        if any(overlaps(w.start, w.end, s["start"], s["end"]) for s in clean)
    ]
    said = "".join(s["text"] for s in clean)
    heard = "".join(written)
    echoed = sum(max(0, heard.count(x) - said.count(x)) for x in terms)
    score = score_findings(truth, findings)
    ref = "".join(s["text"] for s in truth["segments"])
    return [
        name,
        "on" if hotwords else "off",
        f"{100 * cer(ref, t.text):.1f}%",
        f"{score.found}/{score.planted}",
        len(score.false_positive_sentences),
        echoed,
        len(t.text),
    ]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("dev_zh", FIXTURES / "dev_zh.mp4", load_truth(FIXTURES / "dev_zh.truth.json")),
            ("shop_zh", FIXTURES / "shop_zh.mp4", load_truth(FIXTURES / "shop_zh.truth.json")),
            (
                "dev_zh + music -12 dB",
                under_music(FIXTURES / "dev_zh.mp4", Path(tmp) / "dev_music.mp4"),
                load_truth(FIXTURES / "dev_zh.truth.json"),
            ),
            ("music alone 60 s", music(Path(tmp) / "music.m4a", 60), None),
        ]
        for name, media, truth in cases:
            for hotwords in (default_hotwords(), None):
                rows.append(row(name, media, truth, hotwords))
    print(f"rule vocabulary in the prompt (base int8); machine: {machine()}\n")
    print(
        table(
            [
                "recording",
                "rule words in prompt",
                "CER",
                "recall (text only)",
                "clean sentences flagged",
                "prompt words written where not said",
                "characters written",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
