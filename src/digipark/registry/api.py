"""Registry REST API: the derived list/get/create/update/delete of every kind (`digipark.crud.routes`), its
Excel export and import, device tokens and an enterprise's units."""

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from digipark.auth.dependencies import CurrentScope, DbSession, writes
from digipark.core.errors import DomainError, NotFound
from digipark.core.listing import ListQuery
from digipark.crud.routes import OPERATIONS, add_routes
from digipark.registry import excel, schemas, service
from digipark.registry.service import KINDS

router = APIRouter(prefix="/api/v1", tags=["registry"])


class TokenShownOnce(DomainError):
    type_slug = "device-token-shown-once"
    status = 410
    title = "Device token no longer shown"


PATHS = {
    "park": "parks",
    "zone": "zones",
    "land_parcel": "land-parcels",
    "building": "buildings",
    "floor": "floors",
    "room": "rooms",
    "enterprise": "enterprises",
    "device": "devices",
    "point": "points",
}

# path, create schema (None: the API does not create the kind), update schema and read schema of every kind
ROUTES: dict[str, tuple[str, type[BaseModel] | None, type[BaseModel], type[BaseModel]]] = {
    key: (
        path,
        KINDS[key].create_schema if service.creatable(KINDS[key]) else None,
        KINDS[key].update_schema,
        KINDS[key].read_schema,
    )
    for key, path in PATHS.items()
}

IdPathParam = Path(ge=1, le=2**31 - 1)


def _register(key: str) -> None:
    path = PATHS[key]
    kind = KINDS[key]
    list_params = kind.list_spec.dependency()
    tag: list[str | Enum] = [f"registry: {path}"]
    operations = OPERATIONS if service.creatable(kind) else ("list", "get", "update")
    add_routes(router, kind, f"/{path}", tags=tag, operations=operations)

    if key in excel.EXCEL_KINDS:

        @router.get(
            f"/{path}.{{fmt}}",
            operation_id=f"export_{key}",
            tags=tag,
            responses={200: {"content": {excel.XLSX_MEDIA_TYPE: {}, "text/csv": {}}}},
        )
        @writes  # the export is audited
        def export_rows(
            fmt: str, db: DbSession, scope: CurrentScope, query: Annotated[ListQuery, Depends(list_params)]
        ) -> Response:
            if fmt not in ("xlsx", "csv"):
                raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
            content, media_type = excel.export_rows(db, scope=scope, kind_key=key, query=query, fmt=fmt)
            return Response(
                content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{path}.{fmt}"'}
            )

        @router.post(
            f"/{path}/import",
            response_model=excel.ImportReport,
            response_model_exclude_none=True,  # device_tokens: only where devices were created
            operation_id=f"import_{key}",
            tags=tag,
            responses={
                413: {"description": "file too large"},
                415: {"description": "not a readable .xlsx workbook"},
                422: {"model": excel.ImportProblem, "description": "bad rows; nothing was imported"},
            },
        )
        def import_rows(
            db: DbSession, scope: CurrentScope, file: Annotated[UploadFile, File()], dry_run: bool = False
        ) -> Any:
            content = file.file.read(excel.MAX_IMPORT_BYTES + 1)
            return excel.import_or_raise(db, scope=scope, kind_key=key, content=content, dry_run=dry_run)


for _key in ROUTES:
    _register(_key)


@router.get(
    "/devices/{ident}/token",
    tags=["registry: devices"],
    status_code=410,
    responses={410: {"description": "device tokens are stored hashed: shown once at creation or rotation"}},
)
def get_device_token(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
    service.authorize_device_token(db, scope=scope, ident=ident)  # who may rotate it learns it is not shown
    raise TokenShownOnce(
        "a device token is stored hashed and shown only once, when it is issued; "
        f"rotate it (POST /api/v1/devices/{ident}/token) to get a new one"
    )


@router.post("/devices/{ident}/token", response_model=schemas.DeviceTokenRead, tags=["registry: devices"])
def rotate_device_token(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
    return {"device_id": ident, "token": service.rotate_device_token(db, scope=scope, ident=ident)}


@router.get("/enterprises/{ident}/units", response_model=list[schemas.RoomRead], tags=["registry: enterprises"])
def enterprise_units(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
    return service.enterprise_units(db, scope=scope, enterprise_id=ident)
