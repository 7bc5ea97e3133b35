"""Helpers of the connector tests: a device of a kind made and removed per test, its binding, its latest values
read through the API (GET /api/v1/devices/{id}/latest) and its binding's outcome."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.devices.models import DeviceBinding, DeviceCommand
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device, Point
from digipark.telemetry.models import DeadLetter, Reading
from tests.conftest import World, bearer


@contextmanager
def bound_device(
    engine: Engine, world: World, *, kind: str, protocol: str, address: str, profile: str, unit: int = 0
) -> Iterator[Device]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        device = registry.create(
            session,
            scope=system_scope(world.a.park_id),
            kind=registry.KINDS["device"],
            data=registry_schemas.DeviceCreate(
                code=f"{protocol[:4].upper()}-{uuid.uuid4().hex[:8]}", name="测试设备", kind=kind
            ),
        )
        session.add(
            DeviceBinding(
                park_id=device.park_id,
                device_id=device.id,
                protocol=protocol,
                address=address,
                unit_id=unit,
                profile=profile,
            )
        )
    try:
        yield device
    finally:
        with factory() as session, session.begin():
            set_actor(session, Actor("test"))
            ids = list(session.scalars(select(Point.id).where(Point.device_id == device.id)))
            session.execute(delete(Reading).where(Reading.point_id.in_(ids)))
            session.execute(delete(DeadLetter).where(DeadLetter.device_id == device.id))
            session.execute(delete(DeviceCommand).where(DeviceCommand.device_id == device.id))
            session.execute(delete(DeviceBinding).where(DeviceBinding.device_id == device.id))
            session.execute(delete(Device).where(Device.id == device.id))


def latest(app: Any, world: World, device_id: int) -> dict[str, float | None]:
    with TestClient(app, base_url="http://testserver") as client:
        answer = client.get(f"/api/v1/devices/{device_id}/latest", headers=bearer(world.a.tokens["park_admin"]))
    assert answer.status_code == 200, answer.text
    # the kind's points that have a reading (a kind may have points no connector map reads, e.g. power)
    return {item["key"]: item["value"] for item in answer.json()["items"] if item["value"] is not None}


def binding_of(engine: Engine, device_id: int) -> DeviceBinding:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        binding = session.scalar(select(DeviceBinding).where(DeviceBinding.device_id == device_id))
        assert binding is not None
        return binding
