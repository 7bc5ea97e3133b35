"""The `digipark` command: demo, serve, resolver, ingest, backup, restore, mqtt, db, users, parks, import, export,
audit, evaluate, shard and modules.

Every command answers a domain error, a bad argument or an unreachable database with one line on stderr
("error: ...") and a non-zero exit code, never a traceback (`cli.errors`). Writes happen in one transaction with the
audit actor ``cli:<os user>`` (`cli.options.writing`). One module per command group.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

import digipark.modules  # noqa: F401  (installs the module records: workers start their background services)
from digipark.cli import (
    audit,
    backup,
    connect,
    evaluation,
    ingest,
    migrations,
    parks,
    registry,
    resolver,
    serving,
    shards,
    users,
)
from digipark.cli.errors import EXIT_USAGE, CommandGroup, describe_error
from digipark.cli.modules import modules
from digipark.cli.options import command_group

__all__ = ["app", "describe_error", "main"]

app = command_group(
    "digipark — unified digital platform of a high-standard digital industrial park (园区统一数字平台).",
    cls=CommandGroup,
)
app.command()(serving.demo)
app.command()(serving.serve)
app.command()(resolver.resolver)
app.command()(ingest.ingest)
app.command()(backup.backup)
app.command()(backup.restore)
app.command("import")(registry.import_rows)
app.command("export")(registry.export_rows)
app.command("evaluate")(evaluation.evaluate)
app.command("modules")(modules)
app.add_typer(migrations.db_app, name="db")
app.add_typer(users.users_app, name="users")
app.add_typer(parks.parks_app, name="parks")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(ingest.mqtt_app, name="mqtt")
app.add_typer(connect.connect_app, name="connect")
app.add_typer(shards.shard_app, name="shard")


def _version(value: bool) -> None:
    if value:
        from digipark import __version__

        typer.echo(f"digipark {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """digipark — unified digital platform of a high-standard digital industrial park."""


def main() -> None:
    """Console entry point: configure logging from the settings, then run the command."""
    from pydantic import ValidationError

    from digipark.core import memtrace
    from digipark.core.config import get_settings
    from digipark.core.logs import configure

    try:
        settings = get_settings()
    except ValidationError as exc:
        typer.echo(f"error: bad DIGIPARK_* setting: {describe_error(exc)}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    configure(settings.log_level, json_lines=settings.log_json)
    memtrace.start_if_configured()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app(prog_name="digipark")
