"""Self-contained reviewer page: one HTML file, data inlined, no network.

The video is referenced by a path relative to the report (a multi-hour recording
cannot be inlined), so the page works opened from disk beside the outputs.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from clipguard import __version__
from clipguard.pipeline.writers import write_text

CATEGORY_LABELS = {
    "absolute_claims": "Absolute claims 极限用语",
    "off_platform": "Off-platform diversion 站外导流",
    "medical_claims": "Medical claims 医疗功效",
    "financial_promises": "Financial promises 收益承诺",
    "military_secrets": "Military secrets 涉军泄密",
    "vulgarity": "Vulgarity 低俗",
    "minors": "Minors 未成年人",
}


def _media_src(out_dir: Path, media_path: str) -> str:
    try:
        rel = os.path.relpath(Path(media_path).resolve(), Path(out_dir).resolve())
    except ValueError:  # another drive on Windows
        return Path(media_path).resolve().as_uri()
    return rel.replace(os.sep, "/")


def render_report(
    out_dir: Path,
    transcript: dict[str, Any],
    findings: dict[str, Any],
    highlights: dict[str, Any] | None = None,
    clips: dict[str, Any] | None = None,
) -> str:
    data = {
        "tool": {"name": "clipguard", "version": __version__},
        "title": Path(transcript["media"]["path"]).name,
        "media": transcript["media"],
        "media_src": _media_src(out_dir, transcript["media"]["path"]),
        "language": transcript.get("language", ""),
        "segments": transcript.get("segments", []),
        "rules": findings.get("rules", []),
        "findings": findings.get("findings", []),
        "categories": CATEGORY_LABELS,
        "highlights": (highlights or {}).get("highlights", []),
        "clips": (clips or {}).get("clips", []),
    }
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    template = (
        resources.files("clipguard.report").joinpath("report.html").read_text(encoding="utf-8")
    )
    return template.replace("/*__CLIPGUARD_DATA__*/{}", blob)


def write_report(out_dir: Path, **parts: Any) -> Path:
    return write_text(Path(out_dir) / "report.html", render_report(out_dir, **parts))
