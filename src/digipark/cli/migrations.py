"""`digipark db`: database schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from digipark.cli.options import DatabaseOption, command_group, database_url, shown_url

db_app = command_group("Database schema migrations.")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
    database: DatabaseOption = None,
) -> None:
    """Apply migrations up to a revision (default: the latest)."""
    from digipark.core import migrate

    url = database_url(database)
    migrate.upgrade(url, revision)
    typer.echo(f"{shown_url(url)}: at revision {migrate.current(url) or '(empty)'}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Option("--revision", help="Target revision ('base': empty).")] = "-1",
    database: DatabaseOption = None,
) -> None:
    """Revert migrations down to a revision (default: one step)."""
    from digipark.core import migrate

    url = database_url(database)
    migrate.downgrade(url, revision)
    typer.echo(f"{shown_url(url)}: at revision {migrate.current(url) or '(empty)'}")


@db_app.command("current")
def db_current(database: DatabaseOption = None) -> None:
    """Print the revision the database is at."""
    from digipark.core import migrate

    url = database_url(database)
    typer.echo(migrate.current(url) or "(empty)")
