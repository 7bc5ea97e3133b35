"""Discharge of many (concentration, flow) pairs read at once, and the months that are over kept per pair
(environment.pollution.discharge_of_pairs): the same figures as one pair at a time, kept until forgotten."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy.orm import Session

from digipark.environment import pollution
from tests.conftest import World
from tests.environment.helpers import wastewater_points, write

DAY = dt.date(2026, 3, 10)  # March is over on NOW; April is the current month
NOW = dt.datetime(2026, 4, 20, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    pollution.forget_discharges()
    with time_machine.travel(NOW, tick=False):
        yield
    pollution.forget_discharges()


def _pairs(points: dict[str, int], identity: tuple[object, ...] | None) -> list[pollution.DischargePair]:
    return [
        pollution.DischargePair(points["cod_mgl"], points["flow_m3h"], 1, 1, identity),
        pollution.DischargePair(points["nh3n_mgl"], points["flow_m3h"], 1, 1, identity),
    ]


def test_pairs_read_together_give_what_each_gives_alone(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    write(db, points["cod_mgl"], DAY, {0: 80.0, 1: 100.0})
    write(db, points["nh3n_mgl"], DAY, {0: 10.0})
    write(db, points["flow_m3h"], DAY, {0: 10.0, 1: 20.0})
    write(db, points["cod_mgl"], dt.date(2026, 4, 2), {3: 50.0})  # the current month
    write(db, points["flow_m3h"], dt.date(2026, 4, 2), {3: 4.0})
    cod, nh3n = _pairs(points, None)
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


def test_months_that_are_over_are_kept_until_forgotten_the_current_month_never(db: Session, world: World) -> None:
    points = wastewater_points(db, world.a)
    write(db, points["cod_mgl"], DAY, {0: 80.0})
    write(db, points["flow_m3h"], DAY, {0: 10.0})
    kept, _ = _pairs(points, ("test", 1))
    unkept, _ = _pairs(points, None)
    assert pollution.discharge_of_pairs(db, [kept], 2026)[kept][2] == pytest.approx(800.0)
    write(db, points["cod_mgl"], DAY, {1: 100.0})  # a late reading of March
    write(db, points["flow_m3h"], DAY, {1: 20.0})
    write(db, points["cod_mgl"], dt.date(2026, 4, 2), {3: 50.0})  # and one of April
    write(db, points["flow_m3h"], dt.date(2026, 4, 2), {3: 4.0})
    again = pollution.discharge_of_pairs(db, [kept], 2026)[kept]
    assert again[2] == pytest.approx(800.0)  # March as kept
    assert again[3] == pytest.approx(200.0)  # April read afresh
    assert pollution.discharge_of_pairs(db, [unkept], 2026)[unkept][2] == pytest.approx(2800.0)  # no identity
    pollution.forget_discharges()
    assert pollution.discharge_of_pairs(db, [kept], 2026)[kept][2] == pytest.approx(2800.0)
