"""Self-contained reviewer page: one HTML file, data and font inlined, no network.

A multi-hour recording cannot be inlined, so the video is linked: by its absolute
path by default (the output folder can move), or by a copy or hard link placed
beside the report (``link_media``), which travels with the folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from clipguard._version import __version__
from clipguard.errors import UsageError
from clipguard.options import LINK_MODES
from clipguard.report.font import font_face_css
from clipguard.writers import atomic_path, write_text

log = logging.getLogger(__name__)


def media_src(out_dir: Path, media_path: str, link_media: str = "absolute") -> str:
    """The ``<video>`` source: an absolute file URL, or a copy/hard link beside the report."""
    if link_media not in LINK_MODES:
        raise UsageError(
            f"link_media must be one of {', '.join(LINK_MODES)} (got {link_media!r})",
            params=("link_media",),
        )
    source = Path(media_path).resolve()
    if link_media == "absolute" or not source.is_file():
        return source.as_uri()
    dest = Path(out_dir) / "media" / source.name
    if not (dest.exists() and dest.stat().st_size == source.stat().st_size):
        with atomic_path(dest) as tmp:
            tmp.unlink()
            try:
                if link_media == "hardlink":
                    os.link(source, tmp)
                else:
                    shutil.copyfile(source, tmp)
            except OSError as exc:  # another filesystem: a hard link cannot cross it
                log.warning("cannot hard-link %s (%s); copying it instead", source, exc)
                shutil.copyfile(source, tmp)
    return f"media/{source.name}"


def render_report(
    out_dir: Path,
    transcript: dict[str, Any],
    findings: dict[str, Any],
    highlights: dict[str, Any] | None = None,
    clips: dict[str, Any] | None = None,
    link_media: str = "absolute",
    warnings: list[dict[str, Any]] | None = None,
) -> str:
    data = {
        "tool": {"name": "clipguard", "version": __version__},
        "title": Path(transcript["media"]["path"]).name,
        "media": transcript["media"],
        "media_src": media_src(out_dir, transcript["media"]["path"], link_media),
        "coverage": transcript.get("coverage"),
        "language": transcript.get("language", ""),
        "segments": transcript.get("segments", []),
        "rules": findings.get("rules", []),
        "findings": findings.get("findings", []),
        "categories": {
            k: v for r in findings.get("rules", []) for k, v in r.get("categories", {}).items()
        },
        "highlights": (highlights or {}).get("highlights", []),
        "clips": (clips or {}).get("clips", []),
        "warnings": list(warnings or []),
    }
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    template = (
        resources.files("clipguard.report").joinpath("report.html").read_text(encoding="utf-8")
    )
    # every character the page can show is in the data or the template
    css = font_face_css(blob + template)
    return template.replace("/*__CLIPGUARD_FONT__*/", css).replace("/*__CLIPGUARD_DATA__*/{}", blob)


def write_report(dest: Path, **parts: Any) -> Path:
    return write_text(Path(dest), render_report(Path(dest).parent, **parts))
