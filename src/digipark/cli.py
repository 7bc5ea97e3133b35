"""The `digipark` command: demo, serve, db, users, import, export and audit.

Every command answers a domain error, a bad argument or an unreachable database with one line on stderr
("error: ...") and a non-zero exit code, never a traceback. Writes happen in one transaction with the
audit actor ``cli:<os user>``.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import getpass
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from digipark.auth.models import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from digipark.audit.service import Actor
    from digipark.registry.excel import ImportReport
    from digipark.registry.models import Park
    from digipark.sim.demo import Progress

log = logging.getLogger("digipark.cli")

DEMO_DATABASE_URL = "sqlite:///./digipark-demo.db"
EXIT_ERROR = 1
EXIT_USAGE = 2


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong, for any error a command may meet."""
    from alembic.util import CommandError
    from pydantic import ValidationError
    from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

    from digipark.core.codes import CodeError
    from digipark.core.errors import DomainError

    if isinstance(exc, DomainError):
        return _one_line(exc.detail)
    if isinstance(exc, CodeError):
        return _one_line(str(exc))
    if isinstance(exc, ValidationError):
        return _one_line(
            "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors())
        )
    if isinstance(exc, OperationalError):
        return _one_line(f"database unavailable: {exc.orig}")
    if isinstance(exc, IntegrityError):
        return _one_line(f"the change conflicts with existing data: {exc.orig}")
    if isinstance(exc, SQLAlchemyError):
        return _one_line(f"database error: {exc}").split(" [SQL:")[0]
    if isinstance(exc, CommandError):
        return _one_line(f"migration: {exc}")
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return _one_line(f"{exc.strerror}{where}")
    return _one_line(f"unexpected {type(exc).__name__}: {exc}")


def _is(exc: BaseException, class_name: str) -> bool:
    """Whether exc is a click exception of that name (typer may vendor its own copy of click)."""
    return any(cls.__name__ == class_name for cls in type(exc).__mro__)


class _Commands(TyperGroup):
    """Turns every error of a subcommand into one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if isinstance(exc, typer.Exit | typer.Abort) or _is(exc, "Exit") or _is(exc, "Abort"):
                raise
            if _is(exc, "NoArgsIsHelpError"):
                raise
            if _is(exc, "UsageError"):
                failed = getattr(exc, "ctx", None)
                command = getattr(failed, "command_path", None) or "digipark"
                typer.echo(
                    f"error: {_one_line(exc.format_message())} (see '{command} --help')",  # type: ignore[attr-defined]
                    err=True,
                )
                raise typer.Exit(EXIT_USAGE) from None
            if _is(exc, "ClickException"):
                raise
            log.debug("command failed", exc_info=True)
            typer.echo(f"error: {describe_error(exc)}", err=True)
            raise typer.Exit(EXIT_ERROR) from None


def _typer(help_text: str, *, cls: type[TyperGroup] | None = None) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=cls,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


app = _typer(
    "digipark — unified digital platform of a high-standard digital industrial park (园区统一数字平台).", cls=_Commands
)
db_app = _typer("Database schema migrations.")
users_app = _typer("User accounts.")
audit_app = _typer("The hash-chained audit log.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


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


# ----------------------------------------------------------------------------------------------------------
# shared helpers

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy database URL (default: DIGIPARK_DATABASE_URL or ./digipark.db)."),
]
ParkOption = Annotated[str, typer.Option("--park", help="Code of the park.")]
HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on.")]


class ExcelKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    BUILDING = "building"
    DEVICE = "device"
    POINT = "point"


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _actor() -> Actor:
    from digipark.audit.service import Actor

    return Actor(f"cli:{_os_user()}")


def _shown_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _database_url(database: str | None) -> str:
    from digipark.core.config import get_settings

    return database or get_settings().database_url


def _use_database(url: str, *, export_env: bool = False) -> None:
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
def _writing(database: str | None) -> Iterator[Session]:
    """A transaction on the chosen database, audited as the OS user running the command."""
    from digipark.audit.service import set_actor
    from digipark.core.db import transaction

    _use_database(_database_url(database))
    with transaction() as db:
        set_actor(db, _actor())
        yield db


def _park(db: Session, code: str) -> Park:
    from digipark.core.errors import NotFound
    from digipark.registry.service import get_park_by_code

    park = get_park_by_code(db, code=code)
    if park is None:
        raise NotFound(f"unknown park {code!r}")
    return park


def _listen(host: str, port: int) -> socket.socket:
    """Bind the server socket now, so a taken port is reported before any work; exits 2 if it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            typer.echo(
                f"error: port {port} on {host} is already in use; stop that server or pick another --port", err=True
            )
        else:
            typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    return sock


def _serve_socket(sock: socket.socket, host: str, port: int) -> None:
    import uvicorn

    from digipark.app import create_app

    config = uvicorn.Config(create_app(), host=host, port=port, log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _browser_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


# ----------------------------------------------------------------------------------------------------------
# demo and serve

_STAGES = {
    "zones": "zones and land parcels",
    "buildings": "buildings and floors",
    "enterprises": "enterprises",
    "rooms": "units and leases",
    "devices": "devices and points",
    "accounts": "demo accounts",
    "statistics": "monthly statistics",
    "chains": "industry chains, leads",
    "transformation": "digital-maturity assessments, transformation records",
}


@contextlib.contextmanager
def _progress_bar(console: Console) -> Iterator[Progress]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _reset_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    from digipark.core import migrate

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
    else:
        migrate.downgrade(url, "base")


@app.command()
def demo(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    database: Annotated[
        str, typer.Option("--database", help="SQLAlchemy database URL of the demo.")
    ] = DEMO_DATABASE_URL,
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty database.")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the demo, then exit.")] = False,
) -> None:
    """Run the platform with a demo park (built on first start, reused after)."""
    from digipark.core import migrate
    from digipark.core.db import transaction
    from digipark.sim.demo import build_demo, build_demo_extras, demo_exists, demo_extras_missing

    sock = None if no_serve else _listen(host, port)
    try:
        console = _console()
        started = time.perf_counter()
        if reset:
            _reset_database(database)
        migrate.upgrade(database)
        _use_database(database, export_env=True)
        with transaction() as db:
            result = demo_exists(db)
            if result is None:
                console.print(f"building the demo park in {_shown_url(database)} ...")
                with _progress_bar(console) as progress:
                    # served: answer first, then write the transformation and evaluation data in the background
                    result = build_demo(db, progress=progress, extras=no_serve)
            extras_missing = demo_extras_missing(db, park_id=result.park_id)
        if no_serve and extras_missing:
            with transaction(write=True) as db:
                build_demo_extras(db, park_id=result.park_id)
            extras_missing = False
        counts = result.counts
        if result.created:
            console.print(
                f"demo park built in {time.perf_counter() - started:.1f} s: "
                + ", ".join(f"{n} {what}" for what, n in counts.items())
            )
        else:
            console.print(f"reusing the demo park in {_shown_url(database)} (--reset to rebuild)")
        table = Table(title="demo accounts")
        for column in ("role", "username", "password"):
            table.add_column(column)
        for role, username, password in result.accounts:
            table.add_row(role, username, password)
        console.print(table)
        if sock is None:
            return
        stoppers: list[Callable[[], None]] = []

        def after_start() -> None:
            if extras_missing:
                with transaction(write=True) as db:
                    build_demo_extras(db, park_id=result.park_id)
                console.print("demo transformation and evaluation data written")
            stoppers.append(_start_demo_telemetry(console))

        threading.Thread(target=after_start, name="digipark-demo-start", daemon=True).start()
        try:
            console.print(f"digipark demo at {_browser_url(host, port)}  (Ctrl+C to stop)")
            _serve_socket(sock, host, port)
        finally:
            for stop in stoppers:
                stop()
    finally:
        if sock is not None:
            sock.close()


def _start_demo_telemetry(console: Console) -> Callable[[], None]:
    """Start ingesting (embedded MQTT broker, or DIGIPARK_MQTT_URL) and the live simulator; return a stopper."""
    from digipark.telemetry.runtime import start_ingest_runtime

    runtime = start_ingest_runtime()
    host, port = runtime.host, runtime.port
    if host is not None and port is not None:
        console.print(f"MQTT broker for devices at mqtt://{host}:{port} (topic digipark/v1/<device token>/telemetry)")
    else:
        console.print(f"telemetry subscribed at {runtime.info.mqtt_url}")
    stop_simulator: Callable[[], None] | None = None
    try:
        from digipark.sim.telemetry_demo import start_demo_telemetry
    except ImportError as exc:
        console.print(f"live telemetry simulator not available ({exc}); ingest only")
    else:
        if host is None or port is None:
            from digipark.telemetry.mqtt import BrokerAddress

            address = BrokerAddress.parse(runtime.info.mqtt_url or "")
            host, port = address.host, address.port
        stop_simulator = start_demo_telemetry(host=host, port=port)

    def stop() -> None:
        if stop_simulator is not None:
            stop_simulator()
        runtime.stop()

    return stop


@app.command()
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    database: DatabaseOption = None,
) -> None:
    """Serve the web application and API."""
    import uvicorn

    url = _database_url(database)
    sock = _listen(host, port)
    _use_database(url, export_env=True)
    typer.echo(f"digipark at {_browser_url(host, port)} on {_shown_url(url)} with {workers} worker(s)")
    if workers == 1:
        try:
            _serve_socket(sock, host, port)
        finally:
            sock.close()
        return
    sock.close()  # the workers bind themselves
    uvicorn.run("digipark.app:create_app", factory=True, host=host, port=port, workers=workers)


# ----------------------------------------------------------------------------------------------------------
# ingest and mqtt

mqtt_app = _typer("MQTT broker credentials for devices.")
app.add_typer(mqtt_app, name="mqtt")


@app.command()
def ingest(
    worker: Annotated[
        bool, typer.Option("--worker", help="Consume the JetStream stream (DIGIPARK_STREAM_URL) and store it.")
    ] = False,
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen", metavar="HOST:PORT", help="Also run the embedded MQTT broker here (ThingsBoard devices)."
        ),
    ] = None,
    mqtt_url: Annotated[
        str | None, typer.Option("--mqtt-url", help="External broker to subscribe at (default: DIGIPARK_MQTT_URL).")
    ] = None,
    stream_url: Annotated[
        str | None,
        typer.Option("--stream-url", help="NATS JetStream, nats://host:port (default: DIGIPARK_STREAM_URL)."),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", min=1, help="Most messages per transaction.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Run ingestion as its own process: MQTT → database, MQTT → JetStream (bridge), JetStream → database (--worker)."""
    import asyncio
    import signal

    from digipark.core.config import get_settings
    from digipark.core.errors import field_error
    from digipark.telemetry.runtime import IngestInfo, IngestPlan, parse_listen, run_ingest

    settings = get_settings()
    try:
        listen_at = parse_listen(listen) if listen else None
    except ValueError as exc:
        raise field_error("--listen", str(exc)) from None
    stream = stream_url or settings.stream_url
    plan = IngestPlan(
        mqtt_url=None if worker else (mqtt_url or settings.mqtt_url),
        listen=None if worker else listen_at,
        stream_url=stream,
        worker=worker,
        batch_size=batch_size or settings.ingest_batch_size,
        max_pending=settings.ingest_max_pending,
        client_id=settings.mqtt_client_id,
    )
    if worker and not stream:
        raise field_error("--worker", "a worker consumes the stream: set DIGIPARK_STREAM_URL=nats://host:port")
    if not worker and not plan.mqtt_url and listen_at is None:
        raise field_error("--listen", "nothing to ingest from: set DIGIPARK_MQTT_URL or give --listen HOST:PORT")
    if worker or not stream:
        _use_database(_database_url(database))

    def ready(info: IngestInfo) -> None:
        typer.echo(f"digipark ingest: {info.describe()}  (Ctrl+C to stop)")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_ingest(plan, stop, ready)

    asyncio.run(main())
    typer.echo("digipark ingest: stopped")


@mqtt_app.command("acl")
def mqtt_acl(
    out: Annotated[Path, typer.Option("--out", help="Folder to write digipark.passwd and digipark.acl into.")],
    park: Annotated[str | None, typer.Option("--park", help="Only the devices of this park.")] = None,
    platform_user: Annotated[
        str, typer.Option("--platform-user", help="User name the platform subscribes with.")
    ] = "digipark",
    platform_password: Annotated[
        str | None, typer.Option("--platform-password", help="Its password (default: a new random one, printed).")
    ] = None,
    gateway_token: Annotated[
        list[str] | None,
        typer.Option("--gateway-token", help="Token of a gateway that may also publish to v1/gateway/telemetry."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write a Mosquitto password file and ACL: each device (user name and password = its token) may publish
    only to digipark/v1/<token>/telemetry; the platform user may subscribe."""
    from digipark.telemetry.acl import device_tokens, write_acl_files

    with _writing(database) as db:
        park_id = _park(db, park).id if park else None
        tokens = device_tokens(db, park_id=park_id)
    result = write_acl_files(
        out,
        tokens,
        platform_user=platform_user,
        platform_password=platform_password,
        gateway_tokens=gateway_token or (),
    )
    typer.echo(f"wrote {result.password_file} and {result.acl_file}: {result.devices} devices")
    if result.skipped:
        typer.echo(f"skipped {len(result.skipped)} tokens that cannot be MQTT user names", err=True)
    if platform_password is None:
        typer.echo(f"platform: DIGIPARK_MQTT_URL=mqtt://{platform_user}:{result.platform_password}@<broker host>:1883")


# ----------------------------------------------------------------------------------------------------------
# db


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
    database: DatabaseOption = None,
) -> None:
    """Apply migrations up to a revision (default: the latest)."""
    from digipark.core import migrate

    url = _database_url(database)
    migrate.upgrade(url, revision)
    typer.echo(f"{_shown_url(url)}: at revision {migrate.current(url) or '(empty)'}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Option("--revision", help="Target revision ('base': empty).")] = "-1",
    database: DatabaseOption = None,
) -> None:
    """Revert migrations down to a revision (default: one step)."""
    from digipark.core import migrate

    url = _database_url(database)
    migrate.downgrade(url, revision)
    typer.echo(f"{_shown_url(url)}: at revision {migrate.current(url) or '(empty)'}")


@db_app.command("current")
def db_current(database: DatabaseOption = None) -> None:
    """Print the revision the database is at."""
    from digipark.core import migrate

    url = _database_url(database)
    typer.echo(migrate.current(url) or "(empty)")


# ----------------------------------------------------------------------------------------------------------
# users


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    role: Annotated[Role, typer.Option("--role", help="Role of the user.")],
    park: ParkOption,
    enterprise_uscc: Annotated[
        str | None, typer.Option("--enterprise-uscc", help="USCC of the user's enterprise (role enterprise).")
    ] = None,
    password: Annotated[str | None, typer.Option("--password", help="Password; asked for when left out.")] = None,
    extra_park: Annotated[
        list[str] | None, typer.Option("--extra-park", help="Code of a further park a reviewer may read (repeatable).")
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the UI.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Create a user account."""
    from sqlalchemy import select

    from digipark.auth import service as auth_service
    from digipark.auth.schemas import UserCreate
    from digipark.core.codes import validate_uscc
    from digipark.core.errors import NotFound, field_error
    from digipark.registry.models import Enterprise

    extra_codes = extra_park or []
    if role == Role.ENTERPRISE and not enterprise_uscc:
        raise field_error("--enterprise-uscc", "an enterprise user needs the USCC of their enterprise")
    if role != Role.ENTERPRISE and enterprise_uscc:
        raise field_error("--enterprise-uscc", "only enterprise users belong to an enterprise")
    if extra_codes and role != Role.REVIEWER:
        raise field_error("--extra-park", "only reviewers read further parks")
    uscc = validate_uscc(enterprise_uscc) if enterprise_uscc else None
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    checked = UserCreate(username=username, password=password, role=role, display_name=display_name, email=email)
    with _writing(database) as db:
        home = _park(db, park)
        extra_ids = tuple(dict.fromkeys(_park(db, code).id for code in extra_codes if code != park))
        enterprise_id: int | None = None
        if uscc is not None:
            enterprise_id = db.scalar(
                select(Enterprise.id).where(Enterprise.park_id == home.id, Enterprise.uscc == uscc)
            )
            if enterprise_id is None:
                raise NotFound(f"no enterprise with USCC {uscc} in park {park!r}")
        user = auth_service.create(
            db,
            username=checked.username,
            password=checked.password,
            role=role,
            display_name=checked.display_name,
            email=checked.email,
            park_id=home.id,
            enterprise_id=enterprise_id,
            extra_park_ids=extra_ids,
        )
        also = f", also reading {', '.join(c for c in extra_codes if c != park)}" if extra_ids else ""
        typer.echo(f"created user {user.username!r} ({role.value}) in park {home.code}{also}")


@users_app.command("list")
def users_list(
    park: Annotated[str | None, typer.Option("--park", help="Only users of this park.")] = None,
    database: DatabaseOption = None,
) -> None:
    """List user accounts."""
    from sqlalchemy import select

    from digipark.auth.models import User
    from digipark.registry.models import Enterprise, Park

    with _writing(database) as db:
        stmt = (
            select(User, Park.code, Enterprise.name)
            .outerjoin(Park, Park.id == User.park_id)
            .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
            .order_by(User.id)
        )
        if park is not None:
            stmt = stmt.where(User.park_id == _park(db, park).id)
        rows = db.execute(stmt).all()
    table = Table(title=f"{len(rows)} users")
    for column in ("id", "username", "name", "role", "park", "enterprise", "active", "last login"):
        table.add_column(column)
    for user, park_code, enterprise_name in rows:
        last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else ""
        table.add_row(
            str(user.id),
            user.username,
            user.display_name,
            user.role,
            park_code or "",
            enterprise_name or "",
            "yes" if user.is_active else "no",
            last,
        )
    _console().print(table)


# ----------------------------------------------------------------------------------------------------------
# import and export


def _report_of(exc: Exception) -> ImportReport | None:
    from digipark.registry.excel import ImportReport, RowError

    report = getattr(exc, "report", None)
    if isinstance(report, ImportReport):
        return report
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors and all(isinstance(e, dict) and "row" in e for e in errors):
        rows = [RowError(row=int(e["row"]), column=e.get("column"), reason=str(e.get("reason", ""))) for e in errors]
        return ImportReport(kind="", rows=len({r.row for r in rows}), errors=rows)
    return None


def _print_report(report: ImportReport, file: Path, detail: str | None = None) -> None:
    console = _console(stderr=True)
    table = Table(title=f"{file.name}: {detail or f'{len(report.errors)} errors; nothing was imported'}")
    for column in ("row", "column", "reason"):
        table.add_column(column)
    for error in report.errors:
        table.add_row(str(error.row), error.column or "", error.reason)
    console.print(table)


@app.command("import")
def import_rows(
    kind: Annotated[ExcelKind, typer.Argument(help="Kind of rows in the file.")],
    file: Annotated[Path, typer.Argument(help="Excel workbook (.xlsx).")],
    park: ParkOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file, save nothing.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Import registry rows from an Excel workbook: all rows or none."""
    from digipark.auth.scope import system_scope
    from digipark.core.errors import DomainError
    from digipark.registry import excel

    content = file.read_bytes()
    with _writing(database) as db:
        scope = system_scope(_park(db, park).id)
        try:
            report = excel.import_or_raise(db, scope=scope, kind_key=kind.value, content=content, dry_run=dry_run)
        except DomainError as exc:
            failed = _report_of(exc)
            if failed is None:
                raise
            _print_report(failed, file, exc.detail)
            raise typer.Exit(EXIT_ERROR) from None
        if report.errors:
            _print_report(report, file)
            raise typer.Exit(EXIT_ERROR)  # rolls the transaction back
    saved = "dry run, nothing saved" if dry_run else "saved"
    typer.echo(
        f"{file.name}: {report.rows} {kind.value} rows checked, {report.created} created, "
        f"{report.updated} updated ({saved})"
    )


@app.command("export")
def export_rows(
    kind: Annotated[ExcelKind, typer.Argument(help="Kind of rows to export.")],
    file: Annotated[Path, typer.Argument(help="Target file: .xlsx or .csv.")],
    park: ParkOption,
    database: DatabaseOption = None,
) -> None:
    """Export registry rows of a park to Excel or CSV."""
    from digipark.auth.scope import system_scope
    from digipark.core.errors import field_error
    from digipark.core.listing import ListQuery
    from digipark.registry import excel

    fmt = file.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise field_error("FILE", f"{file.name}: the name must end in .xlsx or .csv")
    with _writing(database) as db:
        scope = system_scope(_park(db, park).id)
        content, _ = excel.export_rows(db, scope=scope, kind_key=kind.value, query=ListQuery(), fmt=fmt)
    file.write_bytes(content)
    typer.echo(f"wrote {kind.value} rows of park {park} to {file} ({len(content)} bytes)")


# ----------------------------------------------------------------------------------------------------------
# audit


@audit_app.command("verify")
def audit_verify(database: DatabaseOption = None) -> None:
    """Check the hash chain of the audit log; exit 1 when it is broken."""
    from digipark.audit import service as audit_service

    with _writing(database) as db:
        result = audit_service.verify(db)
    if result.ok:
        typer.echo(f"audit chain OK: {result.checked} entries")
        return
    typer.echo(f"audit chain BROKEN at entry {result.first_broken_id}: {result.reason}")
    raise typer.Exit(EXIT_ERROR)


# ----------------------------------------------------------------------------------------------------------


@app.command("evaluate")
def evaluate(
    park: ParkOption,
    year: Annotated[
        int | None, typer.Option("--year", help="Year; a signed year shows its snapshot (default: this year).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report: .pdf, .xlsx or .html.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: zh or en.")] = "zh",
    database: DatabaseOption = None,
) -> None:
    """Evaluate a park against the guide's four construction standards (live, or the signed snapshot of a year)."""
    from digipark.auth.scope import system_scope
    from digipark.core.errors import field_error
    from digipark.evaluation import report
    from digipark.evaluation import service as evaluation

    if lang not in ("zh", "en"):
        raise field_error("--lang", "zh or en")
    fmt = out.suffix.lower().lstrip(".") if out is not None else None
    if out is not None and fmt not in report.MEDIA_TYPES:
        raise field_error("--out", f"{out.name}: the name must end in .pdf, .xlsx or .html")
    with _writing(database) as db:
        scope = system_scope(_park(db, park).id)
        found = evaluation.for_year(db, scope=scope, park_id=scope.park_id, year=year)
    shown = report.present(found, lang)
    head = report.heading(found, lang)
    table = Table(title=f"{head['park']} · {head['year']} · {head['kind']}")
    for column in ("code", "indicator", "value", "target", "status", "source"):
        table.add_column(column)
    for item in shown["indicators"]:
        table.add_row(item["code"], item["name"], item["value"], item["target"], item["status"], item["source_label"])
    _console().print(table)
    typer.echo(
        f"standards met: {found.met_standards}/{len(found.standards)}, indicators met: "
        f"{found.met_indicators}/{found.indicators}, declared: {found.declared_indicators}, gaps: {len(found.gaps)}"
        + (f", signed by {found.signer_name} ({found.signed_by})" if found.snapshot_id else ", live")
    )
    if out is not None and fmt is not None:
        content, _, _ = report.render(found, fmt, lang)
        out.write_bytes(content)
        typer.echo(f"wrote the {fmt} report of park {park} ({found.year}) to {out} ({len(content)} bytes)")


def main() -> None:
    """Console entry point: configure logging from the settings, then run the command."""
    from pydantic import ValidationError

    from digipark.core.config import get_settings
    from digipark.core.logs import configure

    try:
        settings = get_settings()
    except ValidationError as exc:
        typer.echo(f"error: bad DIGIPARK_* setting: {describe_error(exc)}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    configure(settings.log_level, json_lines=settings.log_json)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app(prog_name="digipark")
