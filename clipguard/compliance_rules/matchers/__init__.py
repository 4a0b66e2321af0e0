"""Matcher plug-ins, one module per kind, registered by the pack field they serve.

A matcher is compiled once from a rule list (``compile(rules, context)``) and then
asked for the hits in each document (``matcher.hits(document)``). Adding a kind means
one new module with a ``@register("field")`` factory, imported below.
"""

from __future__ import annotations

from clipguard.compliance_rules.matchers import (  # noqa: F401
    literal,
    proximity,
    regex,
    sequence,
    token,
)
from clipguard.compliance_rules.matchers.base import REGISTRY, CompileContext, Matcher, register

__all__ = ["REGISTRY", "CompileContext", "Matcher", "register", "compile_all"]


def compile_all(rules: list, context: CompileContext) -> list[Matcher]:
    """Every registered matcher that has something to match in ``rules``."""
    out = []
    for factory in REGISTRY.values():
        matcher = factory(rules, context)
        if matcher is not None:
            out.append(matcher)
    return out
