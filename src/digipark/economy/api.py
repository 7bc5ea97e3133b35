"""REST API of monthly statistics, the economic dashboard, warnings and enterprise archives, under
/api/v1/economy (thin: parse, call the service, shape). Chain and lead routes are in chains_api.py."""

# No `from __future__ import annotations` here: FastAPI must evaluate the annotations of the routes that
# `_register_fact` defines, which name schemas held in local variables (a string would not resolve).

import datetime as dt
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.core import spreadsheet
from digipark.core.errors import NotFound, field_error
from digipark.core.listing import ListQuery, Page, page_of
from digipark.economy import archive, dashboard_workbook, monitoring, schemas, service, statistics

router = APIRouter(prefix="/api/v1/economy")
STATISTICS: list[str | Enum] = ["economy: monthly statistics"]
MONITORING: list[str | Enum] = ["economy: monitoring"]
ARCHIVES: list[str | Enum] = ["economy: enterprise archives"]

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a park you may read; default: your own")]
StatisticQuery = Annotated[ListQuery, Depends(statistics.LIST_SPEC.dependency())]


def period_param(
    period: Annotated[str | None, Query(max_length=20, description="the month, YYYY-MM")] = None,
) -> dt.date | None:
    if period is None or not period.strip():
        return None
    try:
        return schemas.parse_period(period)
    except ValueError as exc:
        raise field_error("period", str(exc)) from None


def required_period(
    period: Annotated[str, Query(max_length=20, description="the month, YYYY-MM")],
) -> dt.date:
    found = period_param(period)
    if found is None:
        raise field_error("period", "required: the month, YYYY-MM")
    return found


OptionalPeriod = Annotated[dt.date | None, Depends(period_param)]
RequiredPeriod = Annotated[dt.date, Depends(required_period)]


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# -- monthly statistics ----------------------------------------------------------------------------------------
@router.get("/statistics", response_model=Page[schemas.MonthlyStatisticRead], tags=STATISTICS)
def list_statistics(db: DbSession, scope: CurrentScope, query: StatisticQuery) -> Any:
    rows, total = statistics.list(db, scope=scope, query=query)
    return page_of(rows, total, query)


@router.post("/statistics", response_model=schemas.MonthlyStatisticRead, status_code=201, tags=STATISTICS)
def submit_statistic(data: schemas.MonthlyStatisticCreate, db: DbSession, scope: CurrentScope) -> Any:
    return statistics.submit(db, scope=scope, data=data)


@router.get(
    "/statistics.{fmt}",
    tags=STATISTICS,
    responses={200: {"content": {spreadsheet.XLSX_MEDIA_TYPE: {}, "text/csv": {}}}},
)
@writes  # the export is audited
def export_statistics(fmt: str, db: DbSession, scope: CurrentScope, query: StatisticQuery) -> Response:
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    content, media_type = statistics.export(db, scope=scope, query=query, fmt=fmt)
    return _download(content, media_type, f"monthly-statistics.{fmt}")


@router.get(
    "/statistics/template",
    tags=STATISTICS,
    responses={200: {"content": {spreadsheet.XLSX_MEDIA_TYPE: {}}}},
)
def statistics_template(scope: CurrentScope) -> Response:
    scope.require("statistics.import")
    return _download(statistics.template_xlsx(), spreadsheet.XLSX_MEDIA_TYPE, "monthly-statistics-template.xlsx")


@router.post(
    "/statistics/import",
    response_model=spreadsheet.ImportReport,
    tags=STATISTICS,
    responses={
        413: {"description": "file too large"},
        415: {"description": "not a readable .xlsx workbook"},
        422: {"model": spreadsheet.ImportProblem, "description": "bad rows; nothing was imported"},
    },
)
def import_statistics(
    db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()], dry_run: bool = False
) -> Any:
    content = file.file.read(spreadsheet.MAX_IMPORT_BYTES + 1)
    return statistics.import_or_raise(db, scope=scope, content=content, dry_run=dry_run)


@router.get("/statistics/missing", response_model=schemas.MissingReport, tags=STATISTICS)
def missing_statistics(db: DbSession, scope: CurrentScope, period: RequiredPeriod, park_id: ParkId = None) -> Any:
    return statistics.missing_submissions(db, scope=scope, period=period, park_id=park_id)


@router.get("/statistics/reminders", response_model=list[schemas.ReminderRead], tags=STATISTICS)
def list_reminders(db: DbSession, scope: CurrentScope, period: OptionalPeriod) -> Any:
    return statistics.reminders(db, scope=scope, period=period)


@router.post("/statistics/reminders", response_model=list[schemas.ReminderRead], status_code=201, tags=STATISTICS)
def send_reminders(data: schemas.ReminderCreate, db: DbSession, scope: CurrentScope) -> Any:
    return statistics.send_reminders(
        db, scope=scope, period=data.period, enterprise_ids=data.enterprise_ids, note=data.note
    )


@router.get("/statistics/{ident}", response_model=schemas.MonthlyStatisticRead, tags=STATISTICS)
def get_statistic(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return statistics.get(db, scope=scope, ident=ident)


@router.patch("/statistics/{ident}", response_model=schemas.MonthlyStatisticRead, tags=STATISTICS)
def correct_statistic(ident: Ident, data: schemas.MonthlyStatisticCorrect, db: DbSession, scope: CurrentScope) -> Any:
    return statistics.correct(db, scope=scope, ident=ident, data=data)


@router.get("/statistics/{ident}/revisions", response_model=list[schemas.MonthlyStatisticRevisionRead], tags=STATISTICS)
def statistic_revisions(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return statistics.revisions(db, scope=scope, ident=ident)


# -- monitoring ------------------------------------------------------------------------------------------------
@router.get("/dashboard", response_model=schemas.Dashboard, tags=MONITORING)
def dashboard(db: DbSession, scope: CurrentScope, period: OptionalPeriod, park_id: ParkId = None) -> Any:
    return monitoring.dashboard(db, scope=scope, period=period, park_id=park_id)


@router.get("/dashboard.xlsx", tags=MONITORING, responses={200: {"content": {spreadsheet.XLSX_MEDIA_TYPE: {}}}})
def dashboard_xlsx(db: DbSession, scope: CurrentScope, period: OptionalPeriod, park_id: ParkId = None) -> Response:
    found = monitoring.dashboard(db, scope=scope, period=period, park_id=park_id)
    content = dashboard_workbook.dashboard_xlsx(found)
    return _download(content, spreadsheet.XLSX_MEDIA_TYPE, f"economy-{found.period:%Y-%m}.xlsx")


@router.get("/warnings", response_model=list[schemas.WarningRead], tags=MONITORING)
def warnings(db: DbSession, scope: CurrentScope, period: OptionalPeriod, park_id: ParkId = None) -> Any:
    return monitoring.warnings(db, scope=scope, period=period, park_id=park_id)


# -- archives and their facts ----------------------------------------------------------------------------------
@router.get("/enterprises/{ident}/archive", response_model=schemas.EnterpriseArchive, tags=ARCHIVES)
def enterprise_archive(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return archive.enterprise_archive(db, scope=scope, enterprise_id=ident)


FACT_ROUTES: dict[str, tuple[str, type[BaseModel], type[BaseModel], type[BaseModel]]] = {
    "qualification": (
        "qualifications",
        schemas.QualificationCreate,
        schemas.QualificationUpdate,
        schemas.QualificationRead,
    ),
    "intellectual_property": (
        "intellectual-property",
        schemas.IntellectualPropertyCreate,
        schemas.IntellectualPropertyUpdate,
        schemas.IntellectualPropertyRead,
    ),
    "product": ("products", schemas.ProductCreate, schemas.ProductUpdate, schemas.ProductRead),
}


def _register_fact(key: str) -> None:
    path, create_schema, update_schema, read_schema = FACT_ROUTES[key]
    kind = service.FACTS[key]
    list_params = kind.list_spec.dependency()

    @router.get(f"/{path}", response_model=Page[read_schema], operation_id=f"list_{key}", tags=ARCHIVES)  # type: ignore[valid-type]
    def list_rows(db: DbSession, scope: CurrentScope, query: Annotated[ListQuery, Depends(list_params)]) -> Any:
        rows, total = service.list_facts(db, scope=scope, kind=kind, query=query)
        return page_of(rows, total, query)

    @router.post(f"/{path}", response_model=read_schema, status_code=201, operation_id=f"create_{key}", tags=ARCHIVES)
    def create_row(data: create_schema, db: DbSession, scope: CurrentScope) -> Any:  # type: ignore[valid-type]
        return service.create_fact(db, scope=scope, kind=kind, data=data)

    @router.get(f"/{path}/{{ident}}", response_model=read_schema, operation_id=f"get_{key}", tags=ARCHIVES)
    def get_row(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
        return service.get_fact(db, scope=scope, kind=kind, ident=ident)

    @router.patch(f"/{path}/{{ident}}", response_model=read_schema, operation_id=f"update_{key}", tags=ARCHIVES)
    def update_row(ident: Ident, data: update_schema, db: DbSession, scope: CurrentScope) -> Any:  # type: ignore[valid-type]
        return service.update_fact(db, scope=scope, kind=kind, ident=ident, data=data)

    @router.delete(f"/{path}/{{ident}}", status_code=204, operation_id=f"delete_{key}", tags=ARCHIVES)
    def delete_row(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
        service.delete_fact(db, scope=scope, kind=kind, ident=ident)
        return Response(status_code=204)


for _key in FACT_ROUTES:
    _register_fact(_key)
