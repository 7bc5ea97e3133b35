"""Device tokens are stored hashed, shown once (in the answer that creates or rotates them), rotatable from the
API, the CLI and the device page, audited, and the embedded broker refuses the old token at once (issue 14 item 1)."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.cli import app
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device
from digipark.registry.service import rotate_device_token
from digipark.telemetry import mqtt
from digipark.telemetry.ingest import InboundMessage, Ingestor, now_ms
from digipark.telemetry.runtime import IngestPlan, IngestRuntime, start_plan
from tests.conftest import World, bearer
from tests.device_tokens import issue_token
from tests.telemetry.test_mqtt_ingest import Meter, meters
from tests.web.helpers import form_token, login

__all__ = ["meters"]


@pytest.fixture
def runtime(engine: Engine, world: World) -> Iterator[IngestRuntime]:
    running = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    yield running
    running.stop()


def connack_code(port: int, token: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(mqtt.connect_packet(f"rot-{uuid.uuid4().hex[:8]}", username=token))
        answer = sock.recv(4)
    assert answer[:3] == b"\x20\x02\x00"
    return answer[3]


def rotation_audits(session: Session, device_id: int) -> int:
    return len(
        session.scalars(
            select(AuditEntry.id).where(
                AuditEntry.action == "device_token_rotated",
                AuditEntry.entity_type == "device",
                AuditEntry.entity_id == str(device_id),
            )
        ).all()
    )


def test_after_rotation_the_broker_refuses_the_old_token_and_accepts_the_new(
    engine: Engine, world: World, runtime: IngestRuntime, meters: Callable[..., Meter]
) -> None:
    assert runtime.port
    meter = meters(("power_kw",))
    assert connack_code(runtime.port, meter.token) == 0
    factory = sessionmaker(bind=engine)
    with factory() as session:
        audits = rotation_audits(session, meter.id)  # SQLite reuses the ids of earlier tests' devices
    with factory() as session, session.begin():
        set_actor(session, Actor("test-rotation"))
        new = rotate_device_token(session, scope=system_scope(world.a.park_id), ident=meter.id)
    assert new != meter.token
    assert connack_code(runtime.port, meter.token) == 4  # bad user name or password
    assert connack_code(runtime.port, new) == 0
    with factory() as session:
        assert rotation_audits(session, meter.id) == audits + 1


def test_the_cli_rotates_a_token_prints_it_once_and_audits_it(
    database_url: str, engine: Engine, world: World, meters: Callable[..., Meter]
) -> None:
    meter = meters(("power_kw",))
    with sessionmaker(bind=engine)() as session:
        audits = rotation_audits(session, meter.id)  # SQLite reuses the ids of earlier tests' devices
    result = CliRunner().invoke(
        app,
        ["mqtt", "rotate-token", meter.code, "--park", "TA", "--database", database_url],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    printed = re.search(r"new token of \S+: (\S+)", result.output)
    assert printed is not None and printed.group(1) != meter.token
    with sessionmaker(bind=engine)() as session:
        assert session.scalar(select(Device.token_hash).where(Device.id == meter.id)) == token_digest(printed.group(1))
        assert rotation_audits(session, meter.id) == audits + 1
    unknown = CliRunner().invoke(app, ["mqtt", "rotate-token", "NO-SUCH", "--park", "TA", "--database", database_url])
    assert unknown.exit_code != 0


def test_the_device_page_rotates_for_staff_and_shows_the_token_once(
    client: TestClient, db: Session, world: World
) -> None:
    device_id = world.a.device_ids[0]
    old = issue_token(db, device_id)
    audits = rotation_audits(db, device_id)
    login(client, "TA-operator")
    page = client.get(f"/telemetry/devices/{device_id}")
    assert page.status_code == 200 and f"/telemetry/devices/{device_id}/token" in page.text
    assert old is not None and old not in page.text
    answer = client.post(f"/telemetry/devices/{device_id}/token", data={"csrf_token": form_token(page.text)})
    assert answer.status_code == 200
    db.expire_all()
    shown = re.search(r'id="device-token">([^<]+)<', answer.text)
    assert shown is not None
    new = shown.group(1)
    assert new != old and db.scalar(select(Device.token_hash).where(Device.id == device_id)) == token_digest(new)
    assert new not in client.get(f"/telemetry/devices/{device_id}").text  # shown once
    assert rotation_audits(db, device_id) == audits + 1


def test_the_device_page_offers_no_rotation_to_an_enterprise_and_refuses_it(
    client: TestClient, db: Session, world: World
) -> None:
    device_id = world.a.device_ids[0]
    old = db.scalar(select(Device.token_hash).where(Device.id == device_id))
    login(client, "TA-enterprise")
    page = client.get(f"/telemetry/devices/{device_id}")
    assert page.status_code == 200 and f"/telemetry/devices/{device_id}/token" not in page.text
    answer = client.post(f"/telemetry/devices/{device_id}/token", data={"csrf_token": form_token(page.text)})
    assert answer.status_code == 403
    db.expire_all()
    assert db.scalar(select(Device.token_hash).where(Device.id == device_id)) == old


def test_a_token_is_shown_once_at_creation_and_never_again(client: TestClient, db: Session, world: World) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    body = {"code": "ONCE-1", "name": "电表", "kind": "electricity_meter", "building_id": world.a.building_id}
    created = client.post("/api/v1/devices", json=body, headers=headers)
    assert created.status_code == 201, created.text
    device_id, token = created.json()["id"], created.json()["token"]
    assert token and db.scalar(select(Device.token_hash).where(Device.id == device_id)) == token_digest(token)
    read = client.get(f"/api/v1/devices/{device_id}", headers=headers)
    assert read.status_code == 200 and read.json()["token"] is None and token not in read.text
    listed = client.get("/api/v1/devices", headers=headers, params={"page_size": 500})
    assert listed.status_code == 200 and token not in listed.text
    gone = client.get(f"/api/v1/devices/{device_id}/token", headers=headers)
    assert gone.status_code == 410 and token not in gone.text
    assert gone.headers["content-type"].startswith("application/problem+json")
    rotated = client.post(f"/api/v1/devices/{device_id}/token", headers=headers)
    assert rotated.status_code == 200 and rotated.json()["token"] not in (None, token)


def test_the_database_holds_no_plain_token(client: TestClient, db: Session, world: World) -> None:
    """Every column of devices, dead letters and the audit log, after devices were created, rotated and sent
    unknown and bad messages with their tokens (native topic, ThingsBoard user name, HTTP path): no token appears."""
    headers = bearer(world.a.tokens["park_admin"])
    body = {"code": "PLAIN-1", "name": "电表", "kind": "electricity_meter", "building_id": world.a.building_id}
    created = client.post("/api/v1/devices", json=body, headers=headers).json()
    rotated = client.post(f"/api/v1/devices/{created['id']}/token", headers=headers).json()["token"]
    tokens = [created["token"], rotated, issue_token(db, world.a.device_ids[0]), "unknown-token-of-nobody"]
    ingestor = Ingestor(refresh_interval_s=0.0)
    messages = [
        InboundMessage("mqtt", f"digipark/v1/{tokens[1]}/telemetry", None, b'{"values": {"nope": 1}}', now_ms()),
        InboundMessage("mqtt", f"digipark/v1/{tokens[2]}/telemetry", None, b"{not json", now_ms()),
        InboundMessage("mqtt", "v1/devices/me/telemetry", tokens[2], b'{"nope": 2}', now_ms()),
        InboundMessage("http", None, tokens[3], b'{"values": {"x": 1}}', now_ms()),
        InboundMessage("mqtt", f"digipark/v1/{tokens[3]}/extra/telemetry", None, b"{}", now_ms()),
    ]
    summary = ingestor.ingest(db, messages)
    assert summary.rejected >= 5
    db.flush()
    seen: list[str] = []
    for table in ("device", "dead_letter", "audit_entry"):
        for row in db.execute(text(f"SELECT * FROM {table}")):
            seen.extend(str(value) for value in row)
    stored = "\n".join(seen)
    assert token_digest(tokens[1]) in stored  # the digests are there
    for token in tokens:
        assert token not in stored, token
    assert tokens[3][:4] + "…" in stored  # a dead letter shows the first characters of the token it claimed
