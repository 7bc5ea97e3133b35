"""`digipark audit`: the hash-chained audit log."""

from __future__ import annotations

import typer

from digipark.cli.errors import EXIT_ERROR
from digipark.cli.options import DatabaseOption, command_group, writing

audit_app = command_group("The hash-chained audit log.")


@audit_app.command("verify")
def audit_verify(database: DatabaseOption = None) -> None:
    """Check the hash chain of the audit log; exit 1 when it is broken."""
    from digipark.audit import service as audit_service

    with writing(database) as db:
        result = audit_service.verify(db)
    if result.ok:
        typer.echo(f"audit chain OK: {result.checked} entries")
        return
    typer.echo(f"audit chain BROKEN at entry {result.first_broken_id}: {result.reason}")
    raise typer.Exit(EXIT_ERROR)
