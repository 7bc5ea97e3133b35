"""`digipark demo` and `digipark serve`: the web application, with the demo park and its live telemetry or on a
configured database."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from digipark.cli.errors import EXIT_USAGE
from digipark.cli.options import (
    DatabaseOption,
    HostOption,
    PortOption,
    database_url,
    make_console,
    shown_url,
    use_database,
)

if TYPE_CHECKING:
    from digipark.sim.demo import Progress

DEMO_DATABASE_URL = "sqlite:///./digipark-demo.db"
# the idle demo's devices trickle in: batches wait this long for more, a few transactions a second instead of dozens
DEMO_INGEST_LINGER_S = 0.25


def listen(host: str, port: int) -> socket.socket:
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


def serve_socket(sock: socket.socket, host: str, port: int) -> None:
    import uvicorn

    from digipark.app import create_app
    from digipark.core.collector import settle_for_serving

    app = create_app()
    settle_for_serving()
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def browser_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


@contextlib.contextmanager
def _progress_bar(console: Console) -> Iterator[Progress]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from digipark.sim.demo import stage_labels

    labels = stage_labels()

    with Progress(
        TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
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
    from digipark.sim.demo import (
        build_demo,
        build_demo_extras_in_parts,
        demo_exists,
        demo_extras_missing,
        demo_parts,
    )

    sock = None if no_serve else listen(host, port)
    try:
        console = make_console()
        started = time.perf_counter()
        if reset:
            _reset_database(database)
        migrate.upgrade(database)
        use_database(database, export_env=True)
        with transaction(name="demo check") as db:
            result = demo_exists(db)
        if result is None:
            console.print(f"building the demo park in {shown_url(database)} ...")
            with transaction(write=True, name="demo park") as db, _progress_bar(console) as progress:
                # served: answer first, then write the transformation and evaluation data in the background
                result = build_demo(db, progress=progress, extras=False)
        with transaction(name="demo check") as db:
            extras_missing = demo_extras_missing(db, park_id=result.park_id)
        if no_serve and extras_missing:
            build_demo_extras_in_parts(park_id=result.park_id)
            extras_missing = False
        counts = result.counts
        if result.created:
            console.print(
                f"demo park built in {time.perf_counter() - started:.1f} s: "
                + ", ".join(f"{n} {what}" for what, n in counts.items())
            )
        else:
            console.print(f"reusing the demo park in {shown_url(database)} (--reset to rebuild)")
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
                build_demo_extras_in_parts(park_id=result.park_id)
                written = dict.fromkeys(part.module for part in demo_parts() if part.after_start)
                console.print(f"demo data of {', '.join(written)} written")
            stoppers.append(_start_demo_telemetry(console))

        threading.Thread(target=after_start, name="digipark-demo-start", daemon=True).start()
        try:
            console.print(f"digipark demo at {browser_url(host, port)}  (Ctrl+C to stop)")
            serve_socket(sock, host, port)
        finally:
            for stop in stoppers:
                stop()
    finally:
        if sock is not None:
            sock.close()


def _start_demo_telemetry(console: Console) -> Callable[[], None]:
    """Start ingesting (embedded MQTT broker, or DIGIPARK_MQTT_URL) and the live simulator; return a stopper."""
    from digipark.telemetry.runtime import start_ingest_runtime

    runtime = start_ingest_runtime(linger_s=DEMO_INGEST_LINGER_S)
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
        credentials = None
        if host is None or port is None:
            from digipark.telemetry.mqtt import BrokerAddress

            address = BrokerAddress.parse(runtime.info.mqtt_url or "")
            host, port = address.host, address.port
        else:  # the embedded broker: the simulator publishes for every device as its service account
            from digipark.telemetry.broker_access import service_credentials

            credentials = service_credentials()
        stop_simulator = start_demo_telemetry(host=host, port=port, credentials=credentials)
    stop_devices: Callable[[], None] | None = None
    try:  # the demo's HJ 212 monitor, Modbus meter and shut-off valve, as their protocols
        from digipark.devices.demo import start_demo_devices
        from digipark.telemetry.broker_access import service_credentials as demo_credentials

        embedded = (runtime.host, runtime.port) if runtime.host is not None and runtime.port is not None else None
        stop_devices = start_demo_devices(broker=embedded, credentials=demo_credentials() if embedded else None)
    except Exception as exc:  # the demo serves without them
        console.print(f"demo devices not started ({exc})")

    def stop() -> None:
        if stop_devices is not None:
            stop_devices()
        if stop_simulator is not None:
            stop_simulator()
        runtime.stop()

    return stop


def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    database: DatabaseOption = None,
) -> None:
    """Serve the web application and API."""
    import uvicorn

    url = database_url(database)
    sock = listen(host, port)
    use_database(url, export_env=True)
    typer.echo(f"digipark at {browser_url(host, port)} on {shown_url(url)} with {workers} worker(s)")
    if workers == 1:
        try:
            serve_socket(sock, host, port)
        finally:
            sock.close()
        return
    sock.close()  # the workers bind themselves
    from digipark.core import collector

    os.environ[collector.ASK] = "1"  # each worker settles its collector once it built the application
    uvicorn.run("digipark.app:create_app", factory=True, host=host, port=port, workers=workers)
