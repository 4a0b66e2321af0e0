"""``recap_compare.html``: several streams side by side, one row each.

Teams compare nights to see a trend, or two time slots or two scripts (A/B); each
row links to that stream's ``recap.html``. Same page shell as the recap (font,
styles), no network.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from clipguard.report.recap_charts import clock, columns, hbar
from clipguard.report.recap_page import PRODUCT_COLOURS, page_html

e = html.escape

COMPARE_COLUMNS = (
    ("duration", "时长 duration", lambda v: clock(v)),
    ("talk_ratio", "说话占比 talk", lambda v: f"{100 * v:.0f}%"),
    ("chars_per_minute", "语速 rate/min", lambda v: f"{v:.0f}"),
    ("dead_air_count", "冷场 dead air", lambda v: f"{v}"),
    ("dead_air_seconds", "冷场总长 s", lambda v: f"{v:.0f}"),
    ("chat_per_minute", "弹幕/分 chat", lambda v: f"{v:.1f}"),
    ("cta_response", "号召响应 CTA", lambda v: "–" if v is None else f"{v:.2f}×"),
    ("unanswered_groups", "未回答 unanswered", lambda v: f"{v}"),
    ("findings_per_hour", "违规/小时 findings/h", lambda v: f"{v:.1f}"),
)


def render_compare(rows: list[dict[str, Any]], out_dir: Path) -> str:
    """``recap_compare.html``: one row per stream and a bar per metric, so the trend
    across nights (or two time slots, two scripts) is visible at a glance."""
    tops = {k: max((r.get(k) or 0) for r in rows) for k, _, _ in COMPARE_COLUMNS}
    head = "".join(f"<th>{e(label)}</th>" for _, label, _ in COMPARE_COLUMNS)
    body_rows = []
    for i, r in enumerate(rows):
        page = Path(r["folder"]) / "recap.html"
        href = os.path.relpath(page, out_dir)
        colour = PRODUCT_COLOURS[i % len(PRODUCT_COLOURS)]
        cells = "".join(
            f"<td class=num>{e(fmt(r.get(k)) if r.get(k) is not None or k == 'cta_response' else '–')}"
            f"<br>{hbar(r.get(k) or 0, tops[k], colour)}</td>"
            for k, _, fmt in COMPARE_COLUMNS
        )
        body_rows.append(
            f'<tr><td><a href="{e(href)}">{e(r.get("title", ""))}</a></td>{cells}</tr>'
        )
    colours = [PRODUCT_COLOURS[i % len(PRODUCT_COLOURS)] for i in range(len(rows))]
    charts = "".join(
        f'<div class="multiple"><div class="lab">{e(label)}</div>'
        f"{columns([r.get(k) for r in rows], colours, label)}</div>"
        for k, label, _ in COMPARE_COLUMNS
    )
    legend = "".join(
        f'<span><i style="background:{c}"></i>{e(r.get("title", ""))}</span>'
        for r, c in zip(rows, colours)
    )
    body = (
        f"<header><h1>复盘对比 Recap compare — {len(rows)} streams</h1></header>"
        '<main style="grid-template-columns:1fr"><div><section><table>'
        f"<tr><th>stream</th>{head}</tr>{''.join(body_rows)}</table></section>"
        f'<section id="trend"><h2>趋势 Trend (one column per stream, in order)</h2>'
        f'<div class="legend" style="margin:0 0 8px">{legend}</div>'
        f'<div class="multiples">{charts}</div></section></div></main>'
    )
    return page_html("复盘对比 — clipguard", body, {"duration": 1})
