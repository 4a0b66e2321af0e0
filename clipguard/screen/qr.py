"""QR codes on screen, read with zxing-cpp, and what their payload points to.

Why zxing-cpp and not OpenCV: on the generated set of ``tests/test_qr.py`` (every
payload kind at module sizes 2-12 px, rotated, warped, blurred, JPEG at quality 30,
plain and busy backgrounds, small in a corner of a 1080p frame) OpenCV's
``QRCodeDetector`` decoded 73% of the codes from 3 px modules up and its Aruco
variant 82% (neither reads Micro QR); zxing-cpp decoded 99% in one pass and 100%
with the retry below, in under a twentieth of OpenCV's time a frame, and no reader
returned a wrong payload (``benchmarks/screen.py`` measures them side by side).
OpenCV's result also depends on scale and background in ways no user can predict: a
clear 260 px WeChat code on a white 720p frame is missed at scale 1.0, 1.5 and 0.75.

Which symbols: QR and Micro QR. 1-D barcodes are not read: their payloads on a
shopping stream are product numbers (EAN/UPC), which lead nowhere, and reading
Code 128/39/93 too (the 1-D codes that could carry a link) tripled the time a frame
for no code found on the set. ``classify`` decides what a payload points to.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import zxingcpp

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

# symbologies read; zxing-cpp 3 reads rMQR with "QRCode" too, 2.x reads exactly these
FORMATS = "QRCode,MicroQRCode"
# A frame up to this long side is read again at twice its size when nothing was found:
# it lifts 3 px codes from 92% to 100% (the misses were Micro QR) and 2 px codes from
# 42% to 61% on the generated set, for 30-60 ms more on a busy 1080p frame with no
# code, where OCR of the same frame takes seconds. A 4K frame's codes have the pixels.
UPSCALE_MAX_SIDE = 1920


@dataclass(frozen=True)
class QRCode:
    payload: str
    bbox: tuple[int, int, int, int]
    kind: str  # wechat | qq | alipay | phone | url | platform | other


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


@functools.lru_cache(maxsize=1)
def _formats() -> Any:
    # from a string: the one spelling that zxing-cpp 2.x and 3.x both accept
    return zxingcpp.barcode_formats_from_str(FORMATS)


def _decode(grey: np.ndarray, scale: float) -> list[QRCode]:
    """The codes zxing-cpp finds in ``grey``, boxes mapped back by ``1 / scale``."""
    out = []
    for code in zxingcpp.read_barcodes(grey, formats=_formats()):
        if not code.text:
            continue
        p = code.position
        corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
        pts = np.array([(c.x, c.y) for c in corners], dtype=np.float64) / scale
        x0, y0 = np.floor(pts.min(axis=0))
        x1, y1 = np.ceil(pts.max(axis=0))
        bbox = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
        out.append(QRCode(code.text, bbox, classify(code.text)))
    return out


def read_qr(image: np.ndarray) -> list[QRCode]:
    """The QR and Micro QR codes of one RGB (or grey) frame.

    Arguments:
        image: the frame, ``H x W x 3`` RGB or ``H x W`` grey, uint8.

    Returns:
        One ``QRCode`` per code read, its box ``(x, y, w, h)`` in the frame's pixels
        (the symbol's four corners, quiet zone excluded). Only codes whose error
        correction checked out are returned, so a payload is never a guess.
    """
    grey = (
        np.ascontiguousarray(image) if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    )
    codes = _decode(grey, 1.0)
    if not codes and max(grey.shape[:2]) <= UPSCALE_MAX_SIDE:
        big = cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        codes = _decode(big, 2.0)
    return codes
