"""Energy operations beyond the bill, on the database: the park's 能耗双控 view (automation/dualcontrol.py, from the
energy domain's accounts and the economy's output values), the PV, storage and charging site's year
(automation/site.py against the park's tariff) with a storage dispatch suggestion for a day, and the monthly
output-value forecasts (automation/outlook.py).

Who sees what: the 双控 view, the site and the park's forecast are the park's figures (`energyops.read`); an
enterprise reads its own output forecast (`energyops.view`, limited to itself)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation import dualcontrol, outlook, site, site_records, storage
from digipark.automation.ops import READ, VIEW
from digipark.automation.service import working_day, zone
from digipark.core.errors import NotFound, field_error
from digipark.economy.provides import output_value_by_enterprise_month
from digipark.energy.provides import minute_bands, park_summary, tariff_for

_SITES: dict[tuple[int, tuple[float, ...]], site.SiteYear] = {}


def today() -> dt.date:
    return dt.datetime.now(zone()).date()


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise field_error("year", "a year from 2000 to 2100")
    return year


def _monthly_output(session: Session, scope: Scope, park_id: int, year: int) -> list[float]:
    rows = output_value_by_enterprise_month(
        session, scope=scope, park_id=park_id, start=dt.date(year, 1, 1), end=dt.date(year, 12, 1)
    )
    months = [0.0] * 12
    for (_ident, month), value in rows.items():
        months[month.month - 1] += value
    return months


def dual_control(session: Session, *, scope: Scope, year: int) -> dualcontrol.DualControl:
    """The park's 能耗双控 of `year` (months up to the current one for this year)."""
    scope.require(READ)
    park_id = scope.acting_park(None)
    now = park_summary(session, scope=scope, park_id=park_id, year=_year(year))
    before = park_summary(session, scope=scope, park_id=park_id, year=year - 1)
    current = today()
    months = 12 if year < current.year else (current.month if year == current.year else 0)
    return dualcontrol.view(
        year,
        [m.tce_equivalent for m in now.months],
        _monthly_output(session, scope, park_id, year),
        [m.tce_equivalent for m in before.months],
        _monthly_output(session, scope, park_id, year - 1),
        [(r.enterprise_id, r.name, r.tce_equivalent, r.tce_per_wan_yuan) for r in now.ranking],
        months=months,
    )


def hourly_prices(session: Session, park_id: int, on: dt.date) -> list[float]:
    """The mean price of each hour of the day in the park's tariff in force on `on`."""
    tariff = tariff_for(session, park_id, on)
    bands = minute_bands(tariff.periods)
    return [sum(float(tariff.prices.get(bands[h * 60 + m], 0.0)) for m in range(60)) / 60 for h in range(24)]


def site_year(session: Session, *, scope: Scope, year: int) -> site.SiteYear:
    """The PV, storage and charging site's year (synthetic, see automation/site.py); kept per park and prices."""
    scope.require(READ)
    park_id = scope.acting_park(None)
    prices = hourly_prices(session, park_id, dt.date(_year(year), 7, 1))
    key = (park_id, (float(year), *prices))
    found = _SITES.get(key)
    if found is None:
        days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366)]
        working = [d for d in days if d.year == year and working_day(d)]
        found = site.site_year(year, prices, working, seed=park_id)
        if len(_SITES) > 8:
            _SITES.clear()
        _SITES[key] = found
    return found


def site_records_year(session: Session, *, scope: Scope, year: int) -> site_records.SiteRecords | None:
    """The site's year from the stored telemetry of the park's PV inverters, batteries and charging piles (see
    automation/site_records.py); None when the park has none the caller may read (then the synthetic year is the
    fallback)."""
    scope.require(READ)
    park_id = scope.acting_park(None)
    prices = hourly_prices(session, park_id, dt.date(_year(year), 7, 1))
    fee = float(site.site_data()["charging"]["service_fee_yuan_per_kwh"])
    return site_records.records_year(
        session,
        scope=scope,
        park_id=park_id,
        year=year,
        prices=prices,
        service_fee=fee,
        until=dt.datetime.now(zone()),
    )


def dispatch_suggestion(session: Session, *, scope: Scope, day: dt.date) -> dict[str, Any]:
    """Tomorrow's (or `day`'s) storage schedule against the tariff: the LP of automation/storage.py on the site's
    expected load and PV of that day (a clear-sky day's PV, weather factor 1)."""
    scope.require(READ)
    park_id = scope.acting_park(None)
    prices = hourly_prices(session, park_id, day)
    pv = site.pv_day(day, 1.0)
    load = site.load_day(day, working_day(day))
    unit = site.battery()
    plan = storage.dispatch(prices, load, unit, pv_kw=pv, initial_soc_kwh=unit.min_soc * unit.capacity_kwh)
    return {
        "day": day,
        "prices": prices,
        "load_kw": load,
        "pv_kw": pv,
        "charge_kw": plan.charge_kw,
        "discharge_kw": plan.discharge_kw,
        "soc_kwh": plan.soc_kwh,
        "grid_kw": plan.grid_kw,
        "cost_before": plan.cost_before,
        "cost_after": plan.cost_after,
        "saving": plan.saving,
        "cycles": plan.cycles,
        "battery": {"capacity_kwh": unit.capacity_kwh, "power_kw": unit.power_kw},
    }


def output_forecast(
    session: Session, *, scope: Scope, enterprise_id: int | None = None, last: dt.date | None = None
) -> outlook.OutputForecast | None:
    """The monthly output-value forecast of the park (staff, reviewers) or of one enterprise (an enterprise: its
    own), from the months up to the last complete one."""
    scope.require(VIEW)
    if not scope.can(READ):
        if scope.enterprise_id is None:
            raise NotFound("no enterprise of yours")
        if enterprise_id is not None and enterprise_id != scope.enterprise_id:
            raise NotFound(f"enterprise {enterprise_id} not found")
        enterprise_id = scope.enterprise_id
    park_id = scope.acting_park(None)
    current = today().replace(day=1)
    end = last or (current - dt.timedelta(days=1))
    return outlook.output_forecast(session, scope=scope, park_id=park_id, last=end, enterprise_id=enterprise_id)
