"""`digipark backup` and `digipark restore`: the database (uploaded files included: they are columns) into a
folder and back into a fresh database, checked by row counts and the audit chain (`core.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from digipark.cli.errors import EXIT_ERROR
from digipark.cli.options import DatabaseOption, database_url, shown_url

FolderArgument = Annotated[Path, typer.Argument(help="Folder of the backup.", file_okay=False)]


def backup(folder: FolderArgument, database: DatabaseOption = None) -> None:
    """Back the database up into FOLDER (new or empty): pg_dump (PostgreSQL) or SQLite's backup API, and a
    manifest of the row count of every table."""
    from digipark.core.backup import BackupError
    from digipark.core.backup import backup as take

    url = database_url(database)
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
