"""Shared fixtures: real media carried in tests/fixtures, real model, transcribed once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The repo carries its own test media in tests/fixtures, so a fresh clone passes with
# nothing beside it; CLIPGUARD_FIXTURES points the tests at other fixtures.
FIXTURES = Path(os.environ.get("CLIPGUARD_FIXTURES", REPO / "tests" / "fixtures"))


# fixtures that cost a transcription: a test that uses one is slow
TRANSCRIBING = {"transcripts", "seed_transcript"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``slow`` goes on every test that transcribes or renders: explicitly (the
    ``slow`` mark) or through the session's transcripts; ``-m "not slow"`` keeps the
    pure tests, which run in seconds."""
    for item in items:
        if TRANSCRIBING & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    assert (FIXTURES / "shop_zh.mp4").exists(), f"fixtures not found in {FIXTURES}"
    return FIXTURES


@pytest.fixture(scope="session")
def out_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("out")


def _copy_transcript(src: Path, dest: Path) -> None:
    """Leave a recording's transcript in ``dest`` as a previous run would have: the
    transcript files and a manifest that holds only the transcribe stage."""
    import shutil

    from clipguard.writers import read_json, write_json

    dest.mkdir(parents=True, exist_ok=True)
    for f in ("transcript.json", "transcript.srt", "transcript.vtt", "audio_envelope.npy"):
        if (src / f).exists():
            shutil.copy2(src / f, dest / f)
    manifest = read_json(src / "manifest.json")
    manifest["stages"] = {"transcribe": manifest["stages"]["transcribe"]}
    manifest.pop("complete", None)
    write_json(dest / "manifest.json", manifest)


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every pytest-xdist worker of this run sees (the run's own base folder,
    one above each worker's), so work done once is not done again per worker; without
    xdist it is this session's base folder. Never shared between runs."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def transcripts(fixtures: Path, out_root: Path, shared_root: Path) -> dict:
    """Transcribe the fixtures once per run with the default model; other tests build
    on these. Under xdist the first worker transcribes into the shared folder while
    the others wait on its lock; each worker then copies the result into its own
    output root (tests write there) and reads it back through the transcript cache,
    exactly as a re-run would."""
    from filelock import FileLock

    from clipguard.asr.transcribe import TranscribeOptions
    from clipguard.compliance_rules.scanner import default_hotwords
    from clipguard.pipeline.layout import RecordingLayout
    from clipguard.pipeline.stages import stage_transcribe

    shared = shared_root / "transcripts"
    # the CLI's defaults (rule vocabulary as prompt), so CLI tests reuse this cache
    options = TranscribeOptions(hotwords=default_hotwords())
    names = ("shop_zh", "review_en", "dev_zh")
    with FileLock(str(shared_root / "transcripts.lock")):
        for name in names:
            media = fixtures / f"{name}.mp4"
            stage_transcribe(media, RecordingLayout.of(shared, media), options)
    result = {}
    for name in names:
        media = fixtures / f"{name}.mp4"
        _copy_transcript(shared / name, out_root / name)
        transcript, _ = stage_transcribe(media, RecordingLayout.of(out_root, media), options)
        result[name] = transcript
    return result


@pytest.fixture(scope="session")
def seed_transcript(shared_root: Path, transcripts: dict):
    """Put the session's real transcript of a fixture into another output root, the
    way a previous run would have left it, so a test about something else (batch
    scheduling, file modes) does not pay for transcribing the same audio again. It
    copies the pristine folder: tests may re-run stages in their worker's out_root."""

    def seed(dest_root: Path, name: str) -> None:
        _copy_transcript(shared_root / "transcripts" / name, Path(dest_root) / name)

    return seed


@pytest.fixture(scope="module")
def own_root(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, seed_transcript
) -> Path:
    """An output root of the test module's own, holding the pristine transcripts of all
    three fixtures, for a module that runs later stages: it writes findings, clips and
    manifests of its own, which another module sharing ``out_root`` would otherwise
    read in whatever order the xdist workers happen to run them."""
    root = tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_"))
    for fixture in ("shop_zh", "review_en", "dev_zh"):
        seed_transcript(root, fixture)
    return root
