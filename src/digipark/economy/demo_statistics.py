"""Five years of monthly statistics, qualifications, intellectual property and products for the demo park.

Every industrial enterprise of the park reports from the month after it was established up to the demo's
as_of month: a size from its employees and industry (economy/data/demo_statistics.yaml), annual growth of 3-12 %
with yearly and monthly noise, calendar seasonality and the Spring Festival dip (economy/data/
spring_festival.yaml), electricity consistent with output, and tax, profit, R&D and exports as shares of sales.
A few enterprises decline sharply in the last months (so the dashboard's early warnings fire) and a few have not
yet submitted the latest month.

The rows are inserted in bulk (`session.execute(insert(Model), rows)`), which bypasses the per-row audit hook;
ONE audit entry (action "seed") records what was generated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.core.db import utcnow
from digipark.economy.models import (
    IntellectualProperty,
    IPKind,
    MonthlyStatistic,
    Product,
    Qualification,
    QualificationKind,
    StatisticSource,
)
from digipark.economy.monitoring_query import spring_festivals
from digipark.registry.models import Enterprise

Progress = Callable[[str, int, int], None]
SEED_USER = "system:demo"


@cache
def _spec() -> dict[str, Any]:
    text = resources.files("digipark.economy").joinpath("data").joinpath("demo_statistics.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed demo data: economy/data/demo_statistics.yaml")
    return raw


def _month(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + period.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclasses.dataclass
class _Reporter:
    id: int
    name: str
    uscc: str
    division: str
    above_scale: bool
    employees: int
    established_on: dt.date | None
    growth: float = 0.0
    decline: str | None = None  # how it declines in the last months, see _decline
    skips_latest: bool = False


def _festival_factors(period: dt.date) -> tuple[float, float]:
    """(output, electricity) factors of the Spring Festival for a month."""
    spec = _spec()["spring_festival"]
    festival = spring_festivals().get(period.year)
    if festival is None or period.month not in (1, 2):
        return 1.0, 1.0
    if festival.month == period.month:
        return float(spec["output"]), float(spec["electricity"])
    late = festival.day >= 20 and festival.month == 1 and period.month == 2  # slow restart after a late festival
    early = festival.day <= 10 and festival.month == 2 and period.month == 1  # slowdown before an early one
    if late or early:
        return float(spec["neighbour"]), (1 + float(spec["neighbour"])) / 2
    return 1.0, 1.0


def _decline(kind: str | None, months_before_end: int) -> tuple[float, float, float]:
    """(output, electricity, tax) factors of a declining enterprise, `months_before_end` = 0 for the last month."""
    if kind is None:
        return 1.0, 1.0, 1.0
    if kind == "slump":  # orders lost: output and electricity halve over the last three months
        if months_before_end <= 2:
            return 0.5, 0.55, 0.45
    elif kind == "sudden":  # a sudden stop of a line in the last month: electricity and tax fall
        if months_before_end == 0:
            return 0.5, 0.45, 0.3
    elif kind == "shutdown":  # production stops in the last month: output zero, electricity base load
        if months_before_end == 0:
            return 0.0, 0.2, 0.1
        if months_before_end <= 2:
            return 0.75, 0.8, 0.7
    elif kind == "gradual" and months_before_end <= 3:  # a steady slide over four months
        factor = 0.8 - 0.1 * (3 - months_before_end)
        return factor, factor + 0.05, factor
    return 1.0, 1.0, 1.0


def _plan_reporters(session: Session, park_id: int, rng: random.Random) -> list[_Reporter]:
    spec = _spec()
    divisions = spec["divisions"]
    rows = session.execute(
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.industry_code,
            Enterprise.above_scale,
            Enterprise.employees,
            Enterprise.established_on,
        )
        .where(Enterprise.park_id == park_id, Enterprise.industrial.is_(True), Enterprise.status == "active")
        .order_by(Enterprise.id)
    ).all()
    low, high = (float(v) for v in spec["growth"])
    reporters = [
        _Reporter(
            id=r.id,
            name=r.name,
            uscc=r.uscc,
            division=r.industry_code[:2],
            above_scale=r.above_scale,
            employees=r.employees or 20,
            established_on=r.established_on,
            growth=rng.uniform(low, high),
        )
        for r in rows
        if r.industry_code[:2] in divisions
    ]
    big = [r for r in reporters if r.above_scale and (r.established_on is None or r.established_on.year < 2020)]
    kinds = ["slump", "sudden", "stopped", "shutdown", "gradual"]
    for reporter, kind in zip(rng.sample(big, min(int(spec["declining"]), len(big))), kinds, strict=False):
        reporter.decline = kind
    others = [r for r in reporters if r.decline is None]
    for reporter in rng.sample(others, min(int(spec["missing_latest"]), len(others))):
        reporter.skips_latest = True
    return reporters


def _statistics_rows(
    reporters: list[_Reporter], last: dt.date, park_id: int, rng: random.Random, report: Callable[[int], None]
) -> list[dict[str, Any]]:
    spec = _spec()
    count = int(spec["months"])
    first = _month(last, -(count - 1))
    season = {int(k): float(v) for k, v in spec["season"].items()}
    summer = float(spec["electricity_summer"])
    year_noise, month_noise = float(spec["year_noise"]), float(spec["month_noise"])
    bump = float(spec["tax_quarter_bump"])
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for done, r in enumerate(reporters, start=1):
        d = spec["divisions"][r.division]
        productivity = float(d["output"]) * (1.0 if r.above_scale else float(spec["small_factor"]))
        current_annual = r.employees * productivity
        years = count / 12
        base_annual = current_annual / (1 + r.growth) ** years
        shocks = {year: rng.gauss(1.0, year_noise) for year in range(first.year, last.year + 1)}
        start = first
        if r.established_on is not None and r.established_on >= first:
            start = _month(r.established_on.replace(day=1), 1)
        margin = rng.uniform(0.6, 1.4) * float(d["margin"])
        for index in range(count):
            period = _month(first, index)
            if period < start:
                continue
            before_end = count - 1 - index
            if r.decline == "stopped" and before_end <= 1:
                continue
            if r.skips_latest and before_end == 0:
                continue
            ramp = min(1.0, 0.5 + 0.5 * ((period.year - start.year) * 12 + period.month - start.month) / 6)
            trend = base_annual / 12 * (1 + r.growth) ** (index / 12) * shocks[period.year] * ramp
            festival_output, festival_electricity = _festival_factors(period)
            decline_output, decline_electricity, decline_tax = _decline(r.decline, before_end)
            output = max(0.0, trend * season[period.month] * festival_output * rng.gauss(1.0, month_noise))
            output *= decline_output
            sales = output * rng.uniform(0.92, 1.02)
            electricity = (
                trend
                * season[period.month]
                * float(d["kwh"])
                * (summer if period.month in (7, 8) else 1.0)
                * festival_electricity
                * decline_electricity
                * rng.gauss(1.0, 0.03)
            )
            tax = sales * float(d["tax"]) * (bump if period.month in (1, 4, 7, 10) else 1.0) * rng.gauss(1.0, 0.12)
            if decline_output < 1 or decline_tax < 1:
                tax = trend * float(d["tax"]) * decline_tax
            employees = r.employees * (0.88 + 0.12 * index / count) * rng.gauss(1.0, 0.01)
            rows.append(
                {
                    "park_id": park_id,
                    "enterprise_id": r.id,
                    "period": period,
                    "output_value_wan_yuan": round(output, 1),
                    "sales_revenue_wan_yuan": round(sales, 1),
                    "tax_paid_wan_yuan": round(max(0.0, tax), 1),
                    "total_profit_wan_yuan": round(sales * margin * rng.gauss(1.0, 0.3), 1),
                    "employees": max(1, round(employees)),
                    "rnd_spending_wan_yuan": round(sales * float(d["rnd"]) * rng.uniform(0.7, 1.3), 1),
                    "electricity_kwh": round(max(0.0, electricity)),
                    "export_value_wan_yuan": round(output * float(d["export"]) * rng.uniform(0.6, 1.4), 1),
                    "source": StatisticSource.ONLINE.value if rng.random() < 0.8 else StatisticSource.IMPORT.value,
                    "revision": 0,
                    "submitted_by": SEED_USER,
                    "submitted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        report(done)
    return rows


def _certificate(rng: random.Random, prefix: str, year: int) -> str:
    return f"{prefix}{year}32{rng.randint(0, 9999):04d}{rng.randint(0, 99):02d}"


def _fact_rows(reporters: list[_Reporter], park_id: int, as_of: dt.date, rng: random.Random) -> dict[str, list[Any]]:
    spec = _spec()
    qual = spec["qualifications"]
    issuers = qual["issuers"]
    now = utcnow()
    stamp = {"park_id": park_id, "created_at": now, "updated_at": now}
    qualifications: list[dict[str, Any]] = []
    ip: list[dict[str, Any]] = []
    products: list[dict[str, Any]] = []
    tech = ("39", "38", "40", "35", "27", "26")
    ranked = sorted(reporters, key=lambda r: (not r.above_scale, r.division not in tech, rng.random()))
    high_tech = {r.id for r in ranked[: round(len(reporters) * float(qual["high_tech_share"]))]}
    candidates = [r for r in ranked if r.id in high_tech]
    giants = {r.id for r in candidates[: int(qual["little_giants"])]}
    specialized = {
        r.id
        for r in candidates[int(qual["little_giants"]) :][
            : round(len(reporters) * float(qual["specialized_sme_share"]))
        ]
    }
    for r in reporters:
        d = spec["divisions"][r.division]
        if r.id in high_tech:
            year = as_of.year - rng.randint(0, 3)  # certificates are valid three years; some have expired
            issued = dt.date(year, rng.choice((10, 11, 12)), rng.randint(1, 28))
            qualifications.append(
                {
                    **stamp,
                    "enterprise_id": r.id,
                    "kind": QualificationKind.HIGH_TECH.value,
                    "name": "高新技术企业",
                    "issuer": issuers["high_tech"],
                    "certificate_no": _certificate(rng, "GR", year),
                    "valid_from": issued,
                    "valid_to": issued.replace(year=issued.year + 3) - dt.timedelta(days=1),
                }
            )
        for ids, kind, name, issuer in (
            (specialized, QualificationKind.SPECIALIZED_SME, "江苏省专精特新中小企业", issuers["specialized_sme"]),
            (giants, QualificationKind.LITTLE_GIANT, '专精特新"小巨人"企业', issuers["little_giant"]),
        ):
            if r.id in ids:
                start = dt.date(as_of.year - rng.randint(0, 2), 7, 1)
                qualifications.append(
                    {
                        **stamp,
                        "enterprise_id": r.id,
                        "kind": kind.value,
                        "name": name,
                        "issuer": issuer,
                        "certificate_no": None,
                        "valid_from": start,
                        "valid_to": start.replace(year=start.year + 3) - dt.timedelta(days=1),
                    }
                )
        if not r.above_scale and rng.random() < float(qual["tech_sme_share"]):
            year = as_of.year - rng.randint(0, 1)
            qualifications.append(
                {
                    **stamp,
                    "enterprise_id": r.id,
                    "kind": QualificationKind.TECH_SME.value,
                    "name": "科技型中小企业",
                    "issuer": issuers["tech_sme"],
                    "certificate_no": f"{year}320507A0{rng.randint(0, 99999):05d}",
                    "valid_from": dt.date(year, 4, 1),
                    "valid_to": dt.date(year, 12, 31),
                }
            )
        own_products = rng.sample(d["products"], min(len(d["products"]), rng.randint(1, 3)))
        for name, unit in own_products:
            products.append(
                {
                    **stamp,
                    "enterprise_id": r.id,
                    "name": str(name),
                    "description": None,
                    "annual_output": float(round(r.employees * rng.uniform(0.5, 20))),
                    "unit": str(unit),
                }
            )
        patents = rng.randint(3, 15) if r.id in high_tech else rng.randint(0, 3)
        product = str(own_products[0][0])
        for n in range(patents):
            ip_kind = IPKind.INVENTION_PATENT if n % 3 == 0 else IPKind.UTILITY_MODEL
            year = rng.randint(max(2012, (r.established_on or dt.date(2010, 1, 1)).year + 1), as_of.year)
            granted = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
            if granted > as_of:
                granted = as_of
            invention = ip_kind == IPKind.INVENTION_PATENT
            digit = "1" if invention else "2"
            title = f"一种{product}的制备方法" if invention else f"一种{product}用检测装置"
            ip.append(
                {
                    **stamp,
                    "enterprise_id": r.id,
                    "kind": ip_kind.value,
                    "title": title if n < 2 else f"{title}（{n}）",
                    "number": f"ZL{year - rng.randint(1, 2)}{digit}{rng.randint(0, 9_999_999):07d}.{rng.randint(0, 9)}",
                    "granted_on": granted,
                }
            )
        if r.id in high_tech and rng.random() < 0.5:
            year = rng.randint(2019, as_of.year)
            ip.append(
                {
                    **stamp,
                    "enterprise_id": r.id,
                    "kind": IPKind.SOFTWARE_COPYRIGHT.value,
                    "title": f"{product}生产管理系统V{rng.randint(1, 3)}.0",
                    "number": f"{year}SR{rng.randint(0, 9_999_999):07d}",
                    "granted_on": dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                }
            )
        if r.id in giants:
            ip.append(
                {
                    **stamp,
                    "enterprise_id": r.id,
                    "kind": IPKind.STANDARD_GROUP.value,
                    "title": f"{product}通用技术要求",
                    "number": f"T/JSIA {rng.randint(1, 300):03d}-{as_of.year - 1}",
                    "granted_on": dt.date(as_of.year - 1, 9, 1),
                }
            )
    return {"qualification": qualifications, "intellectual_property": ip, "product": products}


def generate_statistics(
    session: Session, *, park_id: int, as_of: dt.date, seed: int, progress: Progress | None = None
) -> dict[str, int]:
    """Write the demo's statistics and archive facts for the park; returns the counts written."""
    rng = random.Random(f"{seed}:statistics")
    reporters = _plan_reporters(session, park_id, rng)
    last = as_of.replace(day=1)

    def report(done: int) -> None:
        if progress is not None and (done == len(reporters) or done % 20 == 0):
            progress("statistics", done, len(reporters))

    rows = _statistics_rows(reporters, last, park_id, rng, report)
    facts = _fact_rows(reporters, park_id, as_of, random.Random(f"{seed}:archive"))
    if rows:
        session.execute(insert(MonthlyStatistic), rows)
    for model, key in (
        (Qualification, "qualification"),
        (IntellectualProperty, "intellectual_property"),
        (Product, "product"),
    ):
        if facts[key]:
            session.execute(insert(model), facts[key])
    counts = {
        "monthly_statistics": len(rows),
        "qualifications": len(facts["qualification"]),
        "intellectual_property": len(facts["intellectual_property"]),
        "products": len(facts["product"]),
    }
    # bulk inserts bypass the per-row audit hook: one entry records the seed
    audit.record(
        session,
        action="seed",
        entity_type="monthly_statistic",
        park_id=park_id,
        after={
            **counts,
            "reporters": len(reporters),
            "first_period": _month(last, -(int(_spec()["months"]) - 1)).isoformat(),
            "last_period": last.isoformat(),
            "declining": sorted(r.id for r in reporters if r.decline),
            "missing_latest": sorted(r.id for r in reporters if r.skips_latest or r.decline == "stopped"),
        },
    )
    return counts
