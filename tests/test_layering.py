"""The package's layering, and its function length, checked on the source itself.

Each package (or top-level module) of playclips imports only itself and those before it in
LAYERS; the README's "How data flows" section states the same order, and a test below holds
the two together. Imports are read with `ast` from every module, also those made inside a
function (the lazy imports that keep cloud clients out of local runs).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "job" / "src" / "playclips"
README = REPO / "README.md"

# Lowest first: a layer may import itself and any layer before it, never one after it.
LAYERS = (
    "layout",
    "model",
    "config",
    "plan",
    "storage",
    "plays",
    "media",
    "outputs",
    "clipping",
    "sync",
    "demo",
    "run",
    "cli",
)
MAX_FUNCTION_LINES = 60


def layer_of(path: Path) -> str | None:
    """The layer a module belongs to: its top-level package or module (None: the root)."""
    first = path.relative_to(PACKAGE).parts[0]
    return None if first == "__init__.py" else first.removesuffix(".py")


def imported_layers(source: str, package: list[str]) -> Iterator[tuple[int, str]]:
    """(line, layer) of every playclips layer `source` imports; `package` holds the module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "playclips" and len(parts) > 1:
                    yield node.lineno, parts[1]
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - node.level + 1]
            target = base + (node.module.split(".") if node.module else [])
        else:
            target = (node.module or "").split(".")
        if target[0] != "playclips":
            continue
        if len(target) > 1:
            yield node.lineno, target[1]
        else:  # `from playclips import x`: x is the layer (or the root's __version__)
            for alias in node.names:
                if alias.name in LAYERS:
                    yield node.lineno, alias.name


def violations(path: Path, source: str) -> list[str]:
    """Every import in the module at `path` of a layer after its own, or of an unknown one."""
    own = layer_of(path)
    if own is None:
        return []
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    found = []
    for line, layer in imported_layers(source, list(relative.parts[:-1])):
        if layer not in LAYERS:
            found.append(f"{path.name}:{line}: imports {layer}, which LAYERS does not place")
        elif LAYERS.index(layer) > LAYERS.index(own):
            found.append(f"{relative}:{line}: {own} imports {layer}, a layer after it")
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_layer_is_placed() -> None:
    tops = {layer_of(p) for p in modules()} - {None}
    assert tops == set(LAYERS), f"place these in LAYERS (or drop them): {tops ^ set(LAYERS)}"


def test_each_layer_imports_only_those_before_it() -> None:
    found = [v for p in modules() for v in violations(p, p.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


def test_the_check_catches_an_upward_import() -> None:
    """A storage module that imports the CLI, even lazily inside a function, is caught."""
    path = PACKAGE / "storage" / "local.py"
    lazy = "def f():\n    from ..cli import main\n"
    assert violations(path, lazy) == [
        "playclips/storage/local:2: storage imports cli, a layer after it"
    ]
    assert violations(path, "import playclips.run.runner\n")
    assert violations(path, "from playclips import clipping\n")
    assert violations(path, "from .base import NotFound\nfrom ..model import Play\n") == []
    init = PACKAGE / "outputs" / "__init__.py"
    assert violations(init, "from .report import GameReport\n") == []
    assert violations(init, "from ..clipping import game\n")


def test_the_readme_states_the_same_order() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"tests/test_layering\.py[^\n]*\n((?:.+\n)+)", text)
    assert match, "README: the layer order is stated next to a mention of tests/test_layering.py"
    stated = tuple(re.findall(r"`([a-z_]+)`", match.group(1)))
    assert stated == LAYERS, f"README says {stated}"


def long_functions(source: str, name: str) -> list[str]:
    """Every function or method in `source` over MAX_FUNCTION_LINES lines (the def to its end)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno}: {node.name} has {length} lines")
    return found


def test_no_function_is_over_60_lines() -> None:
    found = [
        v
        for p in modules()
        for v in long_functions(p.read_text(encoding="utf-8"), str(p.relative_to(PACKAGE)))
    ]
    assert not found, "\n".join(found)


def test_the_length_check_counts_a_long_method() -> None:
    body = "".join(f"        x{i} = {i}\n" for i in range(60))
    source = f"class A:\n    def m(self):\n{body}"
    assert long_functions(source, "a.py") == ["a.py:2: m has 61 lines"]
    assert long_functions(source.replace("x59 = 59\n", ""), "a.py") == []
