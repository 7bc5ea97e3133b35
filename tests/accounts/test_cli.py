"""`digipark users` lifecycle commands: deactivate, activate, reset-password, tokens, create-token, revoke-token."""

from __future__ import annotations

from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.core.db import make_engine
from tests.test_cli import database, run, seed_park  # noqa: F401  (the database fixture)


def test_lifecycle_commands(database: str) -> None:  # noqa: F811
    assert run("db", "upgrade").exit_code == 0
    seed_park(database)
    create = ("users", "create", "--username", "op1", "--role", "operator", "--park", "P1")
    assert run(*create, "--password", "password").exit_code == 1  # too common
    assert run(*create, "--password", "correct-horse-9").exit_code == 0
    issued = run("users", "create-token", "op1", "--name", "ci", "--days", "91")
    assert issued.exit_code == 1 and "--days" in issued.stderr
    issued = run("users", "create-token", "op1", "--name", "ci", "--days", "30")
    assert issued.exit_code == 0, issued.output
    raw = issued.stdout.strip().splitlines()[-1]
    listed = run("users", "tokens", "op1")
    assert listed.exit_code == 0 and "ci" in listed.stdout
    engine = make_engine(database)
    try:
        with Session(engine) as db:
            assert auth_service.resolve_api_token(db, raw=raw) is not None
            token_id = next(t.id for t in db.query(auth_service.ApiToken).all())  # type: ignore[attr-defined]
        assert run("users", "revoke-token", "op1", str(token_id)).exit_code == 0
        assert run("users", "revoke-token", "op1", "999").exit_code == 1
        assert run("users", "update", "op1", "--display-name", "值班员").exit_code == 0
        assert run("users", "deactivate", "op1").exit_code == 0
        with Session(engine) as db:
            assert auth_service.resolve_api_token(db, raw=raw) is None
            assert auth_service.authenticate(db, username="op1", password="correct-horse-9").user is None
        assert run("users", "activate", "op1").exit_code == 0
        reset = run("users", "reset-password", "op1")
        assert reset.exit_code == 0
        temporary = reset.stdout.strip().splitlines()[-1]
        with Session(engine) as db:
            result = auth_service.authenticate(db, username="op1", password=temporary)
            assert result.user is not None and result.user.must_change_password
            assert result.user.display_name == "值班员"
    finally:
        engine.dispose()
