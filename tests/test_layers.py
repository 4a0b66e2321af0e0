"""The package's imports only go down: I/O and text at the bottom, the CLI on top.

Walking the source with ``ast`` (not importing it) catches imports inside functions
too, which is where an upward import usually hides."""

from __future__ import annotations

import ast
from pathlib import Path

import clipguard

PACKAGE = Path(clipguard.__file__).parent

# lower number = lower layer; a module may import its own layer or any lower one
LAYERS = {
    "clipguard": 8,  # __init__: the public face (lazy helpers over the pipeline)
    "clipguard._version": 0,
    "clipguard.options": 0,
    "clipguard.keys": 0,
    "clipguard.models": 0,
    "clipguard.errors": 0,
    "clipguard.faults": 0,
    "clipguard.media": 0,
    "clipguard.writers": 0,
    "clipguard.text": 0,
    "clipguard.progress": 0,
    "clipguard.evaluation": 0,
    "clipguard.chat": 0,
    "clipguard.asr": 1,
    "clipguard.compliance_rules": 2,
    "clipguard.screen": 3,
    "clipguard.clipper": 4,
    "clipguard.report": 5,
    "clipguard.recap": 5,
    "clipguard.pipeline": 6,
    "clipguard.cli": 7,
}


def layer(module: str) -> int:
    parts = module.split(".")
    if module == "clipguard":
        return LAYERS[module]
    for n in range(len(parts), 1, -1):  # a submodule never falls back to the facade
        name = ".".join(parts[:n])
        if name in LAYERS:
            return LAYERS[name]
    raise AssertionError(f"{module}: not assigned to a layer in tests/test_layers.py")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # "from clipguard import writers" imports the submodule writers
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] == "clipguard"]


def test_every_import_goes_down():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = module_name(path)
        mine = layer(me)
        for line, target in imports(path):
            try:
                theirs = layer(target)
            except AssertionError:
                continue  # "from clipguard.x import name" where name is not a module
            if theirs > mine:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {me} imports {target}")
    assert not upward, "imports that go up the stack:\n" + "\n".join(upward)


MAX_LINES = 350
NOT_YET_SPLIT: set[str] = set()  # modules allowed over the limit: none


def test_every_module_has_a_layer_and_stays_small():
    too_long = []
    for path in PACKAGE.rglob("*.py"):
        layer(module_name(path))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        name = path.relative_to(PACKAGE.parent).as_posix()
        if lines > MAX_LINES and name not in NOT_YET_SPLIT:
            too_long.append(f"{name}: {lines} lines")
    assert not too_long, f"modules over {MAX_LINES} lines:\n" + "\n".join(too_long)
