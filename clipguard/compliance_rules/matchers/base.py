"""The matcher interface and its registry (PySceneDetect's detectors are the model)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import jieba

from clipguard.compliance_rules.document import Document, Hit
from clipguard.compliance_rules.packs import Rule
from clipguard.text import has_han, private_tokenizer

jieba.setLogLevel(logging.WARNING)


class Matcher(Protocol):
    def hits(self, doc: Document) -> Iterable[Hit]: ...


class CompileContext:
    """What matchers of one scanner share: a private jieba tokenizer (no global
    dictionary state), taught the rule terms, loaded only if some matcher needs it."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._tokenizer: jieba.Tokenizer | None = None

    def tokenizer(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            tok = private_tokenizer()  # the default dictionary loads once per process
            for rule in self.rules:
                if rule.token_prefix or rule.word_boundary:
                    for t in (*rule.terms, *rule.exceptions):
                        if has_han(t) and len(t) <= 6:
                            tok.add_word(t)
            self._tokenizer = tok
        return self._tokenizer

    def tokens(self, doc: Document, pos: int) -> list[tuple[str, int, int]]:
        """jieba tokens of the sentence holding ``pos`` (cached per document)."""
        s, e = doc.segment_of(pos)
        cache = doc.token_cache
        if s not in cache:
            cache[s] = [(w, s + a, s + b) for w, a, b in self.tokenizer().tokenize(doc.text[s:e])]
        return cache[s]

    def boundaries(self, doc: Document, pos: int) -> tuple[frozenset[int], frozenset[int]]:
        """Where the tokens of the sentence holding ``pos`` start and end, built once per
        sentence (every whole-word hit in it asks)."""
        s, _ = doc.segment_of(pos)
        if s not in doc.boundary_cache:
            tokens = self.tokens(doc, pos)
            doc.boundary_cache[s] = (
                frozenset(a for _, a, _ in tokens),
                frozenset(b for _, _, b in tokens),
            )
        return doc.boundary_cache[s]


Factory = Callable[[Sequence[Rule], CompileContext], "Matcher | None"]
REGISTRY: dict[str, Factory] = {}


def register(field: str) -> Callable[[Factory], Factory]:
    """Register a matcher factory for a rule-pack field (``terms``, ``near`` ...)."""

    def deco(factory: Factory) -> Factory:
        REGISTRY[field] = factory
        return factory

    return deco
