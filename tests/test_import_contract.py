"""The import contract in pyproject.toml (`lint-imports`, run by `./dev test`) catches a forbidden import.

Each test copies the package to a temporary folder, plants one import there and runs lint-imports with the
project's own contract against the copy. The unmodified tree is not asserted to pass here (`./dev test` runs the
contract itself); only that its contract loads and that the planted import is what is reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = (
    "Layers: core <- audit <- auth <- crud <- registry <- web <- the domains",
    "A domain imports another domain only through its provides module",
    "No import cycles between sibling packages",
)

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed (test extra)")


def _copy_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "src" / "digipark",
        tmp_path / "digipark",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data", "templates", "static", "locales"),
    )
    return tmp_path


def _plant(package_root: Path, module: str, statement: str) -> None:
    path = package_root.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text(encoding="utf-8") + f"\n{statement}\n", encoding="utf-8")


def _lint(package_root: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    result = subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PYPROJECT), "--no-cache"],
        cwd=package_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # import-linter wraps long lines at 80 columns; join them so a reported import reads as one line
    return result.returncode, re.sub(r"\s*\n\s*", " ", result.stdout + result.stderr)


def test_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    package_root = _copy_package(tmp_path)
    returncode, output = _lint(package_root)
    summary = re.search(r"Contracts: (\d+) kept, (\d+) broken\.", output)
    assert summary is not None, output
    assert (returncode, int(summary[1]), int(summary[2])) == (0, len(CONTRACTS), 0), output
    for name in CONTRACTS:
        assert name in output, (name, output)
    # the package on PYTHONPATH is the copy, not the installed one: the contract ran over every module of it
    analyzed = re.search(r"Analyzed (\d+) files", output)
    assert analyzed is not None and int(analyzed[1]) == len(list(package_root.rglob("*.py"))) - len(
        list((package_root / "digipark" / "migrations").rglob("*.py"))
    ), output


@pytest.mark.parametrize(
    ("importer", "statement", "reported"),
    [
        # a lower layer importing a domain
        (
            "digipark.core.config",
            "import digipark.safety.service  # noqa",
            "digipark.core.config -> digipark.safety.service",
        ),
        # a domain importing another domain's internals instead of its provides module
        (
            "digipark.energy.service",
            "from digipark.safety import models as _safety_models  # noqa",
            "digipark.energy.service -> digipark.safety.models",
        ),
        # the registry (below the domains) reaching up into one
        (
            "digipark.registry.service",
            "from digipark.economy import service as _economy  # noqa",
            "digipark.registry.service -> digipark.economy.service",
        ),
    ],
)
def test_a_planted_forbidden_import_breaks_the_contract(
    tmp_path: Path, importer: str, statement: str, reported: str
) -> None:
    clean_root = _copy_package(tmp_path / "clean")
    _, clean_output = _lint(clean_root)
    assert reported not in clean_output  # else the plant proves nothing

    planted_root = _copy_package(tmp_path / "planted")
    _plant(planted_root, importer, statement)
    returncode, output = _lint(planted_root)
    assert returncode == 1, output
    assert reported in output, output


def test_a_domain_may_import_another_domain_through_its_provides_module(tmp_path: Path) -> None:
    clean_root = _copy_package(tmp_path / "clean")
    _, clean_output = _lint(clean_root)
    assert "digipark.energy.service -> digipark.safety.provides" not in clean_output
    planted_root = _copy_package(tmp_path / "planted")
    _plant(planted_root, "digipark.energy.service", "from digipark.safety import provides as _safety  # noqa")
    _, output = _lint(planted_root)
    assert "digipark.energy.service -> digipark.safety.provides" not in output
    assert ("digipark.energy is not allowed to import digipark.safety" in output) == (
        "digipark.energy is not allowed to import digipark.safety" in clean_output
    )
