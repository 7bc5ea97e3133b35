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


def test_the_live_list_sends_an_external_title_translated(db: Session, world: World) -> None:
    """The page's stream sends each message as the list shows it after a reload: a new external alarm's title in
    the reader's language (zh), the open ones as well; the API's stream sends the msgid as stored."""
    import asyncio
    import json

    from digipark.alarms import live
    from digipark.web import i18n

    first = _raise(db, world, "CAM-1")
    admin = scope_of(db, "TA", "park_admin")
    zh = i18n.translations("zh").gettext
    assert zh("Security: intrusion") != "Security: intrusion"  # the catalogue has it

    def message_of(chunk: str) -> tuple[int, str]:
        data = json.loads(chunk.split("data: ", 1)[1].split("\n", 1)[0])
        return int(data["id"]), str(data["message"])

    async def read(translate: live.Translate | None) -> list[tuple[int, str]]:
        response = live.open_stream(db, admin, translate)
        body = response.body_iterator
        got = [await anext(body), await anext(body)]  # retry hint, the open alarm
        later = _raise(db, world, "CAM-9")  # raised while the list is open
        alarm = service.get(db, scope=admin, ident=later)
        live.streams().offer(live.row_payload(alarm))
        got.append(await asyncio.wait_for(anext(body), 5))
        await body.aclose()  # type: ignore[attr-defined]
        assert got[0].startswith("retry:")
        return [message_of(chunk) for chunk in got[1:]]

    shown = asyncio.run(read(zh))
    assert shown[0] == (first, zh("Security: intrusion")) and shown[1][1] == zh("Security: intrusion")
    assert [m for _, m in asyncio.run(read(None))] == ["Security: intrusion"] * 2
    # a rule's own text with its values filled in is sent as it is
    assert live.shown_message("CO 30 ppm > 25%", zh) == "CO 30 ppm > 25%"
