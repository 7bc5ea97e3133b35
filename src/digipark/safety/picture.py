"""Early warning: the park's risk picture per zone, building and enterprise, and the safety centre's key figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.registry.models import Building, Enterprise, Park, Zone
from digipark.safety import alarm_link
from digipark.safety.common import VIEW, today, warning_data
from digipark.safety.dangers import (
    OPEN_DANGER,
    UNVERIFIED_DANGER,
)
from digipark.safety.models import (
    HazardSource,
    HiddenDanger,
    Incident,
    IncidentStatus,
    RiskPoint,
)
from digipark.safety.schemas import (
    AreaRisk,
    Reason,
    RiskPicture,
)


@dataclasses.dataclass
class _Area:
    reasons: dict[tuple[str, str], list[float]] = dataclasses.field(default_factory=dict)  # -> [count, points]

    def add(self, kind: str, detail: str, count: int, points: float) -> None:
        if count <= 0:
            return
        entry = self.reasons.setdefault((kind, detail), [0, 0.0])
        entry[0] += count
        entry[1] += points

    def index(self) -> float:
        return round(sum(p for _, p in self.reasons.values()), 2)


def _band(index: float) -> str:
    for band in warning_data()["bands"]:
        if index >= float(band["min"]):
            return str(band["level"])
    return "blue"


def risk_picture(
    session: Session, *, scope: Scope, park_id: int | None = None, as_of: dt.datetime | None = None
) -> RiskPicture:
    """Per zone, building and enterprise (and the park as a whole): an index from active alarms by severity,
    open and overdue hidden dangers, major hazard grades, assessed risk points, open incidents and the recent
    trend, with its colour and the reasons behind it (weights: data/early_warning.yaml)."""
    park = scope.acting_park(park_id)
    scope.require(VIEW)
    now = as_of or utcnow()
    on = now.astimezone(zoneinfo.ZoneInfo(get_settings().timezone)).date()
    w = warning_data()
    areas: dict[tuple[str, int | None], _Area] = defaultdict(_Area)

    def add(keys: tuple[int | None, int | None, int | None], kind: str, detail: str, count: int, points: float) -> None:
        zone_id, building_id, enterprise_id = keys
        targets: list[tuple[str, int | None]] = [("park", None)]
        if zone_id is not None:
            targets.append(("zone", zone_id))
        if building_id is not None:
            targets.append(("building", building_id))
        if enterprise_id is not None:
            targets.append(("enterprise", enterprise_id))
        for target in targets:
            areas[target].add(kind, detail, count, points)

    for c in alarm_link.active_counts(session, scope=scope, park_id=park):
        add(
            (c.zone_id, c.building_id, c.enterprise_id),
            "alarms",
            c.severity,
            c.count,
            c.count * float(w["alarm_weights"].get(c.severity, 0)),
        )
    dangers = session.execute(
        select(
            HiddenDanger.zone_id,
            HiddenDanger.building_id,
            HiddenDanger.enterprise_id,
            HiddenDanger.grade,
            HiddenDanger.status,
            HiddenDanger.deadline,
        ).where(scope.condition(HiddenDanger), HiddenDanger.park_id == park, HiddenDanger.status.in_(UNVERIFIED_DANGER))
    )
    for zone_id, building_id, enterprise_id, grade, status, deadline in dangers:
        keys = (zone_id, building_id, enterprise_id)
        add(keys, "hidden_dangers_open", grade, 1, float(w["hidden_danger_weights"]["open"][grade]))
        if status in OPEN_DANGER and deadline is not None and deadline < on:
            add(keys, "hidden_dangers_overdue", grade, 1, float(w["hidden_danger_weights"]["overdue"][grade]))
    hazards = session.execute(
        select(HazardSource.zone_id, HazardSource.building_id, HazardSource.enterprise_id, HazardSource.grade).where(
            scope.condition(HazardSource), HazardSource.park_id == park, HazardSource.is_major.is_(True)
        )
    )
    for zone_id, building_id, enterprise_id, hazard_grade in hazards:
        if hazard_grade is not None:
            add(
                (zone_id, building_id, enterprise_id),
                "hazard_sources",
                str(hazard_grade),
                1,
                float(w["hazard_grade_weights"][hazard_grade]),
            )
    points = session.execute(
        select(RiskPoint.zone_id, RiskPoint.building_id, RiskPoint.enterprise_id, RiskPoint.level).where(
            scope.condition(RiskPoint), RiskPoint.park_id == park, RiskPoint.active.is_(True)
        )
    )
    for zone_id, building_id, enterprise_id, level in points:
        add(
            (zone_id, building_id, enterprise_id), "risk_points", level, 1, float(w["risk_point_weights"].get(level, 0))
        )
    incidents = session.execute(
        select(Incident.zone_id, Incident.building_id, Incident.enterprise_id, Incident.level).where(
            scope.condition(Incident),
            Incident.park_id == park,
            Incident.drill.is_(False),
            Incident.status != IncidentStatus.CLOSED.value,
        )
    )
    for zone_id, building_id, enterprise_id, level in incidents:
        add((zone_id, building_id, enterprise_id), "incidents", level, 1, float(w["incident_weight"]))
    # trend: hidden dangers found and incidents opened, this window against the one before
    window = int(w["trend"]["window_days"])
    start, middle = on - dt.timedelta(days=2 * window), on - dt.timedelta(days=window)
    counts: dict[tuple[int | None, int | None, int | None], list[int]] = defaultdict(lambda: [0, 0])
    for zone_id, building_id, enterprise_id, found_on in session.execute(
        select(HiddenDanger.zone_id, HiddenDanger.building_id, HiddenDanger.enterprise_id, HiddenDanger.found_on).where(
            scope.condition(HiddenDanger), HiddenDanger.park_id == park, HiddenDanger.found_on > start
        )
    ):
        counts[(zone_id, building_id, enterprise_id)][0 if found_on <= middle else 1] += 1
    since = now - dt.timedelta(days=2 * window)
    for zone_id, building_id, enterprise_id, occurred in session.execute(
        select(Incident.zone_id, Incident.building_id, Incident.enterprise_id, Incident.occurred_at).where(
            scope.condition(Incident), Incident.park_id == park, Incident.drill.is_(False), Incident.occurred_at > since
        )
    ):
        counts[(zone_id, building_id, enterprise_id)][0 if occurred <= now - dt.timedelta(days=window) else 1] += 1
    trend: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0])
    for (zone_id, building_id, enterprise_id), (before, recent) in counts.items():
        for target in [("park", None), ("zone", zone_id), ("building", building_id), ("enterprise", enterprise_id)]:
            if target[0] == "park" or target[1] is not None:
                trend[target][0] += before
                trend[target][1] += recent
    for target, (before, recent) in trend.items():
        if recent > before:
            areas[target].add(
                "trend", f"{before}->{recent}", recent - before, (recent - before) * float(w["trend"]["per_increase"])
            )

    def area(kind: str, key: int | None, name: str) -> AreaRisk:
        found = areas.get((kind, key), _Area())
        index = found.index()
        reasons = [
            Reason(kind=k, detail=d, count=int(v[0]), points=round(v[1], 2))
            for (k, d), v in sorted(found.reasons.items(), key=lambda item: -item[1][1])
        ]
        return AreaRisk(key=key, name=name, index=index, level=_band(index), reasons=reasons)

    zones = session.execute(
        select(Zone.id, Zone.name).where(scope.condition(Zone), Zone.park_id == park).order_by(Zone.code)
    )
    buildings = session.execute(
        select(Building.id, Building.name)
        .where(scope.condition(Building), Building.park_id == park)
        .order_by(Building.code)
    )
    enterprises = session.execute(
        select(Enterprise.id, Enterprise.name)
        .where(scope.condition(Enterprise), Enterprise.park_id == park, Enterprise.status == "active")
        .order_by(Enterprise.name)
    )
    park_name = session.scalar(select(Park.name).where(Park.id == park)) or str(park)
    enterprise_rows = [area("enterprise", i, n) for i, n in enterprises]
    return RiskPicture(
        park_id=park,
        as_of=now,
        zones=[area("zone", i, n) for i, n in zones],
        buildings=[area("building", i, n) for i, n in buildings],
        enterprises=sorted(enterprise_rows, key=lambda a: (-a.index, a.name)),
        park=area("park", None, park_name),
        alarms_available=alarm_link.available(),
    )


def overview_counts(session: Session, *, scope: Scope, park_id: int) -> dict[str, int]:
    """Key figures of the safety centre, as the scope sees them."""
    on = today()

    def count(model: Any, *conditions: Any) -> int:
        stmt = (
            select(func.count()).select_from(model).where(scope.condition(model), model.park_id == park_id, *conditions)
        )
        return int(session.scalar(stmt) or 0)

    return {
        "risk_points": count(RiskPoint, RiskPoint.active.is_(True)),
        "red_points": count(RiskPoint, RiskPoint.active.is_(True), RiskPoint.level == "red"),
        "major_hazards": count(HazardSource, HazardSource.is_major.is_(True)),
        "open_dangers": count(HiddenDanger, HiddenDanger.status.in_(UNVERIFIED_DANGER)),
        "overdue_dangers": count(HiddenDanger, HiddenDanger.status.in_(OPEN_DANGER), HiddenDanger.deadline < on),
        "open_incidents": count(Incident, Incident.status != IncidentStatus.CLOSED.value, Incident.drill.is_(False)),
    }
