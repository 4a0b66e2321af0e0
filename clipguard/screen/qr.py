"""QR codes on screen, decoded with OpenCV, and what their payload points to."""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

# payloads that lead off the platform: messengers, payment, phone numbers, other sites
_KINDS = (
    ("wechat", re.compile(r"(weixin\.qq\.com|u\.wechat\.com|wxp://|wechat\.com)", re.I)),
    ("qq", re.compile(r"(qm\.qq\.com|im\.qq\.com|mqqapi://|qq\.com/)", re.I)),
    ("alipay", re.compile(r"(qr\.alipay\.com|alipays?://|alipay\.com)", re.I)),
    ("phone", re.compile(r"^(tel:)?\+?(86)?1[3-9]\d{9}$")),
)
PLATFORM_HOSTS = (
    "douyin.com",
    "iesdouyin.com",
    "kuaishou.com",
    "taobao.com",
    "tmall.com",
    "jd.com",
)
URL = re.compile(r"^[a-z][a-z0-9+.-]*://([^/?#]+)", re.I)


@dataclass(frozen=True)
class QRCode:
    payload: str
    bbox: tuple[int, int, int, int]
    kind: str  # wechat | qq | alipay | phone | url | other


def classify(payload: str) -> str:
    text = payload.strip()
    for kind, rx in _KINDS:
        if rx.search(text.replace(" ", "").replace("-", "")):
            return kind
    m = URL.match(text)
    if m:
        host = m.group(1).lower().split(":")[0]
        return (
            "platform"
            if any(host == h or host.endswith("." + h) for h in PLATFORM_HOSTS)
            else "url"
        )
    return "other"


def off_platform(kind: str) -> bool:
    return kind in ("wechat", "qq", "alipay", "phone", "url")


def read_qr(image: np.ndarray) -> list[QRCode]:
    detector = cv2.QRCodeDetector()
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    try:
        ok, payloads, points, _ = detector.detectAndDecodeMulti(grey)
    except cv2.error:
        return []
    if not ok or points is None:
        return []
    out = []
    for payload, pts in zip(payloads, points):
        if not payload:
            continue
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        out.append(
            QRCode(payload, (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), classify(payload))
        )
    return out
