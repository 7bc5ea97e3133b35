"""Parking: occupancy from the space sensors' newest readings, guidance to the nearest free car park, plate
events at a car park's gate charged by its tariff across midnight and with a monthly permit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from sqlalchemy import delete
from sqlalchemy.orm import Session

from digipark.living import parking, service
from digipark.living.schemas import GateEvent, PassCreate, PermitCreate
from digipark.living.visitors import create_pass
from digipark.telemetry.provides import PointLatest
from tests.conftest import World
from tests.living.helpers import car_park, scope_of

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _reading(db: Session, point_id: int, value: float) -> None:
    db.execute(delete(PointLatest).where(PointLatest.point_id == point_id))
    db.add(PointLatest(point_id=point_id, ts=1_700_000_000_000, value=value, quality=0))
    db.flush()


def test_occupancy_follows_the_sensors_and_guidance_picks_the_nearest_free(db: Session, world: World) -> None:
    near = car_park(db, world, code="PN", capacity=2, visitor_spaces=0, lon=120.600, lat=31.300)
    far = car_park(db, world, code="PF", capacity=5, visitor_spaces=0, lon=120.620, lat=31.300, sensors=False)
    first, second = world.a.point_ids[:2]
    _reading(db, first, 1.0)
    _reading(db, second, 0.0)
    operator = scope_of(db, "TA", "operator")
    by_code = {o.code: o for o in parking.occupancy(db, scope=operator)}
    assert (by_code["PN"].sensed, by_code["PN"].occupied, by_code["PN"].free) == (2, 1, 1)
    assert (by_code["PF"].occupied, by_code["PF"].free) == (0, 5)
    resident = scope_of(db, "TA", "resident")
    assert parking.guidance(db, scope=resident, lon=120.600, lat=31.300)[0].car_park_id == near.id
    _reading(db, second, 1.0)  # the near car park fills up
    assert parking.guidance(db, scope=resident, lon=120.600, lat=31.300)[0].car_park_id == far.id


def _plate(
    db: Session, car_park_id: int, direction: str, at: dt.datetime, plate: str = "苏E8888A"
) -> tuple[str, Decimal | None]:
    event = GateEvent(gate="p-gate", direction=direction, plate=plate, car_park_id=car_park_id, at=at)  # type: ignore[arg-type]
    answer = service.gate_event(db, scope=scope_of(db, "TA", "operator"), event=event)
    return answer.decision.value, answer.fee_yuan


def test_a_visitor_car_is_charged_across_midnight(db: Session, world: World) -> None:
    lot = car_park(db, world, visitor_spaces=2)
    entered = dt.datetime(2026, 5, 4, 22, 0, tzinfo=SHANGHAI)
    with time_machine.travel(entered - dt.timedelta(hours=1), tick=False):
        create_pass(
            db,
            scope=scope_of(db, "TA", "resident"),
            data=PassCreate(
                visitor_name="夜班访客",
                plate="苏E8888A",
                valid_from=entered,
                valid_until=entered + dt.timedelta(hours=8),
            ),
        )
    assert _plate(db, lot.id, "in", entered) == ("allowed", None)
    decision, fee = _plate(db, lot.id, "out", entered + dt.timedelta(hours=3, minutes=30))
    # 2 hours on the 4th, 1.5 started as 2 on the 5th, 5 yuan an hour
    assert (decision, fee) == ("allowed", Decimal("20.00"))


def test_a_monthly_permit_parks_free(db: Session, world: World) -> None:
    lot = car_park(db, world, visitor_spaces=2)
    entered = dt.datetime(2026, 5, 4, 8, 0, tzinfo=SHANGHAI)
    parking.PERMITS.create(
        db,
        scope=scope_of(db, "TA", "operator"),
        data=PermitCreate(
            plate="苏E7777B", car_park_id=lot.id, first_day=dt.date(2026, 5, 1), last_day=dt.date(2026, 5, 31)
        ),
    )
    with time_machine.travel(entered - dt.timedelta(hours=1), tick=False):
        create_pass(
            db,
            scope=scope_of(db, "TA", "resident"),
            data=PassCreate(
                visitor_name="月卡车", plate="苏E7777B", valid_from=entered, valid_until=entered + dt.timedelta(days=2)
            ),
        )
    _plate(db, lot.id, "in", entered, "苏E7777B")
    assert _plate(db, lot.id, "out", entered + dt.timedelta(hours=10), "苏E7777B") == ("allowed", Decimal("0.00"))
    # the same stay running into June: June's day is charged (capped)
    late = dt.datetime(2026, 5, 31, 20, 0, tzinfo=SHANGHAI)
    with time_machine.travel(late - dt.timedelta(hours=1), tick=False):
        create_pass(
            db,
            scope=scope_of(db, "TA", "resident"),
            data=PassCreate(
                visitor_name="月卡车", plate="苏E7777B", valid_from=late, valid_until=late + dt.timedelta(days=1)
            ),
        )
    _plate(db, lot.id, "in", late, "苏E7777B")
    assert _plate(db, lot.id, "out", late + dt.timedelta(hours=14), "苏E7777B") == ("allowed", Decimal("30.00"))
