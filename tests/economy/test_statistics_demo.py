"""The demo's statistics generator: five years per reporting enterprise, growth, the Spring Festival dip,
electricity consistent with output, declining enterprises and missing submissions, archive facts, one audit
entry for the bulk seed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.economy.demo_statistics import generate_statistics
from digipark.economy.models import MonthlyStatistic, Product
from digipark.economy.monitoring_query import spring_festivals
from digipark.registry.models import Enterprise
from tests.conftest import World

AS_OF = dt.date(2026, 10, 31)


def test_generated_statistics_look_like_a_park(db: Session, world: World) -> None:
    a = world.a
    for enterprise in db.scalars(select(Enterprise).where(Enterprise.park_id == a.park_id)):
        enterprise.employees = 400
    db.flush()
    counts = generate_statistics(db, park_id=a.park_id, as_of=AS_OF, seed=7)
    rows = db.scalars(select(MonthlyStatistic).where(MonthlyStatistic.park_id == a.park_id)).all()
    assert counts["monthly_statistics"] == len(rows) and counts["products"] >= 2
    by_enterprise: dict[int, dict[dt.date, MonthlyStatistic]] = defaultdict(dict)
    for row in rows:
        by_enterprise[row.enterprise_id][row.period] = row
    periods = {p for months in by_enterprise.values() for p in months}
    assert min(periods) == dt.date(2021, 11, 1) and max(periods) == dt.date(2026, 10, 1)
    assert sorted(len(m) for m in by_enterprise.values()) == [59, 60]  # one has not yet submitted October
    declining = next(e for e, m in by_enterprise.items() if len(m) == 60)  # the park's only 规上 one: it declines
    months = by_enterprise[declining]
    # growth: the year before the decline is above the first full year
    assert sum(months[dt.date(2025, m, 1)].output_value_wan_yuan for m in range(1, 13)) > sum(
        months[dt.date(2022, m, 1)].output_value_wan_yuan for m in range(1, 13)
    )
    # the Spring Festival dip: the festival's month is below the month after it
    for year in (2022, 2023, 2024, 2025, 2026):
        festival = spring_festivals()[year].replace(day=1)
        after = dt.date(year, 3, 1)
        assert months[festival].output_value_wan_yuan < 0.85 * months[after].output_value_wan_yuan, year
    # electricity follows output; the decline of the last months shows year on year
    for row in months.values():
        assert 200 < row.electricity_kwh / max(row.output_value_wan_yuan, 1) < 1000
    assert months[dt.date(2026, 10, 1)].output_value_wan_yuan < 0.7 * months[dt.date(2025, 10, 1)].output_value_wan_yuan
    seed = db.scalars(select(AuditEntry).where(AuditEntry.action == "seed")).all()
    assert len(seed) == 1 and seed[0].after is not None and seed[0].after["monthly_statistics"] == len(rows)
    assert db.scalar(select(Product.id).where(Product.park_id == a.park_id)) is not None
