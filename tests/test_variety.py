"""Real recordings come in many shapes: every variant of the corpus (tests/variety.py)
goes through ``clipguard run`` with default options and must finish — exit 0, or 1
because it has block findings under the default ``--fail-on block`` — with no internal
error, its speech heard, its violations found, and no warning it did not earn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner
from variety import Variant, build

from clipguard.cli import app
from clipguard.media import probe

pytestmark = pytest.mark.slow  # transcribes, renders or reads real media

runner = CliRunner()


# Variants whose audio is the rotated variant's, sample for sample (video re-encoded,
# audio stream-copied): video handling is their subject, so they start from that
# variant's transcript, as a re-run would, instead of decoding the same speech again.
SAME_AUDIO = {"vfr.mp4", "portrait.mp4", "one_fps.mp4"}
AUDIO_SOURCE = "rotated.mp4"


def _seed_transcript(source_root: Path, media: Path, out: Path) -> None:
    """Leave ``media``'s transcript where a previous run would have: the source
    variant's words, this file's own probe and cache key."""
    from clipguard.asr.transcribe import TranscribeOptions, cache_key
    from clipguard.compliance_rules.hotwords import default_hotwords
    from clipguard.pipeline.layout import RecordingLayout
    from clipguard.writers import read_json, write_json

    info = probe(media)
    key = cache_key(info, TranscribeOptions(hotwords=default_hotwords()))  # the CLI's default
    layout = RecordingLayout.of(out, media)
    layout.create()
    doc = read_json(source_root / "transcript.json")
    doc.update(media=info.to_dict(), cache_key=key)
    write_json(layout.transcript, doc)
    write_json(layout.manifest, {"stages": {"transcribe": {"status": "ok", "key": key}}})


@pytest.fixture(scope="session")
def variety(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """Build every variant once per pytest run, and run each once."""
    folder = tmp_path_factory.mktemp("variety")
    out = folder / "out"
    runs = {}
    variants = sorted(build(fixtures, folder / "media"), key=lambda v: v.file in SAME_AUDIO)
    roots: dict[str, Path] = {}
    for v in variants:
        media = folder / "media" / v.file
        if v.file in SAME_AUDIO:
            _seed_transcript(roots[AUDIO_SOURCE], media, out)
        res = runner.invoke(app, ["run", str(media), "--out", str(out), "--json"])
        if res.exit_code in (0, 1):
            roots[v.file] = Path(json.loads(res.stdout)["recordings"][0]["out_dir"])
        runs[v.name] = (v, res, media, out)
    return runs


NAMES = [
    "joined 2x (-c copy)",
    "joined 4x (-c copy)",
    "speech at 0.0 s",
    "speech cut mid-word at the end",
    "20 s silence before and after",
    "8 kHz mono wav",
    "44.1 kHz stereo m4a",
    "48 kHz stereo mp4",
    "audio-only mp3",
    "audio-only opus",
    "audio-only wav",
    "tempo 1.25x",
    "pink noise 10db",
    "music bed",
    "variable frame rate",
    "portrait 1080x1920",
    "phone video with a rotation matrix",
    "two audio streams",
    "1 fps video",
]


def test_the_corpus_has_every_variant(variety):
    assert sorted(variety) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_variant_runs_to_the_end(variety, name):
    v: Variant
    v, res, media, out = variety[name]
    assert "internal error" not in res.output, res.output
    assert res.exit_code in (0, 1), res.output
    rec = json.loads(res.stdout)["recordings"][0]
    assert rec["cached_transcript"] == (v.file in SAME_AUDIO)
    # exit 1 exactly when a block finding fails the default --fail-on block
    assert res.exit_code == (1 if rec["findings"].get("block", 0) else 0), rec
    assert rec["warnings"] == [], rec["warnings"]  # none of these earns a warning
    root = Path(rec["out_dir"])
    findings = json.loads((root / "findings.json").read_text(encoding="utf-8"))["findings"]
    found = {f["category"] for f in findings}
    if v.clear:
        assert rec["coverage"] >= 0.98, rec
        assert rec["status"] == "ok", rec
        expected = {"absolute_claims", "off_platform"} if v.violations else {"absolute_claims"}
        assert expected <= found, (found, findings)
    else:  # noise, music or speed cost words, never the run
        assert rec["coverage"] >= 0.8, rec
        assert found & {"absolute_claims", "off_platform"}, findings
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert all(st["status"] in ("ok", "skipped") for st in manifest["stages"].values())
    info = probe(media)
    assert info.has_video == v.video
    transcript = json.loads((root / "transcript.json").read_text(encoding="utf-8"))
    last_word = max(w["end"] for s in transcript["segments"] for w in s["words"])
    assert last_word <= info.duration + 0.5  # times stay inside the recording


def test_joined_copies_each_keep_their_words(variety):
    """Each copy of a joined recording is heard, the last one as well as the first."""
    v, res, media, out = variety["joined 4x (-c copy)"]
    rec = json.loads(res.stdout)["recordings"][0]
    root = Path(rec["out_dir"])
    transcript = json.loads((root / "transcript.json").read_text("utf-8"))
    findings = json.loads((root / "findings.json").read_text("utf-8"))["findings"]
    hits = [f for f in findings if f["category"] == "absolute_claims"]
    copy = 14.8
    copies_with_claim = {int(f["start"] // copy) for f in hits}
    assert copies_with_claim == {0, 1, 2, 3}, [(f["start"], f["text"]) for f in hits]
    chars = [
        sum(
            len(s["text"])
            for s in transcript["segments"]
            if k * copy <= s["start"] < (k + 1) * copy
        )
        for k in range(4)
    ]
    assert min(chars) >= 0.8 * max(chars), chars
