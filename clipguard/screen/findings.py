"""What was shown, through the same rules as what was said.

Each track's text is one document for the scanner (so 薇信 abc888 on a sticker is
an off-platform contact exactly as it would be in speech); a QR code whose payload
leads off the platform is an ``off_platform`` finding of its own. A finding spans
the track's whole time on screen and carries its box.
"""

from __future__ import annotations

from dataclasses import replace

from clipguard.compliance_rules.scanner import Document, Scanner
from clipguard.models import Finding
from clipguard.screen.qr import off_platform
from clipguard.screen.read import ScreenReading, Track

QR_RULE = "screen.qr_off_platform"
QR_DESCRIPTION = "二维码指向站外（微信/QQ/支付宝/电话/外部链接），平台严禁站外导流"


def _qr_finding(track: Track) -> Finding | None:
    kind = track.kind.split(":", 1)[1]
    if not off_platform(kind):
        return None
    return Finding(
        rule_id=QR_RULE,
        category="off_platform",
        severity="block",
        start=track.start,
        end=track.end,
        text=track.text,
        matched=f"QR code ({kind})",
        context=f"QR payload: {track.text}",
        match="qr",
        pack="screen",
        description=QR_DESCRIPTION,
        channel="screen",
        bbox=track.bbox,
        extra={"payload": track.text, "payload_kind": kind},
    )


def screen_findings(reading: ScreenReading, scanner: Scanner) -> list[tuple[Finding, Track]]:
    out: list[tuple[Finding, Track]] = []
    for track in reading.tracks:
        if track.kind.startswith("qr:"):
            f = _qr_finding(track)
            if f:
                out.append((f, track))
            continue
        for f in scanner.scan(Document.from_text(track.text)):
            out.append(
                (
                    replace(
                        f,
                        start=track.start,
                        end=track.end,
                        text=track.text,
                        context=track.text,
                        channel="screen",
                        bbox=track.bbox,
                        extra={"ocr_score": round(track.score, 4)},
                    ),
                    track,
                )
            )
    return out
