"""An embedded CJK face for the self-contained report.

A server's headless Chromium or a fresh Windows VM may have no CJK font at all, and
then every Chinese character of the report is a tofu box. The page therefore carries
its own face: Noto Sans CJK **SC** (mainland glyph forms; OFL, from the PyPI package
``noto-cjk-sans-otc``), subset with fontTools to exactly the characters the page
shows and packed as WOFF2 in a ``data:`` URL. A report of dev_zh needs ~70 KB.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
from pathlib import Path

from clipguard.errors import UsageError

FONT_PACKAGE = "noto_cjk_sans_otc"
FONT_FILE = "NotoSansCJK-Regular.ttc"
FAMILY = "clipguard-cjk"
# Characters the page's own chrome uses (labels, legend, digits), always included.
PAGE_TEXT = (
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~·–—…“”‘’，。！？、：；（）《》【】「」"
    "极限用语站外导流医疗功效收益承诺涉军泄密低俗未成年人推广切片文字稿违规项未转写语音需人工听审"
    "时间轴图例已剪切片被丢弃高光覆盖率"
)


def font_path() -> Path:
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the report's CJK font is missing: pip install noto-cjk-sans-otc")
    path = Path(next(iter(spec.submodule_search_locations))) / FONT_FILE
    if not path.is_file():
        raise UsageError(f"the report's CJK font is missing: {path} (reinstall noto-cjk-sans-otc)")
    return path


@functools.lru_cache(maxsize=1)
def _sc_index() -> int:
    """Which face of the collection is Noto Sans CJK SC (not Mono)."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(font_path()), lazy=True)
    for i, face in enumerate(collection.fonts):
        if face["name"].getDebugName(1) == "Noto Sans CJK SC":
            return i
    raise UsageError(f"{font_path()}: no Noto Sans CJK SC face in the collection")


def subset_woff2(text: str) -> bytes:
    """WOFF2 bytes of the SC face holding only the characters of ``text``."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()), fontNumber=_sc_index(), lazy=True)
    options = subset.Options()
    options.flavor = "woff2"  # pyright: ignore[reportAttributeAccessIssue]
    options.layout_features = ["kern", "palt", "locl"]
    options.hinting = False  # screens scale it anyway; hints are a third of the bytes
    options.desubroutinize = True  # compresses better under WOFF2's Brotli
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text + PAGE_TEXT))))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule whose source is the subset, inlined."""
    data = base64.b64encode(subset_woff2(text)).decode("ascii")
    return (
        f'@font-face{{font-family:"{FAMILY}";font-weight:100 900;font-display:block;'
        f'src:url(data:font/woff2;base64,{data}) format("woff2");}}'
    )
