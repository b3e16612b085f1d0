"""The shape docs/ARCHITECTURE.md describes, checked: who may import whom, where SQL lives, how big a unit gets."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for folder in ("bot", "cogs") for p in (ROOT / folder).rglob("*.py"))

# The layers of docs/ARCHITECTURE.md, innermost first. A module may import its own layer and the layers listed
# for it; "bot.client" is also allowed everywhere for type hints only (under TYPE_CHECKING), because buttons
# and checks receive the bot as `interaction.client`.
SHARED = ("bot.clock", "bot.jobs", "bot.changes", "bot.locks", "bot.settings", "bot.permissions", "bot.errors",
          "bot.access", "bot.posting", "bot.plans", "bot.choices", "bot.memo", "bot.standing", "bot.places",
          "bot.charts", "bot.reporting", "bot.privacy")
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "bot": (),  # the package's own __init__: a docstring
    "bot.domain": (),
    "bot.storage": ("bot.domain",),
    "bot.standin": (),
    **{shared: ("bot.domain", "bot.storage", *SHARED) for shared in SHARED},
    "bot.chats": ("bot.domain", "bot.storage", *SHARED),
    "bot.newcomers": ("bot.domain", "bot.storage", *SHARED),
    "bot.progression": ("bot.domain", "bot.storage", *SHARED),
    "bot.history": ("bot.domain", "bot.storage", "bot.progression", *SHARED),
    "bot.client": ("bot", "bot.domain", "bot.storage", "bot.chats", "bot.newcomers", "bot.progression",
                   "bot.history", *SHARED),
    "cogs": ("bot.domain", "bot.storage", "bot.chats", "bot.newcomers", "bot.progression", "bot.history",
             "bot.client", *SHARED),
    "bot.cli": ("bot.domain", "bot.storage", "bot.standin", "bot.chats", "bot.newcomers", "bot.progression",
                "bot.history", "bot.client", *SHARED),
    "bot.__main__": ("bot", "bot.cli", "bot.settings"),  # bot: its __version__
}
THIRD_PARTY_ONLY_IN = {"aiosqlite": ("bot.storage",), "aiohttp": ("bot.standin", "bot.cli.run"),
                       "apscheduler": ("bot.jobs",), "matplotlib": ("bot.charts",), "ijson": ("bot.history",),
                       "tqdm": ("bot.cli.import_",)}
# The size limits; the stand-in's server is one protocol surface and is exempt.
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 300
SIZE_EXEMPT = {"bot/standin/server.py"}


@dataclass(frozen=True)
class Import:
    module: str
    line: int
    type_only: bool
    in_function: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The layer a module belongs to: the longest key of MAY_IMPORT it starts with."""
    matches = [layer for layer in MAY_IMPORT
               if module == layer or (layer != "bot" and module.startswith(layer + "."))]
    assert matches, f"{module} belongs to no layer: add it to MAY_IMPORT and docs/ARCHITECTURE.md"
    return max(matches, key=len)


def imports(path: Path) -> list[Import]:
    """Every absolute import in a file, noting whether it is for type checking only or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, child.lineno, type_only, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module == "bot":  # from bot import errors
                found.extend(Import(f"bot.{alias.name}", child.lineno, type_only, in_function)
                             for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append(Import(child.module, child.lineno, type_only, in_function))
            elif isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                for statement in child.body:
                    visit(ast.Module(body=[statement], type_ignores=[]), True, in_function)
            else:
                visit(child, type_only,
                      in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    visit(tree, False, False)
    return found


def ours(module: str) -> bool:
    return module.split(".")[0] in ("bot", "cogs")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_module_imports_only_the_layers_its_own_may_use(path: Path):
    here = module_name(path)
    layer = layer_of(here)
    allowed = (layer, *MAY_IMPORT[layer])
    for found in imports(path):
        if not ours(found.module):
            continue
        if found.type_only and found.module == "bot.client":
            continue
        target = layer_of(found.module)
        assert target in allowed, f"{here}:{found.line} imports {found.module} ({target}), outside {allowed}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_private_modules_are_imported_only_inside_their_own_package(path: Path):
    here = module_name(path)
    for found in imports(path):
        parts = found.module.split(".")
        for depth, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                package = ".".join(parts[:depth])
                assert here == package or here.startswith(package + "."), \
                    f"{here}:{found.line} reaches into private {found.module}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_imports_hide_inside_functions(path: Path):
    # Imports inside functions hide a dependency from the reader and from the layer check above.
    hidden = [f"{found.module} (line {found.line})" for found in imports(path) if found.in_function]
    assert not hidden, f"{path.name} imports inside a function: {hidden}"


def test_domain_imports_only_the_standard_library_and_itself():
    for path in (ROOT / "bot" / "domain").rglob("*.py"):
        for found in imports(path):
            top = found.module.split(".")[0]
            assert top in sys.stdlib_module_names or found.module.startswith("bot.domain"), \
                f"{path.name} imports {found.module}"


@pytest.mark.parametrize(("library", "homes"), THIRD_PARTY_ONLY_IN.items())
def test_storage_scheduling_http_and_chart_libraries_stay_in_their_one_place(library: str, homes: tuple[str, ...]):
    for path in SOURCES:
        here = module_name(path)
        for found in imports(path):
            if found.module.split(".")[0] == library:
                assert any(here == home or here.startswith(home + ".") for home in homes), \
                    f"{here} imports {library}: it belongs in {homes}"


SQL = re.compile(r"\bSELECT\b[^\n]*\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|"
                 r"\bCREATE\s+TABLE\b", re.IGNORECASE)


def test_sql_lives_only_in_storage():
    for path in SOURCES:
        if module_name(path).startswith("bot.storage"):
            continue
        found = SQL.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path.relative_to(ROOT)} contains SQL ({found.group()!r}): it belongs in storage"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_classes_stay_small(path: Path):
    relative = path.relative_to(ROOT).as_posix()
    if relative in SIZE_EXEMPT:
        return
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{relative} is {lines} lines, over {MAX_MODULE_LINES}: split it"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{relative}: class {node.name} is {size} lines: split it"


def test_the_layer_table_matches_the_packages_that_exist():
    layers = {layer_of(module_name(path)) for path in SOURCES}
    assert layers == set(MAY_IMPORT), "docs/ARCHITECTURE.md's layers and MAY_IMPORT must name every package"
