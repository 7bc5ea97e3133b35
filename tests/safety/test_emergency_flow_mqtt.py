"""End to end through the MQTT broker at DIGIPARK_TEST_MQTT_URL (issue 5, "Done when"): a gas detector publishes a
rising %LEL → the ingest runtime stores it and its rules engine raises an alarm, pushed on the alarm stream → the
duty officer acknowledges it through the API → opens an incident from it through the safety API → assigns response
tasks → the tasks are done → the incident is closed and its report exported as JSON → the audit log (through the
audit API) shows every step, in order. And: with a plan that opens incidents by itself, the alarm opens one.

The runtime writes in its own committed transactions, so these tests use a TestClient of their own (not the
`client`/`db` fixtures, whose transaction is rolled back) and remove what they made."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import sessionmaker

from digipark.alarms import live
from digipark.alarms import service as alarms
from digipark.alarms.models import Alarm, AlarmRule
from digipark.alarms.schemas import RuleCreate
from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.core.config import get_settings
from digipark.registry.models import Device, Point
from digipark.safety.models import EmergencyPlan, EmergencyResource, Incident
from digipark.telemetry.models import ROLLUP_TABLES, PointLatest, Reading
from digipark.telemetry.mqtt import BrokerAddress
from digipark.telemetry.runtime import IngestPlan, IngestRuntime, start_plan
from tests.alarms.helpers import add_gas_detector
from tests.conftest import ParkWorld, World, bearer
from tests.telemetry.test_mqtt_ingest import close, forget_session, mqtt_url, publish_all, publisher, wait_for

API = "/api/v1"
RISING = [3.0, 8.0, 15.0, 22.0, 27.0, 31.0, 36.0]  # %LEL, one a second
# "above 25 %LEL for 2 s": holds from 27 (4 s), raises at 36 (6 s); GB/T 50493-2019's first level is 25 %LEL
RULE = {"type": "duration", "op": "above", "high": 25, "hysteresis": 5, "for_s": 2}


class Made:
    """What a test committed, removed at the end in one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.device_ids: list[int] = []
        self.rule_ids: list[int] = []
        self.plan_ids: list[int] = []
        self.resource_ids: list[int] = []

    def detector(self, park: ParkWorld, severity: str = "critical") -> tuple[str, int]:
        """A committed gas detector in the park's building with a %LEL point and a duration rule on it."""
        suffix = uuid.uuid4().hex[:12]
        with self.factory() as session, session.begin():
            set_actor(session, Actor("test-safety"))
            device, point = add_gas_detector(
                session, park.park_id, code=f"GE-{suffix}", name="储罐区可燃气体探测器", building_id=park.building_id
            )
            self.device_ids.append(device.id)
            rule = alarms.create_rule(
                session,
                scope=system_scope(park.park_id),
                data=RuleCreate(name="可燃气体一级报警", severity=severity, conditions=[RULE], point_id=point.id),
            )
            self.rule_ids.append(rule.id)
            return device.code.lower(), rule.id  # its token (tests.alarms.helpers.add_gas_detector)

    def cleanup(self) -> None:
        with self.factory() as session, session.begin():
            set_actor(session, Actor("test-safety"))
            alarm_ids = list(session.scalars(select(Alarm.id).where(Alarm.rule_id.in_(self.rule_ids))))
            for incident in session.scalars(select(Incident).where(Incident.alarm_id.in_(alarm_ids))):
                session.delete(incident)
            session.flush()
            for model, ids in ((EmergencyPlan, self.plan_ids), (EmergencyResource, self.resource_ids)):
                for row in session.scalars(select(model).where(model.id.in_(ids))):
                    session.delete(row)
            session.execute(delete(Alarm).where(Alarm.id.in_(alarm_ids)))
            session.execute(delete(AlarmRule).where(AlarmRule.id.in_(self.rule_ids)))
            points = list(session.scalars(select(Point.id).where(Point.device_id.in_(self.device_ids))))
            for table in (Reading, PointLatest, *ROLLUP_TABLES.values()):
                session.execute(delete(table).where(table.point_id.in_(points)))  # type: ignore[attr-defined]
            for device in session.scalars(select(Device).where(Device.id.in_(self.device_ids))):
                session.delete(device)


@pytest.fixture
def made(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Made]:
    monkeypatch.setattr(get_settings(), "safety_command_webhook_url", None)  # no push: the report is exported
    things = Made(engine)
    yield things
    things.cleanup()


def _run(url: str) -> tuple[IngestRuntime, str]:
    client_id = f"digipark-test-{uuid.uuid4().hex[:10]}"
    return start_plan(IngestPlan(mqtt_url=url, client_id=client_id, batch_size=50)), client_id


def _publish_rising(url: str, token: str) -> None:
    address = BrokerAddress.parse(url)
    client = publisher(address.host, address.port)
    now = int(time.time() * 1000)
    topic = f"digipark/v1/{token}/telemetry"
    publish_all(client, [(topic, {"ts": now + i * 1000, "values": {"lel_pct": v}}) for i, v in enumerate(RISING)])
    close(client)


def _alarm_of(made: Made, rule_id: int) -> Alarm | None:
    with made.factory() as s:
        return s.scalar(select(Alarm).where(Alarm.rule_id == rule_id))


def test_gas_alarm_over_mqtt_to_closed_incident_with_audit_trail(made: Made, world: World, app_instance: Any) -> None:
    url = mqtt_url()
    a = world.a
    with made.factory() as s:  # audit entries of rows other tests committed may name the same ids
        mark = s.scalar(select(func.max(AuditEntry.id))) or 0
    token, rule_id = made.detector(a)
    staff = Scope.for_user(role=Role.PARK_ADMIN, username="TA-park_admin", user_id=None, park_id=a.park_id)
    sub = live.streams().subscribe(staff)
    pushed: list[dict[str, Any]] = []

    def pushed_state(state: str) -> bool:
        pushed.extend(d for e, d in sub.take() if e == live.ALARM)
        return any(d["state"] == state for d in pushed)

    api = TestClient(app_instance, base_url="http://testserver")
    admin = bearer(a.tokens["park_admin"])
    runtime, client_id = _run(url)
    try:
        # 1. the detector publishes a rising %LEL over MQTT: the alarm is raised and pushed on the stream
        _publish_rising(url, token)
        assert wait_for(lambda: _alarm_of(made, rule_id) is not None)
        assert wait_for(lambda: pushed_state("raised"))
        alarm = _alarm_of(made, rule_id)
        assert alarm is not None and alarm.state == "raised" and alarm.trigger_value == 36.0
        assert alarm.severity == "critical" and alarm.building_id == a.building_id
        assert [(d["id"], d["state"], d["value"]) for d in pushed] == [(alarm.id, "raised", 36.0)]
        # 2. acknowledged through the API, and the stream says so
        ack = api.post(f"{API}/alarms/{alarm.id}/acknowledge", headers=admin, json={"comment": "已通知现场"})
        assert ack.status_code == 200, ack.text
        assert ack.json()["state"] == "acknowledged" and ack.json()["acknowledged_by"] == "TA-park_admin"
        assert wait_for(lambda: pushed_state("acknowledged"))
    finally:
        runtime.stop()
        live.streams().unsubscribe(sub)
        forget_session(url, client_id)

    # 3. an incident opened from the alarm through the safety API: located and levelled from the alarm
    opened = api.post(f"{API}/safety/incidents/from-alarm", headers=admin, json={"alarm_id": alarm.id, "kind": "leak"})
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    ident = incident["id"]
    assert incident["alarm_id"] == alarm.id and incident["source"] == "alarm" and incident["level"] == "II"
    assert incident["building_id"] == a.building_id and incident["zone_id"] == a.zone_id
    again = api.post(f"{API}/safety/incidents/from-alarm", headers=admin, json={"alarm_id": alarm.id})
    assert again.status_code == 409  # one open incident per alarm
    # 4. response tasks to a team
    team = api.post(
        f"{API}/safety/resources",
        headers=admin,
        json={"kind": "team", "name": "园区危化品救援队", "building_id": a.building_id},
    )
    assert team.status_code == 201, team.text
    made.resource_ids.append(team.json()["id"])
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).isoformat()
    tasks = []
    for title in ("关闭进料阀并堵漏", "设置警戒区并疏散"):
        task = api.post(
            f"{API}/safety/incidents/{ident}/tasks",
            headers=admin,
            json={"title": title, "team_id": team.json()["id"], "deadline": deadline},
        )
        assert task.status_code == 201, task.text
        tasks.append(task.json()["id"])
    assert api.get(f"{API}/safety/incidents/{ident}", headers=admin).json()["status"] == "responding"
    # 5. the tasks are done; the incident is closed with its summary
    for task_id in tasks:
        done = api.post(f"{API}/safety/tasks/{task_id}/status", headers=admin, json={"status": "done"})
        assert done.status_code == 200, done.text
    closed = api.post(
        f"{API}/safety/incidents/{ident}/close",
        headers=admin,
        json={"summary": "法兰垫片老化导致可燃气体泄漏，已更换并复测正常", "deaths": 0, "injuries": 0},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["pushes"] == []
    # 6. its report, exported as JSON
    report = api.get(f"{API}/safety/incidents/{ident}/report.json", headers=admin)
    assert report.status_code == 200, report.text
    document = report.json()
    assert document["$schema"] == "https://digipark.dev/schemas/safety/incident-report-1.json"
    assert document["incident"]["alarm_id"] == alarm.id and document["incident"]["status"] == "closed"
    assert document["incident"]["closed_by"] == "TA-park_admin" and document["incident"]["source"] == "alarm"
    assert [t["status"] for t in document["tasks"]] == ["done", "done"]
    assert [e["kind"] for e in document["timeline"]] == [
        "opened",
        "task_assigned",
        "task_assigned",
        "task_done",
        "task_done",
        "closed",
    ]

    # 7. the audit log, through the audit API, shows every step in order
    def entries(entity_type: str, entity_id: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"entity_type": entity_type, "sort": "-id", "page_size": 500}
        if entity_id is not None:
            params["entity_id"] = str(entity_id)
        got = api.get(f"{API}/audit/entries", headers=admin, params=params)
        assert got.status_code == 200, got.text
        return [e for e in got.json()["items"] if e["id"] > mark]

    steps: list[tuple[int, str, str]] = []
    for entry in entries("alarm", alarm.id):
        if (entry["after"] or {}).get("state") in ("raised", "acknowledged"):
            steps.append((entry["id"], entry["actor"], f"alarm {entry['after']['state']}"))
    for entry in entries("safety_incident", ident):
        after = entry["after"] or {}
        if entry["action"] == "create":
            steps.append((entry["id"], entry["actor"], "incident opened"))
        elif entry["action"] == "update" and after.get("status") in ("responding", "closed"):
            steps.append((entry["id"], entry["actor"], f"incident {after['status']}"))
    for task_id in tasks:
        for entry in entries("safety_incident_task", task_id):
            if entry["action"] == "create":
                steps.append((entry["id"], entry["actor"], "task assigned"))
            elif (entry["after"] or {}).get("status") == "done":
                steps.append((entry["id"], entry["actor"], "task done"))
    assert [(actor, what) for _, actor, what in sorted(steps)] == [
        ("rules", "alarm raised"),
        ("TA-park_admin", "alarm acknowledged"),
        ("TA-park_admin", "incident opened"),
        ("TA-park_admin", "task assigned"),
        ("TA-park_admin", "incident responding"),
        ("TA-park_admin", "task assigned"),
        ("TA-park_admin", "task done"),
        ("TA-park_admin", "task done"),
        ("TA-park_admin", "incident closed"),
    ]
    verify = api.get(f"{API}/audit/verify", headers=admin)
    assert verify.status_code == 200 and verify.json()["ok"] is True


def test_a_plan_opens_the_incident_of_a_critical_gas_alarm_by_itself(made: Made, world: World) -> None:
    url = mqtt_url()
    a = world.a
    token, rule_id = made.detector(a)
    with made.factory() as session, session.begin():
        set_actor(session, Actor("test-safety"))
        plan = EmergencyPlan(
            park_id=a.park_id,
            code=f"YA-{uuid.uuid4().hex[:8]}",
            title="危险化学品泄漏专项应急预案",
            plan_type="special",
            incident_kinds=["leak", "poisoning"],
            levels=[{"level": "II", "criteria": "可燃气体泄漏"}],
            roles=[],
            steps=[],
            auto_open_severity="critical",
            active=True,
        )
        session.add(plan)
        session.flush()
        made.plan_ids.append(plan.id)
    runtime, client_id = _run(url)
    try:
        _publish_rising(url, token)
        assert wait_for(lambda: _alarm_of(made, rule_id) is not None)

        def incident() -> Incident | None:
            alarm = _alarm_of(made, rule_id)
            with made.factory() as s:
                return s.scalar(select(Incident).where(Incident.alarm_id == alarm.id)) if alarm else None

        assert wait_for(lambda: incident() is not None)
    finally:
        runtime.stop()
        forget_session(url, client_id)
    found = incident()
    assert found is not None
    assert (found.source, found.kind, found.level, found.plan_id) == ("alarm", "leak", "II", made.plan_ids[0])
    assert found.reported_by == "safety-automation" and found.building_id == a.building_id
    with made.factory() as s:
        assert len(list(s.scalars(select(Incident.id).where(Incident.alarm_id == found.alarm_id)))) == 1
