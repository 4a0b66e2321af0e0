"""The chosen clips as an editing timeline: OpenTimelineIO and FCP 7 XML.

An editor who wants to polish a promo pulls ``clips/timeline.xml`` into Premiere Pro
or DaVinci Resolve (or ``timeline.otio`` into anything OTIO reads): one video and one
audio track holding each clip's source range of the original recording, each clip
marked with its highlight's score and the gate's decision. Every highlight, dropped
ones included, is kept in the timeline's metadata.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import opentimelineio as otio

from clipguard.models import Clip, Highlight


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


def build(
    name: str,
    media: Path,
    duration: float,
    fps: float,
    clips: list[Clip],
    highlights: list[Highlight],
) -> otio.schema.Timeline:
    rate = edit_rate(fps)
    timeline = otio.schema.Timeline(name=f"{name} promo clips")
    timeline.metadata["clipguard"] = {"highlights": [h.to_dict() for h in highlights]}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for track in (video, audio):
        for i, c in enumerate(clips, 1):
            ref = otio.schema.ExternalReference(
                target_url=Path(media).resolve().as_uri(),
                available_range=_range(0.0, duration, rate),
            )
            item = otio.schema.Clip(
                name=f"clip_{i:02d}", media_reference=ref, source_range=_range(c.start, c.end, rate)
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
    timeline.tracks.append(video)
    timeline.tracks.append(audio)
    return timeline


def write(timeline: otio.schema.Timeline, otio_path: Path, xml_path: Path) -> None:
    """Write both files through temporary names (the adapters write the path given)."""
    from clipguard.writers import atomic_path

    for dest, adapter in ((otio_path, "otio_json"), (xml_path, "fcp_xml")):
        with atomic_path(dest) as tmp:
            otio.adapters.write_to_file(timeline, str(tmp), adapter_name=adapter)


def source_ranges(path: Path) -> list[tuple[str, float, float]]:
    """(name, start, end) in seconds of each video clip of a timeline file, read back."""
    timeline: Any = otio.adapters.read_from_file(str(path))
    out = []
    for track in timeline.video_tracks():
        for item in track.find_clips():
            r = item.source_range
            out.append((item.name, r.start_time.to_seconds(), r.end_time_exclusive().to_seconds()))
    return out
