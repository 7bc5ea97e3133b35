"""What the alarms module offers other modules (its record's `provides`), and the park its statistics act in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.alarms import events, service
from digipark.alarms.module import MODULE
from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.core.modules import resolve
from tests.conftest import World, bearer


def test_the_record_provides_what_safety_environment_and_automation_use() -> None:
    assert MODULE.provides == "digipark.alarms.provides"
    provides = resolve(MODULE.provides)
    assert sorted(provides.__all__) == [
        "AlarmChanged",
        "AlarmRaised",
        "CondState",
        "ConditionContext",
        "ConditionError",
        "ExternalAlarm",
        "ROBOT_CHANNELS",
        "SmsProvider",
        "ack_path",
        "acknowledge",
        "active_counts",
        "alarm_message",
        "ensure_threshold_rule",
        "evaluate_condition",
        "get",
        "list_alarms",
        "normalise_conditions",
        "open_alarms",
        "raise_external",
        "raise_external_many",
        "raised_between",
        "raised_times",
        "retire_threshold_rule",
        "send_email",
        "send_robot",
        "sms_provider",
    ]
    assert provides.get is service.get
    assert provides.active_counts is service.active_counts
    assert provides.ensure_threshold_rule is service.ensure_threshold_rule
    assert provides.retire_threshold_rule is service.retire_threshold_rule
    assert provides.AlarmRaised is events.AlarmRaised


def test_statistics_act_in_the_park_asked_for_or_the_own_one(client: TestClient, world: World, db: Session) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    assert client.get("/api/v1/alarms/stats", headers=admin).json()["park_id"] == world.a.park_id
    assert client.get("/api/v1/alarms/stats", headers=admin, params={"park_id": world.b.park_id}).status_code == 404
    assert client.get("/api/v1/alarms/stats", headers=bearer(world.a.tokens["resident"])).status_code == 403
    province = auth_service.create(
        db,
        username="province-alarm-reviewer",
        password=world.password,
        role=Role.REVIEWER,
        park_id=None,
        extra_park_ids=(world.a.park_id, world.b.park_id),
    )
    raw, _ = auth_service.create_api_token(db, user=province, name="test")
    unsaid = client.get("/api/v1/alarms/stats", headers=bearer(raw))
    assert unsaid.status_code == 422 and unsaid.json()["errors"][0]["field"] == "park_id"
    for park_id in (world.a.park_id, world.b.park_id):
        said = client.get("/api/v1/alarms/stats", headers=bearer(raw), params={"park_id": park_id})
        assert said.status_code == 200 and said.json()["park_id"] == park_id
