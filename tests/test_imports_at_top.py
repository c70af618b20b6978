"""Imports between the project's packages sit at the top of each module (docs/architecture.md): an import
hidden inside a function is how a cycle between rooms used to be dodged, and import-linter reads those too,
but a reader does not see them. The one kind allowed is the deliberately lazy import of a heavy library
module, listed here with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core", "text", "proposals", "search", "intake", "routing", "responses", "public", "groups", "api",
            "demo", "window"}
# Modules that load scikit-learn or SudachiPy's dictionary: imported when first needed, so that `flask`
# commands and web workers that never train or read text start fast (issue 16: start-up).
# The demo data and the year simulation: only `flask seed` and `flask deadlines simulate` run them (window/cli.py).
LAZY = {"routing.learning", "routing.model", "demo.simulation"}


def _imports_inside_functions(path: Path, package: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            names = [inner.module] if isinstance(inner, ast.ImportFrom) and inner.module else \
                [alias.name for alias in inner.names] if isinstance(inner, ast.Import) else []
            for name in names:
                top = name.split(".")[0]
                if top in PACKAGES and top != package and name not in LAZY:
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} {name}")
    return found


def test_no_package_imports_another_inside_a_function():
    hidden = [line for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
              for line in _imports_inside_functions(path, package)]
    assert hidden == []
