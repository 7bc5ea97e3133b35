"""`digipark audit`: the hash-chained audit log and its signed checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from digipark.cli.errors import EXIT_ERROR
from digipark.cli.options import DatabaseOption, command_group, database_url, use_database

audit_app = command_group("The hash-chained audit log.")

CheckpointFileOption = Annotated[
    Path | None,
    typer.Option("--checkpoint", help="verify against this exported checkpoint instead of the latest stored one"),
]
ExportOption = Annotated[Path | None, typer.Option("--export", help="also write the new checkpoint to this file")]


@audit_app.command("verify")
def audit_verify(database: DatabaseOption = None, checkpoint: CheckpointFileOption = None) -> None:
    """Check the hash chain of the audit log and, with a checkpoint key, the latest signed checkpoint (or the
    one given); exit 1 when either fails."""
    from digipark.audit import checkpoints
    from digipark.audit import service as audit_service
    from digipark.core.db import transaction

    given = checkpoints.load(checkpoint) if checkpoint is not None else None
    key = checkpoints.required_key() if given is not None else checkpoints.signing_key()
    use_database(database_url(database))
    with transaction() as db:
        if key is None:
            chain = audit_service.verify(db)
            result = checkpoints.CheckpointResult(chain.ok, chain.checked, None, chain.reason, chain.first_broken_id)
        else:
            result = checkpoints.verify(db, key=key, checkpoint=given)
    if not result.ok:
        typer.echo(f"audit chain BROKEN at entry {result.first_broken_id}: {result.reason}")
        raise typer.Exit(EXIT_ERROR)
    typer.echo(f"audit chain OK: {result.checked} entries")
    if key is None:
        typer.echo("no checkpoint key configured: signed checkpoints were not checked", err=True)
    elif result.checkpoint is None:
        typer.echo("no signed checkpoint yet (digipark audit checkpoint makes one)", err=True)
    else:
        made = result.checkpoint.created_at.isoformat()
        typer.echo(f"matches the checkpoint signed {made} at entry {result.checkpoint.last_id}")


@audit_app.command("checkpoint")
def audit_checkpoint(database: DatabaseOption = None, export: ExportOption = None) -> None:
    """Sign the current head of the audit chain with the checkpoint key, store it and optionally export it."""
    from digipark.audit import checkpoints
    from digipark.core.db import transaction

    key = checkpoints.required_key()
    use_database(database_url(database))
    with transaction(write=True) as db:
        made = checkpoints.make(db, key)
    if export is not None:
        checkpoints.export(made, export)
    typer.echo(f"checkpoint signed at entry {made.last_id} ({made.last_hash[:16]}…)")
    if export is not None:
        typer.echo(f"exported to {export}")
