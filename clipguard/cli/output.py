"""What the commands print: one summary line per recording, then its worst findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOP_LINES = 10


def finding_line(f: dict[str, Any]) -> str:
    return (
        f"  {f['start']:8.2f}-{f['end']:<8.2f} {f['severity']:6} {f['category']:18} "
        f"{f['rule_id']:24} {f['text']}"
    )


def summary(result: Any, *, clips: bool = False, top: int = TOP_LINES) -> str:
    """The recording's line, its worst findings (capped), and anything a person must know."""
    name = Path(result.media).name
    fc = result.findings
    parts = [f"{fc.get('block', 0)} block, {fc.get('review', 0)} review, {fc.get('info', 0)} info"]
    if result.coverage is not None:
        parts.append(f"coverage {100 * result.coverage:.1f}%")
    if clips:
        parts.append(f"{result.clips} clip(s)")
    lines = [f"{name}: {'; '.join(parts)} -> {Path(result.out_dir) / 'report.html'}"]
    lines += [finding_line(f) for f in result.top[:top]]
    total = sum(fc.values())
    if total > min(top, len(result.top)):
        lines.append(
            f"  … {total - min(top, len(result.top))} more in {Path(result.out_dir) / 'report.html'}"
        )
    if result.status == "review":
        lines.append(f"  REVIEW: {result.note}")
    for w in getattr(result, "warnings", None) or []:
        times = f" ×{w['count']}" if w.get("count", 1) > 1 else ""
        lines.append(f"  WARNING ({w['stage']}): {w['what']} failed{times}: {w['error']}")
    if clips and result.clips_note:
        lines.append(f"  {result.clips_note}")
    return "\n".join(lines)


def batch_line(r: Any) -> str:
    extra = r.error or r.note or (r.clips_note if r.status in ("ok", "skipped") else "")
    warned = sum(w.get("count", 1) for w in getattr(r, "warnings", None) or [])
    if warned:
        extra = f"{extra}; {warned} warning(s)" if extra else f"{warned} warning(s)"
    cov = f" coverage {100 * r.coverage:.1f}%" if r.coverage is not None else ""
    return f"{r.status:8} {Path(r.media).name}{cov}{f' ({extra})' if extra else ''}"
