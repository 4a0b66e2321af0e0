"""Where every output of one recording lives: the only place that names these files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipguard.writers import ensure_dir


@dataclass(frozen=True)
class RecordingLayout:
    """``OUT/<stem>/`` and everything in it.

    The folder is created only by ``create()``, which the stages call once the input
    has proved readable, so a bad input leaves no empty folder behind.
    """

    root: Path

    @classmethod
    def of(cls, out_root: Path, media: Path) -> RecordingLayout:
        return cls(Path(out_root) / Path(media).stem)

    def create(self) -> RecordingLayout:
        ensure_dir(self.root)
        return self

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def transcript(self) -> Path:
        return self.root / "transcript.json"

    @property
    def srt(self) -> Path:
        return self.root / "transcript.srt"

    @property
    def vtt(self) -> Path:
        return self.root / "transcript.vtt"

    @property
    def envelope(self) -> Path:
        return self.root / "audio_envelope.npy"

    @property
    def findings(self) -> Path:
        return self.root / "findings.json"

    @property
    def screen(self) -> Path:
        return self.root / "screen.json"

    def screen_thumb(self, index: int) -> Path:
        return self.root / "screen" / f"finding_{index:03d}.jpg"

    @property
    def signals(self) -> Path:
        return self.root / "signals.npz"

    @property
    def highlights(self) -> Path:
        return self.root / "highlights.json"

    @property
    def clips_dir(self) -> Path:
        return self.root / "clips"

    @property
    def clips_index(self) -> Path:
        return self.clips_dir / "clips.json"

    @property
    def timeline_otio(self) -> Path:
        return self.clips_dir / "timeline.otio"

    @property
    def timeline_xml(self) -> Path:
        return self.clips_dir / "timeline.xml"

    @property
    def jianying_draft(self) -> Path:
        """A 剪映 draft folder, named after the recording (剪映 lists drafts by folder)."""
        return self.clips_dir / "jianying" / self.root.name

    def timeline(self, fmt: str) -> Path:
        """The file (or draft folder) of one timeline format (``options.TIMELINES``)."""
        return {
            "otio": self.timeline_otio,
            "fcp7": self.timeline_xml,
            "jianying": self.jianying_draft,
        }[fmt]

    def clip(self, index: int, suffix: str = ".mp4") -> Path:
        return self.clips_dir / f"clip_{index:02d}{suffix}"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def recap(self) -> Path:
        return self.root / "recap.json"

    @property
    def recap_html(self) -> Path:
        return self.root / "recap.html"

    @property
    def lock(self) -> Path:
        """Beside the recordings' folders, not inside one: locking a file that turns
        out not to be media must not leave an empty folder behind."""
        return self.root.parent / ".locks" / f"{self.root.name}.lock"
