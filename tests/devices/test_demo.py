"""The demo's devices: the part written into the demo park (bindings, the valve and its confirmed command) and the
devices run as their protocols (`start_demo_devices`: an HJ 212 collector, a Modbus meter, an OPC UA and a BACnet/IP
air-conditioning unit and a DL/T 645 meter read by their connectors, the valve answering commands through the
embedded broker), against committed data of park A."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.core.db import utcnow
from digipark.devices import commands
from digipark.devices.demo import DEMO_MN, VALVE_CODE, build_devices_demo, start_demo_devices
from digipark.devices.demo_field import FIELD_CODES
from digipark.devices.models import DeviceBinding, DeviceCommand
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device, Point
from digipark.safety.models import Incident
from digipark.telemetry.broker_access import service_credentials
from digipark.telemetry.models import DeadLetter, PointLatest, Reading
from digipark.telemetry.runtime import IngestPlan, start_plan
from tests.conftest import World

FIELD_SOURCES = ("opcua", "bacnet", "dlt645")


def wait(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_demo_devices_speak_their_protocols(engine: Engine, world: World) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    park = world.a.park_id
    suffix = uuid.uuid4().hex[:6]
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        scope = system_scope(park)
        made = [
            registry.create(
                session,
                scope=scope,
                kind=registry.KINDS["device"],
                data=registry_schemas.DeviceCreate(code=f"CEMS-{suffix}", name="锅炉烟气", kind="flue_gas_monitor"),
            ),
            registry.create(
                session,
                scope=scope,
                kind=registry.KINDS["device"],
                data=registry_schemas.DeviceCreate(code=f"EM-{suffix}", name="配电房总表", kind="electricity_meter"),
            ),
        ]
        incident = Incident(
            park_id=park,
            code=f"INC-{suffix}",
            title="储罐区泄漏",
            kind="leak",
            level="III",
            status="open",
            source="alarm",
            reported_by="operator",
            occurred_at=utcnow(),
        )
        session.add(incident)
        session.flush()
        counts = build_devices_demo(session, park_id=park, as_of=dt.date(2026, 10, 31), seed=1)
    assert counts == {"device_bindings": 5, "device_commands": 1}
    runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=10))
    assert runtime.port
    stop = start_demo_devices(broker=("127.0.0.1", runtime.port), credentials=service_credentials())
    try:
        with factory() as session:
            cems_points = list(session.scalars(select(Point.id).where(Point.device_id == made[0].id)))
            meter_points = list(session.scalars(select(Point.id).where(Point.device_id == made[1].id)))
            valve = session.scalar(select(Device).where(Device.park_id == park, Device.code == VALVE_CODE))
            field = {
                d.code: d.id
                for d in session.scalars(select(Device).where(Device.park_id == park, Device.code.in_(FIELD_CODES)))
            }
            field_points = {
                code: list(session.scalars(select(Point.id).where(Point.device_id == ident)))
                for code, ident in field.items()
            }
            history = session.scalars(select(DeviceCommand).where(DeviceCommand.device_id == valve.id)).all()
        assert [(c.name, c.state, c.requested_by, c.confirmed_by, c.incident_id) for c in history] == [
            ("close_valve", "succeeded", "operator", "admin", incident.id)
        ]

        def stored(points: list[int]) -> int:
            with factory() as session:
                return len(session.scalars(select(PointLatest.point_id).where(PointLatest.point_id.in_(points))).all())

        assert wait(lambda: stored(cems_points) == 5)  # SO2, NOx, dust, O2, flow over HJ 212
        assert wait(lambda: stored(meter_points) == 4)  # the meter's 4 registers over Modbus
        assert wait(lambda: stored(field_points["AHU-OPCUA-01"]) == 2)  # running and set-point over OPC UA
        assert wait(lambda: stored(field_points["AHU-BACNET-01"]) == 2)  # the same over BACnet/IP
        assert wait(lambda: stored(field_points["EM-DLT645-01"]) == 4)  # the meter's 4 identifiers over DL/T 645
        with factory() as session, session.begin():
            set_actor(session, Actor("operator"))
            operator = Scope.for_user(role=Role.OPERATOR, username="operator", user_id=None, park_id=park)
            command = commands.create(
                session,
                scope=operator,
                device_id=valve.id,
                name="close_valve",
                params={},
                reason="演练",
                incident_id=incident.id,
            )
            admin = Scope.for_user(role=Role.PARK_ADMIN, username="admin", user_id=None, park_id=park)
            commands.confirm(session, scope=admin, ident=command.id)
            ident = command.id

        def state() -> str:
            with factory() as session:
                return str(session.scalar(select(DeviceCommand.state).where(DeviceCommand.id == ident)))

        assert wait(lambda: state() == "succeeded")
    finally:
        stop()
        runtime.stop()
        with factory() as session, session.begin():
            set_actor(session, Actor("test"))
            ids = [d.id for d in made] + ([valve.id] if valve is not None else []) + list(field.values())
            points = list(session.scalars(select(Point.id).where(Point.device_id.in_(ids))))
            session.execute(delete(Reading).where(Reading.point_id.in_(points)))
            session.execute(delete(DeadLetter).where(DeadLetter.source.in_(["hj212", "modbus", *FIELD_SOURCES])))
            session.execute(delete(DeviceCommand).where(DeviceCommand.device_id.in_(ids)))
            session.execute(delete(DeviceBinding).where(DeviceBinding.device_id.in_(ids)))
            session.execute(delete(Device).where(Device.id.in_(ids)))
            session.execute(delete(Incident).where(Incident.id == incident.id))
    assert DEMO_MN
