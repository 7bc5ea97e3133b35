"""When a subscription runs: a five-field cron expression read in the park's time zone (croniter), optionally
only on China's working days (the approvals' working calendar: weekends, public holidays and the weekend days
worked instead)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from digipark.approvals import provides as approvals
from digipark.core.config import get_settings

SEARCH_LIMIT = 400  # runs looked at for the next working day (over a year of a daily schedule)


def check_cron(expression: str) -> str | None:
    """None when `expression` is a valid five-field cron expression, else the reason."""
    if len(expression.split()) != 5:
        return "five fields: minute hour day-of-month month day-of-week"
    if not croniter.is_valid(expression):
        return "not a valid cron expression"
    return None


def next_run(
    expression: str, after: dt.datetime, *, working_days_only: bool = False, timezone: str | None = None
) -> dt.datetime | None:
    """The first run strictly after `after` (UTC in, UTC out), or None when none is found."""
    zone = zoneinfo.ZoneInfo(timezone or get_settings().timezone)
    calendar = approvals.working_calendar() if working_days_only else None
    try:
        runs = croniter(expression, after.astimezone(zone))
        for _ in range(SEARCH_LIMIT):
            local: dt.datetime = runs.get_next(dt.datetime)
            if calendar is None or calendar.is_working_day(local.date()):
                return local.astimezone(dt.UTC)
    except (CroniterBadCronError, CroniterBadDateError):
        return None
    return None
