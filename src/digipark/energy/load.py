"""Load curves (`rollup_15m`), the 峰/平/谷 split and its cost, anomalies against each meter's baseline and
optimisation suggestions."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.energy import tariffs
from digipark.energy.accounts import complete_months, year_data, zero_months
from digipark.energy.common import READ, kept_reads, local_zone, month_starts, readable_enterprise, today
from digipark.energy.factors import default_tariff
from digipark.energy.models import EnergyMeter, Flow, MeterLevel, MeterSource
from digipark.energy.schemas import Anomaly, BandFigure, LoadCurve, LoadPoint, Suggestion, TariffSplit
from digipark.energy.settings import settings_read, tariff_for
from digipark.telemetry.provides import Rollup1h, Rollup15m

MAX_CURVE_DAYS = 31
MAX_SPLIT_DAYS = 366
PROFILE_DAYS = 28  # the mean day of a load profile for the optimisation averages this many days


def _electricity_points_condition(park_id: int, enterprise_id: int | None) -> Any:
    conditions = [
        EnergyMeter.park_id == park_id,
        EnergyMeter.active.is_(True),
        EnergyMeter.source == MeterSource.TELEMETRY.value,
        EnergyMeter.carrier == "electricity",
        EnergyMeter.flow == Flow.PURCHASED.value,
        EnergyMeter.level == MeterLevel.ENTERPRISE.value,
    ]
    if enterprise_id is not None:
        conditions.append(EnergyMeter.enterprise_id == enterprise_id)
    return conditions


def _series_15m(
    session: Session, park_id: int, enterprise_id: int | None, from_ms: int, to_ms: int
) -> builtins.list[tuple[int, float]]:
    """The electricity of the 15-minute buckets in [from_ms, to_ms); a range ending where one read in this
    transaction ends, and inside it, is cut from that one (the energy centre's week of load in its 30 days)."""
    kept = kept_reads(session, "series_15m")
    wider = kept.get((park_id, enterprise_id, to_ms))
    if wider is not None and wider[0] <= from_ms:
        return [(b, v) for b, v in wider[1] if b >= from_ms]
    series = _read_series(session, park_id, enterprise_id, from_ms, to_ms)
    kept[(park_id, enterprise_id, to_ms)] = (from_ms, series)
    return series


def _read_series(
    session: Session, park_id: int, enterprise_id: int | None, from_ms: int, to_ms: int, hourly: bool = False
) -> builtins.list[tuple[int, float]]:
    r = Rollup1h if hourly else Rollup15m
    rows = session.execute(
        select(r.bucket, func.sum(r.delta))
        .join(EnergyMeter, EnergyMeter.point_id == r.point_id)
        .where(*_electricity_points_condition(park_id, enterprise_id), r.bucket >= from_ms, r.bucket < to_ms)
        .group_by(r.bucket)
        .order_by(r.bucket)
    )
    return [(int(b), float(v or 0.0)) for b, v in rows]


def _range_scope(
    session: Session, scope: Scope, park_id: int | None, enterprise_id: int | None
) -> tuple[int, int | None]:
    if enterprise_id is not None:
        enterprise = readable_enterprise(session, scope=scope, enterprise_id=enterprise_id)
        return enterprise.park_id, enterprise.id
    park = scope.acting_park(park_id)
    if scope.own_enterprise_only and scope.enterprise_id is not None:
        return park, scope.enterprise_id
    scope.require(READ)
    return park, None


def _check_range(from_ms: int, to_ms: int, max_days: int) -> None:
    if to_ms <= from_ms:
        raise field_error("to", "must be after from")
    if to_ms - from_ms > max_days * 86_400_000:
        raise field_error("to", f"at most {max_days} days")


def load_curve(
    session: Session,
    *,
    scope: Scope,
    from_ms: int,
    to_ms: int,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> LoadCurve:
    """Electric load (kW) per 15 min of the enterprise-level electricity meters (one enterprise's, or the park's
    sum), from `rollup_15m` delta sums."""
    park, owner = _range_scope(session, scope, park_id, enterprise_id)
    _check_range(from_ms, to_ms, MAX_CURVE_DAYS)
    series = _series_15m(session, park, owner, from_ms, to_ms)
    points = [LoadPoint(ts_ms=b, kw=v * 4) for b, v in series]
    peak = max((p.kw for p in points), default=0.0)
    average = sum(p.kw for p in points) / len(points) if points else 0.0
    return LoadCurve(
        park_id=park,
        enterprise_id=owner,
        from_ms=from_ms,
        to_ms=to_ms,
        points=points,
        peak_kw=peak,
        average_kw=average,
        load_factor=average / peak if peak else None,
    )


def _hours_split_exactly(periods: builtins.list[dict[str, Any]], from_ms: int, to_ms: int) -> bool:
    """Whether hour rollups (a quarter of the 15-minute rows) split the range as exactly as 15-minute ones: every
    band boundary and every hour bucket on a local full hour."""
    offsets = [dt.datetime.fromtimestamp(t / 1000, local_zone()).utcoffset() for t in (from_ms, to_ms)]
    whole = all(o is not None and o.total_seconds() % 3600 == 0 for o in offsets)
    return whole and tariffs.hour_aligned(periods)


def tariff_split(
    session: Session,
    *,
    scope: Scope,
    from_ms: int,
    to_ms: int,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> TariffSplit:
    """Electricity of the range split into 峰/平/谷 (and 尖) with its cost under the park's tariff."""
    park, owner = _range_scope(session, scope, park_id, enterprise_id)
    _check_range(from_ms, to_ms, MAX_SPLIT_DAYS)
    on = dt.datetime.fromtimestamp(from_ms / 1000, local_zone()).date()
    tariff = tariff_for(session, park, on)
    if _hours_split_exactly(tariff.periods, from_ms, to_ms):
        series = _read_series(session, park, owner, from_ms, to_ms, hourly=True)
        result = tariffs.split(series, 3_600_000, tariff.periods, tariff.prices, local_zone())
    else:
        series = _series_15m(session, park, owner, from_ms, to_ms)
        result = tariffs.split(series, 900_000, tariff.periods, tariff.prices, local_zone())
    total = result.total_kwh
    order = {b: i for i, b in enumerate(tariffs.BANDS)}
    return TariffSplit(
        park_id=park,
        enterprise_id=owner,
        from_ms=from_ms,
        to_ms=to_ms,
        tariff_name=tariff.name,
        bands=[
            BandFigure(
                band=band,
                kwh=kwh,
                price=float(tariff.prices.get(band, 0.0)),
                cost_yuan=result.cost[band],
                share_pct=kwh / total * 100 if total else 0.0,
            )
            for band, kwh in sorted(result.kwh.items(), key=lambda item: order.get(item[0], 9))
        ],
        kwh=total,
        cost_yuan=result.total_cost,
    )


def anomalies(
    session: Session,
    *,
    scope: Scope,
    year: int | None = None,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> builtins.list[Anomaly]:
    """Months of `year` whose consumption departs from the meter's baseline (the mean of its previous
    `baseline_months` months with consumption) by more than the park's threshold."""
    park, owner = _range_scope(session, scope, park_id, enterprise_id)
    year = year or today().year
    settings = settings_read(session, park)
    now = year_data(session, park, year, owner)
    before = year_data(session, park, year - 1, owner)
    visible = {m.id for m in session.scalars(scope.readable(EnergyMeter).where(EnergyMeter.park_id == park))}
    # a month in progress, or one whose records begin late, would read as a fall: only complete months count
    complete = [*complete_months(before), *complete_months(now)]
    found: list[Anomaly] = []
    for meter in now.meters.values():
        if meter.id not in visible or (owner is not None and meter.enterprise_id != owner):
            continue
        history = [*before.by_meter.get(meter.id, zero_months()), *now.by_meter.get(meter.id, zero_months())]
        for index in range(12, 24):
            value = history[index]
            start = max(0, index - settings.baseline_months)
            months = zip(history[start:index], complete[start:index], strict=True)
            window = [v for v, whole in months if whole and v > 0]
            if len(window) < min(3, settings.baseline_months) or value <= 0 or not complete[index]:
                continue
            baseline = sum(window) / len(window)
            deviation = (value - baseline) / baseline * 100
            if abs(deviation) > settings.anomaly_threshold_pct:
                found.append(
                    Anomaly(
                        meter_id=meter.id,
                        meter_name=meter.name,
                        meter_name_en=meter.name_en,
                        enterprise_id=meter.enterprise_id,
                        carrier=meter.carrier,
                        month=dt.date(year, index - 11, 1),
                        quantity=value,
                        baseline=baseline,
                        deviation_pct=round(deviation, 1),
                    )
                )
    found.sort(key=lambda a: -abs(a.deviation_pct))
    return found[:200]


def _mean_day(series: builtins.list[tuple[int, float]]) -> builtins.list[float]:
    """kWh per 15-min slot of the mean local day of a series."""
    sums, counts = [0.0] * 96, [0] * 96
    zone = local_zone()
    days: set[dt.date] = set()
    for bucket, value in series:
        local = dt.datetime.fromtimestamp(bucket / 1000, zone)
        slot = (local.hour * 60 + local.minute) // 15
        sums[slot] += value
        counts[slot] += 1
        days.add(local.date())
    n = max(len(days), 1)
    return [s / n for s in sums]


def suggestions(
    session: Session, *, scope: Scope, enterprise_id: int, year: int | None = None
) -> builtins.list[Suggestion]:
    """Concrete measures with their estimated yearly saving: moving the flexible load to cheaper hours (the exact
    LP of tariffs.shift_flexible over the mean day of the last 28 days with data), and self-consuming own PV
    instead of exporting it."""
    enterprise = readable_enterprise(session, scope=scope, enterprise_id=enterprise_id)
    year = year or today().year
    park = enterprise.park_id
    out: list[Suggestion] = []
    shares = [
        float(s)
        for s in session.scalars(
            select(EnergyMeter.flexible_share).where(*_electricity_points_condition(park, enterprise.id))
        )
    ]
    share = max(shares, default=0.0)
    starts = month_starts(year)
    end = min(starts[12], int(dt.datetime.now(dt.UTC).timestamp() * 1000))
    last = session.scalar(
        select(func.max(Rollup15m.bucket))
        .join(EnergyMeter, EnergyMeter.point_id == Rollup15m.point_id)
        .where(
            *_electricity_points_condition(park, enterprise.id), Rollup15m.bucket < end, Rollup15m.bucket >= starts[0]
        )
    )
    tariff = tariff_for(session, park, dt.date(year, 12, 31))
    prices = tariffs.slot_prices(tariff.periods, tariff.prices)
    if share > 0 and last is not None:
        to_ms = int(last) + 900_000
        series = _series_15m(session, park, enterprise.id, to_ms - PROFILE_DAYS * 86_400_000, to_ms)
        profile = _mean_day(series)
        shift = tariffs.shift_flexible(profile, share, prices)
        if shift.saving > 0:
            out.append(
                Suggestion(
                    kind="shift_to_valley",
                    enterprise_id=enterprise.id,
                    title="Move the flexible load to valley hours",
                    detail={
                        "flexible_share": share,
                        "moved_kwh_per_day": round(shift.moved_kwh, 1),
                        "cost_before_yuan_per_day": round(shift.cost_before, 2),
                        "cost_after_yuan_per_day": round(shift.cost_after, 2),
                        "profile_days": PROFILE_DAYS,
                        "tariff": tariff.name,
                        "before": [round(v, 3) for v in shift.before],
                        "after": [round(v, 3) for v in shift.after],
                    },
                    saving_yuan_per_year=round(shift.saving * 365, 0),
                )
            )
    data = year_data(session, park, year, enterprise.id)
    per = data.activities.get(enterprise.id, {})
    exported = sum(per.get(("pv", Flow.EXPORTED.value), zero_months()))
    if exported > 0:
        feed_in = float(default_tariff()["feed_in_price"]["value"])
        weights = [1.0 / 96] * 96
        mean_price = sum(p * w for p, w in zip(prices, weights, strict=True))
        saving = exported * max(mean_price - feed_in, 0.0)
        out.append(
            Suggestion(
                kind="pv_self_consumption",
                enterprise_id=enterprise.id,
                title="Use own PV instead of exporting it",
                detail={
                    "exported_kwh": round(exported, 1),
                    "mean_price_yuan_per_kwh": round(mean_price, 4),
                    "feed_in_yuan_per_kwh": feed_in,
                    "feed_in_status": default_tariff()["feed_in_price"]["status"],
                },
                saving_yuan_per_year=round(saving, 0),
                saving_kwh_per_year=round(exported, 1),
            )
        )
    return out
