"""One finding per violation, however many matchers saw it."""

from __future__ import annotations

import bisect
from collections import defaultdict

from clipguard.models import Finding, severity_rank

# the most direct match kind wins when two matches of one rule overlap
KIND_RANK = {
    "literal": 0,
    "latin": 0,
    "regex": 1,
    "near": 1,
    "follows": 1,
    "token": 2,
    "pinyin": 3,
    "pinyin_fuzzy": 4,
}


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per violation: within a category, drop a finding whose time span is
    covered by another of at least the same severity (加我微信 near-match vs 微信 mention),
    and overlapping matches of one rule, keeping the most direct match kind.

    Candidates are visited best first; kept spans live in a per-category list sorted by
    start, so each check looks only at neighbours (linear-ish, not quadratic)."""
    order = sorted(
        findings,
        key=lambda f: (
            -severity_rank(f.severity),
            KIND_RANK.get(f.match, 9),
            -(f.end - f.start),
            f.start,
        ),
    )
    starts: dict[str, list[float]] = defaultdict(list)
    spans: dict[str, list[Finding]] = defaultdict(list)
    longest: dict[str, float] = defaultdict(float)
    kept: list[Finding] = []
    for f in order:
        cat_starts, cat_spans = starts[f.category], spans[f.category]
        lo = bisect.bisect_left(cat_starts, f.start - longest[f.category] - 1e-6)
        hi = bisect.bisect_right(cat_starts, f.end + 1e-6)
        rank = severity_rank(f.severity)
        if any(
            severity_rank(k.severity) >= rank
            and (
                (k.start <= f.start + 1e-6 and f.end <= k.end + 1e-6)
                or (k.rule_id == f.rule_id and min(k.end, f.end) > max(k.start, f.start))
            )
            for k in cat_spans[lo:hi]
        ):
            continue
        pos = bisect.bisect_left(cat_starts, f.start)
        cat_starts.insert(pos, f.start)
        cat_spans.insert(pos, f)
        longest[f.category] = max(longest[f.category], f.end - f.start)
        kept.append(f)
    return sorted(kept, key=lambda f: (f.start, f.end, f.rule_id))
