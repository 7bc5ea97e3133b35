"""Structure figures of the source tree (static: no server, no database), for the tree as it is and for a baseline
commit (default: the last commit before the module records, 070ee38), so that before and after are printed in one
run:

- `largest_source_file_lines`: lines of the longest .py file under src/digipark (migrations aside), target ≤ 800;
- `role_checks_outside_auth`: comparisons involving a user's role (`scope.role == …`, `… in (Role.A, Role.B)`,
  `User.role == …`) in src/digipark outside auth/ — role decisions belong in permissions — target ≤ 10;
- `import_contract_broken`: contracts of [tool.importlinter] that `lint-imports` reports broken, target 0;
- `package_cycles`: groups of digipark's top-level packages that import each other in a cycle, target 0;
- `crud_functions_handwritten`: top-level functions named list_*/get_*/create_*/update_*/delete_* under
  src/digipark (hand-written CRUD), shown before and after.

    .venv/bin/python bench/structure.py [--baseline REV]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import grimp
from _common import emit, progress

ROOT = Path(__file__).resolve().parent.parent
CRUD_NAME = re.compile(r"^(list|get|create|update|delete)_")
BASELINE = "070ee38"


def sources(tree: Path) -> Iterator[Path]:
    for path in sorted((tree / "src" / "digipark").rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def _mentions_role(node: ast.AST) -> bool:
    """A user's role: `Role.X`, or the `role` of a scope or a user (`scope.role`, `page.scope.role`, `User.role`) —
    not other fields named role (a pollutant factor's, a chain segment's)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name) and child.value.id == "Role":
            return True
        if isinstance(child, ast.Attribute) and child.attr == "role":
            owner = ast.unparse(child.value).rsplit(".", 1)[-1].lower()
            if owner.endswith(("scope", "user")):
                return True
    return False


def role_checks(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare) and any(_mentions_role(part) for part in (node.left, *node.comparators))
    )


def crud_functions(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sum(
        1
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and CRUD_NAME.match(node.name)
    )


def package_cycles(tree: Path) -> list[list[str]]:
    """Strongly connected groups (size > 1) of digipark's direct subpackages and modules (the import graph is built
    in a process of its own, with the tree's sources first on the path)."""
    found = subprocess.run(
        [sys.executable, __file__, "--package-edges"],
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    edges: dict[str, set[str]] = json.loads(found.stdout, object_hook=lambda d: {k: set(v) for k, v in d.items()})
    return [group for group in _strongly_connected(edges) if len(group) > 1]


def print_package_edges() -> None:
    graph = grimp.build_graph("digipark", cache_dir=None)
    children = sorted(graph.find_children("digipark"))
    edges = {
        importer: [
            imported
            for imported in children
            if importer != imported
            and graph.direct_import_exists(importer=importer, imported=imported, as_packages=True)
        ]
        for importer in children
    }
    print(json.dumps(edges))


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            groups.append(sorted(group))

    for node in edges:
        if node not in index:
            visit(node)
    return groups


def contracts_broken(tree: Path) -> int | None:
    """Broken import-linter contracts of the tree's configuration; None when it has none."""
    if "[tool.importlinter]" not in (tree / "pyproject.toml").read_text(encoding="utf-8"):
        return None
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Contracts: (\d+) kept, (\d+) broken", done.stdout)
    if found is None:
        raise RuntimeError(f"lint-imports printed no summary:\n{done.stdout}\n{done.stderr}")
    return int(found.group(2))


def measure(tree: Path, label: str) -> None:
    files = list(sources(tree))
    largest = max(files, key=lambda p: len(p.read_text(encoding="utf-8").splitlines()))
    where = {"tree": label}
    emit(
        "largest_source_file_lines",
        len(largest.read_text(encoding="utf-8").splitlines()),
        "lines",
        file=str(largest.relative_to(tree)),
        target="<= 800",
        **where,
    )
    outside_auth = [p for p in files if "auth" not in p.relative_to(tree / "src" / "digipark").parts[:1]]
    emit("role_checks_outside_auth", sum(role_checks(p) for p in outside_auth), "comparisons", target="<= 10", **where)
    broken = contracts_broken(tree)
    if broken is not None:
        emit("import_contract_broken", broken, "contracts", target="0", **where)
    cycles = package_cycles(tree)
    emit("package_cycles", len(cycles), "cycles", groups=[" <-> ".join(g) for g in cycles], target="0", **where)
    emit("crud_functions_handwritten", sum(crud_functions(p) for p in files), "functions", **where)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to measure as 'before' ('' to skip)")
    parser.add_argument("--package-edges", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.package_edges:
        print_package_edges()
        return
    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            progress(f"baseline {args.baseline} ...")
            archive = subprocess.run(
                ["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            measure(Path(tmp), f"baseline {args.baseline}")
    measure(ROOT, "working tree")


if __name__ == "__main__":
    main()
