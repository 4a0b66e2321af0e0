"""``clipguard rules``: list, show, lint, test, allowlist and variants."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from clipguard.cli.app import emit, guarded, rules_app
from clipguard.cli.options import JsonOut, Quiet


@rules_app.command("list")
@guarded
def rules_list(json_out: JsonOut = False, quiet: Quiet = False) -> None:
    """List the built-in rule packs."""
    from clipguard.compliance_rules.packs import builtin_names, load_builtin

    rows = [
        {"pack": p.name, "version": p.version, "rules": len(p.rules), "description": p.description}
        for p in (load_builtin(n) for n in builtin_names())
    ]
    human = "\n".join(
        f"{r['pack']:20} {r['version']:8} {r['rules']:3} rules  {r['description']}" for r in rows
    )
    emit({"packs": rows}, json_out, quiet, human)


@rules_app.command("show")
@guarded
def rules_show(
    pack: Annotated[str, typer.Argument(help="Built-in pack name or pack file.")],
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Show a pack's rules with their severity, source and terms."""
    from clipguard.compliance_rules.describe import describe, find_pack

    p = find_pack(pack)
    doc = {"pack": p.name, "version": p.version, "rules": [asdict(r) for r in p.rules]}
    emit(doc, json_out, quiet, "\n".join(describe(p)))


@rules_app.command("lint")
@guarded
def rules_lint(
    files: Annotated[list[Path], typer.Argument(help="Rule pack files to validate.")],
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Validate rule pack files; errors name the file, line and field."""
    from clipguard.compliance_rules.describe import lint

    report = lint(files)
    human = "\n".join(
        f"{r['file']}: ok ({r['rules']} rules, {r['allow']} allow entries)" for r in report
    )
    emit({"ok": True, "files": report}, json_out, quiet, human)


@rules_app.command("test")
@guarded
def rules_test(
    file: Annotated[
        str, typer.Argument(help="Rule pack file or built-in pack name ('all' for every built-in).")
    ],
    text: Annotated[str, typer.Option("--text", help="Text to try the rules on.")],
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Show what matches in TEXT and why (which rule, term and match kind)."""
    from clipguard.compliance_rules.packs import resolve_packs
    from clipguard.compliance_rules.scanner import Document, Scanner

    findings = Scanner(resolve_packs([file])).scan(Document.from_text(text))
    lines = [
        f"{len(findings)} match(es) in {len(text)} characters (positions are character offsets)"
    ]
    lines += [
        f"  [{int(f.start)}:{int(f.end)}] {f.severity:6} {f.rule_id:24} said “{f.text}” matched “{f.matched}” via {f.match}"
        for f in findings
    ]
    emit(
        {"findings": [f.to_dict() for f in findings]},
        json_out,
        quiet,
        "\n".join(lines),
    )


DecisionsArg = Annotated[Path, typer.Argument(help="decisions.json exported from report.html.")]


def _emit_added(path: Path, added: list, noun: str, json_out: bool, quiet: bool) -> None:
    emit(
        {"out": str(path), "added": added},
        json_out,
        quiet,
        f"{path}: {len(added)} {noun} added",
    )


@rules_app.command("allowlist")
@guarded
def rules_allowlist(
    decisions: DecisionsArg,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Allowlist pack to write (merged if it exists).")
    ] = Path("allowlist.yaml"),
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Turn the reviewers' false positives into an allowlist pack for --rules."""
    from clipguard.compliance_rules.allowlist import allowlist_from_decisions

    path, added = allowlist_from_decisions(decisions, out)
    _emit_added(path, added, "allow entry" if len(added) == 1 else "allow entries", json_out, quiet)


@rules_app.command("variants")
@guarded
def rules_variants(
    decisions: DecisionsArg,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Variants pack to write (merged if it exists).")
    ] = Path("variants.yaml"),
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Turn confirmed findings heard as other words into rule variants for --rules."""
    from clipguard.compliance_rules.allowlist import variants_from_decisions

    path, added = variants_from_decisions(decisions, out)
    _emit_added(path, added, "variant" if len(added) == 1 else "variants", json_out, quiet)
