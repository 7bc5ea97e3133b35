"""What safety reads of the alarms domain, only through its provides module:
`alarms.provides.get(session, *, scope, ident)` and `alarms.provides.active_counts(session, *, scope, park_id)`."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope

SEVERITIES = ("info", "minor", "major", "critical")


@dataclasses.dataclass(frozen=True)
class AlarmFacts:
    id: int
    park_id: int
    enterprise_id: int | None
    severity: str
    state: str
    point_id: int | None
    zone_id: int | None
    building_id: int | None
    title: str
    raised_at: dt.datetime
    title_en: str | None = None


@dataclasses.dataclass(frozen=True)
class Count:
    zone_id: int | None
    building_id: int | None
    enterprise_id: int | None
    severity: str
    count: int


def available() -> bool:
    return True


def get(session: Session, *, scope: Scope, ident: int) -> AlarmFacts:
    """The alarm `ident` as the caller's scope sees it (404 outside it)."""
    alarm = alarms.get(session, scope=scope, ident=ident)
    return AlarmFacts(
        id=alarm.id,
        park_id=alarm.park_id,
        enterprise_id=alarm.enterprise_id,
        severity=alarm.severity,
        state=alarm.state,
        point_id=alarm.point_id,
        zone_id=alarm.zone_id,
        building_id=alarm.building_id,
        title=alarm.message or f"alarm {alarm.id}",
        raised_at=alarm.raised_at,
        title_en=alarm.message_en,
    )


def active_counts(session: Session, *, scope: Scope, park_id: int) -> list[Count]:
    return [
        Count(c.zone_id, c.building_id, c.enterprise_id, c.severity, c.count)
        for c in alarms.active_counts(session, scope=scope, park_id=park_id)
    ]


def raised_times(
    session: Session, *, scope: Scope, park_id: int, since: dt.datetime, until: dt.datetime
) -> list[dt.datetime]:
    """When the alarms the caller may read were raised in [since, until) (none when it may not read alarms)."""
    if not scope.can("alarm.view"):
        return []
    return alarms.raised_times(session, scope=scope, park_id=park_id, since=since, until=until)
