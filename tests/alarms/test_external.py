"""Alarms raised by another domain from an event it received (alarms.provides.raise_external): one open alarm per
source and kind (raised again while open), never evaluated by the engine, closable by staff without clearing,
seen only inside its park, its title translated where it is shown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.alarms import provides, service
from digipark.alarms.models import AlarmRule
from digipark.alarms.schemas import RuleUpdate
from digipark.core.errors import Conflict, ValidationFailed
from tests.conftest import World, bearer
from tests.web.helpers import login
from tests.workorders.helpers import scope_of


def _raise(db: Session, world: World, source: str, detail: str = "北门") -> int:
    alarm = provides.raise_external(
        db,
        park_id=world.a.park_id,
        source_kind="security:intrusion",
        source_ref=source,
        severity="critical",
        title_key="Security: intrusion",
        detail=detail,
        building_id=world.a.building_id,
    )
    return alarm.id


def test_an_external_event_raises_an_alarm_once_per_open_source(db: Session, world: World) -> None:
    first = _raise(db, world, "CAM-1")
    again = _raise(db, world, "CAM-1", detail="北门又一次")
    other = _raise(db, world, "CAM-2")
    assert first == again and other != first
    admin = scope_of(db, "TA", "park_admin")
    alarm = service.get(db, scope=admin, ident=first)
    assert (alarm.state, alarm.severity, alarm.occurrences, alarm.building_id) == (
        "raised",
        "critical",
        2,
        world.a.building_id,
    )
    history = [(e.action, e.comment) for e in service.events_of(db, scope=admin, alarm=alarm)]
    assert history == [("raised", "北门"), ("raised_again", "北门又一次")]
    rule = db.get(AlarmRule, alarm.rule_id)
    assert rule is not None and rule.kind == "external" and not rule.enabled  # the engine never loads it
    with pytest.raises(Conflict):  # nobody turns it into a rule on data
        service.update_rule(db, scope=admin, ident=rule.id, data=RuleUpdate(enabled=True))
    service.close(db, scope=admin, ident=first, comment="已处置")  # never clears by itself: staff close it
    assert service.get(db, scope=admin, ident=first).state == "closed"
    assert _raise(db, world, "CAM-1") != first  # a new event after closing is a new alarm


def test_bad_input_is_refused(db: Session, world: World) -> None:
    with pytest.raises(ValidationFailed):
        provides.raise_external(
            db, park_id=world.a.park_id, source_kind="k", source_ref="s", severity="dire", title_key="Security event"
        )
    with pytest.raises(ValidationFailed):  # a building of another park
        provides.raise_external(
            db,
            park_id=world.a.park_id,
            source_kind="k",
            source_ref="s",
            severity="minor",
            title_key="Security event",
            building_id=world.b.building_id,
        )


def test_listed_in_its_park_only_and_translated(client: TestClient, db: Session, world: World) -> None:
    ident = _raise(db, world, "CAM-9")
    db.commit()
    listed = client.get("/api/v1/alarms", headers=bearer(world.a.tokens["park_admin"])).json()
    assert ident in [a["id"] for a in listed["items"]]
    other = client.get("/api/v1/alarms", headers=bearer(world.b.tokens["park_admin"])).json()
    assert ident not in [a["id"] for a in other["items"]]
    login(client, "TA-park_admin")
    assert "安防：区域入侵" in client.get("/alarms", params={"lang": "zh"}).text
    page = client.get(f"/alarms/{ident}", params={"lang": "en"}).text
    assert "Security: intrusion" in page and 'id="al-close"' in page


def test_many_at_once_are_the_same_alarms_as_one_by_one(db: Session, world: World) -> None:
    """raise_external_many (cybersec's batches): an open source is raised again, a new one raised, in one call;
    the history is the one raise_external writes."""
    first = _raise(db, world, "CAM-1")
    ids = provides.raise_external_many(
        db,
        park_id=world.a.park_id,
        alarms=[
            provides.ExternalAlarm("security:intrusion", "CAM-1", "critical", "Security: intrusion", "又一次"),
            provides.ExternalAlarm("security:intrusion", "CAM-9", "major", "Security: intrusion", "南门"),
            provides.ExternalAlarm("security:intrusion", "CAM-9", "major", "Security: intrusion", "南门二"),
        ],
    )
    assert ids[0] == first and ids[1] == ids[2] != first
    admin = scope_of(db, "TA", "park_admin")
    again = service.get(db, scope=admin, ident=first)
    assert again.occurrences == 2
    new = service.get(db, scope=admin, ident=ids[1])
    assert (new.state, new.severity, new.occurrences) == ("raised", "major", 2)
    assert [(e.action, e.comment) for e in service.events_of(db, scope=admin, alarm=new)] == [
        ("raised", "南门"),
        ("raised_again", "南门二"),
    ]
    assert new.rule_id == again.rule_id  # one external rule per (park, source kind)
    with pytest.raises(ValidationFailed):
        provides.raise_external_many(
            db,
            park_id=world.a.park_id,
            alarms=[provides.ExternalAlarm("security:intrusion", "CAM-1", "nonsense", "Security: intrusion")],
        )
