"""The REST API: rules as data (create, change, bad input changes nothing), the alarm lifecycle raised →
acknowledged → cleared → closed with who/when/comment in the history and the audit log, counts, the public service
functions, and the live stream's scope filter."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.alarms import live, service
from digipark.alarms.events import AlarmRaised
from digipark.alarms.models import AlarmRule
from digipark.audit.models import AuditEntry
from digipark.auth.scope import system_scope
from tests.alarms.helpers import alarms, engine, feed, gas_point, make_rule
from tests.conftest import World, bearer

API = "/api/v1/alarms"


def test_rules_are_data_and_bad_input_changes_nothing(client: TestClient, world: World, db: Session) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    before = db.scalar(select(func.count(AlarmRule.id)))
    bad = [
        {"name": "x", "severity": "major", "conditions": [{"type": "threshold", "op": "above"}], "point_id": 1},
        {"name": "x", "severity": "urgent", "conditions": [{"type": "no_data"}], "point_id": gas_point(world)},
        {"name": "x", "severity": "major", "conditions": [{"type": "no_data"}]},
        {"name": "x", "severity": "major", "conditions": [{"type": "no_data"}], "point_id": world.b.point_ids[4]},
    ]
    for body in bad:
        response = client.post(f"{API}/rules", json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"]
    assert db.scalar(select(func.count(AlarmRule.id))) == before
    body = {
        "name": "可燃气体一级报警",
        "severity": "critical",
        "conditions": [{"type": "duration", "op": "above", "high": 25, "for_s": 30}],
        "device_class": "gas_concentration",
        "zone_id": world.a.zone_id,
    }
    created = client.post(f"{API}/rules", json=body, headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["kind"] == "duration" and rule["conditions"][0]["hysteresis"] == 0.0
    changed = client.patch(f"{API}/rules/{rule['id']}", json={"enabled": False}, headers=admin)
    assert changed.status_code == 200 and changed.json()["enabled"] is False


def test_lifecycle_with_who_when_comment_and_audit(client: TestClient, world: World, db: Session) -> None:
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 2}])
    e = engine(db)
    feed(e, gas_point(world), [(0, 30)])
    [alarm] = alarms(db, rule)
    operator = bearer(world.a.tokens["operator"])
    url = f"{API}/{alarm.id}"
    assert client.post(f"{url}/close", json={}, headers=operator).status_code == 409  # still active
    acked = client.post(f"{url}/acknowledge", json={"comment": "已派人查看"}, headers=operator)
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged" and acked.json()["acknowledged_by"] == "TA-operator"
    assert client.post(f"{url}/acknowledge", json={}, headers=operator).status_code == 409
    feed(e, gas_point(world), [(10_000, 20)])
    closed = client.post(f"{url}/close", json={"comment": "阀门已关闭"}, headers=operator)
    assert closed.status_code == 200, closed.text
    detail = client.get(url, headers=operator).json()
    assert detail["state"] == "closed" and detail["closed_by"] == "TA-operator" and detail["comment"] == "阀门已关闭"
    assert [(e["action"], e["actor"]) for e in detail["events"]] == [
        ("raised", "rules"),
        ("acknowledged", "TA-operator"),
        ("cleared", "rules"),
        ("closed", "TA-operator"),
    ]
    assert detail["events"][1]["comment"] == "已派人查看"
    audited = db.scalars(
        select(AuditEntry.after).where(AuditEntry.entity_type == "alarm", AuditEntry.entity_id == str(alarm.id))
    ).all()
    states = [a.get("state") for a in audited if a and "state" in a]
    assert states == ["raised", "acknowledged", "cleared", "closed"]
    # a new crossing after closing is a new alarm
    feed(e, gas_point(world), [(20_000, 40)])
    assert [a.state for a in alarms(db, rule)] == ["closed", "raised"]


def test_public_service_functions(db: Session, world: World) -> None:
    scope = system_scope(world.a.park_id)
    point = world.a.point_ids[2]  # enterprise 0's voltage
    first = service.ensure_threshold_rule(
        db,
        scope=scope,
        park_id=world.a.park_id,
        point_id=point,
        key="outlet:1:cod",
        name="COD",
        above=240.0,
        below=None,
        severity="major",
    )
    again = service.ensure_threshold_rule(
        db,
        scope=scope,
        park_id=world.a.park_id,
        point_id=point,
        key="outlet:1:cod",
        name="COD 超标",
        above=250.0,
        below=200.0,
        severity="critical",
    )
    assert first == again
    rule = db.get(AlarmRule, first)
    assert rule is not None and rule.conditions[0]["op"] == "outside" and rule.severity == "critical"
    feed(engine(db), point, [(0, 260)])
    [alarm] = alarms(db, first)
    assert service.get(db, scope=scope, ident=alarm.id).id == alarm.id
    counts = service.active_counts(db, scope=scope, park_id=world.a.park_id)
    assert [(c.building_id, c.enterprise_id, c.severity, c.count) for c in counts] == [
        (world.a.building_id, world.a.enterprise_ids[0], "critical", 1)
    ]


def test_live_stream_only_offers_alarms_the_subscriber_may_read(world: World) -> None:
    from digipark.auth.models import Role
    from digipark.auth.scope import Scope
    from digipark.auth.service import scope_for  # noqa: F401 (the scopes below are built directly)

    streams = live.AlarmStreams()
    own = Scope.for_user(
        role=Role.ENTERPRISE,
        username="e0",
        user_id=None,
        park_id=world.a.park_id,
        enterprise_id=world.a.enterprise_ids[0],
    )
    other = Scope.for_user(
        role=Role.ENTERPRISE,
        username="e1",
        user_id=None,
        park_id=world.a.park_id,
        enterprise_id=world.a.enterprise_ids[1],
    )
    park_b = Scope.for_user(role=Role.OPERATOR, username="ob", user_id=None, park_id=world.b.park_id)
    staff = Scope.for_user(role=Role.OPERATOR, username="oa", user_id=None, park_id=world.a.park_id)
    subs = {
        name: streams.subscribe(scope)
        for name, scope in {"own": own, "other": other, "park_b": park_b, "staff": staff}.items()
    }
    try:
        event = AlarmRaised(
            park_id=world.a.park_id,
            alarm_id=7,
            rule_id=1,
            enterprise_id=world.a.enterprise_ids[0],
            severity="major",
            state="raised",
            action="raised",
            message="m",
        )
        streams._on_event(event)
        got = {name: [d["id"] for e, d in sub.take() if e == live.ALARM] for name, sub in subs.items()}
        assert got == {"own": [7], "other": [], "park_b": [], "staff": [7]}
    finally:
        for sub in subs.values():
            streams.unsubscribe(sub)
