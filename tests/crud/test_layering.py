"""The derived CRUD sits above auth and below the domains: it imports only core, auth, audit and itself."""

from __future__ import annotations

import ast
from pathlib import Path

import digipark.crud

ALLOWED = ("digipark.core", "digipark.auth", "digipark.audit", "digipark.crud")


def test_crud_imports_no_domain() -> None:
    folder = Path(digipark.crud.__file__).parent
    imported: set[str] = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    ours = {name for name in imported if name.split(".")[0] == "digipark"}
    assert ours, "the scan found the package's imports"
    assert not {name for name in ours if not name.startswith(ALLOWED)}
