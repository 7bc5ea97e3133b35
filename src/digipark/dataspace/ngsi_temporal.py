"""NGSI-LD temporal retrieval (ETSI GS CIM 009 §5.7.3, API 6.19): a registry device's points as Properties with their
history, read through telemetry's `point_series` (the caller's scope decides what it reads).

- `timerel` `between` (`timeAt` ≤ t < `endTimeAt`), `after` (t ≥ `timeAt`) or `before` (t < `timeAt`); a window
  is at most MAX_DAYS long (`after` and `before` run MAX_DAYS from or to `timeAt`), raw readings at most
  MAX_INSTANCES per attribute (else BadRequestData: ask for an aggregation);
- normalised: each attribute an array of instances `{"type": "Property", "value", "observedAt", "unitCode"}`;
  `options=temporalValues`: `{"type": "Property", "values": [[value, time], ...]}`;
- aggregated (`aggrMethods` avg, min, max, sum, totalCount and `aggrPeriodDuration` PT15M, PT1H, P1D, P1M, from
  telemetry's rollups): `{"type": "Property", "avg": [[value, startAt, endAt], ...], ...}`.
Entities created through the API keep no history: their temporal representation is not offered
(ResourceNotFound)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import DomainError
from digipark.dataspace import ngsi
from digipark.dataspace.ngsi_context import Context, NgsiError, bad, platform_terms, spec
from digipark.registry.models import Point
from digipark.telemetry.provides import local_zone, point_series

MAX_DAYS = 31
MAX_INSTANCES = 10_000
DAY_MS = 86_400_000
PERIODS = {"PT15M": ("15m", 900_000), "PT1H": ("1h", 3_600_000), "P1D": ("1d", DAY_MS), "P1M": ("1mo", None)}
METHODS = {"avg": "avg", "min": "min", "max": "max", "sum": "sum", "totalCount": "count"}


def _ms(value: str | None, name: str) -> int:
    if not value:
        raise bad("%(name)s is needed with this timerel", name=name)
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad("%(name)s: an ISO 8601 date-time", name=name) from exc
    if moment.tzinfo is None:
        raise bad("%(name)s: a date-time with its offset (Z or ±hh:mm)", name=name)
    stamp = int(moment.timestamp() * 1000)
    if not 0 <= stamp <= 32_503_680_000_000:
        raise bad("%(name)s: between 1970 and 3000", name=name)
    return stamp


def window(timerel: str | None, time_at: str | None, end_time_at: str | None) -> tuple[int, int]:
    span = MAX_DAYS * DAY_MS
    if timerel == "between":
        start, end = _ms(time_at, "timeAt"), _ms(end_time_at, "endTimeAt")
    elif timerel == "after":
        start = _ms(time_at, "timeAt")
        end = start + span
    elif timerel == "before":
        end = _ms(time_at, "timeAt")
        start = max(0, end - span)
    else:
        raise bad("timerel: between, after or before")
    if end <= start:
        raise bad("endTimeAt must be after timeAt")
    if end - start > span:
        raise bad("a temporal query spans at most %(value)s days", value=MAX_DAYS)
    return start, end


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat().replace("+00:00", "Z")


def retrieve(
    session: Session,
    *,
    scope: Scope,
    entity_id: str,
    context: Context,
    span: tuple[int, int],
    attrs: list[str],
    methods: list[str],
    period: str | None,
    temporal_values: bool,
) -> dict[str, Any]:
    entity = ngsi.retrieve(session, scope=scope, entity_id=entity_id)  # 404 for what the caller may not read
    if not entity_id.startswith(ngsi.DEVICE_PREFIX):
        raise NgsiError("ResourceNotFound", "entity %(entity_id)s keeps no history here", entity_id=entity_id)
    _check_aggregation(methods, period)
    device_id = int(entity_id[len(ngsi.DEVICE_PREFIX) :])
    points = session.execute(
        select(Point.id, Point.key, Point.unit).where(Point.device_id == device_id).order_by(Point.id)
    ).all()
    wanted = {context.expand(a) for a in attrs}
    return _temporal(session, scope, entity, points, context, span, wanted, methods, period, temporal_values)


def _check_aggregation(methods: list[str], period: str | None) -> None:
    if bool(methods) != bool(period):
        raise bad("aggrMethods and aggrPeriodDuration go together")
    unknown = [m for m in methods if m not in METHODS]
    if unknown or (period is not None and period not in PERIODS):
        raise bad(
            "aggrMethods: %(value)s; aggrPeriodDuration: %(value2)s",
            value=", ".join(METHODS),
            value2=", ".join(PERIODS),
        )


def query(
    session: Session,
    *,
    scope: Scope,
    context: Context,
    types: list[str],
    attrs: list[str],
    q: str | None,
    ids: list[str],
    id_pattern: str | None,
    span: tuple[int, int],
    methods: list[str],
    period: str | None,
    temporal_values: bool,
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """Query Temporal Evolution of Entities (API 6.18): the devices matching type, id, idPattern and q (as the
    entity query selects them, scope included), `limit` of them from `offset`, each with its points' history in the
    window; (page, number of matching devices). Entities without history (created through the API, buildings)
    are not listed. The devices and their points are read in two queries; each point's series is telemetry's."""
    _check_aggregation(methods, period)
    found = ngsi.query(
        session, scope=scope, context=context, types=types, attrs=[], q=q, ids=ids, id_pattern=id_pattern
    )
    devices = [e for e in found if e["id"].startswith(ngsi.DEVICE_PREFIX)]
    page = devices[offset : offset + limit]
    by_device: dict[int, list[Any]] = {int(e["id"][len(ngsi.DEVICE_PREFIX) :]): [] for e in page}
    if by_device:
        rows = session.execute(
            select(Point.device_id, Point.id, Point.key, Point.unit)
            .where(Point.device_id.in_(list(by_device)))
            .order_by(Point.id)
        )
        for row in rows:
            by_device[row.device_id].append(row)
    wanted = {context.expand(a) for a in attrs}
    out = [
        _temporal(
            session,
            scope,
            e,
            by_device[int(e["id"][len(ngsi.DEVICE_PREFIX) :])],
            context,
            span,
            wanted,
            methods,
            period,
            temporal_values,
        )
        for e in page
    ]
    return out, len(devices)


def _temporal(
    session: Session,
    scope: Scope,
    entity: dict[str, Any],
    points: Sequence[Any],
    context: Context,
    span: tuple[int, int],
    wanted: set[str],
    methods: list[str],
    period: str | None,
    temporal_values: bool,
) -> dict[str, Any]:
    vocab, units = spec()["default_vocab"], spec()["unit_codes"]
    reserved = set(spec()["reserved_entity"]) | set(platform_terms())
    out: dict[str, Any] = {"id": entity["id"], "type": context.compact(entity["type"])}
    for point in points:
        iri = vocab + (point.key if point.key not in reserved else f"point_{point.key}")
        if wanted and iri not in wanted:
            continue
        name = context.compact(iri)
        unit = units.get(point.unit)
        if methods and period is not None:
            out[name] = _aggregated(session, scope, point.id, span, methods, period)
            continue
        try:  # "last": the readings as stored (a cumulative meter's default would be its increments)
            series = point_series(
                session, scope=scope, point_id=point.id, from_ms=span[0], to_ms=span[1], resolution="raw", agg="last"
            )
        except DomainError as exc:  # more raw readings than telemetry answers at once
            raise bad("too many readings of %(name)s: ask for an aggregation (aggrMethods)", name=name) from exc
        readings = [(ts, v) for ts, v in series.points if v is not None]
        if len(readings) > MAX_INSTANCES:
            raise bad(
                "more than %(value)s readings of %(name)s: ask for an aggregation (aggrMethods)",
                value=MAX_INSTANCES,
                name=name,
            )
        if temporal_values:
            out[name] = {"type": "Property", "values": [[v, _iso(ts)] for ts, v in readings]}
        else:
            members = {"unitCode": unit} if unit else {}
            out[name] = [{"type": "Property", "value": v, "observedAt": _iso(ts), **members} for ts, v in readings]
    return out


def _aggregated(
    session: Session, scope: Scope, point_id: int, span: tuple[int, int], methods: list[str], period: str
) -> dict[str, Any]:
    resolution, length = PERIODS[period]
    attribute: dict[str, Any] = {"type": "Property"}
    for method in methods:
        series = point_series(
            session,
            scope=scope,
            point_id=point_id,
            from_ms=span[0],
            to_ms=span[1],
            resolution=resolution,
            agg=METHODS[method],
        )
        buckets = [(ts, v) for ts, v in series.points if v is not None]
        values = []
        for ts, v in buckets:
            end = ts + length if length is not None else _next_month(ts)
            values.append([v, _iso(ts), _iso(end)])
        attribute[method] = values
    return attribute


def _next_month(ms: int) -> int:
    moment = dt.datetime.fromtimestamp(ms / 1000, local_zone())  # months are cut in the park's zone
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return int(moment.replace(year=year, month=month).timestamp() * 1000)


__all__ = ["MAX_DAYS", "METHODS", "PERIODS", "query", "retrieve", "window"]
