"""Reading telemetry: series of a point (raw or a rollup), many points, a park's sum over points of one quantity,
latest values, CSV/Excel export. Every read goes through the point's scope first (`scope.condition(Point)`):
a point the caller may not read is "not found".

Raw series carry the readings' values (agg=delta: the increments of a cumulative meter, from the reading before
the range); rollup series one value per bucket, by `agg`. Resolution `auto` picks the coarsest rollup that still
gives at least `settings.chart_min_points` buckets over the range (1 mo, 1 d, 1 h, 15 min); raw only when even
15 min buckets would be too few (short ranges) and the raw readings fit under `settings.series_max_points`.
Charts over long ranges therefore read rollups only; a park's 1 d and 1 mo sums read rollup_group.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import NotFound, field_error
from digipark.registry.models import Device, Point
from digipark.telemetry.models import ROLLUP_TABLES, PointLatest, Quality, Reading, Resolution, RollupGroup
from digipark.telemetry.rollups import (
    CUMULATIVE,
    GROUP_LEVELS,
    bucket_start,
    has_group_table,
    increment,
    local_zone,
)

AGGREGATES = ("avg", "min", "max", "sum", "count", "first", "last", "delta")
APPROX_MS = {
    Resolution.M15: 900_000,
    Resolution.H1: 3_600_000,
    Resolution.D1: 86_400_000,
    Resolution.MO1: 30 * 86_400_000,
}
MAX_POINTS_PER_REQUEST = 100


@dataclasses.dataclass(frozen=True, slots=True)
class Series:
    point_id: int | None  # None: a park-level sum
    name: str
    unit: str
    resolution: str
    agg: str
    from_ms: int
    to_ms: int
    points: list[tuple[int, float | None]]  # (bucket start or reading time ms, value)
    park_id: int | None = None
    quantity: str | None = None
    point_count: int | None = None


# --- parameters ---------------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"^-?\d+$")


def parse_time(value: str, field: str) -> int:
    """Epoch milliseconds from epoch-ms digits or ISO-8601 (a time without offset is local, settings.timezone)."""
    text = value.strip()
    if _DIGITS.match(text):
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise field_error(field, "not a time: use ISO-8601 (2026-03-01T08:00+08:00) or epoch milliseconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return int(moment.timestamp() * 1000)


def parse_resolution(value: str | None) -> str:
    text = (value or "auto").strip()
    allowed = ["auto", *(r.value for r in Resolution)]
    if text not in allowed:
        raise field_error("resolution", f"unknown resolution {text!r}; use one of {', '.join(allowed)}")
    return text


def parse_agg(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text not in AGGREGATES:
        raise field_error("agg", f"unknown aggregate {text!r}; use one of {', '.join(AGGREGATES)}")
    return text


MAX_MS = 32_503_680_000_000  # year 3000


def check_range(from_ms: int, to_ms: int) -> None:
    for field, value in (("from", from_ms), ("to", to_ms)):
        if not 0 <= value <= MAX_MS:
            raise field_error(field, "outside 1970-3000")
    if to_ms <= from_ms:
        raise field_error("to", "must be after from")


def default_agg(point: Point) -> str:
    return "delta" if point.state_class == CUMULATIVE else "avg"


def choose_resolution(from_ms: int, to_ms: int) -> Resolution:
    """The coarsest rollup giving at least chart_min_points buckets; RAW when even 15 min give fewer."""
    wanted = get_settings().chart_min_points
    for resolution in (Resolution.MO1, Resolution.D1, Resolution.H1, Resolution.M15):
        if (to_ms - from_ms) / APPROX_MS[resolution] >= wanted:
            return resolution
    return Resolution.RAW


def _table(resolution: Resolution) -> Table:
    table = ROLLUP_TABLES[resolution].__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _value(agg: str, row: Any) -> float | None:
    if agg == "avg":
        return None if not row.count or row.sum is None else float(row.sum) / int(row.count)
    if agg == "count":
        return float(row.count)
    column = {"first": "first_value", "last": "last_value"}.get(agg, agg)
    found = getattr(row, column)
    return None if found is None else float(found)


# --- one point ------------------------------------------------------------------------------------------------------


def readable_point(session: Session, *, scope: Scope, point_id: int) -> Point:
    return scope.get_or_404(session, Point, point_id)


def _raw_series(session: Session, point: Point, from_ms: int, to_ms: int, agg: str, *, auto: bool) -> list[Any] | None:
    cap = get_settings().series_max_points
    rows = session.execute(
        select(Reading.ts, Reading.value)
        .where(
            Reading.park_id == point.park_id,  # only the point's park's partition (maybe on another server)
            Reading.point_id == point.id,
            Reading.ts >= from_ms,
            Reading.ts < to_ms,
            Reading.quality == Quality.GOOD,
        )
        .order_by(Reading.ts)
        .limit(cap + 1)
    ).all()
    if len(rows) > cap:
        if auto:
            return None
        raise field_error(
            "resolution",
            f"more than {cap} raw readings in the range; choose a coarser resolution or a shorter range",
            limit=cap,
        )
    if agg != "delta":
        return [(int(ts), float(value)) for ts, value in rows]
    previous = session.scalar(
        select(Reading.value)
        .where(
            Reading.park_id == point.park_id,
            Reading.point_id == point.id,
            Reading.ts < from_ms,
            Reading.quality == Quality.GOOD,
        )
        .order_by(Reading.ts.desc())
        .limit(1)
    )
    band = get_settings().rollover_band
    out: list[Any] = []
    for ts, value in rows:
        out.append((int(ts), increment(previous, float(value), point.valid_max, band)))
        previous = value
    return out


def _rollup_series(
    session: Session, point_ids: Sequence[int], resolution: Resolution, from_ms: int, to_ms: int, agg: str
) -> dict[int, list[tuple[int, float | None]]]:
    table = _table(resolution)
    column = {"first": "first_value", "last": "last_value", "avg": "sum"}.get(agg, agg)
    columns = [table.c.point_id, table.c.bucket, table.c.count, table.c.sum]
    if column not in ("count", "sum"):
        columns.append(table.c[column])
    rows = session.execute(
        select(*columns)
        .where(
            table.c.point_id.in_(list(point_ids)),
            table.c.bucket >= bucket_start(resolution, from_ms),
            table.c.bucket < to_ms,
        )
        .order_by(table.c.point_id, table.c.bucket)
    )
    out: dict[int, list[tuple[int, float | None]]] = {pid: [] for pid in point_ids}
    for row in rows:
        out[int(row.point_id)].append((int(row.bucket), _value(agg, row)))
    return out


def _series_of(session: Session, point: Point, from_ms: int, to_ms: int, resolution: str, agg: str | None) -> Series:
    chosen = parse_resolution(resolution)
    how = parse_agg(agg) or default_agg(point)
    check_range(from_ms, to_ms)
    target = choose_resolution(from_ms, to_ms) if chosen == "auto" else Resolution(chosen)
    if target is Resolution.RAW:
        points = _raw_series(session, point, from_ms, to_ms, how, auto=chosen == "auto")
        if points is None:  # too many raw readings for auto: 15 min buckets instead
            target = Resolution.M15
        else:
            return Series(point.id, point.name, point.unit, target.value, how, from_ms, to_ms, points)
    values = _rollup_series(session, [point.id], target, from_ms, to_ms, how)[point.id]
    return Series(point.id, point.name, point.unit, target.value, how, from_ms, to_ms, values)


def point_series(
    session: Session,
    *,
    scope: Scope,
    point_id: int,
    from_ms: int,
    to_ms: int,
    resolution: str = "auto",
    agg: str | None = None,
) -> Series:
    """One point's series over [from_ms, to_ms). Raises NotFound for a point the caller may not read."""
    point = readable_point(session, scope=scope, point_id=point_id)
    return _series_of(session, point, from_ms, to_ms, resolution, agg)


def many_series(
    session: Session,
    *,
    scope: Scope,
    point_ids: Sequence[int],
    from_ms: int,
    to_ms: int,
    resolution: str = "auto",
    agg: str | None = None,
) -> list[Series]:
    """Series of several points (each with its own default aggregate unless `agg` is given)."""
    ids = list(dict.fromkeys(point_ids))
    if not ids:
        raise field_error("point_id", "give at least one point id")
    if len(ids) > MAX_POINTS_PER_REQUEST:
        raise field_error(
            "point_id", f"at most {MAX_POINTS_PER_REQUEST} points per request", limit=MAX_POINTS_PER_REQUEST
        )
    points = {p.id: p for p in session.scalars(scope.readable(Point).where(Point.id.in_(ids)))}
    missing = [pid for pid in ids if pid not in points]
    if missing:
        raise NotFound(f"point {missing[0]} not found")
    return [_series_of(session, points[pid], from_ms, to_ms, resolution, agg) for pid in ids]


# --- a park's sum ---------------------------------------------------------------------------------------------------


def park_series(
    session: Session,
    *,
    scope: Scope,
    park_id: int,
    quantity: str,
    from_ms: int,
    to_ms: int,
    resolution: str = "1d",
    agg: str | None = None,
) -> Series:
    """The sum over the park's points of `quantity` that the caller may read, per bucket (e.g. the park-wide
    daily energy: quantity=electric_energy, resolution=1d, agg=delta). avg is the mean over all readings;
    min/max the extremes over the points. Rollups only (no raw)."""
    if park_id not in scope.read_parks:
        raise NotFound(f"park {park_id} not found")
    chosen = parse_resolution(resolution)
    check_range(from_ms, to_ms)
    target = choose_resolution(from_ms, to_ms) if chosen == "auto" else Resolution(chosen)
    if target is Resolution.RAW:
        if chosen == "auto":
            target = Resolution.M15
        else:
            raise field_error("resolution", "a park series is read from rollups: use 15m, 1h, 1d or 1mo")
    points = select(Point.id).where(Point.park_id == park_id, Point.quantity == quantity, scope.condition(Point))
    facts = session.execute(
        select(func.count(), func.min(Point.state_class), func.min(Point.unit)).where(
            Point.park_id == park_id, Point.quantity == quantity, scope.condition(Point)
        )
    ).one()
    point_count, sample, unit = int(facts[0] or 0), facts[1], facts[2] or ""
    how = parse_agg(agg) or ("delta" if sample == CUMULATIVE else "avg")
    groups = _whole_groups(session, scope=scope, park_id=park_id, quantity=quantity)
    if target in GROUP_LEVELS and how in GROUP_AGGREGATES and groups is not None and has_group_table(session):
        values = _group_values(session, park_id, quantity, groups, target, from_ms, to_ms, how)
        return Series(
            None,
            quantity,
            unit,
            target.value,
            how,
            from_ms,
            to_ms,
            values,
            park_id=park_id,
            quantity=quantity,
            point_count=point_count,
        )
    table = _table(target)
    measures: dict[str, Any] = {
        "avg": (func.sum(table.c.sum) / func.nullif(func.sum(table.c.count), 0)),
        "min": func.min(table.c.min),
        "max": func.max(table.c.max),
        "sum": func.sum(table.c.sum),
        "count": func.sum(table.c.count),
        "first": func.sum(table.c.first_value),
        "last": func.sum(table.c.last_value),
        "delta": func.sum(table.c.delta),
    }
    rows = session.execute(
        select(table.c.bucket, measures[how].label("value"))
        .where(
            table.c.point_id.in_(points),
            table.c.bucket >= bucket_start(target, from_ms),
            table.c.bucket < to_ms,
        )
        .group_by(table.c.bucket)
        .order_by(table.c.bucket)
    ).all()
    values = [(int(bucket), None if value is None else float(value)) for bucket, value in rows]
    return Series(
        None,
        quantity,
        unit,
        target.value,
        how,
        from_ms,
        to_ms,
        values,
        park_id=park_id,
        quantity=quantity,
        point_count=point_count,
    )


GROUP_AGGREGATES = ("avg", "min", "max", "sum", "count", "delta")


def _whole_groups(session: Session, *, scope: Scope, park_id: int, quantity: str) -> list[int] | None:
    """The owner groups (enterprise id, 0: the park) of the park's points of `quantity` if the caller may read
    every point of each group it may read any point of (then rollup_group rows are exactly its sums); else None."""
    owner = func.coalesce(Point.enterprise_id, 0)
    base = select(owner, func.count()).where(Point.park_id == park_id, Point.quantity == quantity).group_by(owner)
    readable: dict[int, int] = {int(g): int(n) for g, n in session.execute(base.where(scope.condition(Point)))}
    if not readable:
        return []
    owners = [g for g in readable if g]
    everything = {
        int(g): int(n)
        for g, n in session.execute(base.where(Point.enterprise_id.is_(None) | Point.enterprise_id.in_(owners)))
    }
    if any(everything.get(group) != count for group, count in readable.items()):
        return None
    return sorted(int(g) for g in readable)


def _group_values(
    session: Session,
    park_id: int,
    quantity: str,
    groups: list[int],
    target: Resolution,
    from_ms: int,
    to_ms: int,
    how: str,
) -> list[tuple[int, float | None]]:
    if not groups:
        return []
    g = RollupGroup
    measures: dict[str, Any] = {
        "avg": func.sum(g.sum) / func.nullif(func.sum(g.count), 0),
        "min": func.min(g.min),
        "max": func.max(g.max),
        "sum": func.sum(g.sum),
        "count": func.sum(g.count),
        "delta": func.sum(g.delta),
    }
    rows = session.execute(
        select(g.bucket, measures[how])
        .where(
            g.park_id == park_id,
            g.quantity == quantity,
            g.resolution == target.value,
            g.enterprise_id.in_(groups),
            g.bucket >= bucket_start(target, from_ms),
            g.bucket < to_ms,
        )
        .group_by(g.bucket)
        .order_by(g.bucket)
    ).all()
    return [(int(bucket), None if value is None else float(value)) for bucket, value in rows]


# --- latest values ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Latest:
    point_id: int
    device_id: int
    key: str
    name: str
    unit: str
    ts: int | None
    value: float | None
    quality: int | None


def _latest(session: Session, condition: Any) -> list[Latest]:
    rows = session.execute(
        select(
            Point.id,
            Point.device_id,
            Point.key,
            Point.name,
            Point.unit,
            PointLatest.ts,
            PointLatest.value,
            PointLatest.quality,
        )
        .outerjoin(PointLatest, PointLatest.point_id == Point.id)
        .where(condition)
        .order_by(Point.id)
    ).all()
    return [Latest(*row) for row in rows]


def latest_values(session: Session, *, scope: Scope, point_ids: Sequence[int]) -> list[Latest]:
    ids = list(dict.fromkeys(point_ids))
    if not ids:
        raise field_error("point_id", "give at least one point id")
    if len(ids) > 1000:
        raise field_error("point_id", "at most 1000 points per request", limit=1000)
    found = _latest(session, and_(Point.id.in_(ids), scope.condition(Point)))
    if len(found) != len(ids):
        missing = sorted(set(ids) - {row.point_id for row in found})
        raise NotFound(f"point {missing[0]} not found")
    return found


def device_latest(session: Session, *, scope: Scope, device_id: int) -> list[Latest]:
    scope.get_or_404(session, Device, device_id)
    return _latest(session, and_(Point.device_id == device_id, scope.condition(Point)))


# --- export ---------------------------------------------------------------------------------------------------------

EXPORT_HEADERS = ("时间 (time)", "时间戳 (ts_ms)", "数值 (value)")


def export_rows(series: Series) -> list[list[Any]]:
    zone = local_zone()
    return [
        [dt.datetime.fromtimestamp(ts / 1000, zone).strftime("%Y-%m-%d %H:%M:%S"), ts, value]
        for ts, value in series.points
    ]


def export_headers(series: Series) -> list[str]:
    return [EXPORT_HEADERS[0], EXPORT_HEADERS[1], f"{series.name} {series.agg} ({series.unit})"]
