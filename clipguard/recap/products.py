"""Products (讲品): the product file, where each product is mentioned, and the
stretches where it is being explained.

Mentions are found by the rule engine itself: each product becomes a rule whose terms
are its name, aliases and link, so 坦克模型 written 坦克魔形 or 三号链接 spoken as
3号链接 match through the same normalization and sound matching as the compliance
rules. A product file with a bad line is refused with ``FILE:LINE: problem`` before
anything is written.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from clipguard.compliance_rules.packs import Rule, RulePack, compose_yaml
from clipguard.compliance_rules.scanner import Scanner
from clipguard.errors import UsageError
from clipguard.models import Segment

# a sentence without a mention still belongs to the product last mentioned this recently
TAIL_SECONDS = 30.0
LINK_RE = re.compile(r"([0-9]{1,3})号(..)")
# what follows "N号" when a link is meant, by sound: the ASR writes 链接 as 练结, 连接...
LINK_SOUNDS = {("lian", "jie"), ("bao", "bei"), ("shang", "pin")}


@dataclass(frozen=True)
class Product:
    """One line of the product file."""

    name: str
    aliases: tuple[str, ...] = ()
    price: str = ""
    link: str = ""  # e.g. 3号链接

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for t in (self.name, *self.aliases, self.link) if t))


def _product(row: dict, where: str) -> Product:
    if not isinstance(row, dict):
        raise UsageError(f"{where}: a product needs name (and aliases, price, link)")
    unknown = sorted(set(row) - {"name", "aliases", "price", "link"})
    if unknown:
        raise UsageError(f"{where}: unknown column {unknown[0]!r} (name, aliases, price, link)")
    name = str(row.get("name") or "").strip()
    if not name:
        raise UsageError(f"{where}: product has no name")
    raw = row.get("aliases") or ()
    if isinstance(raw, str):
        raw = raw.split("|")
    if not isinstance(raw, (list, tuple)):
        raise UsageError(f"{where}: aliases must be a list (or |-separated in CSV)")
    aliases = tuple(a for a in (str(x).strip() for x in raw) if a)
    price = "" if row.get("price") is None else str(row["price"]).strip()
    link = str(row.get("link") or "").strip()
    return Product(name, aliases, price, link)


def load_products(path: Path) -> tuple[Product, ...]:
    """Read a product file: a YAML list of ``{name, aliases, price, link}`` or a CSV
    with those columns (aliases ``|``-separated).

    Raises:
        UsageError: missing file, bad YAML/CSV, or a bad entry, naming file and line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such product file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read product file: {exc}") from None
    out: list[Product] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise UsageError(
                f"{path}:1: product CSV needs a header with name, aliases, price, link"
            )
        for row in reader:
            if None in row:
                raise UsageError(f"{path}:{reader.line_num}: more cells than header columns")
            out.append(_product(row, f"{path}:{reader.line_num}"))
    else:
        root = compose_yaml(text, str(path), UsageError)
        if not isinstance(root, yaml.SequenceNode):
            line = root.start_mark.line + 1 if root is not None else 1
            raise UsageError(f"{path}:{line}: a product file is a list of products")
        for node in root.value:
            row = yaml.safe_load(yaml.serialize(node))
            out.append(_product(row, f"{path}:{node.start_mark.line + 1}"))
    if not out:
        raise UsageError(f"{path}: no products")
    seen: Counter[str] = Counter(p.name for p in out)
    dup = [n for n, c in seen.items() if c > 1]
    if dup:
        raise UsageError(f"{path}: product {dup[0]!r} is listed twice")
    return tuple(out)


def product_scanner(products: Sequence[Product]) -> Scanner:
    """The rule engine, compiled for product names: one rule per product."""
    rules = tuple(
        Rule(id=f"product.{i}", category=f"product.{i}", severity="info", terms=p.terms)
        for i, p in enumerate(products)
    )
    return Scanner([RulePack("products", "1", rules)])


@dataclass(frozen=True)
class Mention:
    t: float
    product: str


def link_mentions(texts: Sequence[tuple[float, str]]) -> list[Mention]:
    """Without a product file: "N号链接" said or shown names the product on sale."""
    from clipguard.text import normalize, syllable

    out = []
    for t, text in texts:
        for m in LINK_RE.finditer(normalize(text).compact.text):
            if tuple(syllable(c) for c in m.group(2)) in LINK_SOUNDS:
                out.append(Mention(t, f"{int(m.group(1))}号链接"))
    return out


def segments(
    sentences: Sequence[Segment], mentions: Sequence[Mention], tail: float = TAIL_SECONDS
) -> list[tuple[str, float, float, int]]:
    """(product, start, end, mentions) for each stretch where one product is explained.

    A sentence that names a product starts or continues that product's stretch (most
    mentions win; a tie goes to the last one named: the host moved on). A sentence
    that names none stays with the current product while its last mention is at most
    ``tail`` seconds old; after that the room is between products."""
    ms = sorted(mentions, key=lambda m: m.t)
    out: list[list] = []
    current, last, j = None, -1e9, 0
    for s in sentences:
        named: list[str] = []
        while j < len(ms) and ms[j].t <= s.end:
            if ms[j].t >= s.start - 1.0:  # a shown card a moment before counts
                named.append(ms[j].product)
            j += 1
        if named:
            counts = Counter(named)
            top = max(counts.values())
            current = [p for p in named if counts[p] == top][-1]
            last = s.end
        elif current is not None and s.start - last > tail:
            current = None
        if current is None:
            continue
        if out and out[-1][0] == current and s.start - out[-1][2] <= tail:
            out[-1][2] = s.end
            out[-1][3] += named.count(current)
        else:
            out.append([current, s.start, s.end, named.count(current)])
    return [(p, a, b, n) for p, a, b, n in out]
