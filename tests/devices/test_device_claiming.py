"""ThingsBoard's device-side claiming: a device with no owner publishes its own claim secret (`v1/devices/me/claim`
over MQTT with paho against the embedded broker, or `POST /api/v1/{token}/claim`); an enterprise then claims it with
the device's code and that secret through the claim flow. Only the secret's digest is kept; a wrong, used or expired
secret is the same 404; the duration is bounded; a device that has an owner may not offer itself."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.core.db import transaction, utcnow
from digipark.core.errors import NotFound
from digipark.devices import claims
from digipark.devices.dispatcher import CommandDispatcher
from digipark.devices.profile_models import DeviceClaim
from digipark.registry.models import Device
from digipark.telemetry.runtime import IngestRuntime
from tests.conftest import World
from tests.devices.test_claims import enterprise
from tests.devices.test_commands import broker, committed, device_client  # noqa: F401  (fixtures)


def _claim_of(engine: Engine, device_id: int) -> DeviceClaim | None:
    with sessionmaker(bind=engine, expire_on_commit=False)() as session:
        return session.scalar(select(DeviceClaim).where(DeviceClaim.device_id == device_id))


def test_a_device_publishes_its_secret_over_mqtt_and_an_enterprise_claims_it(
    engine: Engine,
    world: World,
    broker: tuple[IngestRuntime, CommandDispatcher],  # noqa: F811
    committed: Callable[..., tuple[Device, str]],  # noqa: F811
) -> None:
    runtime, _dispatcher = broker
    assert runtime.port
    device, token = committed("temp_humidity", protocol="thingsboard")
    client = device_client(runtime.port, token, "v1/devices/me/attributes", lambda c, m: None)
    try:
        body = {"secretKey": "Kx7-secret", "durationMs": 600_000}
        client.publish("v1/devices/me/claim", orjson.dumps(body), qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 15
        while _claim_of(engine, device.id) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.disconnect()
        client.loop_stop()
    try:
        row = _claim_of(engine, device.id)
        assert row is not None and row.created_by == "device" and "Kx7-secret" not in row.code_hash
        assert row.code_hash == claims.code_digest("Kx7-secret")
        assert utcnow() < row.expires_at <= utcnow() + dt.timedelta(minutes=10)  # the device's 10 minutes
        with transaction(write=True) as session:
            set_actor(session, Actor("ent0"))
            with pytest.raises(NotFound):
                claims.claim(session, scope=enterprise(world), device_code=device.code, code="wrong")
        with transaction(write=True) as session:
            set_actor(session, Actor("ent0"))
            claims.claim(session, scope=enterprise(world), device_code=device.code, code="Kx7-secret")
        with sessionmaker(bind=engine)() as session:
            owner = session.scalar(select(Device.enterprise_id).where(Device.id == device.id))
            assert owner == world.a.enterprise_ids[0]
        with transaction(write=True) as session, pytest.raises(NotFound):  # used
            claims.claim(session, scope=enterprise(world, 1), device_code=device.code, code="Kx7-secret")
    finally:
        with sessionmaker(bind=engine)() as session, session.begin():
            set_actor(session, Actor("test"))
            session.execute(delete(DeviceClaim).where(DeviceClaim.device_id == device.id))


def test_over_http_the_secret_is_bounded_and_expires(client: TestClient, db: Session, world: World) -> None:
    from tests.device_tokens import issue_token

    device_id = world.a.device_ids[1]  # the park's gas detector, no owner
    token = issue_token(db, device_id)
    db.commit()
    too_long = client.post(f"/api/v1/{token}/claim", json={"secretKey": "s", "durationMs": 91 * 86_400_000})
    assert too_long.status_code == 422
    assert client.post("/api/v1/not-a-token/claim", json={"secretKey": "s"}).status_code == 404
    given = client.post(f"/api/v1/{token}/claim", json={"secretKey": "short-lived", "durationMs": 1000})
    assert given.status_code == 204, given.text
    set_actor(db, Actor("ent0"))
    with pytest.raises(NotFound):  # expired: the same 404
        claims.claim(
            db,
            scope=enterprise(world),
            device_code="G1",
            code="short-lived",
            now=utcnow() + dt.timedelta(seconds=2),
        )
    default = client.post(f"/api/v1/{token}/claim", json={"secretKey": "a-day"})
    assert default.status_code == 204
    db.expire_all()  # the request replaced the claim row this session read
    claimed = claims.claim(db, scope=enterprise(world), device_code="G1", code="a-day")
    assert claimed.enterprise_id == world.a.enterprise_ids[0]
    db.commit()
    assert client.post(f"/api/v1/{token}/claim", json={"secretKey": "again"}).status_code == 409  # it has an owner
