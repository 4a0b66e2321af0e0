"""The cue pack (话术): pitch parts, calls to action, questions and answers as rules.

Cues are a rule pack (``cues.yaml``), loaded and linted like any other, and matched
by the same scanner, so a team edits one format and 上练结 still counts as 上链接.
The rule id's prefix says what a cue is for (``pitch.``, ``cta.``, ``ask.``,
``answer.``); speech cues and chat cues get separate scanners so each text is scanned
only for what can occur in it.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from clipguard.chat import ChatMessage
from clipguard.compliance_rules.document import Document
from clipguard.compliance_rules.packs import RulePack, load_pack_file, parse_pack
from clipguard.compliance_rules.scanner import Scanner
from clipguard.models import Word

PITCH_PARTS = ("selling_point", "price", "gift", "urgency", "interaction", "follow")
SPEECH_PREFIXES = ("pitch.", "cta.", "answer.")
CHAT_PREFIXES = ("ask.",)


@dataclass(frozen=True)
class Cue:
    """A cue heard (speech) or read (chat): its role, its kind, and where."""

    role: str  # pitch | cta | ask | answer
    kind: str  # the category without the role: price, follow, kou1 ...
    start: float
    end: float
    index: int  # the sentence (speech) or message (chat) it lies in
    matched: str
    how: str = "literal"  # how the rule engine matched it (literal, pinyin, regex ...)


class CuePack:
    """A compiled cue pack: labels for the page and one scanner per channel."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.labels = dict(pack.categories)
        self._speech = self._scanner(SPEECH_PREFIXES)
        self._chat = self._scanner(CHAT_PREFIXES)

    def _scanner(self, prefixes: tuple[str, ...]) -> Scanner:
        rules = tuple(r for r in self.pack.rules if r.id.startswith(prefixes))
        scanner = Scanner([dataclasses.replace(self.pack, rules=rules, allow=(), variants=())])
        # a refusal excuses a compliance rule's words (这个真不能说), not a cue: 发票可以开，
        # 不满意可以退 still answers the invoice question
        scanner.refusals = False
        return scanner

    @property
    def version(self) -> str:
        return f"{self.pack.name} {self.pack.version}"

    def speech(self, doc: Document) -> list[Cue]:
        """Pitch parts, calls to action and answers in a transcript document."""
        return _cues(self._speech, doc)

    def chat(self, doc: Document) -> list[Cue]:
        """What the viewers ask, per message."""
        return _cues(self._chat, doc)

    def tokenize(self, text: str) -> list[str]:
        """jieba words, from the chat scanner's own tokenizer (no global dictionary)."""
        return [w for w, _, _ in self._chat.context.tokenizer().tokenize(text)]


def _cues(scanner: Scanner, doc: Document) -> list[Cue]:
    starts = [s for s, _ in doc.segments]  # once: an hour's chat has thousands of lines
    out = []
    for hit in scanner.hits(doc):
        rule = scanner.rules[hit.rule]
        role, _, kind = rule.category.partition("_")
        first, last = doc.word_at(hit.start), doc.word_at(hit.end - 1)
        out.append(
            Cue(
                role,
                kind,
                doc.words[first].start,
                doc.words[last].end,
                max(0, bisect.bisect_right(starts, hit.start) - 1),
                hit.matched,
                hit.kind,
            )
        )
    return sorted(out, key=lambda c: (c.start, c.role, c.kind))


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> CuePack:
    if not path:
        text = resources.files("clipguard.recap").joinpath("cues.yaml").read_text("utf-8")
        return CuePack(parse_pack(text, "builtin:recap_cues"))
    return CuePack(load_pack_file(Path(path)))


def load_cues(path: Path | str | None = None) -> CuePack:
    """The shipped cue pack, or an edited copy (``RulePackError`` names its bad line).
    Compiled once per file and version of it per process."""
    if not path:
        return _load("", 0.0)
    p = Path(path)
    return _load(str(p), p.stat().st_mtime if p.exists() else 0.0)


def chat_document(messages: Sequence[ChatMessage]) -> Document:
    """The chat as one text for the scanner: one sentence per message, each message a
    single timed "word", so a finding or cue is timed by its message."""
    parts: list[str] = []
    word_starts: list[int] = []
    words: list[Word] = []
    segments: list[tuple[int, int]] = []
    pos = 0
    for m in messages:
        text = m.text.replace("\n", " ") or " "
        parts.append(text + "\n")
        word_starts.append(pos)
        words.append(Word(m.t, m.t, text))
        segments.append((pos, pos + len(text)))
        pos += len(text) + 1
    return Document("".join(parts), word_starts, words, segments)


def by_index(cues: Sequence[Cue]) -> dict[int, list[Cue]]:
    out: dict[int, list[Cue]] = defaultdict(list)
    for c in cues:
        out[c.index].append(c)
    return out
