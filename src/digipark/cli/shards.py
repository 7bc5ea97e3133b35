"""`digipark shard`: a park's raw readings on another PostgreSQL server (telemetry.shards, docs/scale.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from digipark.cli.options import DatabaseOption, ParkOption, command_group, make_console, park_by_code, reading, writing

shard_app = command_group("A park's raw readings on another PostgreSQL server (postgres_fdw).")

ServerOption = Annotated[
    str,
    typer.Option(
        "--server",
        help="The other server's database, as a URL: postgresql://user[:password]@host:port/dbname.",
    ),
]


@shard_app.command("attach")
def shard_attach(park: ParkOption, server: ServerOption, database: DatabaseOption = None) -> None:
    """Keep the park's raw readings on another server from now on, moving those stored here (idempotent;
    audited as the OS user). Needs PostgreSQL and a superuser here (postgres_fdw)."""
    from digipark.telemetry import shards

    with writing(database) as db:
        moved = shards.attach(db, park_by_code(db, park), server)
    where = f"{moved.shard.host}:{moved.shard.port}/{moved.shard.dbname}"
    if moved.changed:
        typer.echo(f"park {park}: raw readings now on {where} ({moved.readings} moved there)")
    else:
        typer.echo(f"park {park}: raw readings already on {where}; nothing changed")


@shard_app.command("detach")
def shard_detach(park: ParkOption, database: DatabaseOption = None) -> None:
    """Bring the park's raw readings back to this server (idempotent; audited as the OS user)."""
    from digipark.telemetry import shards

    with writing(database) as db:
        moved = shards.detach(db, park_by_code(db, park))
    if moved is None:
        typer.echo(f"park {park}: raw readings are on this server already; nothing changed")
    else:
        typer.echo(f"park {park}: raw readings back on this server ({moved.readings} moved back)")


@shard_app.command("list")
def shard_list(database: DatabaseOption = None) -> None:
    """The parks whose raw readings are on another server."""
    from sqlalchemy import select

    from digipark.registry.models import Park
    from digipark.telemetry import shards

    with reading(database) as db:
        rows = shards.shards(db)
        codes = dict(db.execute(select(Park.id, Park.code)).tuples().all())
    table = Table(title=f"{len(rows)} parks on other servers")
    for column in ("park", "server", "host", "port", "database"):
        table.add_column(column)
    for row in rows:
        table.add_row(codes.get(row.park_id, str(row.park_id)), row.server, row.host, row.port, row.dbname)
    make_console().print(table)
