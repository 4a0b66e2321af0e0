"""Turn reviewers' false-positive decisions into an allowlist pack."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from clipguard.compliance_rules.packs import load_pack_file
from clipguard.errors import RulePackError
from clipguard.writers import write_text


def allowlist_from_decisions(
    decisions_path: Path, out: Path
) -> tuple[Path, list[dict[str, object]]]:
    """Each false positive becomes ``{text: <what was said>, rules: [<rule id>]}``: the
    allowed phrase is the spoken words around the match, narrow enough not to hide the
    same term said in a violating way elsewhere."""
    try:
        data = json.loads(Path(decisions_path).read_text(encoding="utf-8"))
        items = data["decisions"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RulePackError(
            f"{decisions_path}: not a decisions export from report.html ({exc})"
        ) from None
    existing: list[dict[str, object]] = []
    if Path(out).exists():
        pack = load_pack_file(Path(out))
        existing = [{"text": a.text, "rules": list(a.rules)} for a in pack.allow]
    added = []
    for d in items:
        if d.get("decision") != "false_positive":
            continue
        entry = {"text": str(d.get("text") or d.get("matched")), "rules": [str(d["rule_id"])]}
        if entry not in existing and entry not in added:
            added.append(entry)
    doc = {
        "pack": Path(out).stem,
        "version": "1",
        "description": "Reviewer-approved phrases that must not be flagged (from report.html decisions)",
        "allow": existing + added,
    }
    write_text(Path(out), yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return Path(out), added
