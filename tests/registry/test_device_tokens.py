"""Device tokens are rotatable from the API, the CLI and the device page, audited, and the embedded broker refuses
the old token at once (issue 14 item 1)."""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.cli import app
from digipark.registry.models import Device
from digipark.registry.service import rotate_device_token
from digipark.telemetry import mqtt
from digipark.telemetry.runtime import IngestPlan, IngestRuntime, start_plan
from tests.conftest import World
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
        assert session.scalar(select(Device.token).where(Device.id == meter.id)) == printed.group(1)
        assert rotation_audits(session, meter.id) == audits + 1
    unknown = CliRunner().invoke(app, ["mqtt", "rotate-token", "NO-SUCH", "--park", "TA", "--database", database_url])
    assert unknown.exit_code != 0


def test_the_device_page_rotates_for_staff_and_shows_the_token_once(
    client: TestClient, db: Session, world: World
) -> None:
    device_id = world.a.device_ids[0]
    old = db.scalar(select(Device.token).where(Device.id == device_id))
    audits = rotation_audits(db, device_id)
    login(client, "TA-operator")
    page = client.get(f"/telemetry/devices/{device_id}")
    assert page.status_code == 200 and f"/telemetry/devices/{device_id}/token" in page.text
    assert old is not None and old not in page.text
    answer = client.post(f"/telemetry/devices/{device_id}/token", data={"csrf_token": form_token(page.text)})
    assert answer.status_code == 200
    db.expire_all()
    new = db.scalar(select(Device.token).where(Device.id == device_id))
    assert new is not None and new != old and new in answer.text
    assert new not in client.get(f"/telemetry/devices/{device_id}").text  # shown once
    assert rotation_audits(db, device_id) == audits + 1


def test_the_device_page_offers_no_rotation_to_an_enterprise_and_refuses_it(
    client: TestClient, db: Session, world: World
) -> None:
    device_id = world.a.device_ids[0]
    old = db.scalar(select(Device.token).where(Device.id == device_id))
    login(client, "TA-enterprise")
    page = client.get(f"/telemetry/devices/{device_id}")
    assert page.status_code == 200 and f"/telemetry/devices/{device_id}/token" not in page.text
    answer = client.post(f"/telemetry/devices/{device_id}/token", data={"csrf_token": form_token(page.text)})
    assert answer.status_code == 403
    db.expire_all()
    assert db.scalar(select(Device.token).where(Device.id == device_id)) == old
