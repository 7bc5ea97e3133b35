"""Events stored and correlated into incidents with their alarm; the platform's own failed logins as a source;
incidents of an enterprise read by that enterprise only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.models import Alarm
from digipark.auth import service as auth
from digipark.core.errors import DomainError
from digipark.core.listing import ListQuery
from digipark.cybersec import events, reference
from digipark.cybersec.correlate import Correlator, Event
from digipark.cybersec.models import CyberEvent
from digipark.cybersec.schemas import EventBatch, EventIn, SyslogBatch
from tests.conftest import World
from tests.cybersec.helpers import admin, enterprise

THRESHOLD = int(reference.rules()["brute_force"]["threshold"])


def _burst(n: int, *, src: str = "203.0.113.50", enterprise_id: int | None = None) -> EventBatch:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=n)
    return EventBatch(
        events=[
            EventIn(
                at=start + dt.timedelta(seconds=i),
                sensor="fw-core",
                kind="auth_failure",
                src_ip=src,
                username="root",
                enterprise_id=enterprise_id,
            )
            for i in range(n)
        ]
    )


def test_a_burst_split_over_requests_becomes_one_incident_with_an_alarm(db: Session, world: World) -> None:
    staff = admin(world.a)
    first = events.post_events(db, scope=staff, data=_burst(THRESHOLD - 1))
    assert (first.events, first.incidents_opened) == (THRESHOLD - 1, 0)
    second = events.post_events(db, scope=staff, data=_burst(1))  # replayed window: completes the pattern
    assert second.incidents_opened == 1
    third = events.post_events(db, scope=staff, data=_burst(1))
    assert (third.incidents_opened, third.incidents_updated) == (0, 1)
    incidents, total = events.list_incidents(db, scope=staff, query=ListQuery(filters={"rule": "brute_force"}))
    assert total == 1 and incidents[0].key == "203.0.113.50" and incidents[0].events == THRESHOLD + 1
    alarm = db.get(Alarm, incidents[0].alarm_id)
    assert alarm is not None and alarm.message == events.ALARM_TITLES["brute_force"]
    linked = db.scalars(select(CyberEvent).where(CyberEvent.incident_id == incidents[0].id)).all()
    assert len(linked) == THRESHOLD + 1
    closed = events.close_incident(db, scope=staff, ident=incidents[0].id)
    assert closed.status == "closed"
    with pytest.raises(DomainError):
        events.close_incident(db, scope=staff, ident=incidents[0].id)


def test_syslog_lines_of_a_brute_force_make_an_incident(db: Session, world: World) -> None:
    lines = [
        f"<38>Oct 30 22:14:{10 + i:02d} gw-01 sshd[411]: Failed password for root from 198.51.100.77 port 5{i} ssh2"
        for i in range(THRESHOLD)
    ]
    result = events.post_syslog(db, scope=admin(world.a), data=SyslogBatch(lines=lines))
    assert (result.events, result.incidents_opened) == (THRESHOLD, 1)
    with pytest.raises(DomainError):
        events.post_syslog(db, scope=admin(world.a), data=SyslogBatch(lines=["not syslog"]))


def test_the_platforms_failed_logins_become_a_brute_force_incident(db: Session, world: World) -> None:
    staff = admin(world.a)
    user = auth.get_by_username(db, username=next(iter(_usernames(db, world))))
    assert user is not None
    for _ in range(THRESHOLD):
        auth.authenticate(db, username=user.username, password="wrong-password-1")
    result = events.collect_platform_logins(db, scope=staff)
    assert result.events >= THRESHOLD and result.incidents_opened == 1
    incidents, _ = events.list_incidents(db, scope=staff, query=ListQuery(filters={"rule": "brute_force"}))
    assert incidents[0].key == f"user:{user.username}"
    assert events.collect_platform_logins(db, scope=staff).events == 0  # collected once


def _usernames(db: Session, world: World) -> list[str]:
    from digipark.auth.models import User

    return list(db.scalars(select(User.username).where(User.park_id == world.a.park_id, User.role == "operator")))


def test_an_enterprises_incident_is_read_by_that_enterprise_only(db: Session, world: World) -> None:
    staff = admin(world.a)
    e0 = world.a.enterprise_ids[0]
    events.post_events(db, scope=staff, data=_burst(THRESHOLD, src="10.7.7.7", enterprise_id=e0))
    own, total = events.list_incidents(db, scope=enterprise(world.a, 0), query=ListQuery())
    assert total == 1 and own[0].enterprise_id == e0
    assert events.list_incidents(db, scope=enterprise(world.a, 1), query=ListQuery())[1] == 0
    assert events.list_events(db, scope=enterprise(world.a, 1), query=ListQuery())[1] == 0
    assert events.list_incidents(db, scope=admin(world.b), query=ListQuery())[1] == 0
    with pytest.raises(DomainError):
        events.post_events(db, scope=enterprise(world.a, 0), data=_burst(1))


def test_a_long_lived_correlator_links_each_stored_event_to_its_incident(db: Session, world: World) -> None:
    """The receiver's path (events.ingest with one correlator over batches): an attack completed within one batch,
    one completed across two batches, and a bystander's single failure; each event stored once, with its values,
    and linked to its own incident only."""
    park = world.a.park_id
    base = dt.datetime.now(dt.UTC).timestamp() - 100
    correlator = Correlator()

    def fail(i: int, src: str) -> Event:
        return Event(base + i, "auth_failure", "gw-01", src, None, None, "root", None, f"line {src} {i}")

    first = [fail(i, "198.51.100.1") for i in range(THRESHOLD)] + [fail(0, "198.51.100.2"), fail(1, "198.51.100.3")]
    second = [fail(10 + i, "198.51.100.2") for i in range(THRESHOLD - 1)]
    one = events.ingest(db, park_id=park, events=first, correlator=correlator)
    two = events.ingest(db, park_id=park, events=second, correlator=correlator)
    assert (one.events, one.incidents_opened, two.incidents_opened) == (THRESHOLD + 2, 1, 1)
    stored = db.scalars(
        select(CyberEvent).where(CyberEvent.park_id == park, CyberEvent.src_ip.like("198.51.100.%"))
    ).all()
    assert len(stored) == 2 * THRESHOLD + 1
    incidents, _ = events.list_incidents(db, scope=admin(world.a), query=ListQuery(filters={"rule": "brute_force"}))
    by_key = {i.key: i.id for i in incidents}
    for row in stored:
        assert row.incident_id == by_key.get(row.src_ip), row.src_ip  # the bystander (.3) has none
        assert row.message == f"line {row.src_ip} {round(row.at.timestamp() - base)}"
        assert (row.sensor, row.kind, row.username) == ("gw-01", "auth_failure", "root")


def test_events_are_stored_with_their_time_to_the_microsecond_and_their_text_as_given(
    db: Session, world: World
) -> None:
    """The bulk store (COPY on PostgreSQL, plain rows on SQLite) keeps each time to the microsecond, as
    datetime.fromtimestamp reads it, and text with tabs, new lines, backslashes and CJK as given."""
    park = world.a.park_id
    base = float(int(dt.datetime.now(dt.UTC).timestamp()) - 50)
    stamps = [base + 0.123456, base + 0.5, base + 1.999999, base + 7]
    texts = ["tab\there", "line\nbreak", "back\\slash \\N", "中文 日志"]
    given = [
        Event(ts, "other", "gw-09", "192.0.2.9", "192.0.2.10", 22, None, None, text)
        for ts, text in zip(stamps, texts, strict=True)
    ]
    events.ingest(db, park_id=park, events=given, correlator=Correlator())
    stored = db.scalars(
        select(CyberEvent).where(CyberEvent.park_id == park, CyberEvent.sensor == "gw-09").order_by(CyberEvent.at)
    ).all()
    assert [row.at for row in stored] == [dt.datetime.fromtimestamp(ts, dt.UTC) for ts in stamps]
    assert [row.message for row in stored] == texts
    assert {(row.src_ip, row.dst_ip, row.dst_port, row.incident_id) for row in stored} == {
        ("192.0.2.9", "192.0.2.10", 22, None)
    }
