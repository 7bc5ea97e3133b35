"""End to end against the MQTT broker at DIGIPARK_TEST_MQTT_URL: a gas detector publishes a rising %LEL, the
ingest runtime stores it and its rules engine raises an alarm, pushed to a live alarm stream; it is acknowledged,
the gas falls and the alarm clears, it is closed; the audit log shows every step. Commits for real (like
tests/telemetry/test_mqtt_ingest.py) and removes what it made."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from digipark.alarms import live, service
from digipark.alarms.models import Alarm, AlarmRule
from digipark.alarms.schemas import RuleCreate
from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.core.db import transaction
from digipark.registry.models import Device, Point
from digipark.telemetry.models import PointLatest, Reading
from digipark.telemetry.mqtt import BrokerAddress
from digipark.telemetry.runtime import IngestPlan, start_plan
from tests.alarms.helpers import add_gas_detector
from tests.conftest import World
from tests.telemetry.test_mqtt_ingest import close, forget_session, mqtt_url, publish_all, publisher, wait_for


def _detector(engine: Engine, park_id: int) -> tuple[int, int, str]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    suffix = uuid.uuid4().hex[:12]
    with factory() as session, session.begin():
        set_actor(session, Actor("test-alarms"))
        device, point = add_gas_detector(session, park_id, code=f"GX-{suffix}", name="可燃气体探测器")
        rule = service.create_rule(
            session,
            scope=system_scope(park_id),
            data=RuleCreate(
                name="可燃气体一级报警",
                severity="critical",
                conditions=[{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}],
                point_id=point.id,
            ),
        )
        return device.id, rule.id, device.code.lower()  # its token (tests.alarms.helpers.add_gas_detector)


def _cleanup(engine: Engine, device_id: int, rule_id: int) -> None:
    factory = sessionmaker(bind=engine)
    with factory() as session, session.begin():
        set_actor(session, Actor("test-alarms"))
        points = list(session.scalars(select(Point.id).where(Point.device_id == device_id)))
        session.execute(delete(Alarm).where(Alarm.rule_id == rule_id))
        session.execute(delete(AlarmRule).where(AlarmRule.id == rule_id))
        for table in (Reading, PointLatest):
            session.execute(delete(table).where(table.point_id.in_(points)))
        device = session.get(Device, device_id)
        if device is not None:
            session.delete(device)


def test_rising_gas_raises_pushes_and_runs_the_lifecycle(engine: Engine, world: World) -> None:
    url = mqtt_url()
    address = BrokerAddress.parse(url)
    device_id, rule_id, token = _detector(engine, world.a.park_id)
    staff = Scope.for_user(role=Role.OPERATOR, username="TA-operator", user_id=None, park_id=world.a.park_id)
    stranger = Scope.for_user(role=Role.OPERATOR, username="TB-operator", user_id=None, park_id=world.b.park_id)
    sub = live.streams().subscribe(staff)
    foreign = live.streams().subscribe(stranger)
    client_id = f"digipark-test-{uuid.uuid4().hex[:10]}"
    runtime = start_plan(IngestPlan(mqtt_url=url, client_id=client_id, batch_size=50))
    pushed: list[dict[str, object]] = []

    def alarm_of_rule() -> Alarm | None:
        with sessionmaker(bind=engine)() as s:
            return s.scalar(select(Alarm).where(Alarm.rule_id == rule_id))

    def pushed_state(state: str) -> bool:
        pushed.extend(d for e, d in sub.take() if e == live.ALARM)
        return any(d["state"] == state for d in pushed)

    try:
        client = publisher(address.host, address.port)
        topic = f"digipark/v1/{token}/telemetry"
        now = int(time.time() * 1000)
        rising = [(topic, {"ts": now + i * 1000, "values": {"lel_pct": v}}) for i, v in enumerate([3, 8, 15, 22, 31])]
        publish_all(client, rising)
        assert wait_for(lambda: alarm_of_rule() is not None)
        assert wait_for(lambda: pushed_state("raised"))
        alarm = alarm_of_rule()
        assert alarm is not None and alarm.trigger_value == 31 and alarm.severity == "critical"
        assert [d["id"] for d in pushed] == [alarm.id]
        assert not [d for e, d in foreign.take() if e == live.ALARM]  # another park's operator hears nothing
        with transaction(write=True) as session:
            set_actor(session, Actor("TA-operator", role="operator"))
            service.acknowledge(session, scope=staff, ident=alarm.id, comment="已派人查看")
        assert wait_for(lambda: pushed_state("acknowledged"))
        falling = [(topic, {"ts": now + (10 + i) * 1000, "values": {"lel_pct": v}}) for i, v in enumerate([24, 12, 2])]
        publish_all(client, falling)
        close(client)
        assert wait_for(lambda: (a := alarm_of_rule()) is not None and a.state == "cleared")
        assert wait_for(lambda: pushed_state("cleared"))
        with transaction(write=True) as session:
            set_actor(session, Actor("TA-operator", role="operator"))
            service.close(session, scope=staff, ident=alarm.id, comment="通风后恢复正常")
        assert wait_for(lambda: pushed_state("closed"))
        with sessionmaker(bind=engine)() as s:
            trail = s.execute(
                select(AuditEntry.actor, AuditEntry.after)
                .where(AuditEntry.entity_type == "alarm", AuditEntry.entity_id == str(alarm.id))
                .order_by(AuditEntry.id)
            ).all()
        steps = [(actor, after.get("state")) for actor, after in trail if after and "state" in after]
        assert steps == [
            ("rules", "raised"),
            ("TA-operator", "acknowledged"),
            ("rules", "cleared"),
            ("TA-operator", "closed"),
        ]
    finally:
        runtime.stop()
        live.streams().unsubscribe(sub)
        live.streams().unsubscribe(foreign)
        forget_session(url, client_id)
        _cleanup(engine, device_id, rule_id)
