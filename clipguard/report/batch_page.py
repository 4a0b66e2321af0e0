"""``batch.html``: one row per recording, linking to each report."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

STYLE = """body{font:14px system-ui,sans-serif;margin:20px}table{border-collapse:collapse}
td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}.failed{background:#fdecea}
.review{background:#f3eefa}.b{color:#d62828;font-weight:600}.r{color:#f77f00}.na{color:#999}"""


def _count(r: dict[str, Any], sev: str, cls: str) -> str:
    if r["status"] in ("failed", "busy"):
        return '<td class="na">–</td>'  # no result, not a clean "0"
    return f'<td class="{cls}">{(r.get("findings") or {}).get(sev, 0)}</td>'


def _row(r: dict[str, Any], out: Path) -> str:
    report = Path(r["out_dir"]) / "report.html"
    rel = os.path.relpath(report, out) if report.exists() else ""
    link = f'<a href="{html.escape(rel)}">report</a>' if rel else ""
    recap = Path(r["out_dir"]) / "recap.html"
    if recap.exists():
        link += f' · <a href="{html.escape(os.path.relpath(recap, out))}">recap 复盘</a>'
    done = r["status"] not in ("failed", "busy")
    cov = r.get("coverage")
    coverage = f"{100 * cov:.1f}%" if done and cov is not None else "–"
    clips = str(r.get("clips", 0)) if done else "–"
    note = r.get("error") or r.get("note") or r.get("clips_note") or ""
    warned = sum(w.get("count", 1) for w in r.get("warnings") or [])
    warn_cell = f'<td class="r">{warned}</td>' if warned else '<td class="na">0</td>'
    return (
        f'<tr class="{html.escape(r["status"])}"><td>{html.escape(Path(r["media"]).name)}</td>'
        f"<td>{r.get('duration', 0):.0f} s</td>{_count(r, 'block', 'b')}{_count(r, 'review', 'r')}"
        f"{_count(r, 'info', '')}<td>{coverage}</td><td>{clips}</td>{warn_cell}"
        f"<td>{html.escape(r['status'])}</td><td>{html.escape(note)}</td><td>{link}</td></tr>"
    )


def _compare(out: Path) -> str:
    """The nights side by side (written by the batch once its recordings are done)."""
    if not (Path(out) / "recap_compare.html").exists():
        return ""
    return '<p><a href="recap_compare.html">recap compare 复盘对比</a></p>'


def batch_html(data: dict[str, Any], out: Path) -> str:
    rows = "".join(_row(r, out) for r in data["recordings"])
    summary = ", ".join(f"{v} {k}" for k, v in data["summary"].items())
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>clipguard batch</title>
<style>{STYLE}</style></head><body>
<h1>clipguard batch</h1>{_compare(out)}<p>{html.escape(data["started"])} → {html.escape(str(data["finished"] or "running"))} · {html.escape(summary)} · {html.escape(data["executor"])}</p>
<table><tr><th>recording</th><th>duration</th><th>block</th><th>review</th><th>info</th><th>coverage</th><th>clips</th><th>warnings</th><th>status</th><th>note</th><th></th></tr>
{rows}</table></body></html>
"""
