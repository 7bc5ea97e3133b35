"""Bulk provisioning by Excel in the pages (`devices/bulk.py`), reached from the devices list: the template in the
page's language, the upload, each bad row's number, column and reason when the file is refused (nothing created),
and on success the devices with their tokens and the result workbook — shown in this answer only."""

from __future__ import annotations

import base64

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from digipark.core import spreadsheet
from digipark.core.errors import ValidationFailed
from digipark.devices import bulk
from digipark.web.shell import CurrentPage, Page
from digipark.web.spreadsheet_pages import Uploaded

router = APIRouter(include_in_schema=False)


def _render(
    page: Page,
    *,
    result: bulk.BulkResult | None = None,
    problem: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    bulk.authorize(page.scope, page.park.id if page.park else None)
    workbook = None
    if result is not None and not result.dry_run:
        encoded = base64.b64encode(result.workbook(page.gettext)).decode("ascii")
        workbook = f"data:{spreadsheet.XLSX_MEDIA_TYPE};base64,{encoded}"
    return page.render(
        "devices/bulk.html",
        {
            "result": result,
            "result_href": workbook,
            "problem": problem,
            "max_rows": bulk.MAX_ROWS,
            "max_mb": bulk.MAX_BYTES // (1024 * 1024),
            "columns": [(c, bulk.header_of(c, page.gettext)) for c in bulk.COLUMNS],
        },
        status_code=status_code,
    )


@router.get("/device-bulk", response_class=HTMLResponse, name="device_bulk")
def bulk_page(page: CurrentPage) -> HTMLResponse:
    return _render(page)


@router.get("/device-bulk/template.xlsx", name="device_bulk_template")
def bulk_template(page: CurrentPage) -> Response:
    park_id = page.park.id if page.park else None
    content = bulk.template(page.db, scope=page.scope, gettext=page.gettext, lang=page.lang, park_id=park_id)
    disposition = {"Content-Disposition": 'attachment; filename="devices-template.xlsx"'}
    return Response(content, media_type=spreadsheet.XLSX_MEDIA_TYPE, headers=disposition)


@router.post("/device-bulk", response_class=HTMLResponse)
def bulk_upload(page: CurrentPage, uploaded: Uploaded) -> HTMLResponse:
    """Check the workbook and create every device or none (`dry_run`: only check)."""
    fields, content = uploaded
    page.check_csrf(fields)
    bulk.authorize(page.scope, page.park.id if page.park else None)
    if not content:
        problem: dict[str, object] = {"detail": page.gettext("Choose an .xlsx file to import."), "errors": []}
        return _render(page, problem=problem, status_code=422)
    dry_run = fields.get("dry_run") in ("on", "true", "1")
    try:
        with page.db.begin_nested():
            result = bulk.provision(
                page.db,
                scope=page.scope,
                content=content,
                gettext=page.gettext,
                dry_run=dry_run,
                park_id=page.park.id if page.park else None,
            )
    except bulk.BulkRefused as exc:
        return _render(page, problem={"detail": exc.detail, "errors": exc.problems}, status_code=422)
    except (spreadsheet.UnsupportedFile, spreadsheet.FileTooLarge, ValidationFailed) as exc:
        return _render(page, problem={"detail": exc.detail, "errors": []}, status_code=exc.status)
    return _render(page, result=result, status_code=200 if dry_run else 201)
