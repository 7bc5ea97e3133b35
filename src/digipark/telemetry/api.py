"""REST API of telemetry reads (thin: parse, call telemetry.query, shape): series of a point, of many points, a
park's sum over points of one quantity, latest values, CSV/Excel export of a series.

Times (`from`, `to`) are ISO-8601 (without offset: local time, settings.timezone) or epoch milliseconds; the
range is [from, to). A point the caller may not read answers 404, as does a park outside its scope.
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

import re
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import Field

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core import spreadsheet
from digipark.core.errors import field_error
from digipark.telemetry import query
from digipark.telemetry.schemas import LatestList, SeriesList, SeriesRead, SeriesRequest

router = APIRouter(prefix="/api/v1")
SERIES: list[str | Enum] = ["telemetry: series"]
LATEST: list[str | Enum] = ["telemetry: latest values"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
TIME_HELP = "ISO-8601 (2026-03-01T08:00+08:00; no offset: local time) or epoch milliseconds"
From = Annotated[str, Query(alias="from", max_length=40, description=TIME_HELP)]
To = Annotated[str, Query(max_length=40, description=TIME_HELP + "; exclusive")]
ResolutionParam = Annotated[str, Query(max_length=10, description="auto (default), raw, 15m, 1h, 1d or 1mo")]
AggParam = Annotated[
    str | None,
    Query(
        max_length=10,
        description="avg, min, max, sum, count, first, last, delta; default delta for cumulative meters, else avg",
    ),
]
FormatParam = Annotated[str, Query(max_length=10, description="json (default), csv or xlsx")]
PointId = Annotated[int, Field(ge=1, le=2**31 - 1)]
PointIds = Annotated[list[PointId], Query(alias="point_id", description="repeat for several points")]
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}, spreadsheet.XLSX_MEDIA_TYPE: {}}}
}


def _times(from_: str, to: str) -> tuple[int, int]:
    start, end = query.parse_time(from_, "from"), query.parse_time(to, "to")
    query.check_range(start, end)
    return start, end


def _check_format(fmt: str) -> str:
    if fmt not in ("json", "csv", "xlsx"):
        raise field_error("format", f"unknown format {fmt!r}; use json, csv or xlsx")
    return fmt


def _respond(series: query.Series, fmt: str, filename: str) -> Any:
    if fmt == "json":
        return SeriesRead.model_validate(series, from_attributes=True)
    headers, rows = query.export_headers(series), query.export_rows(series)
    if fmt == "csv":
        content, media_type = spreadsheet.write_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        workbook = spreadsheet.new_workbook()
        spreadsheet.add_table_sheet(workbook, "series", headers, rows)
        content, media_type = spreadsheet.save(workbook), spreadsheet.XLSX_MEDIA_TYPE
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'}
    )


@router.get("/points/latest", response_model=LatestList, tags=LATEST)
def points_latest(db: DbSession, scope: CurrentScope, point_ids: PointIds) -> Any:
    """The newest reading of each point (good or bad); null ts: the point never reported."""
    return {"items": query.latest_values(db, scope=scope, point_ids=point_ids)}


@router.get("/devices/{ident}/latest", response_model=LatestList, tags=LATEST)
def device_latest(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """The newest reading of each point of a device."""
    return {"items": query.device_latest(db, scope=scope, device_id=ident)}


@router.get("/points/{ident}/series", response_model=SeriesRead, tags=SERIES, responses=EXPORT_RESPONSES)
def point_series(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    from_: From,
    to: To,
    resolution: ResolutionParam = "auto",
    agg: AggParam = None,
    format: FormatParam = "json",
) -> Any:
    fmt = _check_format(format)
    start, end = _times(from_, to)
    series = query.point_series(
        db, scope=scope, point_id=ident, from_ms=start, to_ms=end, resolution=resolution, agg=agg
    )
    return _respond(series, fmt, f"point-{ident}-{series.resolution}")


@router.get("/series", response_model=SeriesList, tags=SERIES)
def many_series(
    db: DbSession,
    scope: CurrentScope,
    point_ids: PointIds,
    from_: From,
    to: To,
    resolution: ResolutionParam = "auto",
    agg: AggParam = None,
) -> Any:
    """Series of several points: repeat `point_id` (at most 100)."""
    start, end = _times(from_, to)
    items = query.many_series(
        db, scope=scope, point_ids=point_ids, from_ms=start, to_ms=end, resolution=resolution, agg=agg
    )
    return {"items": items}


@router.post("/series", response_model=SeriesList, tags=SERIES)
def many_series_post(data: SeriesRequest, db: DbSession, scope: CurrentScope) -> Any:
    """Series of several points, the ids in the body (at most 100)."""
    start, end = _times(data.from_, data.to)
    items = query.many_series(
        db, scope=scope, point_ids=data.point_ids, from_ms=start, to_ms=end, resolution=data.resolution, agg=data.agg
    )
    return {"items": items}


@router.get("/parks/{ident}/series", response_model=SeriesRead, tags=SERIES, responses=EXPORT_RESPONSES)
def park_series(
    ident: Ident,
    db: DbSession,
    scope: CurrentScope,
    quantity: Annotated[str, Query(min_length=1, max_length=60, description="e.g. electric_energy")],
    from_: From,
    to: To,
    resolution: ResolutionParam = "1d",
    agg: AggParam = None,
    format: FormatParam = "json",
) -> Any:
    """Sum over the park's points of `quantity` that you may read (the park-wide daily energy chart:
    quantity=electric_energy&resolution=1d&agg=delta)."""
    fmt = _check_format(format)
    start, end = _times(from_, to)
    series = query.park_series(
        db, scope=scope, park_id=ident, quantity=quantity, from_ms=start, to_ms=end, resolution=resolution, agg=agg
    )
    return _respond(series, fmt, f"park-{ident}-{quantity}-{series.resolution}")
