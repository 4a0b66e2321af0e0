"""From what the pipeline wrote to one ``Recap``: the analysis, no I/O, no media.

``build_recap`` takes the loaded outputs (transcript, findings, chat, loudness
envelope, on-screen text) and the options, and returns a frozen ``Recap``; reading
the files and writing ``recap.json`` is the pipeline's job, drawing the page the
report's. That keeps the analysis testable on data and cheap: an hour's recap is
well under a second once its files are read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clipguard.chat import ChatMessage
from clipguard.compliance_rules.document import Document
from clipguard.compliance_rules.scanner import Scanner
from clipguard.models import SEVERITIES, Finding, Transcript, severity_rank
from clipguard.options import RecapOptions
from clipguard.recap import audience, products, room
from clipguard.recap.cues import PITCH_PARTS, Cue, CuePack, chat_document, load_cues
from clipguard.recap.model import Compliance, ProductRecap, ProductSegment, Recap

WORST_MOMENTS = 5


@dataclass(frozen=True)
class RecapInputs:
    """A recording's outputs, loaded (see ``clipguard.pipeline.recap``)."""

    transcript: Transcript
    findings: tuple[Finding, ...] = ()
    chat: tuple[ChatMessage, ...] = ()
    envelope: np.ndarray | None = None
    screen: tuple[dict[str, Any], ...] = ()  # screen.json tracks: text, start, end
    extra: dict[str, Any] = field(default_factory=dict)


def _products(
    inputs: RecapInputs, options: RecapOptions, speech_cues: Sequence[Cue], duration: float
) -> list[ProductRecap]:
    sentences = inputs.transcript.segments
    shown = [(float(t["start"]), str(t.get("text", ""))) for t in inputs.screen]
    info: dict[str, products.Product] = {}
    if options.products:
        scanner = products.product_scanner(options.products)
        names = {f"product.{i}": p.name for i, p in enumerate(options.products)}
        info = {p.name: p for p in options.products}
        hits = scanner.scan(Document.from_transcript(inputs.transcript))
        mentions = [products.Mention(f.start, names[f.category]) for f in hits]
        for t, text in shown:
            found = scanner.scan(Document.from_text(text))
            mentions += [products.Mention(t, names[f.category]) for f in found]
        source = "products"
    else:
        mentions = products.link_mentions([(s.start, s.text) for s in sentences] + shown)
        source = "link"
    pitch = [c for c in speech_cues if c.role == "pitch"]
    stretches: dict[str, list[ProductSegment]] = defaultdict(list)
    for name, start, end, n in products.segments(sentences, mentions):
        heard = {c.kind for c in pitch if start - 0.5 <= c.start <= end + 0.5}
        parts = tuple(p for p in PITCH_PARTS if p in heard)
        missing = tuple(p for p in PITCH_PARTS if p not in heard)
        stretches[name].append(ProductSegment(start, end, n, parts, missing))
    order = [p.name for p in options.products] or sorted(
        stretches, key=lambda n: stretches[n][0].start
    )
    out = []
    for name in order:
        segs = tuple(stretches.get(name, ()))
        heard = {c for s in segs for c in s.cues}
        p = info.get(name)
        out.append(
            ProductRecap(
                name=name,
                segments=segs,
                mentions=sum(1 for m in mentions if m.product == name),
                share=sum(s.end - s.start for s in segs) / duration if duration > 0 else 0.0,
                cues=tuple(c for c in PITCH_PARTS if c in heard),
                missing=tuple(c for c in PITCH_PARTS if c not in heard),
                price=p.price if p else "",
                link=p.link if p else (name if source == "link" else ""),
                source=source,
            )
        )
    return out


def _compliance(
    inputs: RecapInputs, minutes: Sequence[Any], chat_found: Sequence[Finding], duration: float
) -> Compliance:
    hours = max(duration / 3600.0, 1e-9)
    by_cat = Counter(f.category for f in inputs.findings)
    by_sev = Counter(f.severity for f in inputs.findings)
    scored = []
    for m in minutes:
        f = m.findings
        score = 3 * f.get("block", 0) + f.get("review", 0)
        if score:
            inside = [x for x in inputs.findings if m.start <= x.start < m.start + room.MINUTE]
            worst = sorted(inside, key=lambda x: (-severity_rank(x.severity), x.start))[:3]
            scored.append(
                {
                    "start": m.start,
                    "end": min(duration, m.start + room.MINUTE),
                    "score": score,
                    **{s: f.get(s, 0) for s in reversed(SEVERITIES)},
                    "examples": [
                        {"t": round(x.start, 2), "severity": x.severity, "text": x.text}
                        for x in worst
                    ],
                }
            )
    scored.sort(key=lambda d: (-d["score"], d["start"]))
    cov = inputs.transcript.coverage
    return Compliance(
        per_hour={k: v / hours for k, v in sorted(by_cat.items())},
        by_severity_per_hour={s: by_sev.get(s, 0) / hours for s in reversed(SEVERITIES)},
        worst=tuple(scored[:WORST_MOMENTS]),
        gaps=tuple(g.to_dict() for g in cov.gaps) if cov else (),
        chat_findings=tuple(f.to_dict() for f in chat_found),
    )


def build_recap(
    inputs: RecapInputs,
    options: RecapOptions | None = None,
    *,
    cues: CuePack | None = None,
    scanner: Scanner | None = None,
    title: str = "",
) -> Recap:
    """The review of one recording from its outputs.

    Arguments:
        inputs: the recording's loaded outputs.
        options: dead-air threshold and products (defaults: 8 s, none).
        cues: a compiled cue pack (default: the shipped one).
        scanner: the compliance rules to scan the chat with (None: the chat is not
            scanned; the pipeline passes the scanner the recording was scanned with).
        title: shown on the page (default: the media's file name).
    Returns:
        A frozen ``Recap``; ``to_dict()`` is ``recap.json``.
    """
    options = options or RecapOptions()
    cues = cues or load_cues(options.cues_file or None)
    t = inputs.transcript
    duration = float(t.media.decoded_duration or t.media.duration or 0.0)
    if t.segments:
        duration = max(duration, t.segments[-1].end)
    intervals = room.speech_intervals(t)
    speech_cues = cues.speech(Document.from_transcript(t)) if t.segments else []
    chat = list(inputs.chat)
    chat_cues = cues.chat(chat_document(chat)) if chat else []
    chat_found = audience.chat_findings(chat, scanner) if scanner is not None else []
    minutes = room.minutes(t, intervals, inputs.findings, chat, inputs.envelope, duration)
    zh = t.language in ("zh", "")
    chars = sum(room.spoken_units(w.word, zh) for w in t.words)
    return Recap(
        title=title or Path(t.media.path).name,
        media=t.media.to_dict(),
        duration=duration,
        speech_seconds=sum(e - s for s, e in intervals),
        chars=chars,
        minutes=tuple(minutes),
        dead_air=tuple(room.dead_air(intervals, options.dead_air)),
        products=tuple(_products(inputs, options, speech_cues, duration)),
        calls_to_action=tuple(audience.calls_to_action(speech_cues, t.segments, chat, duration)),
        questions=tuple(audience.questions(chat, chat_cues, speech_cues, t.segments, cues)),
        compliance=_compliance(inputs, minutes, chat_found, duration),
        chat_messages=len(chat),
        chatters=len({m.user for m in chat}),
        options={**options.to_dict(), "cues": cues.version},
        labels={**cues.labels, "language": t.language},
    )
