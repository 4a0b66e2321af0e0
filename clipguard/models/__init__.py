"""Data that flows between stages.

Every stage result is a frozen dataclass with ``to_dict``/``from_dict`` so it can be
written to disk and a later stage (or a re-run) can start from the file alone.
Field names follow ``docs/SPEC.md`` (the output contract); extra fields are additive.
"""

from __future__ import annotations

from clipguard.models.base import COVERAGE_REVIEW, SCHEMA_VERSION, SEVERITIES, severity_rank
from clipguard.models.clips import Clip, ClipPlan, Highlight
from clipguard.models.findings import Finding
from clipguard.models.transcript import Coverage, Gap, MediaInfo, Segment, Transcript, Word

__all__ = [
    "COVERAGE_REVIEW",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "Clip",
    "ClipPlan",
    "Coverage",
    "Finding",
    "Gap",
    "Highlight",
    "MediaInfo",
    "Segment",
    "Transcript",
    "Word",
    "severity_rank",
]
