"""Pollution monitoring arithmetic: factors, standards and averaging rules from data/pollution.yaml; hourly values
from the telemetry hour rollups (`rollup_1h`, never raw readings); daily averages, exceedances and discharged
quantities the way the rules in the data file say.

- An hour is valid when its good readings number at least `hour_min_coverage` of the readings the point should
  send in an hour (3600 / expected_interval_s), at least one (HJ 75: 45 of 60 minutes).
- A day (local midnight to midnight) is valid with at least `day_min_valid_hours` valid hours.
- Wastewater concentrations: the daily average is flow-weighted, Σ(C_h × Q_h) / Σ Q_h over the hours where both
  the concentration and the flow are valid (arithmetic when the outlet has no flow factor).
- Flue gas concentrations: corrected to the standard's reference oxygen when the outlet has an O2 factor,
  ρ = ρ' × (21 − O2_ref) / (21 − O2_measured); the daily average is the arithmetic mean of the valid hours.
- pH is logarithmic and is never averaged: an hour and a day report the range (min–max) of their valid values;
  the range leaving [limit_min, limit_max] is an exceedance.
- Discharged mass of an hour = mean concentration × mean flow × 1 h (measured, not oxygen-corrected), in kg;
  a year's sum is computed in the database from the hour rollups, grouped by month.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import pint
import yaml
from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from digipark.core.errors import field_error
from digipark.core.units import registry
from digipark.environment.models import KeptDischarge
from digipark.telemetry.provides import Rollup1h, Rollup1mo, local_zone

HOUR_MS = 3_600_000
PH_UNITS = frozenset({"pH", "ph", "无量纲", "dimensionless", "1", ""})


# -- data ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Factor:
    key: str
    code: str
    name_zh: str
    name_en: str
    abbr: str
    medium: str
    role: str  # concentration | ph | flow | oxygen
    unit: str
    status: str
    source: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh


@dataclasses.dataclass(frozen=True)
class Limit:
    factor: str
    limit_min: float | None
    limit_max: float | None
    unit: str
    status: str


@dataclasses.dataclass(frozen=True)
class Standard:
    key: str
    standard: str
    title: str
    title_en: str
    medium: str
    status: str
    source: str
    note: str | None
    limits: dict[str, Limit]
    reference_o2: float | None
    reference_o2_status: str | None


@dataclasses.dataclass(frozen=True)
class Averaging:
    medium: str
    hour_min_coverage: float
    day_min_valid_hours: int
    day_mean: str  # flow_weighted | arithmetic
    status: str
    source: str


@dataclasses.dataclass(frozen=True)
class PermitLevel:
    at_percent: float
    level: str  # warning | exceeded


@dataclasses.dataclass(frozen=True)
class PollutionData:
    factors: dict[str, Factor]
    standards: dict[str, Standard]
    averaging: dict[str, Averaging]
    ph_rule: dict[str, str]
    ambient_o2: float
    o2_formula: str
    permit_levels: tuple[PermitLevel, ...]
    permit_levels_status: str
    permit_factors: tuple[str, ...]
    sources: dict[str, str]
    sources_en: dict[str, str]


def _load_yaml(name: str) -> dict[str, Any]:
    text = resources.files("digipark.environment").joinpath("data", name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def data() -> PollutionData:
    raw = _load_yaml("pollution.yaml")
    factors = {
        key: Factor(
            key=key,
            code=str(f["code"]),
            name_zh=str(f["name_zh"]),
            name_en=str(f["name_en"]),
            abbr=str(f["abbr"]),
            medium=str(f["medium"]),
            role=str(f["role"]),
            unit=str(f["unit"]),
            status=str(f["status"]),
            source=str(f["source"]),
        )
        for key, f in raw["factors"].items()
    }
    standards: dict[str, Standard] = {}
    for key, s in raw["standards"].items():
        limits = {
            factor: Limit(
                factor=factor,
                limit_min=None if lim.get("limit_min") is None else float(lim["limit_min"]),
                limit_max=None if lim.get("limit_max") is None else float(lim["limit_max"]),
                unit=str(lim["unit"]),
                status=str(lim["status"]),
            )
            for factor, lim in s["limits"].items()
        }
        unknown = set(limits) - set(factors)
        if unknown:
            raise ValueError(f"pollution.yaml: standard {key} names unknown factors {sorted(unknown)}")
        standards[key] = Standard(
            key=key,
            standard=str(s["standard"]),
            title=str(s["title"]),
            title_en=str(s.get("title_en") or s["title"]),
            medium=str(s["medium"]),
            status=str(s["status"]),
            source=str(s["source"]),
            note=s.get("note"),
            limits=limits,
            reference_o2=None if s.get("reference_o2_percent") is None else float(s["reference_o2_percent"]),
            reference_o2_status=s.get("reference_o2_status"),
        )
    averaging = {
        medium: Averaging(
            medium=medium,
            hour_min_coverage=float(rule["hour_min_coverage"]),
            day_min_valid_hours=int(rule["day_min_valid_hours"]),
            day_mean=str(rule["day_mean"]),
            status=str(rule["status"]),
            source=str(rule["source"]),
        )
        for medium, rule in raw["averaging"].items()
        if medium in ("water", "air")
    }
    warnings = raw["permit_warnings"]
    return PollutionData(
        factors=factors,
        standards=standards,
        averaging=averaging,
        ph_rule={k: str(v) for k, v in raw["averaging"]["ph"].items()},
        ambient_o2=float(raw["oxygen_correction"]["ambient_o2_percent"]),
        o2_formula=str(raw["oxygen_correction"]["formula"]),
        permit_levels=tuple(
            sorted(
                (PermitLevel(float(x["at_percent"]), str(x["level"])) for x in warnings["levels"]),
                key=lambda p: p.at_percent,
            )
        ),
        permit_levels_status=str(warnings["status"]),
        permit_factors=tuple(raw["permit_factors"]),
        sources={str(k): str(v) for k, v in raw["meta"]["sources"].items()},
        sources_en={str(k): str(v) for k, v in (raw["meta"].get("sources_en") or {}).items()},
    )


# -- units ---------------------------------------------------------------------------------------------------------
_CUBIC = re.compile(r"(?<![A-Za-z*])(N?m)(3|³)")


def _pint_unit(unit: str) -> pint.Unit:
    text = _CUBIC.sub(lambda m: "m**3", unit.strip())
    text = text.replace("%", "percent")
    try:
        return registry().Unit(text)
    except Exception as exc:  # pint's parser raises many kinds
        raise field_error("unit", f"unknown unit {unit!r}") from exc


def is_ph_unit(unit: str) -> bool:
    return unit.strip() in PH_UNITS


def unit_factor(from_unit: str, to_unit: str, *, field: str = "unit") -> float:
    """The multiplier taking a value in `from_unit` to `to_unit` (a 422 on `field` when they do not convert).
    Conversions found are kept (a page converts the same few pairs hundreds of times; pint parses each anew)."""
    return _unit_factor(from_unit, to_unit, field)


@cache
def _unit_factor(from_unit: str, to_unit: str, field: str) -> float:  # an error raised is not kept
    if is_ph_unit(from_unit) or is_ph_unit(to_unit):
        if is_ph_unit(from_unit) and is_ph_unit(to_unit):
            return 1.0
        raise field_error(field, f"{from_unit!r} does not convert to {to_unit!r}")
    try:
        source, target = _pint_unit(from_unit), _pint_unit(to_unit)
    except Exception:
        raise field_error(field, f"unknown unit in {from_unit!r} or {to_unit!r}") from None
    try:
        return float(registry().Quantity(1.0, source).to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise field_error(field, f"{from_unit!r} does not convert to {to_unit!r}") from None


@cache
def mass_factor_kg(concentration_unit: str) -> float:
    """kg discharged by 1 (concentration unit) × 1 m³."""
    return float(
        (registry().Quantity(1.0, _pint_unit(concentration_unit)) * registry().Quantity(1.0, "m**3")).to("kg").magnitude
    )


# -- hour values -----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class HourStat:
    """One rollup_1h row: good readings of the hour."""

    bucket: int
    count: int
    sum: float | None
    min: float | None
    max: float | None


@dataclasses.dataclass(frozen=True)
class HourValue:
    bucket: int
    mean: float | None  # in the factor's unit (pH: None — never averaged)
    min: float | None
    max: float | None
    count: int
    valid: bool


def required_readings(expected_interval_s: int, coverage: float) -> int:
    """Good readings an hour needs to be valid."""
    per_hour = 3600 / max(1, expected_interval_s)
    return max(1, math.ceil(per_hour * coverage - 1e-9))


def read_hours(session: Session, point_ids: Iterable[int], from_ms: int, to_ms: int) -> dict[int, list[HourStat]]:
    """The hour rollups of the points in [from_ms, to_ms), per point, in time order (system read: the caller has
    checked the outlet against its scope)."""
    ids = sorted(set(point_ids))
    result: dict[int, list[HourStat]] = {pid: [] for pid in ids}
    if not ids:
        return result
    rows = session.execute(
        select(Rollup1h.point_id, Rollup1h.bucket, Rollup1h.count, Rollup1h.sum, Rollup1h.min, Rollup1h.max)
        .where(Rollup1h.point_id.in_(ids), Rollup1h.bucket >= from_ms, Rollup1h.bucket < to_ms)
        .order_by(Rollup1h.point_id, Rollup1h.bucket)
    )
    for point_id, bucket, count, total, low, high in rows:
        result[point_id].append(HourStat(bucket, count, total, low, high))
    return result


def hour_values(stats: Sequence[HourStat], *, multiplier: float, required: int, ph: bool) -> dict[int, HourValue]:
    """Hour values of one point in the factor's unit (`multiplier` converts from the point's unit)."""
    values: dict[int, HourValue] = {}
    for s in stats:
        valid = s.count >= required and s.sum is not None
        mean = None if ph or s.sum is None or s.count == 0 else s.sum / s.count * multiplier
        low = None if s.min is None else s.min * multiplier
        high = None if s.max is None else s.max * multiplier
        values[s.bucket] = HourValue(s.bucket, mean, low, high, s.count, valid)
    return values


def o2_corrected(
    values: dict[int, HourValue], oxygen: dict[int, HourValue], reference_o2: float, ambient: float
) -> dict[int, HourValue]:
    """Concentrations at the reference oxygen; an hour without a valid O2 below ambient is invalid."""
    result: dict[int, HourValue] = {}
    for bucket, v in values.items():
        o2 = oxygen.get(bucket)
        if o2 is None or not o2.valid or o2.mean is None or o2.mean >= ambient:
            result[bucket] = dataclasses.replace(v, valid=False)
            continue
        k = (ambient - reference_o2) / (ambient - o2.mean)
        result[bucket] = HourValue(
            bucket,
            None if v.mean is None else v.mean * k,
            None if v.min is None else v.min * k,
            None if v.max is None else v.max * k,
            v.count,
            v.valid,
        )
    return result


# -- days ------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DayValue:
    day: dt.date
    bucket: int  # local midnight, epoch ms
    value: float | None  # concentration average; flow: volume of the day (m³); pH: None
    min: float | None
    max: float | None
    valid_hours: int
    valid: bool
    method: str  # flow_weighted | arithmetic | range | volume


def day_bounds(first: dt.date, last: dt.date) -> list[tuple[dt.date, int, int]]:
    """(day, start ms, end ms) of the local days first..last."""
    tz = local_zone()
    days = []
    day = first
    while day <= last:
        start = int(dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp() * 1000)
        end = int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).timestamp() * 1000)
        days.append((day, start, end))
        day += dt.timedelta(days=1)
    return days


def day_value(
    role: str,
    hours: dict[int, HourValue],
    start: int,
    end: int,
    rule: Averaging,
    *,
    flow: dict[int, HourValue] | None,
    day: dt.date,
) -> DayValue:
    """The daily value of one factor from its hour values (see the module docstring for the rules)."""
    inside = [h for b, h in sorted(hours.items()) if start <= b < end and h.valid]
    if role == "ph":
        lows = [h.min for h in inside if h.min is not None]
        highs = [h.max for h in inside if h.max is not None]
        n = len(inside)
        return DayValue(
            day,
            start,
            None,
            min(lows) if lows else None,
            max(highs) if highs else None,
            n,
            n >= rule.day_min_valid_hours,
            "range",
        )
    if role == "flow":
        volume = sum(h.mean for h in inside if h.mean is not None)  # m³/h × 1 h
        n = len(inside)
        return DayValue(day, start, volume if n else None, None, None, n, n >= rule.day_min_valid_hours, "volume")
    lows = [h.min for h in inside if h.min is not None]
    highs = [h.max for h in inside if h.max is not None]
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    if rule.day_mean == "flow_weighted" and flow is not None:
        pairs = [
            (h.mean, q.mean)
            for h in inside
            if h.mean is not None
            and (q := flow.get(h.bucket)) is not None
            and q.valid
            and q.mean is not None
            and q.mean > 0
        ]
        total_q = sum(q for _, q in pairs)
        n = len(pairs)
        value = sum(c * q for c, q in pairs) / total_q if total_q > 0 else None
        valid = n >= rule.day_min_valid_hours and value is not None
        return DayValue(day, start, value, low, high, n, valid, "flow_weighted")
    means = [h.mean for h in inside if h.mean is not None]
    n = len(means)
    value = sum(means) / n if n else None
    return DayValue(day, start, value, low, high, n, n >= rule.day_min_valid_hours, "arithmetic")


# -- limits ----------------------------------------------------------------------------------------------------
def outside(
    limit: Limit | None, *, mean: float | None, low: float | None, high: float | None, ph: bool
) -> float | None:
    """The value that breaks the limit, or None. pH: the range's end outside [min, max]; others: the mean."""
    if limit is None:
        return None
    if ph:
        if limit.limit_min is not None and low is not None and low < limit.limit_min:
            return low
        if limit.limit_max is not None and high is not None and high > limit.limit_max:
            return high
        return None
    if mean is None:
        return None
    if limit.limit_max is not None and mean > limit.limit_max:
        return mean
    if limit.limit_min is not None and mean < limit.limit_min:
        return mean
    return None


def permit_level(percent: float | None) -> str:
    """ok | warning | exceeded by the thresholds of the data file."""
    level = "ok"
    if percent is None:
        return level
    for step in data().permit_levels:
        if round(percent, 6) >= step.at_percent:  # 0.028 / 0.035 is 79.99999999999997 in floating point
            level = step.level
    return level


# -- discharge -------------------------------------------------------------------------------------------------
def month_bounds(year: int) -> list[int]:
    """Epoch ms of local midnight of the 1st of each month of the year, and of the next year's first."""
    tz = local_zone()
    return [int(dt.datetime(year + (m // 12), m % 12 + 1, 1, tzinfo=tz).timestamp() * 1000) for m in range(13)]


@dataclasses.dataclass(frozen=True)
class DischargePair:
    """A concentration point and the flow point it is multiplied with, each with the readings an hour needs."""

    concentration_point: int
    flow_point: int
    required_c: int
    required_q: int


def _discharge_query(
    session: Session, bounds: list[int], pairs: Sequence[DischargePair], from_ms: int, to_ms: int
) -> dict[DischargePair, list[float]]:
    """Σ mean C × mean Q over the valid hours of [from_ms, to_ms) per month of `bounds`, of every pair at once
    (in the points' units): one statement, the pairs a derived table that drives two primary-key lookups."""
    result = {p: [0.0] * 12 for p in pairs}
    if to_ms <= from_ms or not pairs:
        return result
    unique = list(dict.fromkeys((p.concentration_point, p.flow_point, p.required_c, p.required_q) for p in pairs))
    rows = [
        select(literal(cp).label("cp"), literal(qp).label("qp"), literal(rc).label("rc"), literal(rq).label("rq"))
        for cp, qp, rc, rq in unique
    ]
    wanted = (rows[0] if len(rows) == 1 else union_all(*rows)).subquery("pairs")
    c = Rollup1h.__table__.alias("c")
    q = Rollup1h.__table__.alias("q")
    month = case(*[(c.c.bucket < bounds[i + 1], i) for i in range(12)], else_=11)
    stmt = (
        select(
            wanted.c.cp,
            wanted.c.qp,
            wanted.c.rc,
            wanted.c.rq,
            month,
            func.sum((c.c.sum / c.c.count) * (q.c.sum / q.c.count)),
        )
        .select_from(
            wanted.join(c, c.c.point_id == wanted.c.cp).join(
                q, and_(q.c.point_id == wanted.c.qp, q.c.bucket == c.c.bucket)
            )
        )
        .where(
            c.c.bucket >= from_ms,
            c.c.bucket < to_ms,
            c.c.count >= wanted.c.rc,
            q.c.count >= wanted.c.rq,
            c.c.sum.is_not(None),
            q.c.sum.is_not(None),
        )
        .group_by(wanted.c.cp, wanted.c.qp, wanted.c.rc, wanted.c.rq, month)
    )
    totals: dict[tuple[int, int, int, int], list[float]] = {k: [0.0] * 12 for k in unique}
    for cp, qp, rc, rq, index, total in session.execute(stmt):
        totals[int(cp), int(qp), int(rc), int(rq)][int(index)] = float(total or 0.0)
    for p in pairs:
        result[p] = totals[p.concentration_point, p.flow_point, p.required_c, p.required_q]
    return result


@dataclasses.dataclass(frozen=True)
class FreshMonth:
    """A month's discharge of a pair computed because none was kept with the month's current fingerprint."""

    pair: DischargePair
    month: int
    total: float
    fingerprint: str


def _month_marks(session: Session, point_ids: set[int], from_ms: int, to_ms: int) -> dict[tuple[int, int], str]:
    rows = session.execute(
        select(Rollup1mo.point_id, Rollup1mo.bucket, Rollup1mo.count, Rollup1mo.bad_count, Rollup1mo.sum).where(
            Rollup1mo.point_id.in_(point_ids), Rollup1mo.bucket >= from_ms, Rollup1mo.bucket < to_ms
        )
    )
    return {(int(pid), int(bucket)): f"{count}/{bad}/{total!r}" for pid, bucket, count, bad, total in rows}


def past_months(
    session: Session, pairs: Sequence[DischargePair], bounds: list[int], over: int
) -> tuple[dict[DischargePair, list[float]], list[FreshMonth]]:
    """The discharge of the first `over` months of `bounds` per pair: kept rows (env_kept_discharge) whose
    fingerprint — the two points' month rollups (readings, bad readings, sum) — still holds, the rest computed (in
    one statement) and returned as fresh for a writer to keep. Reads three statements at most; never writes."""
    if over == 0 or not pairs:
        return {p: [] for p in pairs}, []
    months = bounds[:over]
    marks = _month_marks(
        session, {x for p in pairs for x in (p.concentration_point, p.flow_point)}, bounds[0], bounds[over]
    )

    def fingerprint(p: DischargePair, month: int) -> str:
        text = f"{marks.get((p.concentration_point, month), '-')}|{marks.get((p.flow_point, month), '-')}"
        return hashlib.sha256(text.encode()).hexdigest()

    wanted = {(p, m): fingerprint(p, m) for p in pairs for m in months}
    by_key = {(p.concentration_point, p.flow_point, p.required_c, p.required_q): p for p in pairs}
    kept: dict[tuple[DischargePair, int], float] = {}
    for row in session.scalars(
        select(KeptDischarge).where(
            KeptDischarge.concentration_point_id.in_({p.concentration_point for p in pairs}),
            KeptDischarge.month >= bounds[0],
            KeptDischarge.month < bounds[over],
        )
    ):
        pair = by_key.get((row.concentration_point_id, row.flow_point_id, row.required_c, row.required_q))
        if pair is not None and wanted.get((pair, row.month)) == row.fingerprint:
            kept[pair, row.month] = row.total
    missing = [p for p in pairs if any((p, m) not in kept for m in months)]
    computed = _discharge_query(session, bounds, missing, bounds[0], bounds[over])
    fresh = [
        FreshMonth(p, m, computed[p][i], wanted[p, m])
        for p in missing
        for i, m in enumerate(months)
        if (p, m) not in kept
    ]
    for item in fresh:
        kept[item.pair, item.month] = item.total
    return {p: [kept[p, m] for m in months] for p in pairs}, fresh


def months_over(year: int, until_ms: int | None = None) -> tuple[list[int], int, int]:
    """The year's month bounds, the end of what is read (`until_ms` or the year's end) and how many of its months
    are over by then."""
    bounds = month_bounds(year)
    end = bounds[12] if until_ms is None else min(bounds[12], until_ms)
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    return bounds, end, sum(1 for i in range(12) if bounds[i + 1] <= min(end, now_ms))


def discharge_of_pairs(
    session: Session, pairs: Sequence[DischargePair], year: int, until_ms: int | None = None
) -> dict[DischargePair, list[float]]:
    """Σ mean C × mean Q × 1 h over the valid hours of each month of `year`, per pair, in the points' units (a
    caller multiplies by its kg per unit). Reads rollup_1h only where no month that is over was kept with its
    current fingerprint (`past_months`); the current month is always read."""
    bounds, end, over = months_over(year, until_ms)
    past, _ = past_months(session, pairs, bounds, over)
    live = _discharge_query(session, bounds, pairs, bounds[over], end) if over < 12 else {}
    return {p: [past[p][i] if i < over else live[p][i] for i in range(12)] for p in pairs}


def discharge_by_month(
    session: Session,
    *,
    concentration_point: int,
    flow_point: int,
    year: int,
    kg_per_unit: float,
    required_c: int,
    required_q: int,
    until_ms: int | None = None,
) -> list[float]:
    """kg discharged in each month of `year`: Σ over hours with both values valid of mean C × mean Q × 1 h,
    `kg_per_unit` taking (point's concentration unit × point's flow unit × 1 h) to kg (see discharge_of_pairs)."""
    pair = DischargePair(concentration_point, flow_point, required_c, required_q)
    totals = discharge_of_pairs(session, [pair], year, until_ms)[pair]
    return [t * kg_per_unit for t in totals]
