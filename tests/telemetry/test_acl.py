"""`digipark mqtt acl`: Mosquitto password and ACL files, checked against a real Mosquitto."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from typer.testing import CliRunner

from digipark.cli import app
from digipark.registry.device_tokens import token_digest
from digipark.telemetry.acl import mosquitto_hash, verify_mosquitto_hash, write_acl_files
from tests.conftest import World, service_unavailable

MOSQUITTO = "/usr/sbin/mosquitto"
# written by `mosquitto_passwd -c -b file dev1 secret` (Mosquitto 2.0.11)
MOSQUITTO_PASSWD_LINE = (
    "dev1:$7$101$gfZnskB4gIz2lj/K$"
    "eLa1LAahPHmlmBUqDE4e5GvxI3XBDCXIAviPvjVm+MieMXp/gnWmtzpA1vo3yloJhu5WZb4hVhnNWQVGcwWg7g=="
)


def test_the_hash_is_the_one_mosquitto_passwd_writes() -> None:
    hashed = MOSQUITTO_PASSWD_LINE.split(":", 1)[1]
    assert verify_mosquitto_hash("secret", hashed)
    assert not verify_mosquitto_hash("Secret", hashed)
    assert mosquitto_hash("secret", salt=base64.b64decode(hashed.split("$")[3])) == hashed
    assert mosquitto_hash("secret") != mosquitto_hash("secret")  # a new salt each time


def test_files_hold_the_platform_user_and_only_digests_of_device_tokens(tmp_path: Path) -> None:
    digests = {token: token_digest(token) for token in ("tok-a", "tok-b", "tok-gw")}
    result = write_acl_files(
        tmp_path, [digests["tok-a"], digests["tok-b"]], platform_password="pw", gateway_digests=[digests["tok-gw"]]
    )
    assert result.devices == 3
    users = dict(line.split(":", 1) for line in result.password_file.read_text().splitlines())
    assert set(users) == {"digipark"} and verify_mosquitto_hash("pw", users["digipark"])
    acl = result.acl_file.read_text()
    assert (
        "user digipark\ntopic read digipark/v1/+/telemetry\ntopic read digipark/v1/+/gateway/telemetry\n"
        "topic read v1/gateway/telemetry\n"
    ) in acl
    devices = result.devices_file.read_text()
    lines = [line for line in devices.splitlines() if not line.startswith("#")]
    assert lines == [f"{digests['tok-a']} device", f"{digests['tok-b']} device", f"{digests['tok-gw']} gateway"]
    for path in (result.password_file, result.acl_file, result.devices_file):
        assert "tok-" not in path.read_text()  # no token in any file
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError, match="not a token digest"):
        write_acl_files(tmp_path, ["tok-a"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def mosquitto_with(folder: Path, passwd: Path, acl: Path, extra: Sequence[str] = ()) -> Iterator[int]:
    if not Path(MOSQUITTO).exists():
        service_unavailable(f"Mosquitto binary {MOSQUITTO}")
    port = _free_port()
    conf = folder / "mosquitto.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous false", f"password_file {passwd}", f"acl_file {acl}"]
    lines += ["persistence false", "log_dest stderr", *extra]
    if os.geteuid() == 0:
        lines.append("user root")
    conf.write_text("\n".join(lines) + "\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        else:
            pytest.fail("mosquitto did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def connected_client(
    port: int, user: str, password: str | None, *, client_id: str | None = None
) -> tuple[paho.Client, int]:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id or f"acl-{user}")
    client.username_pw_set(user, password)
    codes: list[int] = []
    connected = threading.Event()

    def on_connect(c: paho.Client, u: object, flags: object, reason: paho.ReasonCode, props: object) -> None:
        codes.append(reason.value)
        connected.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert connected.wait(5)
    return client, codes[0]


def test_cli_writes_the_files_for_the_parks_devices(database_url: str, world: World, tmp_path: Path) -> None:
    out = tmp_path / "mqtt"
    result = CliRunner().invoke(
        app, ["mqtt", "acl", "--out", str(out), "--park", "TA", "--database", database_url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "platform: DIGIPARK_MQTT_URL=mqtt://digipark:" in result.output
    acl = (out / "digipark.acl").read_text()
    users = [line.split(":", 1)[0] for line in (out / "digipark.passwd").read_text().splitlines()]
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from digipark.core.db import make_engine
    from digipark.registry.models import Device

    engine = make_engine(database_url)
    with Session(engine) as session:
        digests_a = set(session.scalars(select(Device.token_hash).where(Device.park_id == world.a.park_id)))
        digests_b = set(session.scalars(select(Device.token_hash).where(Device.park_id == world.b.park_id)))
    engine.dispose()
    assert users == ["digipark"] and "user digipark\n" in acl
    listed = {line.split()[0] for line in (out / "digipark.devices").read_text().splitlines() if line[:1] != "#"}
    assert digests_a and listed == digests_a and not digests_b & listed


def test_cli_ingest_explains_a_missing_source() -> None:
    env = {"DIGIPARK_MQTT_URL": "", "DIGIPARK_STREAM_URL": ""}
    result = CliRunner().invoke(app, ["ingest", "--worker"], env=env)
    assert result.exit_code == 1
    assert "error: --worker: a worker consumes the stream: set DIGIPARK_STREAM_URL" in result.output
