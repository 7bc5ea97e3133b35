"""Migration 0014 keeps every device's token working while dropping it: the digest of the token it held replaces
it, and dead letters keep only the first characters of the token they claimed (and its digest), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from digipark.core import migrate
from digipark.registry.device_tokens import token_digest
from tests.test_migrations import postgres_url, sqlite_url

__all__ = ["postgres_url", "sqlite_url"]

TOKEN = "Zr4JqE0-existing-device-token-0123"
OTHER = "unknown-token-of-a-dead-letter-567"


@pytest.mark.parametrize("database", ["sqlite_url", "postgres_url"])
def test_upgrade_replaces_plain_tokens_by_their_digests(database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(database)
    migrate.upgrade(url, "0013")
    engine = create_engine(url)
    try:
        now = "2026-12-01 00:00:00+00:00"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO park (id, code, name, region_code, leading_industries, created_at, updated_at) "
                    "VALUES (1, 'P', 'P', '320500', '[]', :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO device (id, park_id, code, name, kind, protocol, status, token, created_at, "
                    "updated_at) VALUES (1, 1, 'M1', 'M1', 'electricity_meter', 'mqtt', 'active', :token, :now, :now)"
                ),
                {"token": TOKEN, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO dead_letter (received_at, source, topic, token, payload, reason, detail, status) "
                    "VALUES (:now, 'mqtt', :topic, :token, '{}', 'unknown_token', 'x', 'open')"
                ),
                {"now": now, "topic": f"digipark/v1/{OTHER}/telemetry", "token": OTHER},
            )
        migrate.upgrade(url, "0014")
        assert "token" not in {column["name"] for column in inspect(engine).get_columns("device")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT token_hash FROM device")).scalar_one() == token_digest(TOKEN)
            letter = conn.execute(text("SELECT token, topic, token_hash FROM dead_letter")).one()
        assert tuple(letter) == ("unkn…", "digipark/v1/unkn…/telemetry", token_digest(OTHER))
    finally:
        engine.dispose()
