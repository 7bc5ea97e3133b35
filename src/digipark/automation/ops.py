"""Energy operations on the database: monthly tenant bills from the sub-meters' registers (automation/billing.py),
energy plans and their progress (automation/plans.py), the Sankey of the park's energy flows (automation/sankey.py)
and the forecasts with their backtests (automation/forecast.py).

Who sees what: staff and reviewers every enterprise of their park; an enterprise only its own bill and plans."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation import billing, forecast, plans, sankey
from digipark.automation.models import Apportionment, BillingSetting, EnergyPlan, MeterReplacement
from digipark.automation.schemas import (
    BillingSettingWrite,
    BillLineRead,
    BillRead,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    ProgressRead,
    ReplacementCreate,
    ReplacementRead,
    ReplacementUpdate,
)
from digipark.automation.service import zone
from digipark.core.errors import NotFound, field_error
from digipark.core.listing import ListSpec
from digipark.crud import Owner, RecordType
from digipark.energy.provides import meter_tree, tariff_for, year_data
from digipark.registry.models import Building, Enterprise, Point
from digipark.telemetry.provides import Rollup1h, point_series

VIEW = "energyops.view"
READ = "energyops.read"  # every enterprise of the park
WRITE = "energyops.write"
HOUR_MS = 3_600_000


def _plan_owner(session: Session, scope: Scope, data: Any) -> Owner:
    park_id = scope.acting_write_park(getattr(data, "park_id", None))
    enterprise_id = getattr(data, "enterprise_id", None)
    if enterprise_id is not None:
        row = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
        if row is None or row.park_id != park_id:
            raise field_error("enterprise_id", "no such enterprise in this park")
    return park_id, enterprise_id


PLANS: RecordType[EnergyPlan] = RecordType(
    name="energy_plan",
    model=EnergyPlan,
    create_schema=PlanCreate,
    update_schema=PlanUpdate,
    read_schema=PlanRead,
    list_spec=ListSpec(
        filters={"park_id": EnergyPlan.park_id, "year": EnergyPlan.year, "enterprise_id": EnergyPlan.enterprise_id},
        sort={"id": EnergyPlan.id, "year": EnergyPlan.year},
        default_sort="-year,id",
    ),
    write_permission=WRITE,
    owner=_plan_owner,
    refs={"building_id": Building},
    validate=lambda session, scope, values, row: _check_weights(values),
)

REPLACEMENTS: RecordType[MeterReplacement] = RecordType(
    name="meter_replacement",
    model=MeterReplacement,
    create_schema=ReplacementCreate,
    update_schema=ReplacementUpdate,
    read_schema=ReplacementRead,
    list_spec=ListSpec(
        filters={"park_id": MeterReplacement.park_id, "meter_id": MeterReplacement.meter_id},
        sort={"id": MeterReplacement.id, "replaced_at": MeterReplacement.replaced_at},
        default_sort="-replaced_at,id",
    ),
    write_permission=WRITE,
    validate=lambda session, scope, values, row: _check_meter(session, scope, values, row),
)


def _check_weights(values: dict[str, Any]) -> dict[str, Any]:
    weights = values.get("weights")
    if weights and (len(weights) != 12 or sum(weights) <= 0):
        raise field_error("weights", "12 monthly weights, not all zero (or none: even)")
    return values


def _check_meter(
    session: Session, scope: Scope, values: dict[str, Any], row: MeterReplacement | None
) -> dict[str, Any]:
    if "meter_id" in values:
        park_id = scope.acting_write_park(None)
        if not any(m["id"] == values["meter_id"] for m in meter_tree(session, park_id=park_id)):
            raise field_error("meter_id", "no such meter in this park")
    return values


# ---------------------------------------------------------------------------------------------------------------
# billing
# ---------------------------------------------------------------------------------------------------------------
def setting(session: Session, park_id: int) -> BillingSetting:
    row = session.scalar(select(BillingSetting).where(BillingSetting.park_id == park_id))
    return row or BillingSetting(park_id=park_id, shared_meter_id=None, method=Apportionment.AREA.value, areas={})


def save_setting(session: Session, *, scope: Scope, data: BillingSettingWrite) -> BillingSetting:
    scope.require(WRITE)
    park_id = scope.acting_write_park(None)
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=None)
    if data.shared_meter_id is not None and not any(
        m["id"] == data.shared_meter_id for m in meter_tree(session, park_id=park_id)
    ):
        raise field_error("shared_meter_id", "no such meter in this park")
    for key in data.areas:
        if not key.isdigit() or not 1 <= int(key) <= 2**31 - 1:
            raise field_error("areas", f"keys are enterprise ids, not {key[:40]!r}")
    row = session.scalar(select(BillingSetting).where(BillingSetting.park_id == park_id))
    if row is None:
        row = BillingSetting(park_id=park_id)
        session.add(row)
    row.shared_meter_id = data.shared_meter_id
    row.method = data.method.value
    row.areas = {str(k): float(v) for k, v in data.areas.items()}
    session.flush()
    return row


def month_range(month: dt.date) -> tuple[int, int]:
    first = dt.datetime.combine(month.replace(day=1), dt.time(), tzinfo=zone())
    following = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    last = dt.datetime.combine(following, dt.time(), tzinfo=zone())
    return int(first.timestamp() * 1000), int(last.timestamp() * 1000)


# A month's hourly register readings of a point change only when readings arrive: they are kept per process with
# the point's identity (its creation time: a point id a new database reuses is a new key) and, as their mark, the
# point's hour rows in the range, its latest hour and the readings counted in its hours (every reading that
# arrives, late ones too, adds one). The mark is read first (one aggregate); a point whose mark moved by hours at or
# after its kept latest hour only reads those hours and appends them; any other change reads its range again.
MAX_CACHED_SAMPLES = 10_000
NO_SAMPLES: np.ndarray[Any, Any] = np.empty((0, 2))


@dataclasses.dataclass(frozen=True)
class _Kept:
    rows: int  # hour rows in the range
    latest: int  # the latest hour's bucket
    settled: int  # readings counted in the hours before the latest
    readings: int  # readings counted in every hour
    samples: np.ndarray[Any, Any]
    of_latest: int  # the samples' rows that came from the latest hour (0 or 1)


_SAMPLES: dict[tuple[Any, ...], _Kept] = {}


def forget_samples() -> None:
    """Forget the kept register readings (after readings were rewritten in place, in tests)."""
    _SAMPLES.clear()


def _read_hours(
    session: Session, point_ids: builtins.list[int], from_ms: int, to_ms: int
) -> dict[int, builtins.list[tuple[int, int, int | None, float | None]]]:
    found: dict[int, builtins.list[tuple[int, int, int | None, float | None]]] = defaultdict(list)
    if not point_ids:
        return found
    r = Rollup1h
    rows = session.connection().execute(  # Core rows, not the ORM's: the cost is per row
        select(r.point_id, r.bucket, r.count, r.last_ts, r.last_value)
        .where(r.point_id.in_(point_ids), r.bucket >= from_ms, r.bucket < to_ms)
        .order_by(r.point_id, r.bucket)
    )
    for point_id, bucket, count, last_ts, last_value in rows:
        found[point_id].append((int(bucket), int(count), last_ts, last_value))
    return found


def _kept_of(hours: builtins.list[tuple[int, int, int | None, float | None]], before: np.ndarray[Any, Any]) -> _Kept:
    """What is kept of a point: `before` (its samples before these hours) followed by these hours' last readings."""
    added = [(ts, value) for _, _, ts, value in hours if ts is not None and value is not None]
    samples = np.concatenate([before, np.array(added, dtype=np.float64).reshape(-1, 2)]) if added else before
    latest, latest_count, latest_ts, latest_value = hours[-1]
    settled = sum(count for _, count, _, _ in hours[:-1])
    of_latest = int(latest_ts is not None and latest_value is not None)
    return _Kept(len(hours), latest, settled, settled + latest_count, samples, of_latest)


def register_samples(
    session: Session, point_ids: builtins.list[int], from_ms: int, to_ms: int
) -> dict[int, np.ndarray[Any, Any]]:
    """Each point's register readings at the end of every hour of [from_ms, to_ms), with the last before it: an
    array of (ms, reading) rows in time order (none: no entry)."""
    out: dict[int, np.ndarray[Any, Any]] = {}
    if not point_ids:
        return out
    r = Rollup1h
    start = from_ms - HOUR_MS
    marks = {
        point_id: (int(rows), int(latest), int(readings or 0))
        for point_id, rows, latest, readings in session.execute(
            select(r.point_id, func.count(), func.max(r.bucket), func.sum(r.count))
            .where(r.point_id.in_(point_ids), r.bucket >= start, r.bucket < to_ms)
            .group_by(r.point_id)
        )
    }
    url = str(session.get_bind().engine.url)
    created = dict(session.execute(select(Point.id, Point.created_at).where(Point.id.in_(marks))).all())
    key = {point_id: (url, point_id, created.get(point_id), from_ms, to_ms) for point_id in marks}
    grown: dict[int, _Kept] = {}
    for point_id, (rows, latest, readings) in marks.items():
        kept = _SAMPLES.get(key[point_id])
        if kept is not None and (rows, latest, readings) == (kept.rows, kept.latest, kept.readings):
            out[point_id] = kept.samples
        elif kept is not None and latest >= kept.latest and rows >= kept.rows and readings >= kept.settled:
            grown[point_id] = kept
    tails = _read_hours(session, list(grown), min((k.latest for k in grown.values()), default=0), to_ms)
    missing = []
    for point_id, (rows, _latest, readings) in marks.items():
        if point_id in out:
            continue
        kept = grown.get(point_id)
        tail = [h for h in tails.get(point_id, []) if kept is not None and h[0] >= kept.latest]
        if (
            kept is None
            or kept.rows - 1 + len(tail) != rows
            or kept.settled + sum(count for _, count, _, _ in tail) != readings
        ):
            missing.append(point_id)
            continue
        before = kept.samples[: len(kept.samples) - kept.of_latest]
        _SAMPLES[key[point_id]] = fresh = _kept_of(tail, before)
        out[point_id] = fresh.samples
    if missing and len(_SAMPLES) + len(missing) > MAX_CACHED_SAMPLES:
        _SAMPLES.clear()
    for point_id, hours in _read_hours(session, missing, start, to_ms).items():
        _SAMPLES[key[point_id]] = fresh = _kept_of(hours, NO_SAMPLES)
        out[point_id] = fresh.samples
    return out


def _allowed_enterprise(scope: Scope, enterprise_id: int | None) -> int | None:
    scope.require(VIEW)
    if scope.can(READ):
        return enterprise_id
    if scope.enterprise_id is None:
        raise NotFound("no enterprise of yours")
    if enterprise_id is not None and enterprise_id != scope.enterprise_id:
        raise NotFound(f"enterprise {enterprise_id} not found")
    return scope.enterprise_id


def month_bills(
    session: Session, *, scope: Scope, month: dt.date, enterprise_id: int | None = None
) -> builtins.list[BillRead]:
    """The month's electricity bills of the park's enterprises (or of one; an enterprise: its own)."""
    only = _allowed_enterprise(scope, enterprise_id)
    if not 2000 <= month.year <= 2100:
        raise field_error("month", "a month of the years 2000 to 2100")
    park_id = scope.acting_park(None)
    from_ms, to_ms = month_range(month)
    config = setting(session, park_id)
    meters = [
        m
        for m in meter_tree(session, park_id=park_id)
        if m["carrier"] == "electricity" and m["point_id"] is not None and m["flow"] == "purchased"
    ]
    tenant_meters = [m for m in meters if m["level"] == "enterprise" and m["enterprise_id"] is not None]
    shared_meter = next((m for m in meters if m["id"] == config.shared_meter_id), None)
    points = [m["point_id"] for m in tenant_meters] + ([shared_meter["point_id"]] if shared_meter else [])
    samples = register_samples(session, points, from_ms, to_ms)
    since = dt.datetime.fromtimestamp(from_ms / 1000, dt.UTC)
    until = dt.datetime.fromtimestamp(to_ms / 1000, dt.UTC)
    replacements = {
        r.meter_id: r
        for r in session.scalars(
            select(MeterReplacement).where(
                MeterReplacement.park_id == park_id,
                MeterReplacement.replaced_at >= since,
                MeterReplacement.replaced_at < until,
            )
        )
    }
    tariff = tariff_for(session, park_id, month)

    def line(meter: dict[str, Any]) -> billing.MeterLine:
        replaced = replacements.get(meter["id"])
        at = replaced.replaced_at if replaced else None
        if at is not None and at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return billing.meter_line(
            meter["id"],
            meter["name"],
            samples.get(meter["point_id"], NO_SAMPLES),
            tariff.periods,
            tariff.prices,
            zone(),
            replacement=billing.Replacement(int(at.timestamp() * 1000), replaced.old_final, replaced.new_initial)
            if replaced and at
            else None,
        )

    by_enterprise: dict[int, builtins.list[billing.MeterLine]] = defaultdict(list)
    for meter in tenant_meters:
        by_enterprise[meter["enterprise_id"]].append(line(meter))
    areas = {int(k): float(v) for k, v in (config.areas or {}).items() if str(k).isdigit()}
    made = billing.bills(month, by_enterprise, line(shared_meter) if shared_meter else None, config.method, areas)
    names = {
        e_id: (name, name_en)
        for e_id, name, name_en in session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.name_en).where(Enterprise.park_id == park_id)
        )
    }
    names_en = {m["id"]: m["name_en"] for m in tenant_meters}
    return [
        BillRead(
            enterprise_id=b.enterprise_id,
            enterprise_name=names.get(b.enterprise_id, (str(b.enterprise_id), None))[0],
            enterprise_name_en=names.get(b.enterprise_id, ("", None))[1],
            month=month.replace(day=1),
            tariff=tariff.name,
            prices=dict(tariff.prices),
            method=config.method,
            lines=[_line_read(x, names_en.get(x.meter_id)) for x in b.lines],
            metered_kwh=b.metered_kwh,
            metered_amount=b.metered_amount,
            shared_share=b.shared_share,
            shared_kwh=b.shared_kwh,
            shared_amount=b.shared_amount,
            total_amount=b.total_amount,
        )
        for b in made
        if only is None or b.enterprise_id == only
    ]


def _line_read(line: billing.MeterLine, name_en: str | None = None) -> BillLineRead:
    r = line.replacement
    return BillLineRead(
        meter_id=line.meter_id,
        name=line.name,
        name_en=name_en,
        start_reading=line.start_reading,
        end_reading=line.end_reading,
        replaced_at=dt.datetime.fromtimestamp(r.at_ms / 1000, dt.UTC) if r else None,
        old_final=r.old_final if r else None,
        new_initial=r.new_initial if r else None,
        kwh=line.kwh,
        amount=line.amount,
        total_kwh=line.total_kwh,
        total_amount=line.total_amount,
    )


# ---------------------------------------------------------------------------------------------------------------
# plans
# ---------------------------------------------------------------------------------------------------------------
def plan_progress(session: Session, *, scope: Scope, year: int, months: int) -> builtins.list[ProgressRead]:
    """Progress of every plan of `year` the caller reads, over its first `months` months."""
    scope.require(VIEW)
    rows = [*session.scalars(PLANS.readable(scope).where(EnergyPlan.year == year).order_by(EnergyPlan.id))]
    if not rows:
        return []
    park_id = rows[0].park_id
    data = year_data(session, park_id, year)
    # each purchased meter's months summed under the one key a plan can ask for: (carrier, level, owner)
    months_by_key: dict[tuple[str, str, int | None], builtins.list[float]] = {}
    for meter in meter_tree(session, park_id=park_id):
        values = data.by_meter.get(meter["id"])
        if values is None or meter["flow"] != "purchased":
            continue
        owner = {"enterprise": meter["enterprise_id"], "building": meter["building_id"]}.get(meter["level"])
        key = (meter["carrier"], meter["level"], owner)
        months_by_key[key] = [a + v for a, v in zip(months_by_key.get(key, [0.0] * 12), values, strict=True)]
    out = []
    for plan in rows:
        if plan.enterprise_id is not None:
            key = (plan.carrier, "enterprise", plan.enterprise_id)
        elif plan.building_id is not None:
            key = (plan.carrier, "building", plan.building_id)
        else:
            key = (plan.carrier, "park", None)
        actual = months_by_key.get(key, [0.0] * 12)
        split = plans.monthly(plan.quota, plan.weights or None)
        p = plans.progress(plan.quota, split, actual, months)
        out.append(
            ProgressRead(
                plan=PlanRead.model_validate(plan),
                months=p.months,
                plan_months=split,
                actual_months=actual,
                plan_to_date=p.plan_to_date,
                actual_to_date=p.actual_to_date,
                projected=p.projected,
                share_of_year=p.share_of_year,
                warnings=list(p.warnings),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Sankey and forecasts
# ---------------------------------------------------------------------------------------------------------------
def park_sankey(session: Session, *, scope: Scope, year: int, labels: dict[str, str]) -> sankey.Sankey:
    scope.require(READ)
    park_id = scope.acting_park(None)
    data = year_data(session, park_id, year)
    nodes = [
        sankey.MeterNode(m["id"], m["parent_id"], m["name"], m["carrier"], m["flow"], m["level"])
        for m in meter_tree(session, park_id=park_id)
    ]
    return sankey.build(nodes, {k: sum(v) for k, v in data.by_meter.items()}, labels)


def park_daily(session: Session, *, scope: Scope, until: dt.date, days: int = 56) -> builtins.list[float]:
    """The park's daily electricity (the sum of its park-level meters) of the `days` days before `until`."""
    scope.require(READ)
    park_id = scope.acting_park(None)
    end = int(dt.datetime.combine(until, dt.time(), tzinfo=zone()).timestamp() * 1000)
    start = int(dt.datetime.combine(until - dt.timedelta(days=days), dt.time(), tzinfo=zone()).timestamp() * 1000)
    totals = [0.0] * days
    for meter in meter_tree(session, park_id=park_id):
        if meter["level"] != "park" or meter["carrier"] != "electricity" or meter["point_id"] is None:
            continue
        if meter["flow"] != "purchased":
            continue
        series = point_series(
            session, scope=scope, point_id=meter["point_id"], from_ms=start, to_ms=end, resolution="1d", agg="delta"
        )
        for ts, value in series.points:
            index = (ts - start) // 86_400_000
            if value is not None and 0 <= index < days:
                totals[int(index)] += value
    return totals


_FORECASTS: dict[tuple[float, ...], forecast.Forecast] = {}
MAX_CACHED = 64


def energy_forecast(series: builtins.list[float], season: int = 7, horizon: int = 7) -> forecast.Forecast | None:
    """The forecast of the series after its leading zero days (no data yet), with a backtest over its last
    season (each origin is one Holt-Winters fit); None when too short. Kept per series: a day's page is computed
    once."""
    start = next((i for i, v in enumerate(series) if v > 0), len(series))
    usable = series[start:]
    if len(usable) < 4 * season:
        return None
    key = (float(season), float(horizon), *usable)
    found = _FORECASTS.get(key)
    if found is None:
        found = forecast.forecast(usable, season, horizon, min_train=len(usable) - season)
        if len(_FORECASTS) >= MAX_CACHED:
            _FORECASTS.clear()
        _FORECASTS[key] = found
    return found
