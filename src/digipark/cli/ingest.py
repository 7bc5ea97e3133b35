"""`digipark ingest` (ingestion as its own process), `digipark mqtt acl` (broker credentials for devices) and
`digipark mqtt rotate-token` (a device's new token)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from digipark.cli.options import DatabaseOption, command_group, database_url, park_by_code, use_database, writing

mqtt_app = command_group("MQTT broker credentials for devices.")


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
    if worker or not stream or listen_at is not None:  # the embedded broker looks device tokens up there
        use_database(database_url(database))

    def ready(info: IngestInfo) -> None:
        from digipark.core.collector import settle_for_throughput

        settle_for_throughput()
        typer.echo(f"digipark ingest: {info.describe()}  (Ctrl+C to stop)")
        if info.listen is not None:
            user = settings.mqtt_service_user
            if settings.mqtt_service_password:
                typer.echo(f"embedded broker: devices log in with their token; service account {user!r}")
            else:
                typer.echo(
                    "embedded broker: devices log in with their token; no service account can log in from outside "
                    "(set DIGIPARK_MQTT_SERVICE_PASSWORD to subscribe)"
                )

    if settings.metrics_port is not None:
        from digipark.core.metrics import serve_metrics

        serve_metrics(settings.metrics_port)

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
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    park: Annotated[str | None, typer.Option("--park", help="Only the devices of this park.")] = None,
    platform_user: Annotated[
        str, typer.Option("--platform-user", help="User name the platform subscribes with.")
    ] = "digipark",
    platform_password: Annotated[
        str | None, typer.Option("--platform-password", help="Its password (default: a new random one, printed).")
    ] = None,
    gateway_token: Annotated[
        list[str] | None,
        typer.Option(
            "--gateway-token",
            help="Token of a gateway that may also publish to v1/gateway/telemetry (devices whose protocol is "
            "'gateway' may already).",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write the Mosquitto files: the devices file of token digests for the plugin digipark_topics (each device,
    user name = its token, may publish only to its own topics and subscribe only to its downlink topics) and
    the password file and ACL of the platform user, which may subscribe."""
    from digipark.registry.device_tokens import token_digest
    from digipark.telemetry.acl import device_credentials, write_acl_files

    with writing(database) as db:
        park_id = park_by_code(db, park).id if park else None
        credentials = device_credentials(db, park_id=park_id)
    result = write_acl_files(
        out,
        [digest for digest, _gateway in credentials],
        platform_user=platform_user,
        platform_password=platform_password,
        gateway_digests=[
            *(digest for digest, gateway in credentials if gateway),
            *(token_digest(token) for token in gateway_token or ()),
        ],
    )
    typer.echo(f"wrote {result.password_file}, {result.acl_file} and {result.devices_file}: {result.devices} devices")
    if platform_password is None:
        typer.echo(f"platform: DIGIPARK_MQTT_URL=mqtt://{platform_user}:{result.platform_password}@<broker host>:1883")


@mqtt_app.command("rotate-token")
def rotate_token(
    device_code: Annotated[str, typer.Argument(help="The device's code in its park.")],
    park: Annotated[str, typer.Option("--park", help="Code of the device's park.")],
    database: DatabaseOption = None,
) -> None:
    """Give a device a new token (printed once; the old one stops working at once) — audited."""
    from sqlalchemy import select

    from digipark.auth.scope import system_scope
    from digipark.core.errors import NotFound
    from digipark.registry.models import Device
    from digipark.registry.service import rotate_device_token

    with writing(database) as db:
        park_id = park_by_code(db, park).id
        device_id = db.scalar(select(Device.id).where(Device.park_id == park_id, Device.code == device_code))
        if device_id is None:
            raise NotFound(f"no device {device_code!r} in park {park!r}")
        token = rotate_device_token(db, scope=system_scope(park_id), ident=device_id)
    typer.echo(f"new token of {device_code}: {token}")
    typer.echo("it is shown only now; the device must use it from now on", err=True)
