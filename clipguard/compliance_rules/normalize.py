"""Text normalization shared by the transcriber and the rule matchers."""

from __future__ import annotations

import functools

import opencc


@functools.lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to Simplified Chinese; other scripts pass through unchanged."""
    return _t2s().convert(text) if text else text
