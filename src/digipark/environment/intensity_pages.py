"""The solid waste intensity page (源头减量): general industrial solid waste generated per 万元 of output, per
enterprise and month over twelve months, the park's, and the enterprises whose intensity worsens
(environment/intensity.py). An enterprise sees only its own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from digipark.core.errors import NotFound, field_error
from digipark.environment import intensity
from digipark.environment.pages import _tabs
from digipark.web.shell import CurrentPage

router = APIRouter(include_in_schema=False)


@router.get("/environment/waste/intensity", response_class=HTMLResponse, name="environment_waste_intensity")
def intensity_page(
    page: CurrentPage, last: Annotated[dt.date | None, Query(description="any day of the window's last month")] = None
) -> HTMLResponse:
    page.scope.require(intensity.VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    if last is not None and not 2000 <= last.year <= 2100:
        raise field_error("last", "a month of the years 2000 to 2100")
    made = intensity.waste_intensity(page.db, scope=page.scope, park_id=page.park.id, last=last)
    park_row, rows = made if made else (None, [])
    return page.render(
        "environment/intensity.html",
        {
            "tabs": _tabs(page, "intensity"),
            "park_row": park_row,
            "rows": rows,
            "worsening": [r for r in rows if r.worsening],
            "threshold": intensity.WORSENING_PCT,
            "last": park_row.months[-1] if park_row else None,
            "first": park_row.months[0] if park_row else None,
        },
    )
