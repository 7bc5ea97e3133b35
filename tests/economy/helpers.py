"""Shared helpers of the economy tests: scopes of park A's roles and statistics written through the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.economy import statistics
from digipark.economy.models import MonthlyStatistic
from digipark.economy.schemas import MonthlyStatisticCreate
from tests.conftest import ParkWorld


def scope_of(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role, username=f"economy-test-{role.value}", user_id=None, park_id=park.park_id, enterprise_id=enterprise
    )


def admin(park: ParkWorld) -> Scope:
    return scope_of(park, Role.PARK_ADMIN)


def figures(output: float, **overrides: Any) -> dict[str, Any]:
    """A plausible month: every other figure derived from the output unless given."""
    values: dict[str, Any] = {
        "output_value_wan_yuan": output,
        "sales_revenue_wan_yuan": output * 0.95,
        "tax_paid_wan_yuan": output * 0.05,
        "total_profit_wan_yuan": output * 0.08,
        "employees": 100,
        "rnd_spending_wan_yuan": output * 0.03,
        "electricity_kwh": output * 400,
        "export_value_wan_yuan": 0.0,
    }
    values.update(overrides)
    return values


def month(text: str) -> dt.date:
    return dt.date.fromisoformat(text + "-01")


def submit(
    db: Session, park: ParkWorld, enterprise: int, period: str, output: float, **overrides: Any
) -> MonthlyStatistic:
    data = MonthlyStatisticCreate(enterprise_id=enterprise, period=month(period), **figures(output, **overrides))
    return statistics.submit(db, scope=admin(park), data=data)


def series(db: Session, park: ParkWorld, enterprise: int, values: dict[str, float], **overrides: Any) -> None:
    for period, output in values.items():
        submit(db, park, enterprise, period, output, **overrides)
