"""The shape the project relies on: domain code is pure, cogs hold no SQL."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_domain_imports_only_the_standard_library_and_itself():
    for path in (ROOT / "bot" / "domain").rglob("*.py"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or module.startswith("bot.domain"), f"{path.name} imports {module}"


def test_cogs_hold_no_sql():
    for path in (ROOT / "cogs").rglob("*.py"):
        text = path.read_text(encoding="utf-8").upper()
        for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "AIOSQLITE"):
            assert keyword not in text, f"{path.name} contains {keyword.strip()}: SQL belongs in bot/storage"
