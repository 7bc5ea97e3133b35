"""End to end: a gas detector's rising %LEL raises an alarm through the alarms engine → the duty officer
acknowledges it → an incident is opened from it → tasks go to the nearest team → the tasks are done → the
incident is closed and its report arrives at the regional command's webhook; the audit log shows every step."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.core.config import get_settings
from tests.alarms.helpers import alarms, engine, feed, gas_point, make_rule
from tests.conftest import World, bearer

API = "/api/v1"
S = 1000  # ms


class _Command(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        type(self).received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def command(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _Command.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Command)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/emergency/reports"
    monkeypatch.setattr(get_settings(), "safety_command_webhook_url", url)
    yield url
    server.shutdown()
    thread.join()


def test_gas_alarm_to_closed_incident_with_report(client: TestClient, world: World, db: Session, command: str) -> None:
    a = world.a
    admin = bearer(a.tokens["park_admin"])
    # entries of this test only: another test may have committed an incident and deleted it, leaving its entries,
    # and SQLite gives the next incident the same id again
    before = db.scalar(select(func.max(AuditEntry.id))) or 0
    # a park team near the detector's building and one far away
    near = client.post(
        f"{API}/safety/resources",
        headers=admin,
        json={"kind": "team", "name": "园区危化品救援队", "building_id": a.building_id},
    )
    far = client.post(
        f"{API}/safety/resources", headers=admin, json={"kind": "team", "name": "市消防支队", "lon": 120.9, "lat": 31.5}
    )
    assert near.status_code == far.status_code == 201
    # 1. the detector publishes a rising %LEL: above 25 %LEL raises a critical alarm
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}])
    feed(engine(db), gas_point(world), [(0, 8.0), (1 * S, 15.0), (2 * S, 24.0), (3 * S, 31.0)])
    [alarm] = alarms(db, rule)
    assert alarm.state == "raised" and alarm.severity == "critical" and alarm.trigger_value == 31.0
    # 2. acknowledged by the duty officer
    ack = client.post(f"{API}/alarms/{alarm.id}/acknowledge", headers=admin, json={"comment": "已通知现场"})
    assert ack.status_code == 200, ack.text
    # 3. an incident opened from the alarm: where it is comes from the alarm, the level from its severity
    opened = client.post(
        f"{API}/safety/incidents/from-alarm", headers=admin, json={"alarm_id": alarm.id, "kind": "leak"}
    )
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    assert incident["alarm_id"] == alarm.id and incident["source"] == "alarm" and incident["level"] == "II"
    assert incident["building_id"] == a.building_id and incident["zone_id"] == a.zone_id
    ident = incident["id"]
    nearest = client.get(f"{API}/safety/incidents/{ident}/nearest-resources", headers=admin).json()
    assert [n["resource"]["name"] for n in nearest][:2] == ["园区危化品救援队", "市消防支队"]
    # 4. tasks to the nearest team
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).isoformat()
    tasks = [
        client.post(
            f"{API}/safety/incidents/{ident}/tasks",
            headers=admin,
            json={"title": title, "team_id": nearest[0]["resource"]["id"], "deadline": deadline},
        )
        for title in ("关闭进料阀并堵漏", "设置警戒区并疏散")
    ]
    assert [t.status_code for t in tasks] == [201, 201]
    closing = client.post(f"{API}/safety/incidents/{ident}/close", headers=admin, json={"summary": "x"})
    assert closing.status_code == 409  # tasks still open: nothing changes
    assert client.get(f"{API}/safety/incidents/{ident}", headers=admin).json()["status"] == "responding"
    for t in tasks:
        done = client.post(f"{API}/safety/tasks/{t.json()['id']}/status", headers=admin, json={"status": "done"})
        assert done.status_code == 200, done.text
    # 5. closed with its report, pushed to the regional command
    closed = client.post(
        f"{API}/safety/incidents/{ident}/close",
        headers=admin,
        json={"summary": "法兰垫片老化导致氢气微量泄漏，已更换并复测正常", "deaths": 0, "injuries": 0},
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed" and body["report_pushed_at"] and [p["ok"] for p in body["pushes"]] == [True]
    [pushed] = _Command.received
    report = json.loads(pushed)
    assert report["incident"]["alarm_id"] == alarm.id and report["incident"]["status"] == "closed"
    assert [e["kind"] for e in report["timeline"]] == [
        "opened",
        "task_assigned",
        "task_assigned",
        "task_done",
        "task_done",
        "closed",
    ]
    exported = client.get(f"{API}/safety/incidents/{ident}/report.json", headers=admin).json()
    assert exported["incident"] == report["incident"]

    # 6. the audit log shows every step
    def trail(entity: str, ident: int | None = None) -> list[str]:
        stmt = select(AuditEntry.action).where(AuditEntry.entity_type == entity, AuditEntry.id > before)
        if ident is not None:
            stmt = stmt.where(AuditEntry.entity_id == str(ident))
        return list(db.scalars(stmt.order_by(AuditEntry.id)))

    alarm_trail = db.execute(
        select(AuditEntry.action, AuditEntry.after)
        .where(AuditEntry.entity_type == "alarm", AuditEntry.entity_id == str(alarm.id), AuditEntry.id > before)
        .order_by(AuditEntry.id)
    ).all()
    assert alarm_trail[0][0] == "create"
    assert any(action == "update" and (after or {}).get("state") == "acknowledged" for action, after in alarm_trail)
    incident_trail = db.execute(
        select(AuditEntry.action, AuditEntry.after, AuditEntry.actor)
        .where(AuditEntry.entity_type == "safety_incident", AuditEntry.entity_id == str(ident), AuditEntry.id > before)
        .order_by(AuditEntry.id)
    ).all()
    assert incident_trail[0][0] == "create" and incident_trail[0][2] == "TA-park_admin"
    states = [(after or {}).get("status") for _, after, _ in incident_trail if after]
    assert "responding" in states and "closed" in states
    assert trail("safety_incident_task").count("create") == 2 and trail("safety_incident_task").count("update") == 2
    assert trail("safety_report_push") == ["create"]
    assert len(trail("safety_incident_event")) == 7  # the six in the report, then "report_pushed"
    timeline = client.get(f"{API}/safety/incidents/{ident}/timeline", headers=admin).json()
    assert timeline[-1]["kind"] == "report_pushed"
    verify = client.get(f"{API}/audit/verify", headers=admin)
    assert verify.status_code == 200 and verify.json()["ok"] is True
