"""Human-readable views of rule packs for ``clipguard rules``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clipguard.compliance_rules.packs import RulePack, load_pack_file, resolve_packs


def find_pack(name_or_file: str) -> RulePack:
    """A built-in pack by name, or a pack file."""
    if name_or_file.endswith((".yaml", ".yml")):
        return resolve_packs(["all", name_or_file])[-1]
    return resolve_packs([name_or_file])[-1]


def describe(pack: RulePack, limit: int = 12) -> list[str]:
    lines = [f"{pack.name} {pack.version}: {pack.description}"]
    for r in pack.rules:
        lines.append(f"- {r.id} [{r.severity}] {r.category}: {r.description}")
        if r.source:
            lines.append(f"    source: {r.source}")
        for label, items in (
            ("terms", r.terms),
            ("patterns", r.patterns),
            ("token prefix", r.token_prefix),
            ("only with", r.requires),
        ):
            if items:
                more = " …" if len(items) > limit else ""
                lines.append(f"    {label}: {', '.join(items[:limit])}{more}")
        for n in r.near:
            lines.append(
                f"    near: ({'/'.join(n.a[:6])}) within {n.within} of ({'/'.join(n.b[:6])})"
            )
        for n in r.follows:
            lines.append(
                f"    follows: ({'/'.join(n.b[:6])}) after ({'/'.join(n.a[:6])}),"
                f" within {n.within}, into the next sentence"
            )
    return lines


def lint(files: list[Path]) -> list[dict[str, Any]]:
    """Load and compile each file (every term and pattern); raises on the first error."""
    from clipguard.compliance_rules.scanner import Scanner

    report = []
    for f in files:
        pack = load_pack_file(f)
        Scanner([pack])
        report.append(
            {"file": str(f), "pack": pack.name, "rules": len(pack.rules), "allow": len(pack.allow)}
        )
    return report
