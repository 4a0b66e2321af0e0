"""Work that needs only the media, done while the transcription runs.

Transcription leaves part of two cores idle (its serial steps: decoding a window's
audio, voice detection, the batch that runs alone at a window's end; on the assembled
hour 163 s wall for 265 CPU s), and two later stages need nothing from the transcript:
reading the screen (text and QR codes of the frames) and the keyframe scan the
highlights take motion and shot changes from. They run in one background thread
beside the transcription, niced (``lower_priority``), so they take the cores only
when the transcription leaves one idle: the hour's transcription stage took 172 s
with the thread at normal priority, 165 s niced, and 160 and 164 s niced with the
keyframes decoded once (below; 163 s without the thread in an earlier run), while
the 23 s the two cost after it are gone (``benchmarks/run_hour.py``). The transcript
does not depend on it: the decoding is the same, and two runs differ only where a
re-decode samples at a temperature above zero, with or without the thread.

The keyframes are decoded once: the screen reader hands every keyframe it decodes to
the keyframe scan (``read_screen(keyframe=...)``; the same frames whether the reader
decodes keyframes only or, when they are sparse, every frame), which took the reading
and the scan of the 10-minute stream from 8.6 and 7.8 CPU s (two rounds) to 6.7 and
6.5. A cached screen reading leaves the scan its own decode.

Scoring the scan's acoustic probes beside the transcription too was measured and not
kept: with the transcription's model (one job queue, no priority) the hour's run took
229 s against 227 s without; with a niced model instance of its own, 219 s but 27 CPU
s more and a peak of 1.98 GB against 1.66 GB (a second model in memory).

The highlights' ranking (signals, dense motion of the top candidates) needs no
findings and could run beside the scan too; measured, it gained nothing (24.8 s for
both one after the other, 25.5 s side by side on the hour): the scan's acoustic check
keeps both cores busy.

The thread only computes values: the stages on the calling thread still check their
caches, write their files and record the manifest, as before. An exception in the
thread is kept and raised where the stage asks for the value, so a failure means what
it meant without the thread (an unreadable video stops the screen stage; a failed
keyframe scan is a warning of the highlights). The warnings the work records go to the
recording's collector (the thread runs in a copy of the caller's context).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipguard.faults import in_this_recording
from clipguard.keys import code_version, stage_key
from clipguard.pipeline.layout import RecordingLayout
from clipguard.pipeline.manifest import Manifest

if TYPE_CHECKING:
    from clipguard.clipper.signals import KeyframeScan
    from clipguard.models import MediaInfo
    from clipguard.screen.read import ScreenReading

SCREEN_CODE = ("clipguard.screen", "clipguard.media")


BACKGROUND_NICE = 19


def lower_priority() -> None:
    """Run the calling thread (and the threads it starts: FFmpeg's decoders, the OCR
    runtime's pool) only on what the transcription leaves idle.

    At the same priority the work took its share of both cores and slowed the
    transcription by what it cost (10-minute stream, two rounds: 27.6 s alone, 31.1 s
    beside the screen and keyframe reading, 29.0 s with the reading niced). The
    scheduler still gives a niced thread every core nobody else wants, so nothing
    waits on it for long once the transcription is over, and a batch's processes
    keep every core busy as before (the order of the work changes, not its amount).
    Linux keeps a nice value per thread (setpriority(2) with a thread id); elsewhere
    the same call would name a process, so it is left alone there."""
    if sys.platform.startswith("linux"):
        # a sandbox that forbids it: the work still runs, at normal priority
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def screen_key(sha256: str) -> str:
    """The screen stage's key: the media's content and the reader's code."""
    return stage_key(code_version(*SCREEN_CODE), sha256)


class MediaWork:
    """The screen reading and the keyframe scan of one recording, in one thread,
    started by ``start`` (``stage_transcribe`` calls it when it transcribes: with a
    cached transcript there is nothing to overlap) and collected by ``screen`` and
    ``keyframes``, which compute on the spot when nothing was started."""

    def __init__(
        self, media: Path, layout: RecordingLayout, *, screen: bool, keyframes: bool
    ) -> None:
        self.media = Path(media)
        self.layout = layout
        self.wanted = {"screen": screen, "keyframes": keyframes}
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: dict[str, Future[Any]] = {}

    def start(self, info: MediaInfo) -> None:
        """Start what this recording will need, in one thread (the transcription
        has the rest of the machine): the screen unless its cached reading holds.
        When both are wanted, the keyframe scan takes its frames from the screen
        reading's decode (``read_screen(keyframe=...)``) instead of its own."""
        if self._pool is not None or not info.has_video:
            return
        screen = self.wanted["screen"] and not self._screen_cached(info.sha256)
        keyframes = self.wanted["keyframes"]
        if not (screen or keyframes):
            return
        from clipguard.clipper.signals import KeyframeScanner, scan_keyframes
        from clipguard.screen.read import read_screen

        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="clipguard-media", initializer=lower_priority
        )
        stop = self._stop.is_set
        tap = KeyframeScanner() if screen and keyframes else None
        if screen:
            reading = in_this_recording(read_screen)
            kwargs = {"keyframe": tap.add} if tap is not None else {}
            self._jobs["screen"] = self._pool.submit(reading, self.media, stop=stop, **kwargs)
        if keyframes:
            scan = in_this_recording(scan_keyframes)
            if tap is not None:
                # one thread: this runs once the reading is over. Its keyframes are
                # the scan when it finished; if it failed, the scan decodes its own
                read = self._jobs["screen"]

                def shared(media: Path, stop: Callable[[], bool]) -> Any:
                    return tap.result() if read.exception() is None else scan(media, stop=stop)

                self._jobs["keyframes"] = self._pool.submit(shared, self.media, stop)
            else:
                self._jobs["keyframes"] = self._pool.submit(scan, self.media, stop=stop)

    def _screen_cached(self, sha256: str) -> bool:
        manifest = Manifest.load(self.layout.manifest)
        return manifest.holds("screen", screen_key(sha256), [self.layout.screen])

    def screen(self, media: Path) -> ScreenReading:
        """The screen reading (``read_screen``'s signature, for ``stage_screen``)."""
        from clipguard.screen.read import read_screen

        return self._take("screen", media, read_screen)

    def keyframes(self, media: Path) -> KeyframeScan:
        """The keyframe scan (``scan_keyframes``'s signature, for the signals)."""
        from clipguard.clipper.signals import scan_keyframes

        return self._take("keyframes", media, scan_keyframes)

    def _take(self, name: str, media: Path, compute: Callable[[Path], Any]) -> Any:
        job = self._jobs.pop(name, None)
        if job is None or Path(media) != self.media:
            return compute(media)
        return job.result()  # raises the work's own exception, if it failed

    def __enter__(self) -> MediaWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop what was not collected (a run that failed, or a stage that was not
        reached) and wait for the thread: nothing outlives the recording's call."""
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._jobs.clear()
