"""`digipark backup` and `digipark restore`: the database (uploaded files included: they are columns) into a
folder and back into a fresh database, checked by row counts and the audit chain (`core.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from digipark.cli.errors import EXIT_ERROR
from digipark.cli.options import DatabaseOption, database_url, shown_url

FolderArgument = Annotated[Path, typer.Argument(help="Folder of the backup.", file_okay=False)]


def _not_through_the_pooler(url: str, option: str) -> None:
    """pg_dump and pg_restore set session settings (search_path = '' among them) that a transaction-pooling
    PgBouncer would leave on its server connections for the application's next transactions: refuse the
    pooler's address (DIGIPARK_DATABASE_URL when DIGIPARK_DATABASE_POOLER=transaction)."""
    from sqlalchemy.engine import make_url

    from digipark.core.config import get_settings, normalise_database_url

    settings = get_settings()
    if settings.database_pooler != "transaction":
        return
    given, pooled = make_url(normalise_database_url(url)), make_url(normalise_database_url(settings.database_url))
    if (given.host, given.port) == (pooled.host, pooled.port):
        typer.echo(
            f"error: {option}: {shown_url(url)} is the transaction pooler (DIGIPARK_DATABASE_POOLER=transaction); "
            "pg_dump and pg_restore would leave their session settings on its server connections — give a URL "
            "straight to PostgreSQL (the primary)",
            err=True,
        )
        raise typer.Exit(EXIT_ERROR)


def backup(folder: FolderArgument, database: DatabaseOption = None) -> None:
    """Back the database up into FOLDER (new or empty): pg_dump (PostgreSQL) or SQLite's backup API, and a
    manifest of the row count of every table."""
    from digipark.core.backup import BackupError
    from digipark.core.backup import backup as take

    url = database_url(database)
    _not_through_the_pooler(url, "--database")
    try:
        result = take(url, folder)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    typer.echo(
        f"backed up {shown_url(url)} ({result.engine}, revision {result.revision}) into {result.folder}: "
        f"{len(result.rows)} tables, {sum(result.rows.values())} rows, {result.bytes} bytes in {result.seconds} s"
    )


def restore(
    folder: FolderArgument,
    database: Annotated[
        str, typer.Option("--database", help="SQLAlchemy URL of the new, empty database to restore into.")
    ],
    verify_audit: Annotated[
        bool, typer.Option("--verify-audit/--no-verify-audit", help="Check the audit chain once restored.")
    ] = True,
) -> None:
    """Restore the backup in FOLDER into a new, empty database, then compare every table's row count with the
    backup's manifest and check the audit chain; exit 1 when either differs."""
    from digipark.core.backup import BackupError
    from digipark.core.backup import restore as put_back

    _not_through_the_pooler(database, "--database")
    try:
        result = put_back(folder, database)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    typer.echo(
        f"restored {folder} into {shown_url(database)} in {result.seconds} s: {len(result.rows)} tables, "
        f"{sum(result.rows.values())} rows, revision {result.revision}"
    )
    if not result.ok:
        for table, (expected, found) in sorted(result.mismatches.items()):
            typer.echo(f"row count differs in {table}: backup {expected}, restored {found}")
        raise typer.Exit(EXIT_ERROR)
    typer.echo("row counts match the backup")
    if verify_audit:
        from digipark.cli.audit import audit_verify

        audit_verify(database=database, checkpoint=None)
