"""What each widget of a dashboard shows, read as the viewer may read it over the dashboard's time range."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core.errors import DomainError
from digipark.dashboards import figures
from digipark.dashboards.models import Dashboard
from digipark.dashboards.spec import TIME_RANGES, DashboardSpec
from digipark.telemetry import provides as telemetry


def widget_data(
    session: Session, *, scope: Scope, row: Dashboard, time_range: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """{"time_range", "from_ms", "to_ms", "widgets": [the data of each widget, in order]}."""
    spec = DashboardSpec.model_validate(row.spec)
    chosen = time_range if time_range in TIME_RANGES else spec.time_range
    now = now or dt.datetime.now(dt.UTC)
    to_ms = int(now.timestamp() * 1000)
    from_ms = to_ms - TIME_RANGES[chosen][0] * 1000
    keys: set[str] = set()
    for w in spec.widgets:
        if w.kind in ("kpi", "gauge"):
            keys.add(w.figure)
        elif w.kind == "table":
            keys.update(w.figures)
    values = figures.values(session, scope=scope, park_id=row.park_id, keys=keys) if keys else {}
    out: list[dict[str, Any]] = []
    for w in spec.widgets:
        item: dict[str, Any] = {"kind": w.kind, "title": w.title}
        if w.kind == "timeseries":
            item["series"] = _series(session, scope, w.points, from_ms, to_ms)
        elif w.kind in ("kpi", "gauge"):
            item["value"] = values.get(w.figure)
            if w.kind == "gauge":
                item["min"], item["max"] = w.min, w.max
        elif w.kind == "table":
            item["rows"] = [[k, values.get(k)] for k in w.figures]
        elif w.kind == "alarms":
            item["alarms"] = (
                alarms.open_alarms(session, scope=scope, park_id=row.park_id, limit=w.limit)
                if scope.is_staff and scope.can("alarm.view")
                else []
            )
        out.append(item)
    return {"time_range": chosen, "from_ms": from_ms, "to_ms": to_ms, "widgets": out}


def _series(session: Session, scope: Scope, point_ids: list[int], from_ms: int, to_ms: int) -> list[dict[str, Any]]:
    found = []
    for point_id in point_ids:
        try:
            s = telemetry.point_series(session, scope=scope, point_id=point_id, from_ms=from_ms, to_ms=to_ms)
        except DomainError:
            continue  # a point the viewer may not read (or no longer there) is left out
        found.append({"point_id": point_id, "name": s.name, "unit": s.unit, "points": s.points})
    return found
