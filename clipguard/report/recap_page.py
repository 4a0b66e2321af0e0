"""``recap.html`` and ``recap_compare.html``: the morning-after review as pages.

Drawn on the server from ``recap.json`` (inline SVG charts, HTML tables), beside the
recording report and sharing its pieces: the embedded CJK font subset, the video
source (``media_src``), the JSON embedding and the click-to-seek convention (any
element with ``data-t`` and any chart seeks the video). No network, no CDN.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

from clipguard._version import __version__
from clipguard.report import media_src
from clipguard.report.font import font_face_css
from clipguard.report.recap_charts import (
    SEVERITY_COLOURS,
    bars,
    clock,
    events,
    hbar,
    level,
    stacked,
)

PRODUCT_COLOURS = ("#4263eb", "#0ca678", "#ae3ec9", "#e8590c", "#1098ad", "#d6336c", "#5c940d")
CTA_LABELS = {
    "follow": "关注",
    "like": "点赞",
    "kou1": "扣1",
    "comment": "评论",
    "order": "下单/拍",
    "light": "点亮灯牌",
    "fanclub": "加入粉丝团",
}
PART_LABELS = {
    "selling_point": "卖点",
    "price": "价格/优惠",
    "gift": "福利/赠品",
    "urgency": "逼单/限时/库存",
    "interaction": "引导互动",
    "follow": "关注/加团",
}
e = html.escape


def _t(t: float | None) -> str:
    """A time that seeks the video when clicked."""
    if t is None:
        return '<span class="muted">–</span>'
    return f'<a class="t" data-t="{float(t):.2f}" href="#">{clock(t)}</a>'


def page_html(title: str, body: str, data: dict[str, Any]) -> str:
    template = resources.files("clipguard.report").joinpath("recap_page.html").read_text("utf-8")
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")  # as the report does
    page = template.replace("<!--__BODY__-->", body).replace("/*__TITLE__*/", e(title))
    css = font_face_css(page + blob)  # every character the page can show
    return page.replace("/*__CLIPGUARD_FONT__*/", css).replace("/*__CLIPGUARD_DATA__*/{}", blob)


def _kpis(s: dict[str, Any], lang: str) -> str:
    rate_unit = "字/分" if lang in ("zh", "") else "words/min"
    resp = s.get("cta_response")
    items = [
        (clock(s["duration"]), "时长 duration", False),
        (f"{100 * (s['talk_ratio'] or 0):.0f}%", "说话占比 talk ratio", False),
        (f"{s['chars_per_minute']:.0f}", f"语速 {rate_unit}", False),
        (
            f"{s['dead_air_count']} · {s['dead_air_seconds']:.0f}s",
            "冷场 dead air (count · total)",
            s["dead_air_count"] > 0,
        ),
        (f"{s['chat_per_minute']:.1f}", "弹幕/分 chat per min", False),
        ("–" if resp is None else f"{resp:.2f}×", "号召响应 CTA response", False),
        (str(s["unanswered_groups"]), "未回答问题 unanswered", s["unanswered_groups"] > 0),
        (f"{s['findings_per_hour']:.0f}", "违规/小时 findings per hour", s["block_per_hour"] > 0),
    ]
    cells = "".join(
        f'<div class="kpi{" bad" if bad else ""}"><b>{e(v)}</b><span>{e(k)}</span></div>'
        for v, k, bad in items
    )
    return f'<div class="kpis">{cells}</div>'


def _row(label: str, note: str, svg: str) -> str:
    return (
        f'<div class="row"><div class="lab">{e(label)}<b>{e(note)}</b></div>'
        f'<div class="chart">{svg}<div class="cursor"></div></div></div>'
    )


def _axis(duration: float) -> str:
    step = next((s for s in (60, 120, 300, 600, 900, 1800, 3600) if duration / s <= 10), 7200)
    ticks = []
    t = 0.0
    while t <= duration:
        ticks.append(f'<i style="left:{100 * t / duration:.2f}%"><span>{clock(t)}</span></i>')
        t += step
    return f'<div class="axis">{"".join(ticks)}</div>'


def _timeline(d: dict[str, Any]) -> str:
    dur = max(float(d["duration"]), 1.0)
    m = d["minutes"]
    colours = {
        p["name"]: PRODUCT_COLOURS[i % len(PRODUCT_COLOURS)] for i, p in enumerate(d["products"])
    }
    segs = [
        (p["name"], s["start"], s["end"], colours[p["name"]])
        for p in d["products"]
        for s in p["segments"]
    ]
    ticks = [
        (c["start"], "#1d2330", f"{CTA_LABELS.get(c['kind'], c['kind'])} {c['text']}")
        for c in d["calls_to_action"]
    ]
    ticks += [
        (q["t"], "#d62828" if q["answered_at"] is None else "#2a9d8f", f"? {q['text']}")
        for q in d["questions"]
    ]
    speech = [x["speech_seconds"] for x in m]
    rate = [x.get("chars_per_minute") for x in m]
    loud = [x.get("loudness") for x in m]
    chat = [x["chat_messages"] for x in m]
    chatters = [x["chatters"] for x in m]
    rows = [
        _row("事件 events", "冷场 · 讲品 · 号召 · 提问", events(dur, d["dead_air"], segs, ticks)),
        _row(
            "说话秒数 speech s",
            f"max {max(speech, default=0):.0f} s/min",
            bars(speech, dur, "#4263eb", "speech"),
        ),
        _row(
            "语速 rate",
            f"max {max((r for r in rate if r), default=0):.0f}/min",
            level(rate, dur, "#7048e8", "rate"),
        ),
        _row(
            "响度 loudness",
            "dBFS" if any(v is not None for v in loud) else "no envelope",
            level(loud, dur, "#495057", "loudness"),
        ),
        _row("弹幕 chat", f"max {max(chat, default=0)}/min", bars(chat, dur, "#0ca678", "chat")),
        _row(
            "发言人数 chatters",
            f"max {max(chatters, default=0)}/min",
            bars(chatters, dur, "#66a80f", "chatters"),
        ),
        _row(
            "违规 findings",
            "block · review · info",
            stacked([x["findings"] for x in m], dur, "findings"),
        ),
    ]
    legend = "".join(
        f'<span><i style="background:{c}"></i>{e(n)}</span>' for n, c in colours.items()
    )
    legend += '<span><i style="background:#6c757d"></i>冷场 dead air</span>'
    legend += '<span><i style="background:#d62828"></i>未回答 unanswered</span><span><i style="background:#2a9d8f"></i>已回答 answered</span>'
    legend += '<span><i style="background:#1d2330"></i>号召 call to action</span>'
    legend += "".join(
        f'<span><i style="background:{c}"></i>{s}</span>' for s, c in SEVERITY_COLOURS
    )
    return (
        '<section id="timeline"><h2>直播间时间线 Room timeline (per minute)</h2>'
        + "".join(rows)
        + _axis(dur)
        + f'<div class="legend">{legend}</div></section>'
    )


def _questions(d: dict[str, Any]) -> str:
    qs = d["questions"]
    if not qs:
        return '<section id="questions"><h2>观众提问 Viewer questions</h2><p class="muted">no questions in the chat (or no chat log)</p></section>'
    rows = []
    for q in qs:
        un = q["answered_at"] is None
        answer = (
            '<b style="color:#d62828">未回答 unanswered</b>'
            if un
            else f"{_t(q['answered_at'])} {e(q['answer'])}"
        )
        more = " / ".join(q["asks"][1:4])
        rows.append(
            f'<tr class="{"unanswered" if un else "answered"}"><td>{_t(q["t"])}</td><td>{e(q["text"])}'
            f'{f"<div class=muted>{e(more)}</div>" if more else ""}</td><td class="num">{q["count"]}</td>'
            f"<td>{e(q['topic'])}</td><td>{answer}</td></tr>"
        )
    n = sum(1 for q in qs if q["answered_at"] is None)
    return (
        f'<section id="questions"><h2>观众提问 Viewer questions — {n} 未回答 unanswered</h2>'
        "<table><tr><th>first</th><th>question</th><th>count</th><th>topic</th><th>answered</th></tr>"
        + "".join(rows)
        + "</table></section>"
    )


def _dead_air(d: dict[str, Any]) -> str:
    s = d["summary"]
    rows = "".join(
        f"<tr><td>{_t(x['start'])}</td><td>{_t(x['end'])}</td><td class=num>{x['seconds']:.1f} s</td></tr>"
        for x in d["dead_air"]
    )
    head = f"冷场 Dead air (≥ {d['options'].get('dead_air', 8):g} s): {s['dead_air_count']} · total {s['dead_air_seconds']:.0f} s · longest {s['dead_air_longest']:.0f} s"
    body = (
        f"<table><tr><th>from</th><th>to</th><th>length</th></tr>{rows}</table>"
        if rows
        else '<p class="empty">none</p>'
    )
    return f'<section id="dead-air"><h2>{e(head)}</h2>{body}</section>'


def _chips(parts: list[str], cls: str) -> str:
    return "".join(f'<span class="chip {cls}">{e(PART_LABELS.get(p, p))}</span>' for p in parts)


def _products(d: dict[str, Any]) -> str:
    ps = d["products"]
    if not ps:
        return '<section id="products"><h2>讲品 Products</h2><p class="muted">no product file and no N号链接 mentioned</p></section>'
    rows = []
    for p in ps:
        segs = (
            " ".join(f"{_t(s['start'])}–{clock(s['end'])}" for s in p["segments"])
            or '<span class="muted">never explained</span>'
        )
        meta = " · ".join(x for x in (p.get("price", ""), p.get("link", "")) if x)
        rows.append(
            f"<tr><td><b>{e(p['name'])}</b><div class=muted>{e(meta)}</div></td><td>{segs}</td>"
            f"<td class=num>{p['seconds']:.0f} s</td><td class=num>{100 * p['share']:.1f}%</td>"
            f"<td class=num>{p['returns']}</td><td class=num>{p['mentions']}</td>"
            f"<td>{_chips(p['cues'], 'have')}{_chips(p['missing'], 'miss')}</td></tr>"
        )
    return (
        '<section id="products"><h2>讲品 Products: time, returns, pitch parts (green heard, red missing)</h2>'
        "<table><tr><th>product</th><th>segments</th><th>time</th><th>share</th><th>returns</th>"
        "<th>mentions</th><th>pitch</th></tr>" + "".join(rows) + "</table></section>"
    )


def _ctas(d: dict[str, Any]) -> str:
    cs = d["calls_to_action"]
    if not cs:
        return '<section id="cta"><h2>行动号召 Calls to action</h2><p class="muted">none heard</p></section>'
    top = max(max(c["chat_before"], c["chat_after"]) for c in cs) or 1
    rows = "".join(
        f"<tr><td>{_t(c['start'])}</td><td>{e(CTA_LABELS.get(c['kind']) or c['kind'])}</td><td>{e(c['text'])}</td>"
        f"<td class=num>{c['chat_before']:.0f} {hbar(c['chat_before'], top, '#adb5bd')}</td>"
        f"<td class=num>{c['chat_after']:.0f} {hbar(c['chat_after'], top, '#0ca678')}</td>"
        f"<td class=num>{c['response']:.2f}×</td></tr>"
        for c in cs
    )
    return (
        '<section id="cta"><h2>行动号召 Calls to action and the chat\'s answer (messages/min, 60 s before vs after)</h2>'
        "<table><tr><th>time</th><th>kind</th><th>said</th><th>before</th><th>after</th><th>response</th></tr>"
        + rows
        + "</table></section>"
    )


def _compliance(d: dict[str, Any]) -> str:
    c = d["compliance"]
    per = c["per_hour"]
    top = max(per.values(), default=0) or 1
    cats = "".join(
        f"<tr><td>{e(k)}</td><td class=num>{v:.1f}</td><td>{hbar(v, top, '#d62828')}</td></tr>"
        for k, v in sorted(per.items(), key=lambda x: -x[1])
    )
    sev = " · ".join(f"{k} {v:.1f}/h" for k, v in c["by_severity_per_hour"].items())
    worst = "".join(
        f"<tr><td>{_t(w['start'])}</td><td class=num>{w.get('block', 0)} block · {w.get('review', 0)} review</td>"
        f"<td>{e(' / '.join(x['text'] for x in w['examples']))}</td></tr>"
        for w in c["worst"]
    )
    gaps = "".join(
        f"<tr><td>{_t(g['start'])}</td><td>{g['end'] - g['start']:.1f} s</td><td>{e(g.get('reason', ''))}</td></tr>"
        for g in c["gaps"]
    )
    chat = "".join(
        f"<tr><td>{_t(f['start'])}</td><td>{e(f['severity'])}</td><td>{e(f.get('extra', {}).get('user', ''))}</td>"
        f"<td>{e(f['text'])}</td><td>{e(f['rule_id'])}</td></tr>"
        for f in c["chat_findings"]
    )
    return (
        f'<section id="compliance"><h2>合规 Compliance: findings per hour ({e(sev)})</h2>'
        f"<table>{cats or '<tr><td class=empty>no findings</td></tr>'}</table>"
        f"<h2 style='margin-top:12px'>最严重时段 Worst minutes</h2><table>{worst or '<tr><td class=empty>none</td></tr>'}</table>"
        f"<h2 style='margin-top:12px'>未转写语音 Unheard speech (listen to these)</h2><table>{gaps or '<tr><td class=empty>none</td></tr>'}</table>"
        f"<h2 style='margin-top:12px'>弹幕违规 Chat findings (channel chat)</h2>"
        f"<table>{chat or '<tr><td class=empty>none</td></tr>'}</table></section>"
    )


def render_recap(data: dict[str, Any], out_dir: Path, link_media: str = "absolute") -> str:
    """``recap.html`` from ``recap.json``'s data; the video beside the charts."""
    src = media_src(Path(out_dir), data["media"]["path"], link_media)
    lang = data.get("labels", {}).get("language", "")
    link = '<a href="report.html" style="color:#9ec5fe">report.html</a>'
    body = (
        f"<header><h1>复盘 Recap — {e(data['title'])} {link}</h1>{_kpis(data['summary'], lang)}</header>"
        f'<main><div class="side"><section><video id="player" controls preload="metadata" src="{e(src)}"></video>'
        f'<p class="muted">clipguard {e(__version__)} · {e(str(data["options"].get("cues", "")))}</p></section></div>'
        f"<div>{_timeline(data)}{_questions(data)}{_dead_air(data)}{_products(data)}{_ctas(data)}{_compliance(data)}</div></main>"
    )
    return page_html(f"复盘 — {data['title']}", body, {"duration": data["duration"]})
