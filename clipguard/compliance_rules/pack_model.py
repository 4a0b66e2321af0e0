"""What a rule pack holds, as data: the fields a pack file may use, and the frozen
rules, allow entries and variants the loader (``packs.py``) builds from it. Kept apart
from the loader so the scanner and matchers depend on the data, not on YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RULE_FIELDS = {
    "id",
    "category",
    "severity",
    "description",
    "source",
    "terms",
    "patterns",
    "near",
    "follows",
    "token_prefix",
    "exceptions",
    "negations",
    "requires",
    "variants",
    "pinyin",
    "word_boundary",
}
PACK_FIELDS = {
    "pack",
    "version",
    "description",
    "language",
    "source",
    "rules",
    "allow",
    "variants",
    "categories",
    "context",
}


@dataclass(frozen=True)
class Near:
    """Two term lists whose occurrences within ``within`` characters form one match."""

    a: tuple[str, ...]
    b: tuple[str, ...]
    within: int = 6
    ordered: bool = True  # a must come before b (加 … 微信), not after


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    description: str = ""
    source: str = ""
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    near: tuple[Near, ...] = ()
    # a construction that may run into the next sentence: 在部队待过。这事我清楚 (b after a,
    # at most one sentence end between them, ``within`` characters apart)
    follows: tuple[Near, ...] = ()
    token_prefix: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    # cues that turn a hit into its denial when they come just before it in its clause
    # (不治病, 千万不要打赏, 不是部队配发) or when the hit is only named (抗癌这种话…)
    negations: tuple[str, ...] = ()
    # regular expressions, one of which must occur in the hit's sentence for it to count:
    # a broad word becomes a finding only in its construction (微信 with 加/联系/搜 or a
    # handle, not 微信支付; 未成年 with 直播/打赏, not a notice to buyers)
    requires: tuple[str, ...] = ()
    # how the ASR has written a term (萌酱血压 for 能降血压), confirmed by a reviewer:
    # matched literally, never by sound
    variants: tuple[str, ...] = ()
    # None: match by sound for terms of 3+ syllables only (2-syllable homophones are
    # everywhere: 最优/最有, 我操/我操作); True: from 2 syllables (微信/薇信, 驻地/住地)
    pinyin: bool | None = None
    word_boundary: bool = False
    pack: str = ""


@dataclass(frozen=True)
class Allow:
    text: str
    rules: tuple[str, ...] = ()  # empty: every rule


@dataclass(frozen=True)
class Variant:
    """A confirmed mishearing of the named rules' terms (a pack-level ``variants`` entry,
    so a reviewers' pack can extend rules defined in the built-in ones)."""

    text: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class RulePack:
    name: str
    version: str
    rules: tuple[Rule, ...]
    description: str = ""
    path: str = ""
    allow: tuple[Allow, ...] = field(default_factory=tuple)
    categories: tuple[tuple[str, str], ...] = ()  # (category id, label shown to reviewers)
    variants: tuple[Variant, ...] = ()
    # per category, the words a sentence (or its neighbour) must carry before a
    # sound-alike of that category's terms may become a finding (病/药/吃 for 根治):
    # a clean 跟这个版本相比 sounds like 根治 but says nothing about health
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def header(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pack": self.name, "version": self.version}
        if self.categories:
            out["categories"] = dict(self.categories)
        return out
