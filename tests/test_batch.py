"""Nightly batch: Dask and process executors, isolation of bad files, kill + resume,
locks, disk full, watch mode."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clipguard import writers
from clipguard.asr.transcribe import TranscribeOptions
from clipguard.cli import app
from clipguard.clipper.highlights import HighlightOptions
from clipguard.compliance_rules.scanner import default_hotwords
from clipguard.errors import OutputError
from clipguard.pipeline.batch import (
    BatchOptions,
    default_workers,
    process_one,
    recording_lock,
    run_batch,
)
from clipguard.pipeline.run import RunOptions

runner = CliRunner()
# Batch runs the same per-recording job as `run` (tested with every stage in
# test_run/test_screen/test_acoustic); here the screen and acoustic stages are off so
# the executor tests spend their time on scheduling, isolation and resuming.
QUICK = RunOptions(
    transcribe=TranscribeOptions(hotwords=default_hotwords()),  # what the CLI uses by default
    highlight=HighlightOptions(count=1, min_seconds=4, max_seconds=20),
    screen=False,
    acoustic=False,
)
CLI_QUICK = [
    *("--count", "1", "--min-seconds", "4", "--max-seconds", "20"),
    *("--no-screen", "--no-acoustic"),
]


def _link_dir(tmp: Path, fixtures: Path, names: list[str]) -> Path:
    d = tmp / "incoming"
    d.mkdir(exist_ok=True)
    for n in names:
        src = fixtures / n
        (d / src.name).symlink_to(src)
    return d


@pytest.fixture(scope="module")
def dask_batch(tmp_path_factory, fixtures, seed_transcript):
    from distributed import LocalCluster

    out = tmp_path_factory.mktemp("batch_out")
    seed_transcript(out, "shop_zh")  # review_en is transcribed on the cluster
    files = [fixtures / "shop_zh.mp4", fixtures / "review_en.mp4"]
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = run_batch(files, out, BatchOptions(run=QUICK, scheduler=cluster.scheduler_address))
    return out, report


def test_dask_cluster_processes_every_recording(dask_batch):
    out, report = dask_batch
    assert report.summary() == {"ok": 2} and report.executor.startswith("dask tcp://")
    data = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert {Path(r["media"]).name for r in data["recordings"]} == {"shop_zh.mp4", "review_en.mp4"}
    for r in data["recordings"]:
        rec = Path(r["out_dir"])
        assert r["findings"]["block"] >= 3 and r["clips"] == 1
        for name in (
            "transcript.json",
            "findings.json",
            "highlights.json",
            "report.html",
            "manifest.json",
        ):
            assert (rec / name).exists()
        manifest = json.loads((rec / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["complete"]["sha256"] == manifest["input"]["sha256"]
        assert {s["status"] for s in manifest["stages"].values()} == {"ok"}
    html = (out / "batch.html").read_text(encoding="utf-8")
    assert "shop_zh.mp4" in html and "report.html" in html
    assert "ok" in (out / "batch.log").read_text(encoding="utf-8")


def test_bad_inputs_are_isolated_and_done_work_is_skipped(dask_batch, fixtures, tmp_path):
    out, _ = dask_batch
    incoming = _link_dir(
        tmp_path,
        fixtures,
        [
            "shop_zh.mp4",
            "review_en.mp4",
            "bad/no_audio.mp4",
            "bad/not_media.mp4",
            "bad/truncated.mp4",
            "bad/silence.wav",
        ],
    )
    result = runner.invoke(app, ["batch", str(incoming), "--out", str(out), "--json", *CLI_QUICK])
    assert result.exit_code == 3, result.output
    data = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    status = {Path(r["media"]).name: r for r in data["recordings"]}
    assert status["shop_zh.mp4"]["status"] == status["review_en.mp4"]["status"] == "skipped"
    for bad, needle in (
        ("no_audio.mp4", "no audio stream"),
        ("not_media.mp4", "not a media file"),
        ("truncated.mp4", "truncated"),
        ("silence.wav", "silent"),
    ):
        assert status[bad]["status"] == "failed" and needle in status[bad]["error"]
    assert json.loads(result.stdout)["summary"] == {"skipped": 2, "failed": 4}


def test_process_pool_executor(dask_batch, fixtures):
    out, _ = dask_batch
    files = [fixtures / "review_en.mp4", fixtures / "bad" / "not_media.mp4"]
    report = run_batch(files, out, BatchOptions(run=QUICK, workers=2))
    assert report.executor == "processes x2"
    assert sorted(r.status for r in report.results.values()) == ["failed", "skipped"]


def test_locked_recording_is_not_processed_twice(dask_batch, fixtures):
    out, _ = dask_batch
    with recording_lock(out / "review_en") as held:
        assert held
        r = process_one(str(fixtures / "review_en.mp4"), str(out), QUICK)
    assert r.status == "busy"


def test_kill_mid_batch_then_resume(fixtures, tmp_path, seed_transcript):
    incoming = _link_dir(tmp_path, fixtures, ["review_en.mp4", "shop_zh.mp4"])
    out = tmp_path / "out"
    seed_transcript(out, "review_en")  # finishes quickly; shop_zh is the one killed
    cmd = [
        sys.executable,
        "-m",
        "clipguard.cli",
        "batch",
        str(incoming),
        "--out",
        str(out),
        "-q",
        "--workers",
        "1",  # in order: review_en finishes, then the kill lands inside shop_zh
        "--no-clips",  # rendering resumes like any stage (test_run); not needed here
        *CLI_QUICK,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.time() + 120
    first_done = None
    while time.time() < deadline and proc.poll() is None:
        try:
            data = json.loads((out / "batch.json").read_text(encoding="utf-8"))
            ok = [r for r in data["recordings"] if r["status"] == "ok"]
            if ok:
                first_done = ok[0]
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    assert first_done, "the first recording should finish before the kill"
    time.sleep(1.0)  # let the second one get under way
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = Path(first_done["out_dir"])
    first_mtime = (first / "transcript.json").stat().st_mtime
    rerun = subprocess.run(
        [c for c in cmd if c != "-q"] + ["--json"], capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    data = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    by_name = {Path(r["media"]).name: r for r in data["recordings"]}
    assert by_name[Path(first_done["media"]).name]["status"] == "skipped", (
        "finished work is not redone"
    )
    assert (first / "transcript.json").stat().st_mtime == first_mtime
    assert {r["status"] for r in by_name.values()} == {"ok", "skipped"}
    for rec in ("review_en", "shop_zh"):
        for name in (
            "transcript.json",
            "findings.json",
            "manifest.json",
        ):
            json.loads((out / rec / name).read_text(encoding="utf-8"))  # complete, parseable
        assert not list((out / rec).rglob(".*.part")), "no half-written file survives"


def test_disk_full_is_a_clean_error_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "findings.json"
    target.write_text('{"old": true}', encoding="utf-8")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.os, "fsync", full)
    with pytest.raises(OutputError, match="No space left on device"):
        writers.write_json(target, {"new": True})
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["findings.json"]


def test_unwritable_batch_output(fixtures, tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    result = runner.invoke(app, ["batch", str(fixtures / "review_en.mp4"), "--out", str(blocker)])
    assert result.exit_code == 2 and "not writable" in result.stderr


@pytest.mark.slow
def test_watch_waits_for_growing_files(fixtures, tmp_path):
    incoming = tmp_path / "watch"
    incoming.mkdir()
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clipguard.cli",
            "batch",
            str(incoming),
            "--out",
            str(out),
            "--watch",
            "--settle",
            "1.5",
            "--max-idle",
            "6",
            "--no-clips",
            "--no-screen",
            "--no-acoustic",
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    data = (fixtures / "review_en.mp4").read_bytes()
    dest = incoming / "late.mp4"
    with open(dest, "wb") as fh:  # a recording still being written
        for i in range(0, len(data), len(data) // 4):
            fh.write(data[i : i + len(data) // 4])
            fh.flush()
            time.sleep(0.8)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 0, stderr
    batch = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in batch["recordings"]] == ["ok"]
    transcript = json.loads((out / "late" / "transcript.json").read_text(encoding="utf-8"))
    assert "Thanks for watching" in " ".join(s["text"] for s in transcript["segments"])


def test_default_workers_respect_cores():
    assert default_workers(2) == (2, 1)
    assert default_workers(1) == (1, 1)
    for cores in (4, 8, 16, 32):
        workers, threads = default_workers(cores)
        assert workers * threads <= cores and workers >= 1
