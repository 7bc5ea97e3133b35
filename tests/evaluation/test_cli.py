"""`digipark evaluate --park CODE --year Y [--out report.pdf]`, in-process on a temporary SQLite database."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from digipark import cli
from digipark.core import db as core_db
from digipark.core.config import get_settings
from tests.test_cli import seed_park

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DIGIPARK_DATABASE_URL", url)
    get_settings.cache_clear()
    saved = core_db._engine, core_db._factory
    yield url
    core_db.use_engine(*saved)
    get_settings.cache_clear()


def test_evaluate_prints_the_indicators_and_writes_reports(database: str, tmp_path: Path) -> None:
    assert runner.invoke(cli.app, ["db", "upgrade", "--database", database]).exit_code == 0
    seed_park(database)
    result = runner.invoke(cli.app, ["evaluate", "--park", "P1", "--database", database])
    assert result.exit_code == 0, result.output
    assert "园区P1" in result.output and "S1.2" in result.output and "未达标" in result.output
    assert "standards met: 0/4" in result.output and ", live" in result.output
    pdf = tmp_path / "report.pdf"
    result = runner.invoke(cli.app, ["evaluate", "--park", "P1", "--out", str(pdf), "--database", database])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    xlsx = tmp_path / "report.xlsx"
    result = runner.invoke(
        cli.app, ["evaluate", "--park", "P1", "--out", str(xlsx), "--lang", "en", "--database", database]
    )
    assert result.exit_code == 0, result.output
    assert "Summary" in openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes())).sheetnames


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--park", "NOPE"], "unknown park"),
        (["--park", "P1", "--out", "report.doc"], "--out"),
        (["--park", "P1", "--year", "2999"], "has not begun"),
    ],
)
def test_evaluate_errors_are_one_line(database: str, args: list[str], message: str) -> None:
    assert runner.invoke(cli.app, ["db", "upgrade", "--database", database]).exit_code == 0
    seed_park(database)
    result = runner.invoke(cli.app, ["evaluate", *args, "--database", database])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert message in result.stderr, result.output
