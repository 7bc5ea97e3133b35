"""Item 9 of issue 14: signed checkpoints catch what the unkeyed chain cannot — a forger with database write
access who rewrites an entry and recomputes every later hash and the head, or who cuts the tail and moves the
head back. Each tampering passes the chain's own check and fails against a checkpoint."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digipark import cli
from digipark.audit import checkpoints
from digipark.audit import service as audit
from digipark.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from digipark.auth.scope import system_scope
from digipark.core import db as core_db
from digipark.core.config import get_settings
from digipark.core.errors import ValidationFailed
from digipark.registry import schemas
from digipark.registry import service as registry
from tests.conftest import World
from tests.test_cli import seed_park

KEY = b"k" * 40
OTHER_KEY = b"o" * 40
runner = CliRunner()


def _add_entries(db: Session, world: World, prefix: str, n: int) -> list[int]:
    scope = system_scope(world.a.park_id)
    for i in range(n):
        registry.create(
            db,
            scope=scope,
            kind=registry.KINDS["zone"],
            data=schemas.ZoneCreate(code=f"{prefix}{i}", name="检查点", function="office"),
        )
    db.flush()
    return list(db.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(n)))[::-1]


def _allow_tampering(db: Session) -> None:
    """Drop the append-only guard inside the test transaction (rolled back with it)."""
    if db.connection().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update"))  # update and delete
    else:
        db.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.execute(text("DROP TRIGGER audit_entry_no_delete"))


def _rewrite_and_rehash(db: Session, entry_id: int, after: dict[str, Any]) -> None:
    """The careful forger: changes an entry, recomputes its hash and every later one, and moves the head."""
    rows = db.execute(select(AuditEntry).where(AuditEntry.id >= entry_id).order_by(AuditEntry.id)).scalars().all()
    prev_hash = rows[0].prev_hash
    for row in rows:
        fields = {c: getattr(row, c) for c in audit._HASHED_COLUMNS}
        if row.id == entry_id:
            fields["after"] = after
        new_hash = audit.entry_hash(prev_hash, audit._hashed_fields(fields))
        db.execute(
            update(AuditEntry)
            .where(AuditEntry.id == row.id)
            .values(after=fields["after"], prev_hash=prev_hash, hash=new_hash)
        )
        prev_hash = new_hash
    db.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev_hash))
    db.expire_all()


def _cut_tail(db: Session, keep_through: int) -> None:
    """The careful forger: deletes the last entries and moves the head back to the one kept."""
    kept = db.scalar(select(AuditEntry.hash).where(AuditEntry.id == keep_through))
    db.execute(delete(AuditEntry).where(AuditEntry.id > keep_through))
    db.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=keep_through, last_hash=kept))
    db.expire_all()


def test_untampered_chain_matches_its_checkpoint_and_later_entries_are_fine(db: Session, world: World) -> None:
    _add_entries(db, world, "U", 2)
    made = checkpoints.make(db, KEY)
    assert made.last_id == db.scalar(select(AuditHead.last_id))
    _add_entries(db, world, "V", 2)  # written after the checkpoint
    result = checkpoints.verify(db, key=KEY)
    assert result.ok, result.reason
    assert result.checkpoint == made


def test_rewritten_and_rehashed_history_fails_against_the_checkpoint(db: Session, world: World) -> None:
    ids = _add_entries(db, world, "R", 3)
    checkpoints.make(db, KEY)
    _allow_tampering(db)
    _rewrite_and_rehash(db, ids[0], {"name": "伪造"})
    assert audit.verify(db).ok  # the unkeyed chain alone cannot tell
    result = checkpoints.verify(db, key=KEY)
    assert not result.ok
    assert result.first_broken_id == ids[-1]
    assert "rewritten" in (result.reason or "")


def test_cut_tail_fails_against_the_checkpoint(db: Session, world: World) -> None:
    ids = _add_entries(db, world, "C", 3)
    checkpoints.make(db, KEY)
    _allow_tampering(db)
    _cut_tail(db, ids[0])
    assert audit.verify(db).ok  # the unkeyed chain alone cannot tell
    result = checkpoints.verify(db, key=KEY)
    assert not result.ok
    assert "cut" in (result.reason or "")


def test_forged_or_foreign_checkpoints_fail(db: Session, world: World) -> None:
    ids = _add_entries(db, world, "F", 3)
    made = checkpoints.make(db, KEY)
    _allow_tampering(db)
    _cut_tail(db, ids[0])
    # the forger also rewrites the stored checkpoint to the new head, without the key
    head_id, head_hash = checkpoints.chain_head(db)
    db.execute(update(AuditCheckpoint).values(last_id=head_id, last_hash=head_hash))
    result = checkpoints.verify(db, key=KEY)
    assert not result.ok and "signature" in (result.reason or "")
    # or signs one with a key of their own
    db.execute(delete(AuditCheckpoint))
    checkpoints.make(db, OTHER_KEY)
    result = checkpoints.verify(db, key=KEY)
    assert not result.ok and "another key" in (result.reason or "")
    # an exported checkpoint with an altered field does not verify either
    altered = dataclasses.replace(made, last_id=head_id, last_hash=head_hash)
    result = checkpoints.verify(db, key=KEY, checkpoint=altered)
    assert not result.ok and "signature" in (result.reason or "")


def test_exported_checkpoint_catches_a_cut_after_the_stored_ones_were_deleted(
    db: Session, world: World, tmp_path: Path
) -> None:
    ids = _add_entries(db, world, "E", 3)
    exported = tmp_path / "checkpoint.json"
    checkpoints.export(checkpoints.make(db, KEY), exported)
    assert json.loads(exported.read_text())["last_id"] == ids[-1]
    _allow_tampering(db)
    _cut_tail(db, ids[0])
    db.execute(delete(AuditCheckpoint))
    assert checkpoints.verify(db, key=KEY).ok  # nothing stored is left to compare with
    result = checkpoints.verify(db, key=KEY, checkpoint=checkpoints.load(exported))
    assert not result.ok and "cut" in (result.reason or "")


def test_a_broken_chain_is_reported_before_the_checkpoint(db: Session, world: World) -> None:
    ids = _add_entries(db, world, "B", 3)
    checkpoints.make(db, KEY)
    _allow_tampering(db)
    db.execute(update(AuditEntry).where(AuditEntry.id == ids[1]).values(after={"name": "伪造"}))
    result = checkpoints.verify(db, key=KEY)
    assert (result.ok, result.first_broken_id) == (False, ids[1])


def test_checkpointer_signs_only_when_the_head_moved(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "audit_checkpoint_key", None)
    monkeypatch.setattr(settings, "audit_checkpoint_key_file", None)
    worker = checkpoints.Checkpointer(every_s=3600)
    assert worker.run_once() is None  # no key: nothing signed
    monkeypatch.setattr(settings, "audit_checkpoint_key", KEY.decode())
    first = worker.run_once()
    assert first is not None and (first.last_id, first.last_hash) == checkpoints.chain_head(db)
    assert worker.run_once() is None  # the head did not move
    _add_entries(db, world, "W", 1)
    second = worker.run_once()
    assert second is not None and second.last_id == first.last_id + 1
    assert db.scalar(select(AuditCheckpoint.id).order_by(AuditCheckpoint.id.desc())) is not None


def test_key_from_a_file_and_too_short_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    key_file = tmp_path / "audit.key"
    key_file.write_bytes(KEY + b"\n")
    monkeypatch.setattr(settings, "audit_checkpoint_key", None)
    monkeypatch.setattr(settings, "audit_checkpoint_key_file", key_file)
    assert checkpoints.signing_key() == KEY
    monkeypatch.setattr(settings, "audit_checkpoint_key", "short")
    with pytest.raises(ValidationFailed):
        checkpoints.signing_key()
    worker = checkpoints.Checkpointer(first_after_s=3600, every_s=3600)
    worker.start()  # a bad key is logged, it does not stop the process that runs the checkpointer
    assert worker._thread is None
    worker.stop()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("DIGIPARK_DATABASE_URL", url)
    monkeypatch.setenv("DIGIPARK_AUDIT_CHECKPOINT_KEY", KEY.decode())
    get_settings.cache_clear()
    saved = core_db._engine, core_db._factory
    yield url
    core_db.use_engine(*saved)
    get_settings.cache_clear()


def test_cli_checkpoint_export_and_verify(cli_database: str, tmp_path: Path) -> None:
    import sqlite3

    assert runner.invoke(cli.app, ["db", "upgrade"]).exit_code == 0
    seed_park(cli_database, "P1")
    seed_park(cli_database, "P2", "110000")
    exported = tmp_path / "cp.json"
    made = runner.invoke(cli.app, ["audit", "checkpoint", "--export", str(exported)])
    assert made.exit_code == 0, made.output
    assert exported.is_file()
    ok = runner.invoke(cli.app, ["audit", "verify", "--checkpoint", str(exported)])
    assert ok.exit_code == 0, ok.output
    assert "audit chain OK" in ok.stdout

    path = cli_database.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # cut the tail, move the head, delete the stored checkpoints
        conn.execute("DROP TRIGGER audit_entry_no_delete")
        last_id = conn.execute("SELECT max(id) FROM audit_entry").fetchone()[0]
        kept = conn.execute("SELECT hash FROM audit_entry WHERE id = ?", (last_id - 1,)).fetchone()[0]
        conn.execute("DELETE FROM audit_entry WHERE id = ?", (last_id,))
        conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", (last_id - 1, kept))
        conn.execute("DELETE FROM audit_checkpoint")
    assert runner.invoke(cli.app, ["audit", "verify"]).exit_code == 0  # the chain alone cannot tell
    broken = runner.invoke(cli.app, ["audit", "verify", "--checkpoint", str(exported)])
    assert broken.exit_code == 1
    assert "cut" in broken.stdout
