"""Discharge of many (concentration, flow) pairs read at once, and the months that are over kept per pair in the
database (environment.pollution.discharge_of_pairs, environment.discharge_keeper): the same figures as one pair at a
time; a kept month read while its month rollups are unchanged, computed afresh the moment a late reading changes
them; the current month always read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy.orm import Session

from digipark.environment import discharge_keeper, pollution, service
from digipark.environment.models import KeptDischarge
from digipark.environment.schemas import FactorLink, OutletCreate, PermitQuotaCreate
from tests.conftest import World
from tests.environment.helpers import admin, wastewater_points, write

DAY = dt.date(2026, 3, 10)  # March is over on NOW; April is the current month
NOW = dt.datetime(2026, 4, 20, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _pairs(points: dict[str, int]) -> list[pollution.DischargePair]:
    return [
        pollution.DischargePair(points["cod_mgl"], points["flow_m3h"], 1, 1),
        pollution.DischargePair(points["nh3n_mgl"], points["flow_m3h"], 1, 1),
    ]


def test_pairs_read_together_give_what_each_gives_alone(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    write(db, points["cod_mgl"], DAY, {0: 80.0, 1: 100.0})
    write(db, points["nh3n_mgl"], DAY, {0: 10.0})
    write(db, points["flow_m3h"], DAY, {0: 10.0, 1: 20.0})
    write(db, points["cod_mgl"], dt.date(2026, 4, 2), {3: 50.0})  # the current month
    write(db, points["flow_m3h"], dt.date(2026, 4, 2), {3: 4.0})
    cod, nh3n = _pairs(points)
    together = pollution.discharge_of_pairs(db, [cod, nh3n], 2026)
    assert together[cod] == pollution.discharge_of_pairs(db, [cod], 2026)[cod]
    assert together[nh3n] == pollution.discharge_of_pairs(db, [nh3n], 2026)[nh3n]
    assert together[cod][2] == pytest.approx(80.0 * 10 + 100.0 * 20)  # March: Σ C × Q over the hours with both
    assert together[cod][3] == pytest.approx(50.0 * 4)  # April
    assert together[nh3n][2] == pytest.approx(10.0 * 10) and together[nh3n][3] == 0
    kg = pollution.discharge_by_month(
        db,
        concentration_point=cod.concentration_point,
        flow_point=cod.flow_point,
        year=2026,
        kg_per_unit=0.001,
        required_c=1,
        required_q=1,
    )
    assert kg[2] == pytest.approx(2.8) and kg[3] == pytest.approx(0.2)
    assert pollution.discharge_of_pairs(db, [], 2026) == {}


def _permit(db: Session, world: World, points: dict[str, int]) -> None:
    enterprise = world.a.enterprise_ids[0]
    links = [
        FactorLink(factor="cod", point_id=points["cod_mgl"]),
        FactorLink(factor="nh3n", point_id=points["nh3n_mgl"]),
        FactorLink(factor="water_flow", point_id=points["flow_m3h"]),
    ]
    outlet = OutletCreate(
        enterprise_id=enterprise, code="DW001", name="总排口", medium="water", standard="GB8978-1996-1", factors=links
    )
    service.create_outlet(db, scope=admin(world.a), data=outlet)
    quota = PermitQuotaCreate(enterprise_id=enterprise, permit_no="P-1", year=2026, factor="cod", annual=10)
    service.create_permit(db, scope=admin(world.a), data=quota)


def _keep(db: Session, pairs: list[pollution.DischargePair]) -> int:
    bounds, _, over = pollution.months_over(2026)
    return discharge_keeper.keep(db, pollution.past_months(db, pairs, bounds, over)[1])


def test_kept_months_are_read_while_their_rollups_hold_and_computed_the_moment_a_late_reading_changes_them(
    db: Session, world: World
) -> None:
    points = wastewater_points(db, world.a)
    write(db, points["cod_mgl"], DAY, {0: 80.0})
    write(db, points["flow_m3h"], DAY, {0: 10.0})
    cod, _ = _pairs(points)
    assert _keep(db, [cod]) == 3  # January, February and March are over
    assert _keep(db, [cod]) == 0  # nothing changed: nothing to keep again
    march = pollution.month_bounds(2026)[2]
    row = db.get(KeptDischarge, (cod.concentration_point, cod.flow_point, 1, 1, march))
    assert row is not None and row.total == pytest.approx(800.0)
    row.total = 123.0  # what was kept is what is read (nothing recomputed)
    db.flush()
    assert pollution.discharge_of_pairs(db, [cod], 2026)[cod][2] == 123.0
    write(db, points["cod_mgl"], DAY, {1: 100.0})  # a late reading of March changes its month rollups
    write(db, points["flow_m3h"], DAY, {1: 20.0})
    write(db, points["cod_mgl"], dt.date(2026, 4, 2), {3: 50.0})  # and one of April, the current month
    write(db, points["flow_m3h"], dt.date(2026, 4, 2), {3: 4.0})
    again = pollution.discharge_of_pairs(db, [cod], 2026)[cod]
    assert again[2] == pytest.approx(2800.0)  # March computed afresh, at once
    assert again[3] == pytest.approx(200.0)  # April read as it stands
    assert _keep(db, [cod]) == 1  # only March is kept again
    db.refresh(row)
    assert row.total == pytest.approx(2800.0)


def test_the_keeper_keeps_the_pairs_of_the_parks_permitted_quantities(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    write(db, points["cod_mgl"], DAY, {0: 80.0})
    write(db, points["flow_m3h"], DAY, {0: 10.0})
    _permit(db, world, points)
    fresh = discharge_keeper.due(db, park_id=world.a.park_id, now=NOW)
    assert {(f.pair.concentration_point, f.month) for f in fresh} >= {
        (points["cod_mgl"], pollution.month_bounds(2026)[2])
    }
    assert {f.pair.concentration_point for f in fresh} == {points["cod_mgl"]}  # only the permitted factor's pair
    discharge_keeper.keep(db, fresh)
    assert discharge_keeper.due(db, park_id=world.a.park_id, now=NOW) == []
    assert discharge_keeper.due(db, park_id=world.b.park_id, now=NOW) == []  # another park: none of these
    march = next(f for f in fresh if f.month == pollution.month_bounds(2026)[2])
    assert march.total == pytest.approx(800.0)
