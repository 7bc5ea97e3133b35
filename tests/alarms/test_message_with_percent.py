"""An alarm whose message holds a percent sign (a rule's unit, e.g. "rise ≥ 6 %LEL/min") renders on the alarm list
and its page: the message is translated only when it is a msgid (external alarms' titles), never %-formatted."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.models import Alarm
from tests.conftest import World
from tests.web.helpers import login


def test_alarm_pages_render_a_message_with_a_percent_sign(client: TestClient, world: World, db: Session) -> None:
    from digipark.alarms import provides

    provides.raise_external(
        db,
        park_id=world.a.park_id,
        source_kind="camera",
        source_ref="CAM-1",
        severity="major",
        title_key="Security: intrusion",
    )
    db.flush()
    alarm = db.scalars(select(Alarm).where(Alarm.park_id == world.a.park_id)).first()
    assert alarm is not None
    alarm.message = "rise ≥ 6 %LEL/min"
    db.flush()
    login(client, "TA-park_admin")
    listing = client.get("/alarms")
    assert listing.status_code == 200 and "rise ≥ 6 %LEL/min" in listing.text
    detail = client.get(f"/alarms/{alarm.id}")
    assert detail.status_code == 200 and "%LEL/min" in detail.text
