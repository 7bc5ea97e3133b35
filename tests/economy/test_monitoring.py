"""The economic dashboard: 同比, 环比 and 累计同比 on a comparable basis (with a missing month and a correction),
亩均 figures with a shared parcel, early warnings (each trigger and non-trigger), breakdowns and access."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipark.economy import monitoring, statistics
from digipark.economy.land import land_allocation
from digipark.economy.monitoring_query import spring_festival_month
from digipark.economy.schemas import Dashboard, FigureSummary, MonthlyStatisticCorrect, WarningRead
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import LandParcel
from tests.conftest import World
from tests.economy.helpers import admin, month, scope_of, series, submit


def output(d: Dashboard) -> FigureSummary:
    return next(f for f in d.figures if f.figure == "output_value_wan_yuan")


# -- growth ----------------------------------------------------------------------------------------------------
def test_growth_on_a_comparable_basis_with_a_missing_month_and_a_correction(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = a.enterprise_ids
    series(db, a, e0, {"2024-01": 100, "2024-02": 110, "2024-03": 120, "2025-01": 110, "2025-02": 120, "2025-03": 130})
    # e1 did not submit February 2025
    series(db, a, e1, {"2024-01": 50, "2024-02": 50, "2024-03": 50, "2025-01": 60, "2025-03": 70})
    d = monitoring.dashboard(db, scope=admin(a), period=month("2025-03"))
    out = output(d)
    assert (out.month_total, out.ytd_total, out.reporting) == (200, 490, 2)  # totals count every submission
    # 同比: both enterprises have March of both years: (130 + 70) / (120 + 50) - 1
    assert (out.yoy.value, out.yoy.base, out.yoy.comparable, out.yoy.excluded) == (200, 170, 2, 0)
    assert out.yoy.percent == pytest.approx(200 / 170 * 100 - 100)
    # 环比: e1 lacks February, so only e0 compares: 130 / 120 - 1
    assert (out.mom.value, out.mom.base, out.mom.comparable, out.mom.excluded) == (130, 120, 1, 1)
    assert out.mom.percent == pytest.approx(8.3333, abs=1e-3)
    # 累计同比: only enterprises with every month Jan..Mar of both years: e0 (110+120+130) / (100+110+120) - 1
    assert (out.ytd_yoy.value, out.ytd_yoy.base, out.ytd_yoy.comparable, out.ytd_yoy.excluded) == (360, 330, 1, 1)
    assert out.ytd_yoy.percent == pytest.approx(9.0909, abs=1e-3)

    # e0 corrects February 2025 from 120 to 132: the growth rates use the corrected figure
    feb = statistics.get_by_period(db, scope=admin(a), enterprise_id=e0, period=month("2025-02"))
    assert feb is not None
    statistics.correct(
        db, scope=admin(a), ident=feb.id, data=MonthlyStatisticCorrect(output_value_wan_yuan=132, reason="更正")
    )
    out = output(monitoring.dashboard(db, scope=admin(a), period=month("2025-03")))
    assert out.ytd_total == 502
    assert (out.ytd_yoy.value, out.ytd_yoy.base) == (372, 330)
    assert out.ytd_yoy.percent == pytest.approx(12.7273, abs=1e-3)
    assert (out.mom.value, out.mom.base) == (130, 132)
    assert out.mom.percent == pytest.approx(-1.5152, abs=1e-3)
    assert statistics.revisions(db, scope=admin(a), ident=feb.id)[0].previous["output_value_wan_yuan"] == 120

    # e1 fills the gap: it joins the comparable set
    submit(db, a, e1, "2025-02", 55)
    out = output(monitoring.dashboard(db, scope=admin(a), period=month("2025-03")))
    assert (out.ytd_yoy.value, out.ytd_yoy.base, out.ytd_yoy.comparable, out.ytd_yoy.excluded) == (557, 480, 2, 0)


def test_january_month_on_month_reaches_back_to_december(db: Session, world: World) -> None:
    a = world.a
    series(db, a, a.enterprise_ids[0], {"2024-01": 80, "2024-12": 100, "2025-01": 90})
    out = output(monitoring.dashboard(db, scope=admin(a), period=month("2025-01")))
    assert (out.mom.value, out.mom.base) == (90, 100)
    assert (out.ytd_yoy.value, out.ytd_yoy.base, out.ytd_yoy.comparable) == (90, 80, 1)


def test_no_percentage_on_a_base_of_zero_or_a_loss(db: Session, world: World) -> None:
    a = world.a
    series(db, a, a.enterprise_ids[0], {"2024-03": 100}, total_profit_wan_yuan=-5)
    series(db, a, a.enterprise_ids[0], {"2025-03": 100}, total_profit_wan_yuan=8)
    d = monitoring.dashboard(db, scope=admin(a), period=month("2025-03"))
    profit = next(f for f in d.figures if f.figure == "total_profit_wan_yuan")
    assert (profit.yoy.value, profit.yoy.base, profit.yoy.percent) == (8, -5, None)
    employees = next(f for f in d.figures if f.figure == "employees")
    assert employees.stock and employees.ytd_total == 100 / 3  # the average of Jan..Mar (only March reported)


def test_breakdowns_rankings_and_trend(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = a.enterprise_ids
    series(db, a, e0, {"2024-01": 100, "2025-01": 150}, employees=1200)
    series(db, a, e1, {"2024-01": 50, "2025-01": 40}, employees=25)
    d = monitoring.dashboard(db, scope=admin(a), period=month("2025-01"))
    assert [(b.key, b.output_ytd) for b in d.by_industry] == [("33", 190)]
    assert d.by_industry[0].label_zh == "金属制品业"
    assert {b.key: b.output_ytd for b in d.by_scale} == {"above": 150, "below": 40}
    assert {b.key: b.output_ytd for b in d.by_employees} == {"large": 150, "small": 40}
    assert [r.enterprise_id for r in d.top] == [e0, e1]
    assert [r.enterprise_id for r in d.top_growth] == [e0, e1]
    assert [r.enterprise_id for r in d.bottom_growth] == [e1, e0]
    assert d.bottom_growth[0].output_ytd_yoy_percent == pytest.approx(-20)
    assert d.trend[0].this_year == 190 and d.trend[0].last_year == 150 and d.trend[1].this_year is None
    assert (d.expected, d.reporting) == (2, 2)


def test_energy_intensity(db: Session, world: World) -> None:
    a = world.a
    months = {f"2025-{m:02d}": 100.0 for m in range(1, 13)}
    series(db, a, a.enterprise_ids[0], months, electricity_kwh=50_000)
    energy = monitoring.dashboard(db, scope=admin(a), period=month("2025-12")).energy
    assert (energy.output_ttm, energy.electricity_kwh_ttm) == (1200, 600_000)
    assert energy.output_per_10k_kwh == pytest.approx(20)
    assert energy.standard_coal_tce == pytest.approx(600_000 * 0.1229 / 1000)
    assert energy.output_per_tce == pytest.approx(1200 / 73.74)


# -- 亩均 ------------------------------------------------------------------------------------------------------
def test_per_mu_with_a_parcel_shared_by_two_enterprises(db: Session, world: World) -> None:
    a = world.a
    e0, e1 = a.enterprise_ids
    scope = admin(a)
    kinds = registry.KINDS
    parcel = registry.create(
        db,
        scope=scope,
        kind=kinds["land_parcel"],
        data=registry_schemas.LandParcelCreate(code="P-SHARED", area_m2=6000, land_use="M1"),
    )
    building = registry.create(
        db,
        scope=scope,
        kind=kinds["building"],
        data=registry_schemas.BuildingCreate(
            code="B-SHARED", name="标准厂房", use="factory", floors=2, parcel_id=parcel.id
        ),
    )
    floor = registry.create(
        db, scope=scope, kind=kinds["floor"], data=registry_schemas.FloorCreate(building_id=building.id, level=1)
    )
    for code, enterprise, area in (("S1", e0, 300), ("S2", e1, 100), ("S3", None, 200)):  # S3 is vacant
        registry.create(
            db,
            scope=scope,
            kind=kinds["room"],
            data=registry_schemas.RoomCreate(floor_id=floor.id, code=code, area_m2=area, enterprise_id=enterprise),
        )
    p1_area = db.scalar(select(LandParcel.area_m2).where(LandParcel.id == a.parcel_id))
    assert p1_area is not None

    land = land_allocation(db, park_id=a.park_id)
    # e0: all of P1 (its only tenant) + 300/400 of the shared 6000 m²; e1: 100/400 of it
    assert land[e0].m2 == pytest.approx(p1_area + 4500)
    assert land[e1].m2 == pytest.approx(1500)
    assert land[e1].mu == pytest.approx(2.25)
    assert {(code, round(share, 4)) for _, code, _, share in land[e0].parcels} == {("P1", 1.0), ("P-SHARED", 0.75)}

    months = {f"{y}-{m:02d}": 30.0 for y, m in [(2024, m) for m in range(7, 13)] + [(2025, m) for m in range(1, 7)]}
    series(db, a, e1, months, tax_paid_wan_yuan=3)
    series(db, a, e0, {"2025-05": 10, "2025-06": 10})  # only two months: not ranked
    d = monitoring.dashboard(db, scope=scope, period=month("2025-06"))
    (row,) = d.land.ranked
    assert row.enterprise_id == e1 and row.rank == 1
    assert (row.output_ttm, row.tax_ttm) == (360, 36)
    assert row.output_per_mu == pytest.approx(160)  # 360 万元 / 2.25 亩
    assert row.tax_per_mu == pytest.approx(16)
    assert (d.land.incomplete, d.land.without_land) == (1, 0)
    assert d.land.output_per_mu == pytest.approx(160)
    assert (d.land.window_from, d.land.window_to) == (month("2024-07"), month("2025-06"))


# -- early warnings --------------------------------------------------------------------------------------------
def warnings_of(db: Session, world: World, period: str, enterprise: int, rule: str) -> list[WarningRead]:
    found = monitoring.warnings(db, scope=admin(world.a), period=month(period))
    return [w for w in found if w.enterprise_id == enterprise and w.rule == rule]


@pytest.mark.parametrize(("august", "september", "fires"), [(60, 65, True), (75, 60, False), (60, 75, False)])
def test_output_falling_for_two_months(db: Session, world: World, august: float, september: float, fires: bool) -> None:
    e0 = world.a.enterprise_ids[0]
    series(db, world.a, e0, {"2024-08": 100, "2024-09": 100, "2025-08": august, "2025-09": september})
    found = warnings_of(db, world, "2025-09", e0, "output_yoy_drop")
    assert bool(found) is fires
    if fires:
        assert "2025年9月 65.0万元（上年同月100.0万元，-35.0%）" in found[0].reason_zh
        assert "2025-08 60.0 10k yuan (same month last year 100.0, -40.0%)" in found[0].reason_en
        assert found[0].severity == "high" and found[0].figure == "output_value_wan_yuan"


@pytest.mark.parametrize(("tax", "fires"), [(9, True), (11, False)])
def test_tax_falling(db: Session, world: World, tax: float, fires: bool) -> None:
    e0 = world.a.enterprise_ids[0]
    submit(db, world.a, e0, "2024-09", 100, tax_paid_wan_yuan=20)
    submit(db, world.a, e0, "2025-09", 100, tax_paid_wan_yuan=tax)
    found = warnings_of(db, world, "2025-09", e0, "tax_yoy_drop")
    assert bool(found) is fires
    if fires:
        assert "实缴税金" in found[0].reason_zh and "-55.0%" in found[0].reason_zh


@pytest.mark.parametrize(("september", "fires"), [(5500, True), (6500, False)])
def test_electricity_falling_against_the_months_before(
    db: Session, world: World, september: float, fires: bool
) -> None:
    e0 = world.a.enterprise_ids[0]
    for period in ("2025-06", "2025-07", "2025-08"):
        submit(db, world.a, e0, period, 100, electricity_kwh=10_000)
    submit(db, world.a, e0, "2025-09", 100, electricity_kwh=september)
    found = warnings_of(db, world, "2025-09", e0, "electricity_drop")
    assert bool(found) is fires
    if fires:
        assert found[0].values == {"value": 5500, "baseline_average": 10_000}
        assert "5,500千瓦时" in found[0].reason_zh and "-45.0%" in found[0].reason_en


def test_no_electricity_warning_in_the_spring_festival_month(db: Session, world: World) -> None:
    e0 = world.a.enterprise_ids[0]
    for period in ("2025-11", "2025-12", "2026-01"):
        submit(db, world.a, e0, period, 100, electricity_kwh=10_000)
    submit(db, world.a, e0, "2026-02", 60, electricity_kwh=4000)  # the Spring Festival was on 17 February 2026
    assert spring_festival_month(2026) == month("2026-02")
    assert warnings_of(db, world, "2026-02", e0, "electricity_drop") == []


@pytest.mark.parametrize(("september", "fires"), [(0, True), (1, False)])
def test_output_dropping_to_zero(db: Session, world: World, september: float, fires: bool) -> None:
    e0 = world.a.enterprise_ids[0]
    submit(db, world.a, e0, "2025-08", 50)
    submit(db, world.a, e0, "2025-09", september, electricity_kwh=3000)
    found = warnings_of(db, world, "2025-09", e0, "figure_zero")
    assert [w.figure for w in found] == (["output_value_wan_yuan"] if fires else [])


def test_submissions_stopping(db: Session, world: World) -> None:
    e1 = world.a.enterprise_ids[1]
    series(db, world.a, e1, {"2025-05": 50, "2025-06": 50, "2025-07": 50})
    (stopped,) = warnings_of(db, world, "2025-09", e1, "submissions_stopped")
    assert stopped.values == {"missing": ["2025-08-01", "2025-09-01"], "last_period": "2025-07-01"}
    assert "连续2个月未报送" in stopped.reason_zh and "2025年7月" in stopped.reason_zh
    # one month missing is not yet a warning; nor is an enterprise that never submitted
    assert warnings_of(db, world, "2025-08", e1, "submissions_stopped") == []
    assert warnings_of(db, world, "2025-09", world.a.enterprise_ids[0], "submissions_stopped") == []


def test_dashboard_warnings_match_the_warnings_endpoint(db: Session, world: World) -> None:
    e0 = world.a.enterprise_ids[0]
    series(db, world.a, e0, {"2024-08": 100, "2024-09": 100, "2025-08": 50, "2025-09": 50})
    d = monitoring.dashboard(db, scope=admin(world.a), period=month("2025-09"))
    assert d.warnings == monitoring.warnings(db, scope=admin(world.a), period=month("2025-09"))
    assert {w.rule for w in d.warnings} >= {"output_yoy_drop"}


# -- access ----------------------------------------------------------------------------------------------------
def test_who_sees_the_dashboard(db: Session, world: World) -> None:
    a, b = world.a, world.b
    submit(db, a, a.enterprise_ids[0], "2025-03", 100)
    submit(db, b, b.enterprise_ids[0], "2025-03", 7)
    assert (
        output(monitoring.dashboard(db, scope=scope_of(a, Role.REVIEWER), period=month("2025-03"))).month_total == 100
    )
    assert output(monitoring.dashboard(db, scope=scope_of(a, Role.OPERATOR))).month_total == 100  # latest month
    for role in (Role.ENTERPRISE, Role.RESIDENT):
        with pytest.raises(PermissionDenied):
            monitoring.dashboard(db, scope=scope_of(a, role, a.enterprise_ids[0]))
    with pytest.raises(NotFound):
        monitoring.dashboard(db, scope=admin(b), park_id=a.park_id)
    assert output(monitoring.dashboard(db, scope=admin(b), period=month("2025-03"))).month_total == 7


def test_a_reviewer_of_several_parks_names_the_park(db: Session, world: World) -> None:
    a, b = world.a, world.b
    submit(db, b, b.enterprise_ids[0], "2025-03", 7)
    reviewer = Scope.for_user(
        role=Role.REVIEWER,
        username="economy-test-auditor",
        user_id=None,
        park_id=None,
        extra_parks=frozenset({a.park_id, b.park_id}),
    )
    with pytest.raises(ValidationFailed):  # two readable parks and no own one: no guess
        monitoring.dashboard(db, scope=reviewer, period=month("2025-03"))
    found = monitoring.dashboard(db, scope=reviewer, period=month("2025-03"), park_id=b.park_id)
    assert output(found).month_total == 7
