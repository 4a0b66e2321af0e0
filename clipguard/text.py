"""Text normalization shared by the transcriber and the rule matchers.

Matching happens on normalized *views* of the text, each with a map back to the
original character offsets, so a match in any view can be timed from word timings:

- ``spaced``: NFKC (full width to half width), lower case, Simplified Chinese, Chinese
  digits to Arabic, every symbol/punctuation/emoji run collapsed to one space. Latin
  words keep their boundaries; used for English terms and regexes. ``%`` and ``+``
  are kept: "100%" and "收益12%" are claims in themselves, "+v" means 加v.
- ``compact``: ``spaced`` without the spaces, so inserted noise (加 V 信, v❤信, 微.信)
  disappears; used for Chinese terms.
- ``pinyin``: ``compact`` with every Han character replaced by its toneless pinyin;
  homophone ASR errors (包治百病 / 包致摆病) and deliberate evasions (薇信, weixin) meet
  the rule term there.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass

import jieba
import numpy as np
import opencc
from pypinyin import Style, lazy_pinyin

# Spoken digits, as people read phone numbers and countdowns (幺 is "one" on the phone).
# 两/十/百 are left alone: they are counts, not digits, in the phrases rules look for.
# the financial numerals (壹, 贰 …) too: 第壹品牌 is 第一品牌 written to slip past a word list
CN_DIGITS = str.maketrans("零〇一二三四五六七八九幺壹贰叁肆伍陆柒捌玖", "001234567891123456789")
# Written Cantonese function words, one character each, mapped to the Mandarin word the
# rules and denial cues are written in (唔会 = 不会, 冇 = 没, 佢哋 = 他们, 喺 = 在), so a
# Guangdong host's chat or captions meet the same constructions and the same denials.
# Only characters that Mandarin text does not use are mapped (系, 呢, 咪 stay: 系统,
# 好呢, 麦克风的咪); one character to one keeps every offset map intact.
CANTONESE = str.maketrans(
    "唔冇嘅佢哋喺咗睇搵揾啲嚟畀俾咩乜嗰攞冚瞓", "不没的他们在了看找找些来给给啥啥那拿全睡"
)
# 系 is "is" only after these (唔系 = 不是); alone it is Mandarin's 系 (系统, 关系)
CANTONESE_IS = (("不系", "不是"), ("就系", "就是"), ("都系", "都是"), ("真系", "真是"))
# Taiwan wording that OpenCC's character table leaves as it is, word for word of the same
# length (OpenCC's phrase tables change lengths, and offsets must hold): 私讯 = 私信, 影片
# = 视频, 国中生 = 初中生. 国中/国小 alone are not mapped (中国中部, 中国小吃).
TAIWAN = (
    ("私讯", "私信"),
    ("影片", "视频"),
    ("国中生", "初中生"),
    ("国小生", "小学生"),
    ("读国中", "读初中"),
    ("读国小", "读小学"),
    ("上国中", "上初中"),
    ("上国小", "上小学"),
    ("国中的妹", "初中的妹"),
    ("国中的弟", "初中的弟"),
)


def mandarin(simp: str) -> str:
    """Simplified text with its Cantonese function words and Taiwan wording in Mandarin,
    one character for one (``CANTONESE``, ``TAIWAN``); rule patterns and cues go through
    it like the text."""
    out = simp.translate(CANTONESE)
    for a, b in (*CANTONESE_IS, *TAIWAN):
        out = out.replace(a, b)
    return out


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese; other scripts pass through unchanged."""
    return _t2s().convert(text) if text else text


def plain(text: str) -> str:
    """``text`` in Simplified Mandarin characters, one for one (same length, same
    offsets): what denial and refusal cues, written in Mandarin, are looked for in."""
    simp = to_simplified(text)
    if len(simp) != len(text):  # phrase conversion changed length: fall back per character
        simp = "".join(to_simplified(c) or c for c in text)
    return mandarin(simp)


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@functools.lru_cache(maxsize=65536)
def _norm_char(ch: str) -> str:
    """Normalize one (already Simplified) character to zero or more kept characters."""
    out = []
    for c in unicodedata.normalize("NFKC", ch).lower().translate(CN_DIGITS):
        if c.isalpha() and not c.isascii():
            # pinyin written with its tone marks (dì一名 for 第一名) and accented Latin
            # meet the rules' plain letters: the base letter of a decomposable one
            base = unicodedata.normalize("NFD", c)[0]
            c = base if base.isascii() else c
        if c.isalnum() or is_han(c) or c in "%+":
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def syllable(ch: str) -> str:
    """Toneless pinyin of one character (its most common reading); non-Han unchanged.

    Per-character lookup instead of phrase-aware conversion: 10x faster on long
    transcripts, at the cost of heteronyms read in their rarer reading (了 as liao).
    """
    if not is_han(ch):
        return ch
    readings = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    return readings[0] if readings else ch


_FUZZY = (("zh", "z"), ("ch", "c"), ("sh", "s"))


@functools.lru_cache(maxsize=8192)
def fuzzy(syl: str) -> str:
    """Merge sounds that regional accents and the ASR confuse (zh/z, ch/c, sh/s, -ng/-n)."""
    for a, b in _FUZZY:
        if syl.startswith(a):
            syl = b + syl[len(a) :]
            break
    if syl.endswith("ng") and len(syl) > 2:
        syl = syl[:-1]
    return syl


class _CharTable(dict):
    """``str.translate`` table filled on first sight of each character: one C-level pass
    over megabytes of text instead of a Python loop per character."""

    def __missing__(self, code: int) -> str:
        n = _norm_char(chr(code))
        value = n if n else " "
        self[code] = value
        return value


_TABLE = _CharTable()


@dataclass
class View:
    """A normalized string plus, for each of its characters, the original offset."""

    text: str
    origin: np.ndarray


@dataclass
class PinyinView:
    """Pinyin string; ``offsets[i]`` is where compact character ``i``'s syllable starts."""

    text: str
    offsets: np.ndarray  # len(compact) + 1, increasing
    starts: bytearray

    def aligned(self, start: int, end: int) -> bool:
        """True when [start, end) covers whole syllables only."""
        return bool(self.starts[start]) and bool(self.starts[end])

    def unit(self, pos: int) -> int:
        """Compact index of the syllable that holds pinyin position ``pos``."""
        return int(np.searchsorted(self.offsets, pos, side="right")) - 1


@dataclass
class Normalized:
    spaced: View
    compact: View
    spaced_to_compact: np.ndarray  # compact index of each spaced character
    plain: str = ""  # the original in Simplified Mandarin characters, offset for offset
    _pinyin: dict[bool, PinyinView] | None = None

    def pinyin(self, fuzzy_sounds: bool = False) -> PinyinView:
        if self._pinyin is None:
            self._pinyin = {}
        if fuzzy_sounds not in self._pinyin:
            self._pinyin[fuzzy_sounds] = build_pinyin(self.compact.text, fuzzy_sounds)
        return self._pinyin[fuzzy_sounds]


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _text(codes: np.ndarray) -> str:
    return codes.astype(np.uint32).tobytes().decode("utf-32-le")


def normalize(text: str) -> Normalized:
    simp = plain(text)
    mapped = simp.translate(_TABLE)
    if len(mapped) == len(simp):
        codes = _codes(mapped)
        origin = np.arange(len(simp), dtype=np.int64)
    else:  # a character expanded under NFKC (㎏ -> kg): build the origin map piecewise
        pieces = [_TABLE[ord(c)] for c in simp]
        origin = np.repeat(np.arange(len(simp), dtype=np.int64), [len(p) for p in pieces])
        codes = _codes("".join(pieces))
    space = codes == 32
    prev_space = np.concatenate(([True], space[:-1]))
    keep_spaced = ~space | ~prev_space  # collapse runs of spaces; drop leading ones
    sp_codes, sp_origin = codes[keep_spaced], origin[keep_spaced]
    sp_space = sp_codes == 32
    spaced = View(_text(sp_codes), sp_origin)
    compact = View(_text(sp_codes[~sp_space]), sp_origin[~sp_space])
    s2c = np.cumsum(~sp_space) - (~sp_space)
    return Normalized(spaced, compact, s2c, simp)


def build_pinyin(compact: str, fuzzy_sounds: bool) -> PinyinView:
    codes = _codes(compact)
    uniq, inverse = np.unique(codes, return_inverse=True)
    syls = []
    for code in uniq.tolist():
        ch = chr(code)
        syl = syllable(ch)
        syls.append(fuzzy(syl) if fuzzy_sounds and is_han(ch) else syl)
    lengths = (
        np.array([len(x) for x in syls], dtype=np.int64)[inverse] if syls else np.zeros(0, np.int64)
    )
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    text = "".join([syls[i] for i in inverse.tolist()]) if syls else ""
    starts = bytearray(len(text) + 1)
    for o in offsets.tolist():
        starts[o] = 1
    return PinyinView(text, offsets, starts)


def term_forms(term: str) -> tuple[str, str]:
    """(compact form, spaced form) of a rule term, normalized like the text.

    Terms are short and there may be 10,000s of them: a plain loop beats numpy here."""
    mapped = mandarin(to_simplified(term)).translate(_TABLE)
    spaced = " ".join(mapped.split())
    return spaced.replace(" ", ""), spaced


def term_pinyin(compact_term: str, fuzzy_sounds: bool) -> str:
    out = []
    for ch in compact_term:
        syl = syllable(ch)
        out.append(fuzzy(syl) if fuzzy_sounds and is_han(ch) else syl)
    return "".join(out)


def has_han(text: str) -> bool:
    return any(is_han(c) for c in text)


@functools.lru_cache(maxsize=1)
def _default_dictionary() -> tuple[dict[str, int], int]:
    jieba.setLogLevel(logging.WARNING)  # library code does not print (batch/JSON stay quiet)
    base = jieba.Tokenizer()
    base.initialize()  # ~0.8 s and ~70 MB, once per process
    return base.FREQ, base.total


def private_tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer with a word table of its own over the default dictionary.

    Why: each rule pack, the caption glossary and the cue pack teach their tokenizer
    their own words, so none may share jieba's global one (STYLE); but a freshly
    initialized ``jieba.Tokenizer`` holds its own copy of the default dictionary, ~70 MB
    each, and a run builds four or five. A shallow copy of one loaded table costs ~20 MB
    (the words themselves are shared) and gives the same isolation: ``add_word`` only
    writes into this tokenizer's table.
    """
    freq, total = _default_dictionary()
    tok = jieba.Tokenizer()
    tok.FREQ = dict(freq)
    tok.total = total
    tok.initialized = True
    return tok
