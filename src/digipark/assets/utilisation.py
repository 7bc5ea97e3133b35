"""Utilisation of assets (the guide: 提高园区设备设施利用效率): the hours each machine ran — the daily run hours its
condition days carry, read from its run-hours counter — against the hours it was available (the days of the
window it was in service × 24), per asset and pooled per class, and the idle machines: in service, with run-hours
data, and running less than `IDLE_SHARE` of their available hours. A machine the park shares as a bookable service
(its `offering_id`) also counts its booked hours (read through `services.provides`); its use is the larger of the
hours it ran and the hours it was booked (booked time is occupied even when the machine stands)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets.models import Asset, ConditionDay, LifecycleState
from digipark.auth.scope import Scope
from digipark.services.provides import booked_hours

WINDOW_DAYS = 30
IDLE_SHARE = 0.05  # running less than this share of the available hours: idle
IN_USE = (LifecycleState.IN_SERVICE.value, LifecycleState.UNDER_MAINTENANCE.value)


@dataclasses.dataclass(frozen=True)
class Utilisation:
    run_hours: float
    available_hours: float
    booked_hours: float = 0.0

    @property
    def used_hours(self) -> float:
        return max(self.run_hours, self.booked_hours)

    @property
    def share(self) -> float | None:
        return self.used_hours / self.available_hours if self.available_hours > 0 else None

    @property
    def idle(self) -> bool:
        return self.share is not None and self.share < IDLE_SHARE

    def __add__(self, other: Utilisation) -> Utilisation:
        return Utilisation(
            self.run_hours + other.run_hours,
            self.available_hours + other.available_hours,
            self.booked_hours + other.booked_hours,
        )


def of_park(
    session: Session, *, scope: Scope, park_id: int, until: dt.date, days: int = WINDOW_DAYS
) -> list[tuple[Asset, Utilisation]]:
    """Each in-use asset of the park with run-hours data in the `days` up to `until`, by code."""
    since = until - dt.timedelta(days=days - 1)
    ran = dict(
        session.execute(
            select(ConditionDay.asset_id, func.sum(ConditionDay.run_hours))
            .where(
                scope.condition(ConditionDay),
                ConditionDay.park_id == park_id,
                ConditionDay.day >= since,
                ConditionDay.day <= until,
                ConditionDay.run_hours.is_not(None),
            )
            .group_by(ConditionDay.asset_id)
        ).all()
    )
    shared: dict[int, int] = {
        int(asset_id): int(offering_id or 0)
        for asset_id, offering_id in session.execute(
            select(Asset.id, Asset.offering_id).where(
                scope.condition(Asset),
                Asset.park_id == park_id,
                Asset.offering_id.is_not(None),
                Asset.state.in_(IN_USE),
            )
        )
    }
    start_at = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    end_at = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    booked = booked_hours(
        session, park_id=park_id, offering_ids=sorted(set(shared.values())), since=start_at, until=end_at
    )
    found: list[tuple[Asset, Utilisation]] = []
    assets = session.scalars(
        scope.readable(Asset)
        .where(Asset.park_id == park_id, Asset.id.in_([*ran, *shared]), Asset.state.in_(IN_USE))
        .order_by(Asset.code)
    )
    for asset in assets:
        start = max(since, asset.in_service_on or since)
        available = max(0, (until - start).days + 1) * 24.0
        hours = booked.get(shared[asset.id], 0.0) if asset.id in shared else 0.0
        found.append((asset, Utilisation(float(ran.get(asset.id) or 0.0), available, round(hours, 2))))
    return found


def by_class(figures: list[tuple[Asset, Utilisation]]) -> dict[int, Utilisation]:
    """The figures pooled per class, by class id."""
    pooled: dict[int, Utilisation] = {}
    for asset, figure in figures:
        pooled[asset.class_id] = pooled.get(asset.class_id, Utilisation(0.0, 0.0)) + figure
    return pooled
