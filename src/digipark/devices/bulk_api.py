"""Bulk provisioning by Excel in the API (`devices/bulk.py`): `GET /api/v1/devices/bulk/template` (the workbook to
fill, headers in the caller's language) and `POST /api/v1/devices/bulk` (multipart `file`): every device or none;
the answer carries each device's token, and the result workbook with them, this once. Messages follow `?lang=`,
else `Accept-Language`, else the caller's language."""

# No `from __future__ import annotations`: FastAPI reads the route annotations at import time.

import base64
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from digipark.auth.dependencies import CurrentScope, CurrentUser, DbSession
from digipark.core.spreadsheet import XLSX_MEDIA_TYPE
from digipark.devices import bulk
from digipark.web import i18n

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["devices: bulk provisioning"]
ParkId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


class BulkDevice(BaseModel):
    id: int
    code: str
    name: str
    profile: str
    version: int
    token: str = Field(description="the device's access token: shown in this answer only (kept as its digest)")


class BulkAnswer(BaseModel):
    rows: int
    created: int
    dry_run: bool
    devices: list[BulkDevice]
    result_xlsx: str | None = Field(
        description="base64 of the result workbook (each device with its token); only in this answer"
    )


class BulkRowProblem(BaseModel):
    row: int
    column: str | None
    column_title: str | None
    reason: str


class BulkProblem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[BulkRowProblem] = []


def language(request: Request, user_language: str | None) -> str:
    """`?lang=`, else the first language of Accept-Language the platform has, else the usual choice."""
    if asked := i18n.normalise(request.query_params.get("lang")):
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        if found := i18n.normalise(part.split(";", 1)[0]):
            return found
    return i18n.choose(request, user_language)


@router.get(
    "/devices/bulk/template",
    tags=TAGS,
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "the workbook to fill"}},
)
def bulk_template(
    request: Request, db: DbSession, scope: CurrentScope, user: CurrentUser, park_id: ParkId = None
) -> Response:
    """The template: headers in the caller's language, an example row, the park's profiles on the second sheet."""
    lang = language(request, user.language)
    content = bulk.template(db, scope=scope, gettext=i18n.translations(lang).gettext, lang=lang, park_id=park_id)
    disposition = {"Content-Disposition": 'attachment; filename="devices-template.xlsx"'}
    return Response(content, media_type=XLSX_MEDIA_TYPE, headers=disposition)


@router.post(
    "/devices/bulk",
    tags=TAGS,
    response_model=BulkAnswer,
    status_code=201,
    responses={
        403: {"description": "only the park's staff with device.write provision devices"},
        413: {"description": "the file is larger than the limit"},
        415: {"description": "not a readable .xlsx workbook"},
        422: {"model": BulkProblem, "description": "bad rows (row, column, reason each); no device was created"},
    },
)
def bulk_provision(
    request: Request,
    db: DbSession,
    scope: CurrentScope,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    dry_run: bool = False,
    park_id: ParkId = None,
) -> Any:
    """Create every device of the workbook, or none: each gets its token, shown in this answer only."""
    gettext = i18n.translations(language(request, user.language)).gettext
    content = file.file.read(bulk.MAX_BYTES + 1)
    result = bulk.provision(db, scope=scope, content=content, gettext=gettext, dry_run=dry_run, park_id=park_id)
    workbook = None if result.dry_run else base64.b64encode(result.workbook(gettext)).decode("ascii")
    return {
        "rows": result.rows,
        "created": 0 if result.dry_run else len(result.created),
        "dry_run": result.dry_run,
        "devices": [] if result.dry_run else [vars_of(m) for m in result.created],
        "result_xlsx": workbook,
    }


def vars_of(made: bulk.Made) -> dict[str, Any]:
    return {f: getattr(made, f) for f in ("id", "code", "name", "profile", "version", "token")}
