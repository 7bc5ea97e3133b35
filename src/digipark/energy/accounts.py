"""Monthly consumption from the telemetry rollups (`rollup_1mo` delta of cumulative registers, never raw
readings), standard coal on both bases, carbon accounts with their calculation, intensity per 万元 output value
(economy's monthly statistics), year-on-year and month-on-month figures and rankings."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import progress, units
from digipark.economy import provides as economy
from digipark.energy import carbon, standard_coal
from digipark.energy.common import READ, kept_reads, month_starts, readable_enterprise, today
from digipark.energy.factors import carriers
from digipark.energy.meters import get_meter
from digipark.energy.models import CarbonDeclaration, EnergyEntry, EnergyMeter, Flow, MeterLevel, MeterSource
from digipark.energy.schemas import (
    CarrierFigure,
    EnterpriseAccount,
    IndustryFigure,
    LineRead,
    MeterConsumption,
    MonthFigure,
    MonthValue,
    ParkSummary,
    RankItem,
)
from digipark.energy.settings import region_of
from digipark.registry.models import Enterprise, Point
from digipark.telemetry.provides import Rollup1mo

RANKING = 20
# A month's records count as complete when the telemetry meters' readings of it begin within its first day (a meter
# read hourly, or every 15 minutes, starts within the hour); history that begins later (a platform that started
# recording mid-month) leaves the month partial.
RECORDS_BEGIN_WITHIN_MS = 86_400_000


@dataclasses.dataclass(frozen=True, slots=True)
class MeterInfo:
    id: int
    enterprise_id: int | None
    name: str
    level: str
    carrier: str
    flow: str
    source: str
    point_id: int | None
    terms: tuple[tuple[int, int], ...]
    flexible_share: float
    name_en: str | None = None


@dataclasses.dataclass
class YearData:
    park_id: int
    year: int
    meters: dict[int, MeterInfo]
    by_meter: dict[int, builtins.list[float]]  # 12 months in the meter's unit
    activities: dict[int, dict[tuple[str, str], builtins.list[float]]]  # enterprise -> (carrier, flow) -> months
    declared: dict[int, builtins.list[tuple[int, carbon.Declared]]]  # enterprise -> (month index, declared)
    product_t: dict[int, float]
    recorded: builtins.list[bool]  # per month: its records are complete from the month's start (`_recorded`)


def zero_months() -> builtins.list[float]:
    return [0.0] * 12


def _meters(session: Session, park_id: int) -> dict[int, MeterInfo]:
    rows = session.execute(
        select(
            EnergyMeter.id,
            EnergyMeter.enterprise_id,
            EnergyMeter.name,
            EnergyMeter.level,
            EnergyMeter.carrier,
            EnergyMeter.flow,
            EnergyMeter.source,
            EnergyMeter.point_id,
            EnergyMeter.terms,
            EnergyMeter.flexible_share,
            EnergyMeter.name_en,
        ).where(EnergyMeter.park_id == park_id, EnergyMeter.active.is_(True))
    )
    return {
        r.id: MeterInfo(
            r.id,
            r.enterprise_id,
            r.name,
            r.level,
            r.carrier,
            r.flow,
            r.source,
            r.point_id,
            tuple((int(t["meter_id"]), int(t.get("sign", 1))) for t in (r.terms or [])),
            float(r.flexible_share or 0.0),
            r.name_en,
        )
        for r in rows
    }


def _month_index(starts: builtins.list[int], bucket: int) -> int | None:
    for index in range(12):
        if starts[index] <= bucket < starts[index + 1]:
            return index
    return None


def _point_factor(session: Session, meters: dict[int, MeterInfo]) -> dict[int, float]:
    """Per telemetry meter: the factor from its point's unit to the carrier's canonical unit (1 when the same)."""
    ids = {m.point_id for m in meters.values() if m.point_id is not None}
    if not ids:
        return {}
    point_units = dict(session.execute(select(Point.id, Point.unit).where(Point.id.in_(ids))).all())
    out: dict[int, float] = {}
    for m in meters.values():
        if m.point_id is None:
            continue
        unit = point_units.get(m.point_id)
        target = carriers()[m.carrier].unit
        out[m.id] = 1.0 if unit in (None, target) else units.convert(1.0, unit, target)
    return out


def year_data(session: Session, park_id: int, year: int, enterprise_id: int | None = None) -> YearData:
    """Every meter's monthly consumption of `year` and every enterprise's monthly activity data (meters at the
    enterprise level plus entries without a meter), from `rollup_1mo` delta sums and manual entries.

    Read once per transaction (`kept_reads`): the energy centre asks for the same year three times (summary,
    figures, anomalies)."""
    kept = kept_reads(session, "year_data")
    key = (park_id, year, enterprise_id)
    if key not in kept:
        kept[key] = _read_year_data(session, park_id, year, enterprise_id)
    result: YearData = kept[key]
    return result


def _read_year_data(session: Session, park_id: int, year: int, enterprise_id: int | None) -> YearData:
    starts = month_starts(year)
    meters = _meters(session, park_id)
    by_meter: dict[int, builtins.list[float]] = defaultdict(zero_months)
    factors = _point_factor(session, meters)
    r = Rollup1mo
    stmt = (
        select(EnergyMeter.id, r.bucket, r.delta, r.first_ts)
        .join(r, r.point_id == EnergyMeter.point_id)
        .where(
            EnergyMeter.park_id == park_id,
            EnergyMeter.active.is_(True),
            EnergyMeter.source == MeterSource.TELEMETRY.value,
            r.bucket >= starts[0],
            r.bucket < starts[12],
        )
    )
    if enterprise_id is not None:
        stmt = stmt.where(EnergyMeter.enterprise_id == enterprise_id)
    metered = [False] * 12  # a telemetry meter's readings of the month begin within its first day
    for meter_id, bucket, delta, first_ts in session.execute(stmt):
        index = _month_index(starts, int(bucket))
        if index is None:
            continue
        if delta is not None:
            by_meter[meter_id][index] += float(delta) * factors.get(meter_id, 1.0)
        if first_ts is not None and first_ts < starts[index] + RECORDS_BEGIN_WITHIN_MS:
            metered[index] = True
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    entries = (
        select(
            EnergyEntry.meter_id,
            EnergyEntry.enterprise_id,
            EnergyEntry.carrier,
            EnergyEntry.flow,
            EnergyEntry.period,
            func.sum(EnergyEntry.quantity),
        )
        .where(EnergyEntry.park_id == park_id, EnergyEntry.period >= first, EnergyEntry.period <= last)
        .group_by(
            EnergyEntry.meter_id, EnergyEntry.enterprise_id, EnergyEntry.carrier, EnergyEntry.flow, EnergyEntry.period
        )
    )
    if enterprise_id is not None:
        entries = entries.where(EnergyEntry.enterprise_id == enterprise_id)
    activities: dict[int, dict[tuple[str, str], builtins.list[float]]] = defaultdict(lambda: defaultdict(zero_months))
    entered = [False] * 12
    for entry_meter, owner, carrier_code, flow, period, quantity in session.execute(entries):
        entered[period.month - 1] = True
        if entry_meter is not None:
            by_meter[entry_meter][period.month - 1] += float(quantity or 0.0)
        elif owner is not None:
            activities[owner][(carrier_code, flow)][period.month - 1] += float(quantity or 0.0)
    _resolve_virtual(meters, by_meter)
    for meter in meters.values():
        if meter.level != MeterLevel.ENTERPRISE.value or meter.enterprise_id is None:
            continue
        if enterprise_id is not None and meter.enterprise_id != enterprise_id:
            continue
        months = by_meter.get(meter.id)
        if months is None:
            continue
        target = activities[meter.enterprise_id][(meter.carrier, meter.flow)]
        for index in range(12):
            target[index] += months[index]
    declared: dict[int, builtins.list[tuple[int, carbon.Declared]]] = defaultdict(list)
    product: dict[int, float] = defaultdict(float)
    decl = select(
        CarbonDeclaration.enterprise_id,
        CarbonDeclaration.period,
        CarbonDeclaration.process_material,
        CarbonDeclaration.process_quantity_t,
        CarbonDeclaration.process_tco2,
        CarbonDeclaration.product_output_t,
    ).where(CarbonDeclaration.park_id == park_id, CarbonDeclaration.period >= first, CarbonDeclaration.period <= last)
    if enterprise_id is not None:
        decl = decl.where(CarbonDeclaration.enterprise_id == enterprise_id)
    for owner, period, material, quantity_t, tco2, output_t in session.execute(decl):
        if owner is None:
            continue
        declared[owner].append((period.month - 1, carbon.Declared(material, quantity_t, tco2)))
        product[owner] += float(output_t or 0.0)
    return YearData(
        park_id,
        year,
        meters,
        dict(by_meter),
        {owner: dict(per) for owner, per in activities.items()},
        dict(declared),
        dict(product),
        _recorded(meters, enterprise_id, metered, entered),
    )


def _recorded(
    meters: dict[int, MeterInfo], enterprise_id: int | None, metered: builtins.list[bool], entered: builtins.list[bool]
) -> builtins.list[bool]:
    """Which months have complete records: where telemetry meters count (the park's, or the enterprise's), the
    months their readings cover from the start; otherwise the months with entries."""
    telemetry = any(
        m.source == MeterSource.TELEMETRY.value and (enterprise_id is None or m.enterprise_id == enterprise_id)
        for m in meters.values()
    )
    return metered if telemetry else entered


def _resolve_virtual(meters: dict[int, MeterInfo], by_meter: dict[int, builtins.list[float]]) -> None:
    """Fill in virtual meters: the signed sum of their terms, month by month (terms may be virtual too)."""
    done: set[int] = set()

    def value(ident: int, trail: frozenset[int]) -> builtins.list[float]:
        meter = meters.get(ident)
        if meter is None or meter.source != MeterSource.VIRTUAL.value or ident in done:
            return by_meter.get(ident, zero_months())
        if ident in trail:  # a cycle saved before validation existed: count nothing
            return zero_months()
        months = zero_months()
        for term_id, sign in meter.terms:
            for index, v in enumerate(value(term_id, trail | {ident})):
                months[index] += sign * v
        by_meter[ident] = months
        done.add(ident)
        return months

    for ident, meter in meters.items():
        if meter.source == MeterSource.VIRTUAL.value:
            value(ident, frozenset())


def meter_consumption(session: Session, *, scope: Scope, ident: int, year: int) -> MeterConsumption:
    meter = get_meter(session, scope=scope, ident=ident)
    data = year_data(session, meter.park_id, year)
    months = data.by_meter.get(meter.id, zero_months())
    return MeterConsumption(
        meter_id=meter.id,
        unit=meter.unit,
        year=year,
        months=[MonthValue(month=dt.date(year, i + 1, 1), quantity=v) for i, v in enumerate(months)],
        total=sum(months),
    )


@dataclasses.dataclass(frozen=True)
class UnitFactors:
    """Per (carrier, flow): tce per unit on both bases, tCO2 per unit, and the sign in the consumption."""

    year: int
    region: str
    tce_equivalent: dict[tuple[str, str], float]
    tce_equal: dict[tuple[str, str], float]
    tco2: dict[tuple[str, str], float]

    @classmethod
    def of(cls, year: int, region: str, keys: Iterable[tuple[str, str]]) -> UnitFactors:
        eq: dict[tuple[str, str], float] = {}
        ev: dict[tuple[str, str], float] = {}
        co2: dict[tuple[str, str], float] = {}
        for carrier_code, flow in set(keys):
            sign = standard_coal.counts_in_consumption(carrier_code, flow)
            figure = standard_coal.convert(carrier_code, 1.0, year)
            eq[(carrier_code, flow)] = sign * figure.equivalent_tce
            ev[(carrier_code, flow)] = sign * figure.equal_tce
            line = carbon.activity_line(carbon.Activity(carrier_code, flow, 1.0), year, region)
            co2[(carrier_code, flow)] = line.tco2 if line is not None else 0.0
        return cls(year, region, eq, ev, co2)


def _keys(data: YearData) -> set[tuple[str, str]]:
    return {key for per in data.activities.values() for key in per}


def closed_months(year: int) -> int:
    """How many months of `year` have ended: 12 for a past year, 0 for a future one."""
    this = today()
    return 12 if year < this.year else (this.month - 1 if year == this.year else 0)


def complete_months(data: YearData) -> builtins.list[bool]:
    """Per month: ended, and recorded from its start (`YearData.recorded`)."""
    closed = closed_months(data.year)
    return [recorded and i < closed for i, recorded in enumerate(data.recorded)]


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison:
    """What year-on-year compares: months 1..`months` of both years, or nothing and `withheld` says why."""

    months: int
    withheld: str | None  # history_loading | no_closed_month | year_incomplete | previous_year_incomplete

    @classmethod
    def of(cls, now: YearData, before: YearData, last: int | None) -> Comparison:
        """The closed months of `now` (a year in progress: before this month; a past year: up to its last month with
        figures), each with complete records in both years; the demo writing its history withholds every figure."""
        closed = closed_months(now.year)
        if now.year < today().year:  # up to its last month with figures
            closed = 0 if last is None else last + 1
        if progress.history_loading() is not None:
            return cls(0, "history_loading")
        if closed == 0:
            return cls(0, "no_closed_month")
        if not all(now.recorded[:closed]):
            return cls(0, "year_incomplete")
        if not all(before.recorded[:closed]):
            return cls(0, "previous_year_incomplete")
        return cls(closed, None)

    def change(self, now: builtins.list[float], before: builtins.list[float]) -> float | None:
        return _pct(sum(now[: self.months]), sum(before[: self.months])) if self.months else None


def _month_on_month(months: builtins.list[float], complete: builtins.list[bool]) -> tuple[float | None, int | None]:
    """(change in %, month) of the latest complete month against the one before it, if that is complete too."""
    latest = max((i for i, whole in enumerate(complete) if whole), default=0)
    if latest == 0 or not complete[latest - 1] or progress.history_loading() is not None:
        return None, None
    return _pct(months[latest], months[latest - 1]), latest + 1


def _pct(now: float, before: float | None) -> float | None:
    if before is None or abs(before) < 1e-9:
        return None
    return round((now - before) / abs(before) * 100, 2)


def _output_values(
    session: Session, scope: Scope, park_id: int, year: int, enterprise_id: int | None = None
) -> dict[int, dict[int, float]]:
    """Output value (万元) of `year` per enterprise and month index, from economy's monthly statistics (what the caller
    may read), through the statistics service's bulk read (one scoped aggregate, no ORM rows)."""
    months = economy.output_value_by_enterprise_month(
        session,
        scope=scope,
        park_id=park_id,
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 1),
        enterprise_id=enterprise_id,
    )
    out: dict[int, dict[int, float]] = defaultdict(dict)
    for (ident, month), value in months.items():
        out[ident][month.month - 1] = value
    return dict(out)


def _in_reported_months(months: builtins.list[float], output: dict[int, float]) -> float:
    """The part of `months` (energy or carbon) in the months whose output value is reported: an intensity divides
    like by like (the statistics of a month come weeks after its meters)."""
    return sum(months[i] for i in output)


def _through(outputs: Iterable[dict[int, float]]) -> int | None:
    return max((i + 1 for output in outputs for i in output), default=None)


def _line_read(line: carbon.Line) -> LineRead:
    return LineRead(**dataclasses.asdict(line))


def _carrier_figures(sums: dict[tuple[str, str], float], year: int) -> builtins.list[CarrierFigure]:
    out = []
    for (carrier_code, flow), quantity in sorted(sums.items()):
        figure = standard_coal.convert(carrier_code, quantity, year)
        out.append(
            CarrierFigure(
                carrier=carrier_code,
                flow=flow,
                quantity=quantity,
                unit=figure.unit,
                tce_equivalent=figure.equivalent_tce,
                tce_equal=figure.equal_tce,
                factor_note=figure.factor_note,
                factor_note_en=figure.factor_note_en,
                status=figure.status,
            )
        )
    return out


def _months_of(
    per: dict[tuple[str, str], builtins.list[float]],
    uf: UnitFactors,
    declared: builtins.list[tuple[int, carbon.Declared]],
) -> tuple[builtins.list[float], builtins.list[float], builtins.list[float], builtins.list[float]]:
    eq, ev, co2, kwh = zero_months(), zero_months(), zero_months(), zero_months()
    for key, months in per.items():
        for i, v in enumerate(months):
            eq[i] += v * uf.tce_equivalent[key]
            ev[i] += v * uf.tce_equal[key]
            co2[i] += v * uf.tco2[key]
            if key == ("electricity", Flow.PURCHASED.value):
                kwh[i] += v
    for index, d in declared:
        co2[index] += sum(line.tco2 for line in carbon.process_lines(d))
    return eq, ev, co2, kwh


def enterprise_account(
    session: Session, *, scope: Scope, enterprise_id: int, year: int | None = None
) -> EnterpriseAccount:
    """One enterprise's energy and carbon of `year`: carriers in tce (both bases), the carbon account with every
    line's calculation, months with the previous year's, intensity, yoy and mom."""
    enterprise = readable_enterprise(session, scope=scope, enterprise_id=enterprise_id)
    year = year or today().year
    region = region_of(session, enterprise.park_id)
    now = year_data(session, enterprise.park_id, year, enterprise.id)
    before = year_data(session, enterprise.park_id, year - 1, enterprise.id)
    per = now.activities.get(enterprise.id, {})
    per_before = before.activities.get(enterprise.id, {})
    uf = UnitFactors.of(year, region, per.keys())
    uf_before = UnitFactors.of(year - 1, region, per_before.keys())
    eq, ev, co2, kwh = _months_of(per, uf, now.declared.get(enterprise.id, []))
    eq0, _, co20, _ = _months_of(per_before, uf_before, before.declared.get(enterprise.id, []))
    sums = {key: sum(months) for key, months in per.items()}
    activities = [carbon.Activity(c, f, q) for (c, f), q in sums.items()]
    acc = carbon.account(activities, year, region, [d for _, d in now.declared.get(enterprise.id, [])])
    reported = _output_values(session, scope, enterprise.park_id, year, enterprise.id).get(enterprise.id, {})
    output = sum(reported.values()) or None
    total_eq, total_ev, total_co2 = sum(eq), sum(ev), acc.total
    last = max((i for i in range(12) if eq[i] or co2[i]), default=None)
    compared = Comparison.of(now, before, last)
    complete, previous_complete = complete_months(now), complete_months(before)
    mom_pct, mom_month = _month_on_month(eq, complete)
    product = now.product_t.get(enterprise.id) or None
    return EnterpriseAccount(
        enterprise_id=enterprise.id,
        name=enterprise.name,
        name_en=enterprise.name_en,
        uscc=enterprise.uscc,
        industry_code=enterprise.industry_code,
        park_id=enterprise.park_id,
        year=year,
        factor_version=acc.version,
        grid_region=region,
        comprehensive_tce_equivalent=total_eq,
        comprehensive_tce_equal=total_ev,
        tco2=total_co2,
        by_category=acc.by_category,
        carriers=_carrier_figures(sums, year),
        lines=[_line_read(line) for line in acc.lines],
        months=[
            MonthFigure(
                month=i + 1,
                tce_equivalent=eq[i],
                tce_equal=ev[i],
                tco2=co2[i],
                electricity_kwh=kwh[i],
                previous_tce_equivalent=eq0[i],
                previous_tco2=co20[i],
                complete=complete[i],
                previous_complete=previous_complete[i],
            )
            for i in range(12)
        ],
        output_value_wan_yuan=output,
        output_through_month=_through([reported]),
        product_output_t=product,
        tce_per_wan_yuan=_in_reported_months(eq, reported) / output if output else None,
        tce_equal_per_wan_yuan=_in_reported_months(ev, reported) / output if output else None,
        tco2_per_wan_yuan=_in_reported_months(co2, reported) / output if output else None,
        tco2_per_t_product=total_co2 / product if product else None,
        yoy_tce_pct=compared.change(eq, eq0),
        yoy_tco2_pct=compared.change(co2, co20),
        yoy_months=compared.months,
        yoy_withheld=compared.withheld,
        mom_tce_pct=mom_pct,
        mom_month=mom_month,
        last_month=last + 1 if last is not None else None,
    )


def _division(code: str) -> str:
    return code[:2] if code else "—"


def park_summary(session: Session, *, scope: Scope, park_id: int | None = None, year: int | None = None) -> ParkSummary:
    """The park's energy and carbon of `year`: totals on both bases, by source and carrier, by industry, months
    with the previous year's, enterprise ranking and intensity per 万元 output value."""
    park = scope.acting_park(park_id)
    scope.require(READ)
    year = year or today().year
    region = region_of(session, park)
    now = year_data(session, park, year)
    before = year_data(session, park, year - 1)
    uf = UnitFactors.of(year, region, _keys(now))
    uf0 = UnitFactors.of(year - 1, region, _keys(before))
    enterprises = {e.id: e for e in session.scalars(scope.readable(Enterprise).where(Enterprise.park_id == park))}
    outputs = _output_values(session, scope, park, year)
    month_eq, month_ev, month_co2, month_kwh = zero_months(), zero_months(), zero_months(), zero_months()
    totals: dict[tuple[str, str], float] = defaultdict(float)
    ranking: list[RankItem] = []
    industries: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    reported_eq = reported_co2 = 0.0  # in the months each enterprise's output value is reported
    for ident, per in now.activities.items():
        enterprise = enterprises.get(ident)
        if enterprise is None:
            continue
        eq, ev, co2, kwh = _months_of(per, uf, now.declared.get(ident, []))
        for i in range(12):
            month_eq[i] += eq[i]
            month_ev[i] += ev[i]
            month_co2[i] += co2[i]
            month_kwh[i] += kwh[i]
        for key, months in per.items():
            totals[key] += sum(months)
        reported = outputs.get(ident, {})
        output = sum(reported.values())
        reported_eq += _in_reported_months(eq, reported)
        reported_co2 += _in_reported_months(co2, reported)
        ranking.append(
            RankItem(
                enterprise_id=ident,
                name=enterprise.name,
                industry_code=enterprise.industry_code,
                tce_equivalent=sum(eq),
                tce_equal=sum(ev),
                tco2=sum(co2),
                tce_per_wan_yuan=_in_reported_months(eq, reported) / output if output else None,
            )
        )
        bucket = industries[_division(enterprise.industry_code)]
        bucket[0] += 1
        bucket[1] += sum(eq)
        bucket[2] += sum(co2)
    prev_eq, prev_co2 = zero_months(), zero_months()
    for ident, per in before.activities.items():
        if ident not in enterprises:
            continue
        eq, _, co2, _ = _months_of(per, uf0, before.declared.get(ident, []))
        for i in range(12):
            prev_eq[i] += eq[i]
            prev_co2[i] += co2[i]
    activities = [carbon.Activity(c, f, q) for (c, f), q in totals.items()]
    declared = [d for ident, ds in now.declared.items() if ident in enterprises for _, d in ds]
    acc = carbon.account(activities, year, region, declared)
    total_eq, total_ev, total_co2 = sum(month_eq), sum(month_ev), sum(month_co2)
    last = max((i for i in range(12) if month_eq[i] or month_co2[i]), default=None)
    compared = Comparison.of(now, before, last)
    complete, previous_complete = complete_months(now), complete_months(before)
    output_total = sum(sum(outputs.get(i, {}).values()) for i in enterprises) or None
    ranking.sort(key=lambda r: -r.tce_equivalent)
    return ParkSummary(
        park_id=park,
        year=year,
        factor_version=acc.version,
        grid_region=region,
        enterprises=len(ranking),
        tce_equivalent=total_eq,
        tce_equal=total_ev,
        tco2=total_co2,
        previous_tce_equivalent=sum(prev_eq),
        previous_tco2=sum(prev_co2),
        yoy_tce_pct=compared.change(month_eq, prev_eq),
        yoy_tco2_pct=compared.change(month_co2, prev_co2),
        yoy_months=compared.months,
        yoy_withheld=compared.withheld,
        output_value_wan_yuan=output_total,
        output_through_month=_through(outputs.get(i, {}) for i in enterprises),
        tce_per_wan_yuan=reported_eq / output_total if output_total else None,
        tco2_per_wan_yuan=reported_co2 / output_total if output_total else None,
        by_category=acc.by_category,
        by_carrier=_carrier_figures(dict(totals), year),
        by_industry=sorted(
            (
                IndustryFigure(division=d, enterprises=int(v[0]), tce_equivalent=v[1], tco2=v[2])
                for d, v in industries.items()
            ),
            key=lambda i: -i.tce_equivalent,
        ),
        months=[
            MonthFigure(
                month=i + 1,
                tce_equivalent=month_eq[i],
                tce_equal=month_ev[i],
                tco2=month_co2[i],
                electricity_kwh=month_kwh[i],
                previous_tce_equivalent=prev_eq[i],
                previous_tco2=prev_co2[i],
                complete=complete[i],
                previous_complete=previous_complete[i],
            )
            for i in range(12)
        ],
        ranking=ranking[:RANKING],
    )


def enterprise_figures(session: Session, *, park_id: int, year: int) -> dict[int, tuple[float, float]]:
    """(tce equivalent, tCO2) of `year` per enterprise of the park, for maps (plain park id; caller checks READ)."""
    region = region_of(session, park_id)
    now = year_data(session, park_id, year)
    uf = UnitFactors.of(year, region, _keys(now))
    out: dict[int, tuple[float, float]] = {}
    for ident, per in now.activities.items():
        eq, _, co2, _ = _months_of(per, uf, now.declared.get(ident, []))
        out[ident] = (sum(eq), sum(co2))
    return out
