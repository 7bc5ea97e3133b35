"""Parking fees by a car park's tariff: free minutes, an hourly rate (each started hour), a cap per calendar day
(Asia/Shanghai), and monthly permits that make the days they cover free. A stay across midnight is charged per
local day, each day up to the cap."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Tariff:
    free_minutes: int
    hourly_yuan: Decimal
    daily_cap_yuan: Decimal | None


@dataclasses.dataclass(frozen=True)
class PermitPeriod:
    """A monthly permit of the plate: free parking on the local days `first`..`last`."""

    first: dt.date
    last: dt.date


@dataclasses.dataclass(frozen=True)
class DayCharge:
    day: dt.date
    minutes: int
    hours_charged: int
    fee_yuan: Decimal
    permit: bool
    capped: bool


@dataclasses.dataclass(frozen=True)
class Fee:
    total_yuan: Decimal
    minutes: int
    free: bool  # within the free minutes
    days: tuple[DayCharge, ...]


def _segments(entered: dt.datetime, left: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[tuple[dt.date, float]]:
    """The stay cut at local midnights: (local day, minutes on it)."""
    start, end = entered.astimezone(zone), left.astimezone(zone)
    found: list[tuple[dt.date, float]] = []
    while start < end:
        midnight = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        stop = min(end, midnight)
        found.append((start.date(), (stop - start).total_seconds() / 60))
        start = stop
    return found


def parking_fee(
    tariff: Tariff,
    entered: dt.datetime,
    left: dt.datetime,
    *,
    permits: Sequence[PermitPeriod] = (),
    timezone: str = "Asia/Shanghai",
) -> Fee:
    if left < entered:
        raise ValueError("a stay cannot end before it began")
    minutes = math.ceil((left - entered).total_seconds() / 60)
    if minutes <= tariff.free_minutes:
        return Fee(Decimal("0.00"), minutes, True, ())
    days: list[DayCharge] = []
    for day, day_minutes in _segments(entered, left, zoneinfo.ZoneInfo(timezone)):
        hours = math.ceil(day_minutes / 60 - 1e-9)
        covered = any(p.first <= day <= p.last for p in permits)
        fee = Decimal(hours) * tariff.hourly_yuan
        capped = tariff.daily_cap_yuan is not None and fee > tariff.daily_cap_yuan
        if capped and tariff.daily_cap_yuan is not None:
            fee = tariff.daily_cap_yuan
        if covered:
            fee = Decimal(0)
        days.append(DayCharge(day, round(day_minutes), hours, fee.quantize(Decimal("0.01")), covered, capped))
    total = sum((d.fee_yuan for d in days), Decimal(0)).quantize(Decimal("0.01"))
    return Fee(total, minutes, False, tuple(days))
