"""Working days in mainland China: weekends, the public holidays and the weekend days worked instead (调休), read
from `data/holidays_cn.yaml` (the State Council's yearly notices, with their sources). Deadlines of approval steps
are counted in these working days and end at the close of the last one (Asia/Shanghai)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import zoneinfo
from pathlib import Path
from typing import Any

import yaml

from digipark.core.config import get_settings

DATA = Path(__file__).with_name("data") / "holidays_cn.yaml"
DAY_ENDS = dt.time(23, 59, 59)


@dataclasses.dataclass(frozen=True)
class WorkingCalendar:
    off: frozenset[dt.date]
    work: frozenset[dt.date]
    years: dict[int, str]  # year -> the notice it comes from

    def covers(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.work:
            return True
        return day not in self.off and day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (`start` itself does not count, as 自受理之日起 N 个工作日)."""
        day, left = start, days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def deadline(self, opened_at: dt.datetime, days: int) -> dt.datetime:
        """The moment (UTC) a step opened at `opened_at` with `days` working days falls due."""
        zone = zoneinfo.ZoneInfo(get_settings().timezone)
        local = opened_at.astimezone(zone).date()
        due = dt.datetime.combine(self.add_working_days(local, days), DAY_ENDS, tzinfo=zone)
        return due.astimezone(dt.UTC)


def _dates(value: Any) -> list[dt.date]:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, dt.date) for v in value):
        first, last = value
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [value]


@functools.cache
def china() -> WorkingCalendar:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    off: set[dt.date] = set()
    work: set[dt.date] = set()
    years: dict[int, str] = {}
    for year, entry in raw["years"].items():
        years[int(year)] = entry["source"]
        for span in entry["holidays"]:
            off.update(_dates(span))
        work.update(entry.get("workdays", []))
    return WorkingCalendar(frozenset(off), frozenset(work), years)
