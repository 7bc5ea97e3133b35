"""Pollution monitoring, hand-worked: hourly values from the hour rollups, the valid-hours rule, the flow-weighted
daily average of wastewater, pH as a range, exceedance records, cumulative discharge against the permit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.environment import pollution, service
from digipark.environment.models import Exceedance, Outlet
from digipark.environment.schemas import (
    FactorLink,
    OutletCreate,
    OutletUpdate,
    PermitQuotaCreate,
    ScanRequest,
)
from tests.conftest import World
from tests.environment.helpers import admin, own, wastewater_points, write

DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 20, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _outlet(db: Session, world: World, points: dict[str, int], code: str = "DW001") -> Outlet:
    links = [
        FactorLink(factor="cod", point_id=points["cod_mgl"]),
        FactorLink(factor="nh3n", point_id=points["nh3n_mgl"]),
        FactorLink(factor="ph", point_id=points["ph"]),
        FactorLink(factor="water_flow", point_id=points["flow_m3h"]),
    ]
    data = OutletCreate(
        enterprise_id=world.a.enterprise_ids[0],
        code=code,
        name="总排口",
        medium="water",
        standard="GB8978-1996-1",
        factors=links,
    )
    return service.create_outlet(db, scope=admin(world.a), data=data)


def _worked_day(db: Session, points: dict[str, int]) -> None:
    """The worked day (limits of GB 8978-1996 一级: COD ≤ 100, NH3-N ≤ 15, pH 6–9 mg/L):
    COD 80 mg/L at 10 m³/h in hours 0–19, 200 mg/L at 30 m³/h in hours 20–21, no COD in hours 22–23 (flow 10);
    NH3-N 10 mg/L in hours 0–18 only; pH 7.0 all day except 9.4 in hour 5."""
    write(db, points["cod_mgl"], DAY, {h: 80.0 for h in range(20)} | {20: 200.0, 21: 200.0})
    write(db, points["flow_m3h"], DAY, {h: 10.0 for h in range(24)} | {20: 30.0, 21: 30.0})
    write(db, points["nh3n_mgl"], DAY, {h: 10.0 for h in range(19)})
    write(db, points["ph"], DAY, {h: 7.0 for h in range(24)} | {5: 9.4})


def test_daily_average_is_flow_weighted_and_needs_twenty_valid_hours(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    outlet = _outlet(db, world, points)
    _worked_day(db, points)
    averages = service.outlet_averages(db, scope=admin(world.a), ident=outlet.id, first=DAY, last=DAY)
    by = {f.factor: f for f in averages.factors}
    cod = by["cod"].days[0]
    # 22 valid hours >= 20; (20 × 80 × 10 + 2 × 200 × 30) / (20 × 10 + 2 × 30) = 28000 / 260 = 107.69 > 100
    # (the arithmetic mean, 2000 / 22 = 90.9, would have passed)
    assert cod.valid_hours == 22 and cod.valid and cod.method == "flow_weighted"
    assert cod.value == pytest.approx(28000 / 260)
    assert cod.exceeded
    assert [h.exceeded for h in by["cod"].hours].count(True) == 2  # hours 20 and 21: 200 > 100
    nh3n = by["nh3n"].days[0]
    assert nh3n.valid_hours == 19 and not nh3n.valid and not nh3n.exceeded  # 19 < 20 valid hours: no valid day
    ph = by["ph"].days[0]
    # pH is not averaged: the day's range 7.0–9.4 leaves 6–9
    assert ph.method == "range" and ph.value is None and (ph.min, ph.max) == (7.0, 9.4) and ph.exceeded
    flow = by["water_flow"].days[0]
    assert flow.value == pytest.approx(22 * 10 + 2 * 30)  # m³ of the day
    assert by["cod"].limit_max == 100 and by["ph"].limit_min == 6 and by["cod"].limit_status == "verified"


def test_an_hour_without_enough_readings_is_invalid() -> None:
    # every 15 minutes: 4 per hour, 75 % coverage needs 3
    assert pollution.required_readings(900, 0.75) == 3
    assert pollution.required_readings(3600, 0.75) == 1
    stats = [pollution.HourStat(0, 2, 200.0, 90.0, 110.0), pollution.HourStat(3_600_000, 3, 240.0, 70.0, 90.0)]
    hours = pollution.hour_values(stats, multiplier=1.0, required=3, ph=False)
    assert [h.valid for h in hours.values()] == [False, True]
    assert hours[3_600_000].mean == 80.0


def test_flue_gas_is_corrected_to_the_reference_oxygen() -> None:
    values = {0: pollution.HourValue(0, 100.0, 90.0, 110.0, 4, True)}
    oxygen = {0: pollution.HourValue(0, 9.0, 9.0, 9.0, 4, True)}
    corrected = pollution.o2_corrected(values, oxygen, 3.5, 21.0)
    assert corrected[0].mean == pytest.approx(100 * (21 - 3.5) / (21 - 9))  # 145.83
    ambient = {0: pollution.HourValue(0, 21.0, 21.0, 21.0, 4, True)}
    assert not pollution.o2_corrected(values, ambient, 3.5, 21.0)[0].valid


def test_scan_records_each_exceedance_once(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    outlet = _outlet(db, world, points)
    _worked_day(db, points)
    result = service.scan_exceedances(db, scope=admin(world.a), data=ScanRequest(first=DAY, last=DAY))
    # hours: COD 20, 21 and pH 5; days: COD and pH
    assert (result.outlets, result.created, result.existing) == (1, 5, 0)
    rows = db.scalars(select(Exceedance).where(Exceedance.outlet_id == outlet.id)).all()
    assert sorted((r.factor, r.period) for r in rows) == [
        ("cod", "day"),
        ("cod", "hour"),
        ("cod", "hour"),
        ("ph", "day"),
        ("ph", "hour"),
    ]
    day_cod = next(r for r in rows if (r.factor, r.period) == ("cod", "day"))
    assert day_cod.value == pytest.approx(107.6923, abs=1e-4) and day_cod.limit_max == 100
    assert next(r for r in rows if (r.factor, r.period) == ("ph", "hour")).value == 9.4
    again = service.scan_exceedances(db, scope=admin(world.a), data=ScanRequest(first=DAY, last=DAY))
    assert (again.created, again.existing) == (0, 5)
    with pytest.raises(PermissionDenied):
        service.scan_exceedances(db, scope=own(world.a), data=ScanRequest(first=DAY, last=DAY))
    audited = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "env_exceedance"))
    assert audited == 5


def test_permit_quota_warns_at_80_percent_and_is_exceeded_at_100(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    _outlet(db, world, points)
    _worked_day(db, points)
    enterprise = world.a.enterprise_ids[0]
    # COD discharged: 20 h × 80 mg/L × 10 m³ + 2 h × 200 mg/L × 30 m³ = 16 000 g + 12 000 g = 28 kg = 0.028 t
    # NH3-N: 19 h × 10 mg/L × 10 m³ = 1.9 kg = 0.0019 t
    for factor, annual, unit in (("cod", 35.0, "kg"), ("nh3n", 0.0018, "t"), ("so2", 1.0, "t")):
        service.create_permit(
            db,
            scope=admin(world.a),
            data=PermitQuotaCreate(
                enterprise_id=enterprise,
                permit_no="91320500MA0001X001P",
                year=2026,
                factor=factor,
                annual=annual,
                unit=unit,
            ),
        )
    usage = {u.factor: u for u in service.permit_usage(db, scope=own(world.a), year=2026)}
    assert usage["cod"].discharged_t == pytest.approx(0.028)
    assert usage["cod"].permitted_t == pytest.approx(0.035)
    assert usage["cod"].percent == pytest.approx(80.0) and usage["cod"].level == "warning"
    assert usage["cod"].months_t[2] == pytest.approx(0.028) and usage["cod"].outlets == 1
    assert usage["nh3n"].discharged_t == pytest.approx(0.0019)
    assert usage["nh3n"].level == "exceeded"
    assert usage["so2"].discharged_t == 0 and usage["so2"].level == "ok" and usage["so2"].outlets == 0
    assert service.permit_usage(db, scope=own(world.a, 1), year=2026) == []  # another enterprise sees none
    summary = service.enterprise_summary(db, scope=own(world.a), enterprise_id=enterprise, year=2026)
    assert [p.level for p in summary.permits] == ["warning", "exceeded", "ok"]
    assert any("cod" in w for w in summary.warnings)


def test_outlet_input_is_checked_and_changes_nothing(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    enterprise = world.a.enterprise_ids[0]
    before = db.scalar(select(func.count()).select_from(Outlet))

    def attempt(**changes: object) -> None:
        body = {
            "enterprise_id": enterprise,
            "code": "DW009",
            "name": "排口",
            "medium": "water",
            "standard": "GB8978-1996-1",
            "factors": [{"factor": "cod", "point_id": points["cod_mgl"]}],
        } | changes
        with pytest.raises(ValidationFailed):
            service.create_outlet(db, scope=admin(world.a), data=OutletCreate.model_validate(body))

    attempt(standard="GB 0000")
    attempt(standard="GB13271-2014-T2-gas")  # a flue gas standard on a wastewater outlet
    attempt(factors=[{"factor": "so2", "point_id": points["cod_mgl"]}])  # not a wastewater factor
    attempt(factors=[{"factor": "benzene", "point_id": points["cod_mgl"]}])
    attempt(factors=[{"factor": "cod", "point_id": points["ph"]}])  # pH does not convert to mg/L
    attempt(factors=[{"factor": "water_flow", "point_id": points["cod_mgl"]}])  # mg/L is no flow
    attempt(factors=[{"factor": "cod", "point_id": world.b.point_ids[0]}])  # another park's point
    assert db.scalar(select(func.count()).select_from(Outlet)) == before
    with pytest.raises(PermissionDenied):
        service.create_outlet(
            db,
            scope=own(world.a),
            data=OutletCreate(
                enterprise_id=enterprise, code="DW010", name="排口", medium="water", standard="GB8978-1996-1"
            ),
        )


def test_outlets_are_tenant_scoped_and_keep_alarm_rules(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    outlet = _outlet(db, world, points)
    read = service.outlet_read(db, outlet)
    rules = {f.factor: f.alarm_rule_id for f in read.factors}
    assert rules["cod"] is not None and rules["ph"] is not None and rules["water_flow"] is None
    with pytest.raises(NotFound):
        service.get_outlet(db, scope=own(world.a, 1), ident=outlet.id)
    assert service.get_outlet(db, scope=own(world.a), ident=outlet.id).id == outlet.id
    with pytest.raises(PermissionDenied):
        service.update_outlet(db, scope=own(world.a), ident=outlet.id, data=OutletUpdate(name="改名"))
    updated = service.update_outlet(
        db, scope=admin(world.a), ident=outlet.id, data=OutletUpdate(standard="GB8978-1996-3")
    )
    again = service.outlet_read(db, updated)
    assert {f.factor: f.alarm_rule_id for f in again.factors}["cod"] == rules["cod"]  # same rule, new limit
    assert {f.factor: f.limit_max for f in again.factors}["cod"] == 500
    assert {f.factor: f.limit_max for f in again.factors}["nh3n"] is None  # 三级: not regulated
    with pytest.raises(Conflict):
        _outlet(db, world, points)  # the code is taken


def test_a_scan_acts_in_the_own_park_only(db: Session, world: World) -> None:
    operator = Scope.for_user(
        role=Role.OPERATOR,
        username="env-test-op",
        user_id=None,
        park_id=world.a.park_id,
        extra_parks=frozenset({world.b.park_id}),
    )
    with pytest.raises(PermissionDenied):  # reads park b, may not scan it
        service.scan_exceedances(db, scope=operator, data=ScanRequest(park_id=world.b.park_id, first=DAY, last=DAY))
    with pytest.raises(NotFound):  # park a's administrator does not see park b
        service.scan_exceedances(
            db, scope=admin(world.a), data=ScanRequest(park_id=world.b.park_id, first=DAY, last=DAY)
        )
    scanned = service.scan_exceedances(db, scope=operator, data=ScanRequest(first=DAY, last=DAY))
    assert scanned.park_id == world.a.park_id
