"""The chosen clips as editing timelines: one ``ClipTimeline``, one writer per format.

An editor who wants to polish a promo pulls ``clips/timeline.xml`` into Premiere Pro
or DaVinci Resolve, ``timeline.otio`` into anything OTIO reads, or the 剪映 draft
folder ``clips/jianying/<stem>/`` into 剪映 (``clipguard.clipper.jianying``). Every
format describes the same thing, so the clip stage builds it once as a
``ClipTimeline`` (each clip's source range of the original recording, its captions
as burned, its cover, the promo line) and hands it to the writers the user chose
(``RunOptions.timeline``). A writer is anything with a ``label`` and
``write(timeline, dest)``; adding a format is one module and one line in
``WRITERS`` (plus its name in ``options.TIMELINES`` and its path in
``RecordingLayout.timeline``, which own the option's values and the output paths).

The OTIO and FCP 7 XML writers share one OTIO document: one video and one audio
track holding each clip's source range, each clip marked with its highlight's score
and the gate's decision; every highlight, dropped ones included, is kept in the
timeline's metadata.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import opentimelineio as otio

from clipguard.models import Highlight


@dataclass(frozen=True)
class TimelineClip:
    """One clip on the timeline: ``start``/``end`` in seconds of the original
    recording; ``cards`` the captions in clip time exactly as burned into the clip
    (``clipper.captext.Card``, possibly with ``uncertain`` character ranges)."""

    name: str
    start: float
    end: float
    score: float = 0.0
    highlight: dict[str, Any] = field(default_factory=dict)
    cards: tuple[Any, ...] = ()
    cover: Path | None = None  # the clip's cover image (clip_NN.jpg), if one was made
    reframe: str = ""  # how the clip was framed: "fit" (over a blur) or a crop source

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class ClipTimeline:
    """Everything a timeline format needs, format-free: the writers only translate."""

    name: str  # the recording's stem
    media: Path  # the original recording (not the burned clips: the editor wants it clean)
    duration: float
    fps: float
    width: int  # the recording's picture size
    height: int
    canvas: tuple[int, int]  # the clips' output size (``RenderOptions.aspect``)
    clips: tuple[TimelineClip, ...]
    highlights: tuple[Highlight, ...] = ()
    promo_text: str = ""
    link_media: str = "absolute"  # how a self-contained format refers to the media


class TimelineWriter(Protocol):
    """One timeline format. ``dest`` comes from ``RecordingLayout.timeline``; the
    writer replaces it whole (atomically) or leaves the old one."""

    label: str  # how warnings name the format: "timeline export (<label>)"

    def write(self, timeline: ClipTimeline, dest: Path) -> None: ...


# format -> (label, "module:attribute" of its writer). Imported on use: the 剪映 writer
# pulls in pyJianYingDraft, which a run that asks only for OTIO never needs.
WRITERS: dict[str, tuple[str, str]] = {
    "otio": ("OTIO", "clipguard.clipper.timeline:OTIO"),
    "fcp7": ("FCP 7 XML", "clipguard.clipper.timeline:FCP7"),
    "jianying": ("剪映 draft", "clipguard.clipper.jianying:WRITER"),
}


def label(fmt: str) -> str:
    return WRITERS[fmt][0]


def writer(fmt: str) -> TimelineWriter:
    module, _, attr = WRITERS[fmt][1].partition(":")
    return getattr(importlib.import_module(module), attr)


def write(timeline: ClipTimeline, fmt: str, dest: Path) -> None:
    """Write one format of ``timeline`` to ``dest`` (the clip stage calls this once
    per chosen format, each inside its own refinement)."""
    writer(fmt).write(timeline, Path(dest))


def _range(start: float, end: float, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(round(start * rate), rate),
        otio.opentime.RationalTime(round((end - start) * rate), rate),
    )


# frame rates FCP 7 XML (and its SMPTE timecode) knows; a stream at 15 fps is
# described at 30, which keeps every frame boundary of the source
EDIT_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0)


def edit_rate(fps: float) -> float:
    fps = fps or 25.0
    close = [r for r in EDIT_RATES if abs(r - fps) < 0.02]
    if close:
        return close[0]
    return next((r for r in (30.0, 60.0) if r >= fps), 60.0)


def build(timeline: ClipTimeline) -> otio.schema.Timeline:
    """The OTIO document both OTIO-backed writers serialise."""
    rate = edit_rate(timeline.fps)
    out = otio.schema.Timeline(name=f"{timeline.name} promo clips")
    out.metadata["clipguard"] = {"highlights": [h.to_dict() for h in timeline.highlights]}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for track in (video, audio):
        for c in timeline.clips:
            ref = otio.schema.ExternalReference(
                target_url=Path(timeline.media).resolve().as_uri(),
                available_range=_range(0.0, timeline.duration, rate),
            )
            item = otio.schema.Clip(
                name=c.name, media_reference=ref, source_range=_range(c.start, c.end, rate)
            )
            h = c.highlight or {}
            marker = otio.schema.Marker(
                name=f"highlight {c.score:.2f} {h.get('gate', '')}".strip(),
                marked_range=_range(
                    max(c.start, h.get("start", c.start)), min(c.end, h.get("end", c.end)), rate
                ),
                color=otio.schema.MarkerColor.GREEN
                if h.get("gate") == "pass"
                else otio.schema.MarkerColor.ORANGE,
                metadata={"clipguard": {"score": c.score, **h}},
            )
            item.markers.append(marker)
            track.append(item)
    out.tracks.append(video)
    out.tracks.append(audio)
    return out


@dataclass(frozen=True)
class OtioAdapterWriter:
    """A format an OTIO adapter writes; through a temporary name, since the adapters
    write the path they are given."""

    label: str
    adapter: str

    def write(self, timeline: ClipTimeline, dest: Path) -> None:
        from clipguard.writers import atomic_path

        with atomic_path(dest) as tmp:
            otio.adapters.write_to_file(build(timeline), str(tmp), adapter_name=self.adapter)


OTIO = OtioAdapterWriter("OTIO", "otio_json")
FCP7 = OtioAdapterWriter("FCP 7 XML", "fcp_xml")


def source_ranges(path: Path) -> list[tuple[str, float, float]]:
    """(name, start, end) in seconds of each video clip of a timeline file, read back."""
    timeline: Any = otio.adapters.read_from_file(str(path))
    out = []
    for track in timeline.video_tracks():
        for item in track.find_clips():
            r = item.source_range
            out.append((item.name, r.start_time.to_seconds(), r.end_time_exclusive().to_seconds()))
    return out
