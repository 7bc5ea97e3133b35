"""The guide's indicator computed from the economy domain's records (declared in economy.module): S3.x statistics
reporting — the enterprises that owe last month's statistics (economy's rule) and submitted them."""

from __future__ import annotations

from digipark.economy import service as economy
from digipark.economy.statistics import add_months
from digipark.evaluation.provides import Computed, Gap, IndicatorContext, share


def statistics_reporting(ctx: IndicatorContext) -> Computed:
    """Enterprises that owe last month's statistics (economy's rule) and submitted them."""
    period = add_months(ctx.as_of.replace(day=1), -1)
    report = economy.missing_submissions(ctx.session, scope=ctx.scope, period=period, park_id=ctx.park_id)
    rows = []
    gaps = []
    for m in report.missing:
        rows.append(
            {
                "enterprise_id": m.enterprise_id,
                "enterprise": m.name,
                "uscc": m.uscc,
                "last_period": m.last_period.strftime("%Y-%m") if m.last_period else "",
                "reminders": m.reminders,
                "ok": False,
                "link": f"/enterprises/{m.enterprise_id}",
            }
        )
        gaps.append(Gap("enterprise", m.name, "report_statistics", m.enterprise_id, {"period": f"{period:%Y-%m}"}))
    return Computed(
        share(report.submitted, report.expected),
        report.submitted,
        report.expected,
        columns=["enterprise", "uscc", "last_period", "reminders", "ok"],
        rows=rows,
        gaps=gaps,
        note=f"{period:%Y-%m}",
    )
