"""``clipguard rules``: list, show, lint, test, allowlist and variants."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from clipguard.cli.app import emit, guarded, rules_app
from clipguard.cli.options import _p, options

OUTPUT = [
    _p("json_out", Annotated[bool, typer.Option("--json", help="Machine-readable output.")], False),
    _p("quiet", Annotated[bool, typer.Option("--quiet", "-q", help="No output.")], False),
]


@rules_app.command("list")
@guarded
@options(OUTPUT)
def rules_list(**opts: Any) -> None:
    """List the built-in rule packs."""
    from clipguard.compliance_rules.packs import builtin_names, load_builtin

    rows = [
        {"pack": p.name, "version": p.version, "rules": len(p.rules), "description": p.description}
        for p in (load_builtin(n) for n in builtin_names())
    ]
    human = "\n".join(
        f"{r['pack']:20} {r['version']:8} {r['rules']:3} rules  {r['description']}" for r in rows
    )
    emit({"packs": rows}, opts["json_out"], opts["quiet"], human)


@rules_app.command("show")
@guarded
@options(OUTPUT)
def rules_show(
    pack: Annotated[str, typer.Argument(help="Built-in pack name or pack file.")], **opts: Any
) -> None:
    """Show a pack's rules with their severity, source and terms."""
    from clipguard.compliance_rules.describe import describe, find_pack

    p = find_pack(pack)
    doc = {"pack": p.name, "version": p.version, "rules": [asdict(r) for r in p.rules]}
    emit(doc, opts["json_out"], opts["quiet"], "\n".join(describe(p)))


@rules_app.command("lint")
@guarded
@options(OUTPUT)
def rules_lint(
    files: Annotated[list[Path], typer.Argument(help="Rule pack files to validate.")], **opts: Any
) -> None:
    """Validate rule pack files; errors name the file, line and field."""
    from clipguard.compliance_rules.describe import lint

    report = lint(files)
    human = "\n".join(
        f"{r['file']}: ok ({r['rules']} rules, {r['allow']} allow entries)" for r in report
    )
    emit({"ok": True, "files": report}, opts["json_out"], opts["quiet"], human)


@rules_app.command("test")
@guarded
@options(OUTPUT)
def rules_test(
    file: Annotated[
        str, typer.Argument(help="Rule pack file or built-in pack name ('all' for every built-in).")
    ],
    text: Annotated[str, typer.Option("--text", help="Text to try the rules on.")],
    **opts: Any,
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
        opts["json_out"],
        opts["quiet"],
        "\n".join(lines),
    )


DecisionsArg = Annotated[Path, typer.Argument(help="decisions.json exported from report.html.")]


def _emit_added(path: Path, added: list, noun: str, opts: dict[str, Any]) -> None:
    emit(
        {"out": str(path), "added": added},
        opts["json_out"],
        opts["quiet"],
        f"{path}: {len(added)} {noun} added",
    )


@rules_app.command("allowlist")
@guarded
@options(OUTPUT)
def rules_allowlist(
    decisions: DecisionsArg,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Allowlist pack to write (merged if it exists).")
    ] = Path("allowlist.yaml"),
    **opts: Any,
) -> None:
    """Turn the reviewers' false positives into an allowlist pack for --rules."""
    from clipguard.compliance_rules.allowlist import allowlist_from_decisions

    path, added = allowlist_from_decisions(decisions, out)
    _emit_added(path, added, "allow entry" if len(added) == 1 else "allow entries", opts)


@rules_app.command("variants")
@guarded
@options(OUTPUT)
def rules_variants(
    decisions: DecisionsArg,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Variants pack to write (merged if it exists).")
    ] = Path("variants.yaml"),
    **opts: Any,
) -> None:
    """Turn confirmed findings heard as other words into rule variants for --rules."""
    from clipguard.compliance_rules.allowlist import variants_from_decisions

    path, added = variants_from_decisions(decisions, out)
    _emit_added(path, added, "variant" if len(added) == 1 else "variants", opts)
