"""The output contract's version and the severity scale."""

from __future__ import annotations

SCHEMA_VERSION = 1

SEVERITIES = ("info", "review", "block")
# Below this share of detected speech with words, a recording is flagged for review:
# a quiet report must not hide speech that was never heard.
COVERAGE_REVIEW = 0.98


def severity_rank(severity: str) -> int:
    """Order severities so thresholds (``--fail-on``, ``--gate``) compare numerically."""
    return SEVERITIES.index(severity)
