"""The `digipark` command, run in-process with typer's CliRunner on a temporary SQLite database."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from digipark import cli
from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import make_uscc
from digipark.core.config import get_settings
from digipark.core.db import make_engine
from digipark.registry.models import Enterprise
from digipark.registry.service import create_park

runner = CliRunner()
USCC = make_uscc("9", "1", "320507", "MA1TE7T0")
BAD_USCC = USCC[:-1] + ("1" if USCC[-1] == "0" else "0")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite URL, also the process default; the previous engine is restored afterwards."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DIGIPARK_DATABASE_URL", url)
    get_settings.cache_clear()
    saved = core_db._engine, core_db._factory
    yield url
    core_db.use_engine(*saved)
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Result:
    return runner.invoke(cli.app, list(args), input=input)


def one_error_line(result: Result) -> str:
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    return lines[0]


def seed_park(url: str, code: str = "P1", region: str = "320507") -> str:
    """A park with one enterprise; returns the enterprise's USCC."""
    from digipark.auth.scope import system_scope
    from digipark.registry import schemas
    from digipark.registry import service as registry

    engine = make_engine(url)
    uscc = make_uscc("9", "1", region, "MA1TE7T0")
    try:
        with Session(engine) as db, db.begin():
            set_actor(db, Actor("test"))
            park = create_park(db, code=code, name=f"园区{code}", region_code=region)
            registry.create(
                db,
                scope=system_scope(park.id),
                kind=registry.KINDS["enterprise"],
                data=schemas.EnterpriseCreate(
                    name="苏州测试科技有限公司", uscc=uscc, industry_code="3973", industrial=True
                ),
            )
    finally:
        engine.dispose()
    return uscc


def test_db_upgrade_current_downgrade(database: str) -> None:
    result = run("db", "current", "--database", database)
    assert result.exit_code == 0 and result.stdout.strip() == "(empty)"
    result = run("db", "upgrade", "--database", database)
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(migrate.alembic_config(database)).get_current_head()
    assert f"at revision {head}" in result.stdout
    assert run("db", "current").stdout.strip() == head  # DIGIPARK_DATABASE_URL
    result = run("db", "downgrade", "--revision", "base", "--database", database)
    assert result.exit_code == 0 and "(empty)" in result.stdout


def test_users_create_then_login(database: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    uscc = seed_park(database)
    seed_park(database, code="P2", region="110000")
    result = run(
        "users",
        "create",
        "--username",
        "op1",
        "--role",
        "operator",
        "--park",
        "P1",
        "--password",
        "correct-horse-9",
        "--display-name",
        "值班员",
    )
    assert result.exit_code == 0, result.output
    assert "created user 'op1' (operator) in park P1" in result.stdout
    result = run(
        "users",
        "create",
        "--username",
        "ent1",
        "--role",
        "enterprise",
        "--park",
        "P1",
        "--enterprise-uscc",
        uscc.lower(),
        input="correct-horse-9\ncorrect-horse-9\n",
    )
    assert result.exit_code == 0, result.output
    result = run(
        "users",
        "create",
        "--username",
        "rev1",
        "--role",
        "reviewer",
        "--park",
        "P1",
        "--extra-park",
        "P2",
        "--password",
        "correct-horse-9",
    )
    assert result.exit_code == 0 and "also reading P2" in result.stdout

    engine = make_engine(database)
    try:
        with Session(engine) as db:
            login = auth_service.authenticate(db, username="op1", password="correct-horse-9")
            assert login.user is not None and login.user.role == Role.OPERATOR
            enterprise_user = auth_service.get_by_username(db, username="ent1")
            assert enterprise_user is not None and enterprise_user.enterprise_id is not None
            reviewer = auth_service.get_by_username(db, username="rev1")
            assert reviewer is not None
            assert len(auth_service.scope_for(db, reviewer).read_parks) == 2
            assert auth_service.authenticate(db, username="op1", password="wrong-password").user is None
    finally:
        engine.dispose()
    listed = run("users", "list", "--park", "P1")
    assert listed.exit_code == 0 and "op1" in listed.stdout and "rev1" in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--park", "XX", "--role", "operator"), "error: unknown park 'XX'"),
        (("--park", "P1", "--role", "enterprise", "--enterprise-uscc", BAD_USCC), "check digit"),
        (("--park", "P1", "--role", "enterprise"), "--enterprise-uscc"),
        (("--park", "P1", "--role", "operator", "--extra-park", "P1"), "only reviewers"),
        (("--park", "P1", "--role", "chief"), "Invalid value for '--role'"),
    ],
)
def test_users_create_errors_are_one_line(database: str, args: tuple[str, ...], message: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    result = run("users", "create", "--username", "user-x1", "--password", "correct-horse-9", *args)
    assert result.exit_code != 0
    assert message in one_error_line(result)


def test_short_password_and_duplicate_user(database: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    result = run("users", "create", "--username", "op1", "--role", "operator", "--park", "P1", "--password", "short")
    assert result.exit_code == 1 and "password" in one_error_line(result)
    args = ("users", "create", "--username", "op1", "--role", "operator", "--park", "P1", "--password", "long-enough-1")
    assert run(*args).exit_code == 0
    result = run(*args)
    assert result.exit_code == 1 and "already exists" in one_error_line(result)


def test_audit_verify_ok_then_tampered(database: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("audit chain OK: ") and int(result.stdout.split(":")[1].split()[0]) >= 2

    engine = make_engine(database)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("""UPDATE audit_entry SET "after" = '{"name": "forged"}' WHERE id = 2"""))
    finally:
        engine.dispose()
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "audit chain BROKEN at entry 2: content does not match its hash" in result.stdout
    assert "Traceback" not in result.output


def test_unreachable_database_is_one_line(database: str) -> None:
    result = run("users", "list", "--database", "postgresql://digipark:secret@127.0.0.1:1/nowhere")
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "database unavailable" in line and "secret" not in line


def test_missing_tables_are_one_line(database: str) -> None:
    result = run("users", "list")  # not migrated
    assert result.exit_code == 1 and "no such table" in one_error_line(result)


def test_export_then_import_all_or_nothing(database: str, tmp_path: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    workbook = tmp_path / "enterprises.xlsx"
    result = run("export", "enterprise", str(workbook), "--park", "P1")
    assert result.exit_code == 0, result.output
    csv_file = tmp_path / "enterprises.csv"
    assert run("export", "enterprise", str(csv_file), "--park", "P1").exit_code == 0
    assert "苏州测试科技有限公司" in csv_file.read_text("utf-8-sig")

    result = run("import", "enterprise", str(workbook), "--park", "P1", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 enterprise rows checked, 0 created, 1 updated (dry run" in result.stdout

    book = openpyxl.load_workbook(workbook)
    sheet = book.worksheets[0]
    titles = [str(cell.value) for cell in sheet[1]]
    sheet.cell(row=2, column=titles.index(next(t for t in titles if "(name)" in t)) + 1, value="改名公司")
    sheet.cell(row=3, column=titles.index(next(t for t in titles if "(uscc)" in t)) + 1, value="9999")
    sheet.cell(row=3, column=titles.index(next(t for t in titles if "(name)" in t)) + 1, value="新公司")
    book.save(workbook)
    result = run("import", "enterprise", str(workbook), "--park", "P1")
    assert result.exit_code == 1
    assert "nothing was imported" in result.stderr and "uscc" in result.stderr and "wrong length" in result.stderr
    assert "Traceback" not in result.output
    engine = make_engine(database)
    try:
        with Session(engine) as db:
            names = set(db.scalars(select(Enterprise.name)))
    finally:
        engine.dispose()
    assert names == {"苏州测试科技有限公司"}  # the good row was not imported either


def test_import_and_export_argument_errors(database: str, tmp_path: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    result = run("import", "enterprise", str(tmp_path / "missing.xlsx"), "--park", "P1")
    assert result.exit_code == 1 and "No such file" in one_error_line(result)
    result = run("export", "enterprise", str(tmp_path / "out.pdf"), "--park", "P1")
    assert result.exit_code == 1 and ".xlsx or .csv" in one_error_line(result)
    result = run("export", "factory", str(tmp_path / "out.csv"), "--park", "P1")
    assert result.exit_code == 2 and "invalid value for 'kind'" in one_error_line(result).lower()
    result = run("export", "enterprise", str(tmp_path / "out.csv"), "--park", "NOPE")
    assert result.exit_code == 1 and one_error_line(result) == "error: unknown park 'NOPE'"


def test_demo_refuses_a_taken_port(database: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("demo", "--port", str(port), "--database", database)
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in one_error_line(result)


def test_demo_builds_once_then_reuses(database: str) -> None:
    result = run("demo", "--no-serve", "--database", database)
    assert result.exit_code == 0, result.output
    assert "demo park built in" in result.stdout
    for username in ("admin", "operator", "enterprise", "reviewer", "resident"):
        assert username in result.stdout
    assert "digipark-demo" in result.stdout
    again = run("demo", "--no-serve", "--database", database)
    assert again.exit_code == 0, again.output
    assert "reusing the demo park" in again.stdout and "admin" in again.stdout
    verified = run("audit", "verify", "--database", database)
    assert verified.exit_code == 0 and "audit chain OK" in verified.stdout


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "digipark",
            "users",
            "list",
            "--park",
            "X",
            "--database",
            f"sqlite:///{tmp_path / 'none.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "Traceback" not in done.stderr
    version = subprocess.run(
        [sys.executable, "-m", "digipark", "--version"], capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0 and version.stdout.startswith("digipark ")


def test_modules_lists_every_record_with_what_it_declares() -> None:
    from digipark.modules import MODULES

    result = runner.invoke(cli.app, ["modules", "--markdown"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("| `")]
    assert [line.split("`")[1] for line in lines] == [m.name for m in MODULES]
    safety = next(line for line in lines if line.startswith("| `safety`"))
    assert "/safety" in safety and "safety_risk_sensors" in safety and "digipark.safety.provides" in safety


def test_users_create_while_another_connection_keeps_writing(database: str, tmp_path: Path) -> None:
    """The command takes the write lock when it begins: it waits for the other writer instead of failing with
    `database is locked` (a reading transaction that starts writing cannot wait)."""
    from tests.core.contention import Writer

    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    path = tmp_path / "cli.db"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE load_probe (n INTEGER)")
    results = []
    with Writer(path) as writer:
        for n in range(5):
            args = ("users", "create", "--username", f"op{n}", "--role", "operator", "--park", "P1")
            results.append(run(*args, "--password", "correct-horse-9"))
        written_meanwhile = writer.commits
    assert [r.exit_code for r in results] == [0] * 5, [r.output for r in results]
    assert written_meanwhile > 5
    listed = run("users", "list", "--park", "P1")
    assert all(f"op{n}" in listed.stdout for n in range(5))


def test_parks_create_update_list_and_a_platform_admin(database: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    created = run("parks", "create", "--code", "NEW1", "--name", "新园区", "--region", "320507", "--industry", "3973")
    assert created.exit_code == 0, created.output
    assert "created park NEW1" in created.stdout
    assert "already exists" in one_error_line(
        run("parks", "create", "--code", "NEW1", "--name", "x", "--region", "320507")
    )
    assert "region_code" in one_error_line(run("parks", "create", "--code", "NEW2", "--name", "x", "--region", "12"))
    updated = run("parks", "update", "--park", "NEW1", "--name", "改名园区", "--level", "provincial")
    assert updated.exit_code == 0, updated.output
    assert "unknown park" in one_error_line(run("parks", "update", "--park", "NOPE", "--name", "x"))
    assert "at least one" in one_error_line(run("parks", "update", "--park", "NEW1"))
    listed = run("parks", "list")
    assert listed.exit_code == 0 and "改名园区" in listed.stdout and "provincial" in listed.stdout
    made = run(
        "users",
        "create",
        "--username",
        "padmin",
        "--role",
        "park_admin",
        "--park",
        "NEW1",
        "--password",
        "correct-horse-9",
        "--platform-admin",
    )
    assert made.exit_code == 0 and "platform administrator" in made.stdout, made.output
    engine = make_engine(database)
    try:
        with Session(engine) as db:
            from digipark.audit.models import AuditEntry
            from digipark.auth.models import User

            assert db.scalar(select(User.is_platform_admin).where(User.username == "padmin")) is True
            actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "park")))
            assert {"create", "update"} <= actions  # the CLI's park writes are audited
    finally:
        engine.dispose()
