"""An incident handed over to the emergency module (a safety incident opened from its alarm, linked both ways) and
the posture page's figures per enterprise (events by rule per day, open incidents, advisory exposure)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.errors import Conflict, NotFound
from digipark.cybersec import events, posture, reference, security
from digipark.cybersec.models import CyberIncident
from digipark.cybersec.schemas import AdvisoryCreate, EventBatch, EventIn, IcsAssetCreate
from digipark.safety import provides as safety
from tests.conftest import World
from tests.cybersec.helpers import admin, enterprise
from tests.web.helpers import form_token, login, visible_text

THRESHOLD = int(reference.rules()["brute_force"]["threshold"])


def _incident(db: Session, world: World, src: str, owner: int) -> CyberIncident:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    batch = [
        EventIn(at=start + dt.timedelta(seconds=i), sensor="fw", kind="auth_failure", src_ip=src, enterprise_id=owner)
        for i in range(THRESHOLD)
    ]
    events.post_events(db, scope=admin(world.a), data=EventBatch(events=batch))
    row = db.scalar(select(CyberIncident).where(CyberIncident.key == src))
    assert row is not None and row.alarm_id is not None
    return row


def test_hand_over_opens_a_safety_incident_from_the_alarm_once(db: Session, world: World) -> None:
    row = _incident(db, world, "10.93.0.1", world.a.enterprise_ids[0])
    with pytest.raises(NotFound):  # staff only; an enterprise does not even see another's incident
        posture.hand_over(db, scope=enterprise(world.a, 1), ident=row.id)
    handed = posture.hand_over(db, scope=admin(world.a), ident=row.id)
    assert handed.safety_incident_id is not None
    opened = safety.get_incident(db, scope=admin(world.a), ident=handed.safety_incident_id)
    assert opened.alarm_id == row.alarm_id and opened.enterprise_id == row.enterprise_id
    assert f"#{row.id}" in opened.title
    again = posture.hand_over(db, scope=admin(world.a), ident=row.id)
    assert again.safety_incident_id == handed.safety_incident_id
    events.close_incident(db, scope=admin(world.a), ident=row.id)
    other = _incident(db, world, "10.93.0.2", world.a.enterprise_ids[0])
    events.close_incident(db, scope=admin(world.a), ident=other.id)
    with pytest.raises(Conflict):
        posture.hand_over(db, scope=admin(world.a), ident=other.id)


def test_posture_counts_per_enterprise(db: Session, world: World) -> None:
    e0, e1 = world.a.enterprise_ids[0], world.a.enterprise_ids[1]
    _incident(db, world, "10.94.0.1", e0)
    _incident(db, world, "10.94.0.2", e1)
    security.ICS_ASSETS.create(
        db,
        scope=enterprise(world.a, 0),
        data=IcsAssetCreate(name="PLC-P", kind="plc", vendor="Posture", model="P1", firmware="1.0"),
    )
    security.ADVISORIES.create(
        db,
        scope=admin(world.a),
        data=AdvisoryCreate(
            ident="VD-POSTURE-1", title="t", vendor="Posture", model_pattern="P1", affected="<2", severity="critical"
        ),
    )
    today = dt.datetime.now(dt.UTC).date()
    mine = posture.posture(db, scope=enterprise(world.a, 0), park_id=world.a.park_id, enterprise_id=e0, today=today)
    assert mine.events_by_rule["brute_force"][-1] >= THRESHOLD and len(mine.days) == 14
    assert mine.open_by_rule.get("brute_force", 0) >= 1 and mine.exposure.get("critical", 0) >= 1
    theirs = posture.posture(db, scope=enterprise(world.a, 1), park_id=world.a.park_id, enterprise_id=e1, today=today)
    assert theirs.exposure.get("critical", 0) == 0


def test_the_posture_page_and_the_hand_over_button(client: TestClient, world: World, db: Session) -> None:
    row = _incident(db, world, "10.95.0.1", world.a.enterprise_ids[0])
    db.commit()
    login(client, "TA-enterprise")
    page = client.get("/security/posture", params={"lang": "zh"})
    assert page.status_code == 200 and "安全态势" in visible_text(page.text)
    assert 'id="posture-data"' in page.text and "/static/js/cybersec.js" in page.text
    client.cookies.clear()
    login(client, "TA-operator")
    listing = client.get("/security", params={"lang": "en"})
    assert f'action="/security/incidents/{row.id}/hand-over"' in listing.text
    handed = client.post(
        f"/security/incidents/{row.id}/hand-over", data={"csrf_token": form_token(listing.text)}, follow_redirects=False
    )
    assert handed.status_code == 303 and handed.headers["location"].startswith("/safety/incidents/")
    after = client.get("/security", params={"lang": "zh"})
    assert "应急事件" in after.text
