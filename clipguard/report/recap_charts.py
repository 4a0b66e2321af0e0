"""Inline SVG charts for the recap pages: drawn on the server, no script, no network.

Every time chart shares one horizontal scale (the recording's duration over a
1000-unit ``viewBox`` stretched to the column's width), so the rows line up and one
click position means one time in all of them. Text stays in HTML beside the charts:
a stretched SVG would distort it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

W = 1000.0  # viewBox width of every time chart
MINUTE = 60.0
SEVERITY_COLOURS = (("block", "#d62828"), ("review", "#f77f00"), ("info", "#457b9d"))


def clock(t: float | None) -> str:
    """12:05 or 1:02:05 — how an operations team reads stream times."""
    if t is None:
        return "–"
    t = max(0.0, float(t))
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def _x(t: float, duration: float) -> float:
    return max(0.0, min(W, t / max(duration, 1e-9) * W))


def _svg(body: str, height: int, label: str) -> str:
    return (
        f'<svg class="chart-svg" viewBox="0 0 {W:.0f} {height}" preserveAspectRatio="none" '
        f'height="{height}" role="img" aria-label="{html.escape(label)}">'
        f'<rect x="0" y="0" width="{W:.0f}" height="{height}" fill="#f1f3f5"/>{body}</svg>'
    )


def bars(
    values: Sequence[float | None],
    duration: float,
    colour: str,
    label: str,
    height: int = 54,
) -> str:
    """One bar per minute (None: no bar), scaled to the largest value."""
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    parts = []
    for i, v in enumerate(values):
        if v is None or v <= 0:
            continue
        x0, x1 = _x(i * MINUTE, duration), _x((i + 1) * MINUTE, duration)
        h = max(1.5, (height - 4) * v / top)
        gap = min(1.5, (x1 - x0) * 0.1)
        parts.append(
            f'<rect x="{x0 + gap:.2f}" y="{height - h:.2f}" width="{max(0.5, x1 - x0 - 2 * gap):.2f}" '
            f'height="{h:.2f}" fill="{colour}"><title>{clock(i * MINUTE)} {v:g}</title></rect>'
        )
    return _svg("".join(parts), height, label)


def level(
    values: Sequence[float | None], duration: float, colour: str, label: str, height: int = 54
) -> str:
    """A line through each minute's value (loudness in dBFS, speech rate), the range
    fitted to the values so a 3 dB change is visible."""
    pts = [(i, v) for i, v in enumerate(values) if v is not None]
    if not pts:
        return _svg("", height, label)
    lo, hi = min(v for _, v in pts), max(v for _, v in pts)
    span = max(hi - lo, 1e-6)
    coords = []
    for i, v in pts:
        x = _x(min((i + 0.5) * MINUTE, duration), duration)
        y = height - 4 - (height - 8) * ((v - lo) / span if hi > lo else 0.5)
        coords.append(f"{x:.2f},{y:.2f}")
    if len(coords) == 1:
        coords = [f"0,{coords[0].split(',')[1]}", f"{W:.0f},{coords[0].split(',')[1]}"]
    body = (
        f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" stroke-width="3" '
        'vector-effect="non-scaling-stroke" stroke-linejoin="round"/>'
    )
    return _svg(body, height, label)


def stacked(
    findings: Sequence[dict[str, int]], duration: float, label: str, height: int = 54
) -> str:
    """Findings per minute, stacked by severity (block at the bottom)."""
    totals = [sum(f.get(s, 0) for s, _ in SEVERITY_COLOURS) for f in findings]
    top = max(totals, default=0) or 1
    parts = []
    for i, f in enumerate(findings):
        x0, x1 = _x(i * MINUTE, duration), _x((i + 1) * MINUTE, duration)
        gap = min(1.5, (x1 - x0) * 0.1)
        y = float(height)
        for sev, colour in SEVERITY_COLOURS:
            n = f.get(sev, 0)
            if not n:
                continue
            h = (height - 4) * n / top
            y -= h
            parts.append(
                f'<rect x="{x0 + gap:.2f}" y="{y:.2f}" width="{max(0.5, x1 - x0 - 2 * gap):.2f}" '
                f'height="{h:.2f}" fill="{colour}"><title>{clock(i * MINUTE)} {n} {sev}</title></rect>'
            )
    return _svg("".join(parts), height, label)


def events(
    duration: float,
    dead_air: Sequence[dict],
    segments: Sequence[tuple[str, float, float, str]],
    ticks: Sequence[tuple[float, str, str]],
    height: int = 54,
) -> str:
    """The stream's events on one strip: dead air (grey hatch), product segments
    (coloured spans), calls to action and questions (ticks)."""
    parts = []
    for d in dead_air:
        x0, x1 = _x(d["start"], duration), _x(d["end"], duration)
        parts.append(
            f'<rect class="ev-dead" x="{x0:.2f}" y="2" width="{max(2.0, x1 - x0):.2f}" '
            f'height="{height - 4}" fill="url(#hatch)"><title>冷场 {clock(d["start"])} '
            f"{d['end'] - d['start']:.0f}s</title></rect>"
        )
    for name, a, b, colour in segments:
        x0, x1 = _x(a, duration), _x(b, duration)
        parts.append(
            f'<rect x="{x0:.2f}" y="4" width="{max(2.0, x1 - x0):.2f}" height="18" rx="2" '
            f'fill="{colour}"><title>{html.escape(name)} {clock(a)}–{clock(b)}</title></rect>'
        )
    for t, colour, title in ticks:
        x = _x(t, duration)
        parts.append(
            f'<rect x="{x - 2:.2f}" y="26" width="4" height="{height - 28}" fill="{colour}">'
            f"<title>{html.escape(title)}</title></rect>"
        )
    hatch = (
        '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ced4da"/>'
        '<rect width="3" height="8" fill="#6c757d"/></pattern></defs>'
    )
    return _svg(hatch + "".join(parts), height, "events")


def hbar(value: float, top: float, colour: str) -> str:
    """A small horizontal bar (HTML) for a value against the column's largest."""
    pct = 0.0 if top <= 0 else max(0.0, min(100.0, 100 * value / top))
    return f'<span class="hbar"><i style="width:{pct:.1f}%;background:{colour}"></i></span>'


def columns(
    values: Sequence[float | None], colours: Sequence[str], label: str, height: int = 70
) -> str:
    """One column per stream (the compare page's small multiples), scaled to the largest."""
    n = max(1, len(values))
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    width = W / n
    parts = []
    for i, v in enumerate(values):
        if v is None or v <= 0:
            continue
        h = max(2.0, (height - 4) * v / top)
        parts.append(
            f'<rect x="{i * width + width * 0.15:.2f}" y="{height - h:.2f}" '
            f'width="{width * 0.7:.2f}" height="{h:.2f}" fill="{colours[i % len(colours)]}">'
            f"<title>{v:g}</title></rect>"
        )
    return _svg("".join(parts), height, label)
