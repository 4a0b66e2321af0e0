"""Work beside the transcription (issue #21): the screen reading and the keyframe scan
run in a background thread while the model transcribes, and hand over exactly what
the stages would have computed themselves, failures included."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from clipguard.clipper import signals
from clipguard.clipper.signals import KeyframeScanner, scan_keyframes
from clipguard.errors import MediaError
from clipguard.media import probe
from clipguard.pipeline.ahead import BACKGROUND_NICE, MediaWork, lower_priority, screen_key
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest
from clipguard.screen.read import read_screen


def _tracks(reading) -> list[tuple]:
    return [(t.text, t.bbox, round(t.start, 3), round(t.end, 3)) for t in reading.tracks]


def test_media_work_hands_over_what_the_stages_would_read(fixtures, tmp_path, monkeypatch):
    """...and decodes the keyframes once: the scan takes the screen reading's."""
    media = fixtures / "shop_zh.mp4"
    layout = RecordingLayout.of(tmp_path, media)
    own_decodes = []
    real = signals.iter_keyframes
    monkeypatch.setattr(signals, "iter_keyframes", lambda m: own_decodes.append(m) or real(m))
    with MediaWork(media, layout, screen=True, keyframes=True) as work:
        work.start(probe(media))
        jobs = dict(work._jobs)
        assert set(jobs) == {"screen", "keyframes"}
        # both finish while the caller does something else (here: waits)
        deadline = time.monotonic() + 120
        while not all(j.done() for j in jobs.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(j.done() for j in jobs.values())
        reading = work.screen(media)
        scan = work.keyframes(media)
    assert own_decodes == []
    assert _tracks(reading) == _tracks(read_screen(media))
    assert reading.samples > 0 and reading.frames_read > 0
    direct = scan_keyframes(media)
    assert own_decodes == [media]
    assert np.array_equal(scan.times, direct.times) and scan.cuts == direct.cuts
    assert scan.times.size > 5


def test_the_screen_reading_hands_the_keyframe_scan_the_same_frames(fixtures, tmp_path):
    """Both ways the screen reader decodes (keyframes only when they come at least
    every 2.5 s; every frame when they are sparser: here 3 s at 15 fps), the keyframes
    it hands on make the scan that the scan's own keyframes-only decode makes."""
    sparse = tmp_path / "sparse.mp4"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error"]
    cmd += ["-i", str(fixtures / "shop_zh.mp4"), "-t", "24", "-an", "-c:v", "libx264"]
    cmd += ["-preset", "ultrafast", "-g", "45", "-keyint_min", "45", "-sc_threshold", "0"]
    subprocess.run([*cmd, "-pix_fmt", "yuv420p", str(sparse)], check=True)
    for media, least in ((fixtures / "shop_zh.mp4", 20), (sparse, 6)):
        tap = KeyframeScanner()
        reading = read_screen(media, keyframe=tap.add)
        got, direct = tap.result(), scan_keyframes(media)
        assert got.times.size >= least, (media.name, got.times)
        assert np.array_equal(got.times, direct.times), media.name
        assert np.array_equal(got.motion, direct.motion) and got.cuts == direct.cuts
    assert reading.samples >= 20  # sparse: every frame decoded, one sample a second


def test_media_work_raises_the_stage_error_where_the_stage_asks(fixtures, tmp_path):
    """A video that breaks off: the screen stage fails as it did without the thread
    (the same MediaError, raised when the stage asks for the reading), and the
    keyframe scan, whose frames the failed reading cannot vouch for, decodes its own
    and fails as it would alone."""
    media = fixtures / "bad" / "truncated.mp4"
    layout = RecordingLayout.of(tmp_path, media)
    with MediaWork(media, layout, screen=True, keyframes=True) as work:
        work.start(probe(media, allow_partial=True))
        with pytest.raises(MediaError, match="cannot read video") as err:
            work.screen(media)
        with pytest.raises(MediaError) as direct:
            read_screen(media)
        assert str(err.value) == str(direct.value)
        with pytest.raises(MediaError, match="cannot read video") as err:
            work.keyframes(media)
        with pytest.raises(MediaError) as direct:
            scan_keyframes(media)
        assert str(err.value) == str(direct.value)


def test_media_work_skips_a_cached_screen_and_computes_what_was_not_started(fixtures, tmp_path):
    media = fixtures / "shop_zh.mp4"
    info = probe(media)
    layout = RecordingLayout.of(tmp_path, media)
    layout.create()
    layout.screen.write_text("{}", encoding="utf-8")
    Manifest.load(layout.manifest).record("screen", "ok", key=screen_key(info.sha256))
    with MediaWork(media, layout, screen=True, keyframes=False) as work:
        work.start(info)
        assert work._jobs == {}  # the cached reading holds, nothing else was asked for
        reading = work.screen(media)  # asked anyway: read on the spot
    assert _tracks(reading) == _tracks(read_screen(media))


def test_closing_stops_the_work_and_leaves_no_thread(fixtures, tmp_path):
    """A run that fails during transcription must not leave a thread reading frames."""
    media = fixtures / "dev_zh.mp4"  # 210 s: reading it takes seconds
    layout = RecordingLayout.of(tmp_path, media)
    before = {t.name for t in threading.enumerate()}
    work = MediaWork(media, layout, screen=True, keyframes=True)
    work.start(probe(media))
    jobs = dict(work._jobs)
    work.close()
    after = {t.name for t in threading.enumerate() if t.name.startswith("clipguard-media")}
    assert after <= before
    full = read_screen(media)
    # the reading stopped part-way (or never started), the keyframe scan never ran
    screen = jobs["screen"]
    assert screen.cancelled() or screen.result().samples < full.samples
    scan = jobs["keyframes"]  # cancelled, or started after the stop and ended at once
    assert scan.cancelled() or scan.result().times.size == 0
    # nothing is handed over from a stopped reading: asked again, it is read whole
    assert _tracks(work.screen(media)) == _tracks(full)


def test_no_video_starts_nothing(fixtures, tmp_path):
    media = fixtures / "bad" / "silence.wav"
    with MediaWork(media, RecordingLayout.of(tmp_path, media), screen=True, keyframes=True) as w:
        w.start(probe(Path(media)))
        assert w._jobs == {}


def _nice(tid: int | str) -> int:
    stat = Path(f"/proc/self/task/{tid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[16])  # field 19 of proc(5): nice


def test_side_work_runs_niced_and_the_caller_keeps_its_priority(fixtures, tmp_path):
    """The reading takes only what the transcription leaves idle: its thread and the
    threads it starts (FFmpeg's decoders, the OCR runtime's pool when it starts there)
    run at background priority, while the calling thread keeps its own. Where a nice
    value is not per thread (not Linux) the process's priority is left alone."""
    if not sys.platform.startswith("linux"):
        process = os.getpriority(os.PRIO_PROCESS, 0)
        helper = threading.Thread(target=lower_priority)
        helper.start()
        helper.join()
        assert os.getpriority(os.PRIO_PROCESS, 0) == process
        return
    media = fixtures / "shop_zh.mp4"
    layout = RecordingLayout.of(tmp_path, media)
    me = threading.get_native_id()
    mine = _nice(me)
    info = probe(media)  # on this thread, before: its decoder threads are not the work's
    before = set(os.listdir("/proc/self/task"))
    seen: dict[str, int] = {}  # every thread that appeared meanwhile (the test
    # process may start others of its own: xdist's, a library's)
    pool: set[str] = set()  # the side work's own thread, by its Python name
    with MediaWork(media, layout, screen=True, keyframes=True) as work:
        work.start(info)
        jobs = list(work._jobs.values())
        deadline = time.monotonic() + 120
        while not all(j.done() for j in jobs) and time.monotonic() < deadline:
            pool |= {
                str(t.native_id)
                for t in threading.enumerate()
                if t.name.startswith("clipguard-media")
            }
            for tid in set(os.listdir("/proc/self/task")) - before:
                with contextlib.suppress(OSError):  # a decoder thread that just ended
                    seen[tid] = _nice(tid)
            time.sleep(0.005)
        reading = work.screen(media)
        work.keyframes(media)
    assert reading.frames_read > 0
    assert pool and all(seen[t] == BACKGROUND_NICE for t in pool), (pool, seen)
    # and the threads it started (FFmpeg's decoders) inherited the value
    started = [t for t in seen if t not in pool and seen[t] == BACKGROUND_NICE]
    assert started, seen
    assert _nice(me) == mine
