"""The daily electricity demand forecast page (staff): per building or for the park, the next week's forecast
with its 80 % interval drawn over the last four weeks, and the backtest of Holt-Winters beside the weekly seasonal
naive baseline (automation/demand.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from digipark.automation import demand, ops, service
from digipark.core.errors import NotFound
from digipark.web.forecast_chart import forecast_chart
from digipark.web.shell import CurrentPage

router = APIRouter(include_in_schema=False)
CHART_DAYS = 28


@router.get("/energy-ops/demand", response_class=HTMLResponse, name="energy_ops_demand")
def demand_page(
    page: CurrentPage, building_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> HTMLResponse:
    page.scope.require(ops.READ)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    today = dt.datetime.now(service.zone()).date()
    made = demand.demand_forecast(page.db, scope=page.scope, until=today, building_id=building_id)
    choices = demand.buildings(page.db, scope=page.scope)
    chart = None
    if made is not None:
        r = made.result
        chart = forecast_chart(made.history[-CHART_DAYS:], r.values, r.low, r.high)
    return page.render(
        "automation/demand.html",
        {
            "made": made,
            "chart": chart,
            "buildings": choices,
            "building_id": building_id,
            "building_name": dict(choices).get(building_id or 0, ""),
            "backtest_days": demand.BACKTEST_DAYS,
            "usable_days": len(demand.usable(made.history)) if made else 0,
            "demand_min_days": demand.MIN_DAYS,
        },
    )
