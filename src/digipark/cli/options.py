"""What the commands share: how a command group is made, the common options, the console, the database a
command works on, the audit actor of its writes, a park by its code."""

from __future__ import annotations

import contextlib
import getpass
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from digipark.audit.service import Actor
    from digipark.registry.models import Park

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy database URL (default: DIGIPARK_DATABASE_URL or ./digipark.db)."),
]
ParkOption = Annotated[str, typer.Option("--park", help="Code of the park.")]
HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on.")]


def command_group(help_text: str, *, cls: type[TyperGroup] | None = None) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=cls,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


def make_console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def cli_actor() -> Actor:
    from digipark.audit.service import Actor

    return Actor(f"cli:{os_user()}")


def shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def database_url(database: str | None) -> str:
    from digipark.core.config import get_settings

    return database or get_settings().database_url


def use_database(url: str, *, export_env: bool = False) -> None:
    """Point this process (and, with export_env, the server workers it starts) at a database."""
    from digipark.audit import service as audit_service
    from digipark.core import db as core_db
    from digipark.core.config import get_settings

    if export_env:
        os.environ["DIGIPARK_DATABASE_URL"] = url
        get_settings.cache_clear()
    core_db.use_engine(core_db.make_engine(url))
    audit_service.install()


@contextlib.contextmanager
def writing(database: str | None) -> Iterator[Session]:
    """A writing transaction on the chosen database (it takes SQLite's write lock when it begins, so it waits
    for a running server's writes instead of failing), audited as the OS user running the command."""
    from digipark.audit.service import set_actor
    from digipark.core.db import transaction

    use_database(database_url(database))
    with transaction(write=True, name="digipark command") as db:
        set_actor(db, cli_actor())
        yield db


@contextlib.contextmanager
def reading(database: str | None) -> Iterator[Session]:
    """A reading transaction on the chosen database, for commands that change nothing."""
    from digipark.core.db import transaction

    use_database(database_url(database))
    with transaction(name="digipark command") as db:
        yield db


def park_by_code(db: Session, code: str) -> Park:
    from digipark.core.errors import NotFound
    from digipark.registry.service import get_park_by_code

    park = get_park_by_code(db, code=code)
    if park is None:
        raise NotFound(f"unknown park {code!r}")
    return park
