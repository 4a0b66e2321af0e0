"""Rule pack files: loading, validation with file/line/field messages, discovery.

Validation walks PyYAML's node tree (``yaml.compose``) rather than the loaded dicts,
because only the nodes remember line numbers, and a reviewer editing a pack of 2,000
terms needs "packs/mine.yaml:214: rules[12].severity: ..." rather than "invalid".
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clipguard.compliance_rules.pack_model import (  # noqa: F401 (the pack API)
    PACK_FIELDS,
    RULE_FIELDS,
    Allow,
    Near,
    Rule,
    RulePack,
    Variant,
)
from clipguard.errors import ClipguardError, RulePackError
from clipguard.models import SEVERITIES


class _Ctx:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, where: str, message: str) -> RulePackError:
        line = node.start_mark.line + 1 if node is not None else 1
        return RulePackError(f"{self.path}:{line}: {where}: {message}")


def _mapping(ctx: _Ctx, node: yaml.Node, where: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise ctx.fail(node, where, "must be a mapping")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for k, v in node.value:
        key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
        if key in out:
            raise ctx.fail(k, f"{where}.{key}" if where else key, "duplicate key")
        out[key] = (k, v)
    return out


def _scalar(ctx: _Ctx, node: yaml.Node, where: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.value == "":
        raise ctx.fail(node, where, "must be a non-empty string")
    return str(node.value)


def _bool(ctx: _Ctx, node: yaml.Node, where: str) -> bool:
    value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, bool):
        raise ctx.fail(node, where, "must be true or false")
    return value


def _strings(ctx: _Ctx, node: yaml.Node, where: str) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        return (_scalar(ctx, node, where),)
    if not isinstance(node, yaml.SequenceNode):
        raise ctx.fail(node, where, "must be a list of strings")
    return tuple(_scalar(ctx, item, f"{where}[{i}]") for i, item in enumerate(node.value))


def _near(ctx: _Ctx, node: yaml.Node, where: str) -> tuple[Near, ...]:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out = []
    for i, item in enumerate(items):
        w = f"{where}[{i}]"
        m = _mapping(ctx, item, w)
        unknown = set(m) - {"a", "b", "within", "ordered"}
        if unknown:
            k = sorted(unknown)[0]
            raise ctx.fail(m[k][0], f"{w}.{k}", "unknown field (expected a, b, within, ordered)")
        for req in ("a", "b"):
            if req not in m:
                raise ctx.fail(item, f"{w}.{req}", "is required")
        within = 6
        if "within" in m:
            raw = _scalar(ctx, m["within"][1], f"{w}.within")
            if not raw.isdigit() or not 1 <= int(raw) <= 200:
                raise ctx.fail(
                    m["within"][1], f"{w}.within", "must be a whole number of characters, 1-200"
                )
            within = int(raw)
        ordered = _bool(ctx, m["ordered"][1], f"{w}.ordered") if "ordered" in m else True
        out.append(
            Near(
                _strings(ctx, m["a"][1], f"{w}.a"),
                _strings(ctx, m["b"][1], f"{w}.b"),
                within,
                ordered,
            )
        )
    return tuple(out)


def _rule(ctx: _Ctx, node: yaml.Node, where: str, pack: str) -> Rule:
    m = _mapping(ctx, node, where)
    for key, (knode, _) in m.items():
        if key not in RULE_FIELDS:
            raise ctx.fail(
                knode,
                f"{where}.{key}",
                f"unknown field (expected one of {', '.join(sorted(RULE_FIELDS))})",
            )
    for req in ("id", "category", "severity"):
        if req not in m:
            raise ctx.fail(node, f"{where}.{req}", "is required")
    rid = _scalar(ctx, m["id"][1], f"{where}.id")
    severity = _scalar(ctx, m["severity"][1], f"{where}.severity")
    if severity not in SEVERITIES:
        raise ctx.fail(
            m["severity"][1],
            f"{where}.severity",
            f"must be one of block, review, info (got {severity!r})",
        )
    kw: dict[str, Any] = {}
    for key in (
        "terms",
        "patterns",
        "token_prefix",
        "exceptions",
        "negations",
        "requires",
        "variants",
    ):
        if key in m:
            kw[key] = _strings(ctx, m[key][1], f"{where}.{key}")
    for key in ("patterns", "requires"):
        for i, pat in enumerate(kw.get(key, ())):
            try:
                re.compile(pat)
            except re.error as exc:
                raise ctx.fail(
                    m[key][1].value[i],
                    f"{where}.{key}[{i}]",
                    f"invalid regular expression: {exc}",
                ) from None
    for key in ("near", "follows"):
        if key in m:
            kw[key] = _near(ctx, m[key][1], f"{where}.{key}")
    for key in ("pinyin", "word_boundary"):
        if key in m:
            kw[key] = _bool(ctx, m[key][1], f"{where}.{key}")
    for key in ("description", "source"):
        if key in m:
            kw[key] = _scalar(ctx, m[key][1], f"{where}.{key}")
    if not any(
        kw.get(k) for k in ("terms", "patterns", "near", "follows", "token_prefix", "variants")
    ):
        raise ctx.fail(
            node, where, "a rule needs at least one of terms, patterns, near, follows, token_prefix"
        )
    return Rule(
        id=rid,
        category=_scalar(ctx, m["category"][1], f"{where}.category"),
        severity=severity,
        pack=pack,
        **kw,
    )


def _entries(
    ctx: _Ctx, m: dict[str, tuple[yaml.Node, yaml.Node]], key: str, *, rules_required: bool
) -> list[tuple[str, tuple[str, ...]]]:
    """``allow`` / ``variants``: a list of ``{text, rules}`` (an allow entry may also be
    a bare string, which names no rule and so applies to all)."""
    if key not in m:
        return []
    node = m[key][1]
    if not isinstance(node, yaml.SequenceNode):
        raise ctx.fail(node, key, "must be a list")
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, item in enumerate(node.value):
        where = f"{key}[{i}]"
        if isinstance(item, yaml.ScalarNode) and not rules_required:
            out.append((_scalar(ctx, item, where), ()))
            continue
        em = _mapping(ctx, item, where)
        for req in ("text", "rules") if rules_required else ("text",):
            if req not in em:
                raise ctx.fail(item, f"{where}.{req}", "is required")
        ids = _strings(ctx, em["rules"][1], f"{where}.rules") if "rules" in em else ()
        out.append((_scalar(ctx, em["text"][1], f"{where}.text"), ids))
    return out


def compose_yaml(
    text: str, path: str, error: type[ClipguardError] = RulePackError
) -> yaml.Node | None:
    """The YAML node tree (nodes keep line numbers), or ``error`` naming the line."""
    try:
        return yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise error(f"{path}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def parse_pack(text: str, path: str) -> RulePack:
    ctx = _Ctx(path)
    root = compose_yaml(text, path)
    if root is None:
        raise RulePackError(f"{path}:1: empty rule pack")
    m = _mapping(ctx, root, "")
    for key, (knode, _) in m.items():
        if key not in PACK_FIELDS:
            raise ctx.fail(
                knode, key, f"unknown field (expected one of {', '.join(sorted(PACK_FIELDS))})"
            )
    if "pack" not in m:
        raise ctx.fail(root, "pack", "is required (the pack's name)")
    name = _scalar(ctx, m["pack"][1], "pack")
    version = _scalar(ctx, m["version"][1], "version") if "version" in m else "0"
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    if "rules" in m:
        rnode = m["rules"][1]
        if not isinstance(rnode, yaml.SequenceNode):
            raise ctx.fail(rnode, "rules", "must be a list of rules")
        for i, item in enumerate(rnode.value):
            rule = _rule(ctx, item, f"rules[{i}]", name)
            if rule.id in seen:
                raise ctx.fail(
                    item,
                    f"rules[{i}].id",
                    f"duplicate rule id {rule.id!r} (first at rules[{seen[rule.id]}])",
                )
            seen[rule.id] = i
            rules.append(rule)
    allow = [Allow(t, ids) for t, ids in _entries(ctx, m, "allow", rules_required=False)]
    variants = [Variant(t, ids) for t, ids in _entries(ctx, m, "variants", rules_required=True)]
    if not rules and not allow and not variants:
        raise ctx.fail(root, "rules", "a pack needs rules, an allow list or variants")
    desc = _scalar(ctx, m["description"][1], "description") if "description" in m else ""
    categories: list[tuple[str, str]] = []
    if "categories" in m:
        for key, (_, vnode) in _mapping(ctx, m["categories"][1], "categories").items():
            categories.append((key, _scalar(ctx, vnode, f"categories.{key}")))
    context: list[tuple[str, tuple[str, ...]]] = []
    if "context" in m:
        for key, (_, vnode) in _mapping(ctx, m["context"][1], "context").items():
            context.append((key, _strings(ctx, vnode, f"context.{key}")))
    return RulePack(
        name,
        version,
        tuple(rules),
        desc,
        path,
        tuple(allow),
        tuple(categories),
        tuple(variants),
        tuple(context),
    )


def load_pack_file(path: Path) -> RulePack:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulePackError(f"{path}: no such rule pack file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"{path}: cannot read rule pack: {exc}") from None
    return parse_pack(text, str(path))


def builtin_names() -> list[str]:
    files = resources.files("clipguard.compliance_rules").joinpath("packs")
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml"))


def load_builtin(name: str) -> RulePack:
    res = resources.files("clipguard.compliance_rules").joinpath("packs").joinpath(f"{name}.yaml")
    if not res.is_file():
        raise RulePackError(
            f"no built-in rule pack {name!r} (built-in: {', '.join(builtin_names())})"
        )
    return parse_pack(res.read_text(encoding="utf-8"), f"builtin:{name}")


def resolve_packs(specs: list[str] | None) -> list[RulePack]:
    """``--rules`` values: built-in names choose built-ins (default: all of them);
    file paths are always added on top (custom rules and allowlists)."""
    specs = list(specs or [])
    names = set(builtin_names())
    chosen = [s for s in specs if s in names or s == "all"]
    files = [s for s in specs if s not in names and s != "all"]
    for f in files:
        if not (f.endswith((".yaml", ".yml")) or Path(f).exists()):
            raise RulePackError(
                f"{f}: not a built-in pack ({', '.join(sorted(names))}) nor a rule pack file"
            )
    builtin = (
        sorted(names) if (not chosen or "all" in chosen) else [c for c in dict.fromkeys(chosen)]
    )
    return [load_builtin(n) for n in builtin] + [load_pack_file(Path(f)) for f in files]
