"""Reliability of assets from their recorded failures and repair work orders: MTBF (mean operating time between
failures) and MTTR (mean time to restoration), per asset and per asset class, in hours — the measures of
IEC 60050-192 (dependability vocabulary), estimated as usual from field records:

- operating time: calendar hours in service within the window (from the later of the window's start and the
  asset's in-service day, to the window's end) less the hours its failures were under repair;
- MTBF = operating time / number of failures in the window (none without a failure);
- MTTR = mean of (completed − reported) over the failures whose repair order is completed (read through
  `workorders.provides`); a class's figures pool its assets' operating time, failures and repairs.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from digipark.assets.models import Asset, Failure
from digipark.auth.scope import Scope
from digipark.core.errors import NotFound
from digipark.workorders.provides import read_order

HOURS_PER_DAY = 24.0


@dataclasses.dataclass(frozen=True)
class Reliability:
    operating_hours: float
    failures: int
    repairs: int  # failures with a completed repair order
    repair_hours: float

    @property
    def mtbf_hours(self) -> float | None:
        return round(self.operating_hours / self.failures, 1) if self.failures else None

    @property
    def mttr_hours(self) -> float | None:
        return round(self.repair_hours / self.repairs, 2) if self.repairs else None

    def __add__(self, other: Reliability) -> Reliability:
        return Reliability(
            self.operating_hours + other.operating_hours,
            self.failures + other.failures,
            self.repairs + other.repairs,
            self.repair_hours + other.repair_hours,
        )


NONE = Reliability(0.0, 0, 0, 0.0)


def repair_hours(session: Session, *, scope: Scope, failure: Failure) -> float | None:
    """Hours from reporting to completing the failure's repair order; None while it is not completed."""
    if failure.repair_order_id is None:
        return None
    try:
        order = read_order(session, scope=scope, ident=failure.repair_order_id)
    except NotFound:
        return None
    if order.completed_at is None:
        return None
    return max(0.0, (order.completed_at - order.reported_at).total_seconds() / 3600)


def of_asset(
    session: Session,
    *,
    scope: Scope,
    asset: Asset,
    until: dt.date,
    since: dt.date | None = None,
    failures: builtins.list[Failure] | None = None,
) -> Reliability:
    """The asset's reliability over [since, until] (since: its in-service day)."""
    if asset.in_service_on is None or asset.in_service_on > until:
        return NONE
    start = max(asset.in_service_on, since) if since is not None else asset.in_service_on
    if failures is None:
        failures = list(
            session.scalars(scope.readable(Failure).where(Failure.asset_id == asset.id).order_by(Failure.failed_on))
        )
    inside = [f for f in failures if start <= f.failed_on <= until]
    repairs = [h for h in (repair_hours(session, scope=scope, failure=f) for f in inside) if h is not None]
    calendar = (until - start).days * HOURS_PER_DAY
    return Reliability(max(0.0, calendar - sum(repairs)), len(inside), len(repairs), sum(repairs))


def by_class(
    session: Session, *, scope: Scope, park_id: int, until: dt.date, since: dt.date | None = None
) -> dict[int, Reliability]:
    """Each class's pooled reliability (of the park's assets the caller reads), by class id."""
    assets = list(session.scalars(scope.readable(Asset).where(Asset.park_id == park_id).order_by(Asset.id)))
    failures: dict[int, builtins.list[Failure]] = {}
    for failure in session.scalars(
        scope.readable(Failure).where(Failure.park_id == park_id).order_by(Failure.failed_on)
    ):
        failures.setdefault(failure.asset_id, []).append(failure)
    pooled: dict[int, Reliability] = {}
    for asset in assets:
        figures = of_asset(
            session, scope=scope, asset=asset, until=until, since=since, failures=failures.get(asset.id, [])
        )
        pooled[asset.class_id] = pooled.get(asset.class_id, NONE) + figures
    return pooled
