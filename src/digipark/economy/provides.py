"""What the economy domain offers other domains: monthly statistics (submission, the reporting calendar, output
value per enterprise and month), the park's economic monitoring (and its workbook, `dashboard_xlsx`) and the
enterprise archive."""

from __future__ import annotations

from digipark.economy.archive import enterprise_archive
from digipark.economy.dashboard_workbook import dashboard_xlsx
from digipark.economy.land import land_allocation
from digipark.economy.monitoring import dashboard, enterprise_summary, warnings
from digipark.economy.monitoring_query import spring_festivals
from digipark.economy.statistics import (
    add_months,
    correct,
    missing_submissions,
    output_value_by_enterprise_month,
    send_reminders,
    submit,
)

__all__ = [
    "add_months",
    "correct",
    "dashboard",
    "dashboard_xlsx",
    "enterprise_archive",
    "enterprise_summary",
    "land_allocation",
    "missing_submissions",
    "output_value_by_enterprise_month",
    "send_reminders",
    "spring_festivals",
    "submit",
    "warnings",
]
