"""Close the reviewer loop: exported report decisions become packs.

A false positive becomes an allow entry (``allowlist_from_decisions``); a confirmed
finding that was heard as other words (萌酱血压 for 能降血压, found by sound) becomes a
variant of its rule (``variants_from_decisions``), matched literally from then on, so
the next recording with the same mishearing needs no acoustic check to be caught.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from clipguard.compliance_rules.packs import load_pack_file
from clipguard.errors import RulePackError
from clipguard.writers import write_text

# match kinds whose heard words differ from the rule's: worth remembering literally
BY_SOUND = frozenset({"acoustic", "pinyin", "pinyin_fuzzy"})


def _decisions(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        items = data["decisions"]
        if not isinstance(items, list):
            raise TypeError("decisions is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RulePackError(f"{path}: not a decisions export from report.html ({exc})") from None
    return [d for d in items if isinstance(d, dict) and d.get("rule_id")]


def _merge(out: Path, section: str, added: list[dict[str, object]], description: str) -> None:
    """Add ``added`` to the ``section`` of pack ``out``, keeping everything already in
    it (its other sections and rules too); ``added`` is left holding what was new."""
    doc: dict[str, Any] = {"pack": Path(out).stem, "version": "1", "description": description}
    existing: list[dict[str, object]] = []
    if Path(out).exists():
        pack = load_pack_file(Path(out))  # validates, with file:line errors
        doc = yaml.safe_load(Path(out).read_text(encoding="utf-8"))
        existing = [{"text": a.text, "rules": list(a.rules)} for a in getattr(pack, section)]
    added[:] = [e for e in added if e not in existing]
    doc[section] = existing + added
    write_text(Path(out), yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def allowlist_from_decisions(
    decisions_path: Path, out: Path
) -> tuple[Path, list[dict[str, object]]]:
    """Each false positive becomes ``{text: <what was said>, rules: [<rule id>]}``: the
    allowed phrase is the spoken words around the match, narrow enough not to hide the
    same term said in a violating way elsewhere."""
    added: list[dict[str, object]] = []
    for d in _decisions(decisions_path):
        if d.get("decision") != "false_positive":
            continue
        entry = {"text": str(d.get("text") or d.get("matched")), "rules": [str(d["rule_id"])]}
        if entry not in added:
            added.append(entry)
    _merge(
        out,
        "allow",
        added,
        "Reviewer-approved phrases that must not be flagged (from report.html decisions)",
    )
    return Path(out), added


def variants_from_decisions(
    decisions_path: Path, out: Path
) -> tuple[Path, list[dict[str, object]]]:
    """Each confirmed finding matched by sound becomes ``{text: <what the ASR wrote>,
    rules: [<rule id>]}``."""
    added: list[dict[str, object]] = []
    for d in _decisions(decisions_path):
        if d.get("decision") != "confirmed" or d.get("match") not in BY_SOUND:
            continue
        heard = str((d.get("extra") or {}).get("heard") or d.get("text") or "").strip()
        if len(heard) < 2 or heard == d.get("matched"):
            continue
        entry = {"text": heard, "rules": [str(d["rule_id"])]}
        if entry not in added:
            added.append(entry)
    _merge(
        out,
        "variants",
        added,
        "Reviewer-confirmed mishearings of rule terms (from report.html decisions)",
    )
    return Path(out), added
