"""The page side of an all-or-nothing Excel import (template `spreadsheet_import.html`): the uploaded workbook and
its form fields, then the import run in a savepoint with each refusal shown on the page and nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from digipark.core import spreadsheet
from digipark.core.errors import ValidationFailed
from digipark.web.shell import Page


async def _upload(request: Request) -> tuple[dict[str, str], bytes | None]:
    form = await request.form()
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    file = form.get("file")
    content = await file.read(spreadsheet.MAX_IMPORT_BYTES + 1) if isinstance(file, UploadFile) else None
    return fields, content


Uploaded = Annotated[tuple[dict[str, str], bytes | None], Depends(_upload)]


def import_page(
    page: Page, template: str, uploaded: tuple[dict[str, str], bytes | None], run: Callable[..., Any]
) -> HTMLResponse:
    """`run(content=, dry_run=)` imports (or only checks) the workbook; the page shows its report or the problems."""
    fields, content = uploaded
    page.check_csrf(fields)
    dry_run = fields.get("dry_run") in ("on", "true", "1")

    def refused(problem: dict[str, Any], status: int) -> HTMLResponse:
        return page.render(template, {"report": None, "problem": problem}, status_code=status)

    if not content:
        return refused({"detail": page.gettext("Choose an .xlsx file to import."), "errors": []}, 422)
    try:
        with page.db.begin_nested():
            report = run(content=content, dry_run=dry_run)
    except spreadsheet.ImportFailed as exc:
        return refused({"detail": exc.detail, "errors": exc.errors}, 422)
    except (spreadsheet.UnsupportedFile, spreadsheet.FileTooLarge, ValidationFailed) as exc:
        return refused({"detail": exc.detail, "errors": []}, exc.status)
    return page.render(template, {"report": report, "problem": None})
