"""Parking fees by tariff: free minutes, started hours, the daily cap per local day across midnight, monthly
permits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from digipark.living.tariff import PermitPeriod, Tariff, parking_fee

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
TARIFF = Tariff(free_minutes=30, hourly_yuan=Decimal("5"), daily_cap_yuan=Decimal("30"))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_free_minutes_then_every_started_hour() -> None:
    assert parking_fee(TARIFF, at(2, 9), at(2, 9, 30)).total_yuan == 0
    assert parking_fee(TARIFF, at(2, 9), at(2, 9, 30)).free
    # past the free minutes the whole stay is charged, each started hour
    assert parking_fee(TARIFF, at(2, 9), at(2, 9, 31)).total_yuan == Decimal("5.00")
    assert parking_fee(TARIFF, at(2, 9), at(2, 11, 1)).total_yuan == Decimal("15.00")
    assert parking_fee(TARIFF, at(2, 9), at(2, 11)).total_yuan == Decimal("10.00")


def test_the_daily_cap() -> None:
    fee = parking_fee(TARIFF, at(2, 8), at(2, 20))
    assert fee.total_yuan == Decimal("30.00") and fee.days[0].capped


def test_across_midnight_each_local_day_is_charged_up_to_its_cap() -> None:
    # 22:00 to 01:30 the next day: 2 hours on the first day, 1.5 (2 started) on the second
    fee = parking_fee(TARIFF, at(2, 22), at(3, 1, 30))
    assert [(d.day.day, d.hours_charged, d.fee_yuan) for d in fee.days] == [
        (2, 2, Decimal("10.00")),
        (3, 2, Decimal("10.00")),
    ]
    assert fee.total_yuan == Decimal("20.00")
    # 10:00 to 18:00 the next day: a capped day, then another capped day
    long_stay = parking_fee(TARIFF, at(2, 10), at(3, 18))
    assert [d.fee_yuan for d in long_stay.days] == [Decimal("30.00"), Decimal("30.00")]
    # the days are local days: the same stay given in UTC is charged the same
    utc = parking_fee(TARIFF, at(2, 22).astimezone(dt.UTC), at(3, 1, 30).astimezone(dt.UTC))
    assert utc.total_yuan == fee.total_yuan and [d.day for d in utc.days] == [d.day for d in fee.days]


def test_a_monthly_permit_makes_its_days_free() -> None:
    march = PermitPeriod(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert parking_fee(TARIFF, at(2, 8), at(2, 20), permits=[march]).total_yuan == 0
    # a permit ending on the 2nd: the night of the 2nd is free, the morning of the 3rd is not
    to_second = PermitPeriod(dt.date(2026, 2, 3), dt.date(2026, 3, 2))
    fee = parking_fee(TARIFF, at(2, 22), at(3, 1, 30), permits=[to_second])
    assert [(d.permit, d.fee_yuan) for d in fee.days] == [(True, Decimal("0.00")), (False, Decimal("10.00"))]
    assert fee.total_yuan == Decimal("10.00")


def test_no_cap_and_a_bad_stay() -> None:
    uncapped = Tariff(free_minutes=0, hourly_yuan=Decimal("2.5"), daily_cap_yuan=None)
    assert parking_fee(uncapped, at(2, 0), at(2, 23, 59)).total_yuan == Decimal("60.00")
    with pytest.raises(ValueError):
        parking_fee(TARIFF, at(2, 10), at(2, 9))
