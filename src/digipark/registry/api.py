"""Registry REST API: the same list/get/create/update/delete, export and import for every kind."""

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery, Page, page_of
from digipark.registry import excel, schemas, service
from digipark.registry.service import KINDS

router = APIRouter(prefix="/api/v1", tags=["registry"])

ROUTES: dict[str, tuple[str, type[BaseModel] | None, type[BaseModel], type[BaseModel]]] = {
    "park": ("parks", None, schemas.ParkUpdate, schemas.ParkRead),
    "zone": ("zones", schemas.ZoneCreate, schemas.ZoneUpdate, schemas.ZoneRead),
    "land_parcel": ("land-parcels", schemas.LandParcelCreate, schemas.LandParcelUpdate, schemas.LandParcelRead),
    "building": ("buildings", schemas.BuildingCreate, schemas.BuildingUpdate, schemas.BuildingRead),
    "floor": ("floors", schemas.FloorCreate, schemas.FloorUpdate, schemas.FloorRead),
    "room": ("rooms", schemas.RoomCreate, schemas.RoomUpdate, schemas.RoomRead),
    "enterprise": ("enterprises", schemas.EnterpriseCreate, schemas.EnterpriseUpdate, schemas.EnterpriseRead),
    "device": ("devices", schemas.DeviceCreate, schemas.DeviceUpdate, schemas.DeviceRead),
    "point": ("points", schemas.PointCreate, schemas.PointUpdate, schemas.PointRead),
}

IdPathParam = Path(ge=1, le=2**31 - 1)


def _register(key: str) -> None:
    path, create_schema, update_schema, read_schema = ROUTES[key]
    kind = KINDS[key]
    list_params = kind.list_spec.dependency()
    tag: list[str | Enum] = [f"registry: {path}"]

    @router.get(f"/{path}", response_model=Page[read_schema], operation_id=f"list_{key}", tags=tag)  # type: ignore[valid-type]
    def list_rows(db: DbSession, scope: CurrentScope, query: Annotated[ListQuery, Depends(list_params)]) -> Any:
        rows, total = service.list(db, scope=scope, kind=kind, query=query)
        return page_of(rows, total, query)

    @router.get(f"/{path}/{{ident}}", response_model=read_schema, operation_id=f"get_{key}", tags=tag)
    def get_row(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
        return service.get(db, scope=scope, kind=kind, ident=ident)

    if create_schema is not None:

        @router.post(f"/{path}", response_model=read_schema, status_code=201, operation_id=f"create_{key}", tags=tag)
        def create_row(data: create_schema, db: DbSession, scope: CurrentScope) -> Any:  # type: ignore[valid-type]
            return service.create(db, scope=scope, kind=kind, data=data)

        @router.delete(f"/{path}/{{ident}}", status_code=204, operation_id=f"delete_{key}", tags=tag)
        def delete_row(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Response:
            service.delete(db, scope=scope, kind=kind, ident=ident)
            return Response(status_code=204)

    @router.patch(f"/{path}/{{ident}}", response_model=read_schema, operation_id=f"update_{key}", tags=tag)
    def update_row(
        ident: Annotated[int, IdPathParam],
        data: update_schema,  # type: ignore[valid-type]
        db: DbSession,
        scope: CurrentScope,
    ) -> Any:
        return service.update(db, scope=scope, kind=kind, ident=ident, data=data)

    if key in excel.EXCEL_KINDS:

        @router.get(
            f"/{path}.{{fmt}}",
            operation_id=f"export_{key}",
            tags=tag,
            responses={200: {"content": {excel.XLSX_MEDIA_TYPE: {}, "text/csv": {}}}},
        )
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


@router.get("/devices/{ident}/token", response_model=schemas.DeviceTokenRead, tags=["registry: devices"])
def get_device_token(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
    return {"device_id": ident, "token": service.device_token(db, scope=scope, ident=ident)}


@router.post("/devices/{ident}/token", response_model=schemas.DeviceTokenRead, tags=["registry: devices"])
def rotate_device_token(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
    return {"device_id": ident, "token": service.rotate_device_token(db, scope=scope, ident=ident)}


@router.get("/enterprises/{ident}/units", response_model=list[schemas.RoomRead], tags=["registry: enterprises"])
def enterprise_units(ident: Annotated[int, IdPathParam], db: DbSession, scope: CurrentScope) -> Any:
    return service.enterprise_units(db, scope=scope, enterprise_id=ident)
