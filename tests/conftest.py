"""Shared fixtures: real media carried in tests/fixtures, real model, transcribed once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The repo carries its own test media (copied from the project lead's shared/fixtures),
# so a fresh clone passes with nothing beside it; CLIPGUARD_FIXTURES points elsewhere.
FIXTURES = Path(os.environ.get("CLIPGUARD_FIXTURES", REPO / "tests" / "fixtures"))


@pytest.fixture(scope="session")
def fixtures() -> Path:
    assert (FIXTURES / "shop_zh.mp4").exists(), f"fixtures not found in {FIXTURES}"
    return FIXTURES


@pytest.fixture(scope="session")
def out_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("out")


@pytest.fixture(scope="session")
def transcripts(fixtures: Path, out_root: Path) -> dict:
    """Transcribe the fixtures once with the default model; other tests build on these."""
    from clipguard.asr.transcribe import TranscribeOptions
    from clipguard.compliance_rules.scanner import default_hotwords
    from clipguard.pipeline.layout import RecordingLayout
    from clipguard.pipeline.stages import stage_transcribe

    result = {}
    for name in ("shop_zh", "review_en", "dev_zh"):
        media = fixtures / f"{name}.mp4"
        # the CLI's defaults (rule vocabulary as prompt), so CLI tests reuse this cache
        options = TranscribeOptions(hotwords=default_hotwords())
        transcript, _ = stage_transcribe(media, RecordingLayout.of(out_root, media), options)
        result[name] = transcript
    return result
