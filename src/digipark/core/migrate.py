"""Alembic migrations run programmatically (the CLI's `db upgrade`, the demo, the tests)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from digipark.core.config import database_connect_args, get_settings, normalise_database_url


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("digipark").joinpath("migrations")))
    url = normalise_database_url(database_url or get_settings().database_url)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    url = normalise_database_url(database_url or get_settings().database_url)
    engine = create_engine(url, connect_args=database_connect_args(url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
