"""The package's layering, its function length and its test files, checked on the source itself.

Each package (or top-level module) of playclips imports only itself and those before it in
LAYERS; the README's "How data flows" section states the same order, and a test below holds
the two together. Imports are read with `ast` from every module, also those made inside a
function (the lazy imports that keep cloud clients out of local runs). Every module has a test
file of its own where tests/ mirrors the package, or is named, with the reason, in one of the
two lists below.
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


TESTS = REPO / "tests"
# Modules with nothing of their own to test: the root's __init__ holds only __version__, these
# packages' __init__ only name the package, and cli/__main__ only calls the command.
NO_TEST_FILE = {
    "__init__.py",
    "cli/__main__.py",
    "clipping/__init__.py",
    "media/__init__.py",
    "outputs/__init__.py",
    "run/__init__.py",
}
# Modules whose tests are named after the behaviour they pin rather than the file. Each maps to
# the file that tests it most directly; give the module a file of its own and drop it here.
TESTED_UNDER_ANOTHER_NAME = {
    "clipping/angle.py": "tests/clipping/test_memory.py",  # clips in flight per angle
    "clipping/game.py": "tests/clipping/test_idempotency.py",  # run_game, rerun after rerun
    "clipping/videos.py": "tests/clipping/test_angles_and_sources.py",
    "media/cut.py": "tests/test_clip_oracle.py",  # the frame oracle, a suite of its own
    "plays/__init__.py": "tests/plays/test_gcs_file.py",  # open_plays_source: file or gs://
    "plays/base.py": "tests/plays/test_local.py",  # the row checks, through the local file
    "run/trigger.py": "tests/orchestration/test_trigger.py",  # with the workflow's tests
    "sync/audio.py": "tests/sync/test_sync_reads.py",
    "sync/measure.py": "tests/sync/test_sync_accuracy.py",
}


def own_test_files(module: Path) -> list[Path]:
    """The test files that mirror `module` (a path below the package): for pkg/name.py,
    tests/pkg/test_name.py, test_name_*.py, test_pkg_name*.py or a folder tests/pkg/name/;
    for pkg/__init__.py, tests/pkg/test_pkg.py or test_pkg_*.py."""
    folder = TESTS / module.parent
    package = module.parent.name
    if module.name == "__init__.py":
        stems = [f"test_{package}"] if package else []
    elif (folder / module.stem).is_dir():
        return [folder / module.stem]
    else:
        stems = [f"test_{module.stem}"] + ([f"test_{package}_{module.stem}"] if package else [])
    return [
        f
        for f in sorted(folder.glob("test_*.py"))
        if any(f.stem == s or f.stem.startswith(s + "_") for s in stems)
    ]


def test_every_module_has_a_test_file_of_its_own() -> None:
    missing = []
    for path in modules():
        module = path.relative_to(PACKAGE)
        name = module.as_posix()
        if name in NO_TEST_FILE or name in TESTED_UNDER_ANOTHER_NAME:
            continue
        if not own_test_files(module):
            missing.append(f"{name}: add tests/{module.parent / ('test_' + module.name)}")
    assert not missing, "\n".join(missing)


def test_the_exceptions_name_real_modules_and_real_test_files() -> None:
    names = {p.relative_to(PACKAGE).as_posix() for p in modules()}
    listed = NO_TEST_FILE | set(TESTED_UNDER_ANOTHER_NAME)
    assert listed <= names, f"no such module: {sorted(listed - names)}"
    absent = [t for t in TESTED_UNDER_ANOTHER_NAME.values() if not (REPO / t).is_file()]
    assert not absent, absent
    mirrored = [m for m in sorted(listed) if own_test_files(Path(m))]
    assert not mirrored, f"these have a test file of their own now; drop them: {mirrored}"


def test_the_mirror_rule() -> None:
    assert own_test_files(Path("media/probe.py")) == [TESTS / "media" / "test_probe.py"]
    assert TESTS / "sync" / "test_sync_store.py" in own_test_files(Path("sync/store.py"))
    assert own_test_files(Path("plays/supabase.py")) == [TESTS / "plays" / "supabase"]
    assert own_test_files(Path("cli/__init__.py")) == [TESTS / "cli" / "test_cli.py"]
    assert own_test_files(Path("media/no_such_module.py")) == []
