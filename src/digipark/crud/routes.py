"""The five REST routes of a `RecordType`: a paginated list (its ListSpec's query parameters in OpenAPI), get,
create (201), update (PATCH) and delete (204). Errors are the application's problem+json answers."""

from collections.abc import Collection
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.core.errors import PROBLEM_MEDIA_TYPE
from digipark.core.listing import ListQuery, Page, page_of
from digipark.crud.records import RecordType

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"content": {PROBLEM_MEDIA_TYPE: {}}} for status in statuses}


OPERATIONS = ("list", "create", "get", "update", "delete")


def add_routes(
    router: APIRouter,
    record: RecordType[Any],
    path: str,
    *,
    tags: list[str | Enum] | None = None,
    operations: Collection[str] = OPERATIONS,
) -> None:
    """Add `GET path`, `POST path`, `GET path/{ident}`, `PATCH path/{ident}` and `DELETE path/{ident}` to
    `router` (path relative to the router's prefix, e.g. `""` or `"/notices"`); `operations` names the ones to
    add when the API offers only some (e.g. no create and delete of rows the platform operator keeps)."""
    unknown = set(operations) - set(OPERATIONS)
    if unknown:
        raise ValueError(f"unknown operations {sorted(unknown)}; known: {OPERATIONS}")
    name = record.name
    read_schema = record.read_schema
    create_schema = record.create_schema
    update_schema = record.update_schema
    ListParams = Annotated[ListQuery, Depends(record.list_spec.dependency())]

    if "list" in operations:

        @router.get(
            path,
            response_model=Page[read_schema],  # type: ignore[valid-type]
            operation_id=f"list_{name}",
            tags=tags,
            responses=_problems(403, 422),
        )
        def list_rows(db: DbSession, scope: CurrentScope, query: ListParams) -> Any:
            rows, total = record.list(db, scope=scope, query=query)
            return page_of(rows, total, query)

    if "create" in operations:

        @router.post(
            path,
            response_model=read_schema,
            status_code=201,
            operation_id=f"create_{name}",
            tags=tags,
            responses=_problems(403, 404, 409, 422),
        )
        def create_row(data: create_schema, db: DbSession, scope: CurrentScope) -> Any:  # type: ignore[valid-type]
            return record.create(db, scope=scope, data=data)

    if "get" in operations:

        @router.get(
            f"{path}/{{ident}}",
            response_model=read_schema,
            operation_id=f"get_{name}",
            tags=tags,
            responses=_problems(404),
        )
        def get_row(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
            return record.get(db, scope=scope, ident=ident)

    if "update" in operations:

        @router.patch(
            f"{path}/{{ident}}",
            response_model=read_schema,
            operation_id=f"update_{name}",
            tags=tags,
            responses=_problems(403, 404, 409, 422),
        )
        def update_row(ident: Ident, data: update_schema, db: DbSession, scope: CurrentScope) -> Any:  # type: ignore[valid-type]
            return record.update(db, scope=scope, ident=ident, data=data)

    if "delete" in operations:

        @router.delete(
            f"{path}/{{ident}}",
            status_code=204,
            operation_id=f"delete_{name}",
            tags=tags,
            responses=_problems(403, 404, 409),
        )
        def delete_row(ident: Ident, db: DbSession, scope: CurrentScope) -> Response:
            record.delete(db, scope=scope, ident=ident)
            return Response(status_code=204)
