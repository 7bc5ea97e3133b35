"""A plain record type, declared once, and the five service functions derived from it.

Reads go through `scope.readable` (plus the type's own read condition); writes are authorised with
`scope.authorize_write` (create: on the owner the type finds) or `scope.authorize_write_row` (update, delete).
Nothing commits: each function flushes, and the request's (or job's) transaction commits. What differs between
record types goes into the optional hooks; a type that needs more than these is not plain, and keeps its own
functions.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.core.listing import ListQuery, ListSpec

M = TypeVar("M")

Owner = tuple[int, int | None]
"""(park_id, enterprise_id) of a new row; enterprise_id None for rows the park owns."""

OWNER_FIELDS = frozenset({"park_id", "enterprise_id"})


def park_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """A row the park owns: in the park the input names (`park_id`, if the schema has it) or the caller's own."""
    return scope.acting_write_park(getattr(data, "park_id", None)), None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordType(Generic[M]):
    """A kind of record with plain create/read/update/delete.

    - `name`: singular, snake_case (`"notice"`): operation ids and messages.
    - `write_permission`: the permission every write needs, or `scope -> permission` where it depends on the
      caller (e.g. an enterprise writing its own rows under a narrower permission than staff).
    - `owner(session, scope, data)`: the (park, enterprise) a new row belongs to (default: `park_owner`).
    - `read_condition(scope)`: a further WHERE clause on top of the scope's tenancy (e.g. drafts only for staff).
    - `validate(session, scope, values, row)`: checks and completes the input values of a create (`row` None) or
      an update (only the fields given); returns the values to store; raises `field_error` on bad input.
    - `before_create(session, scope, row)`: fills derived fields of the new row before it is stored.
    - `before_delete(session, scope, row)`: raises (e.g. `Conflict`) when the row may not be deleted.
    - `after_create(session, scope, row, data)`, `after_update(session, scope, row, values)`,
      `after_delete(session, scope, row)`: follow-ups of a write once it is flushed (events, dependent rows).
    - `owner_fields`: the input fields naming the owner, which `owner` decides on create and an update never
      changes (default: park and enterprise; a type whose enterprise is a plain, changeable field leaves it out).
    - `refs`: reference fields (`{"zone_id": Zone}`) that must name a row of the new or updated row's park that
      the caller can read (422 on the field otherwise).
    - `unique`: fields whose value must be unique within a park (409 on the field, before the database says so).
    """

    name: str
    model: type[M]
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    read_schema: type[BaseModel]
    list_spec: ListSpec
    write_permission: str | Callable[[Scope], str]
    owner: Callable[[Session, Scope, BaseModel], Owner] = park_owner
    read_condition: Callable[[Scope], ColumnElement[bool]] | None = None
    validate: Callable[[Session, Scope, dict[str, Any], M | None], dict[str, Any]] | None = None
    before_create: Callable[[Session, Scope, M], None] | None = None
    before_delete: Callable[[Session, Scope, M], None] | None = None
    after_create: Callable[[Session, Scope, M, BaseModel], None] | None = None
    after_update: Callable[[Session, Scope, M, dict[str, Any]], None] | None = None
    after_delete: Callable[[Session, Scope, M], None] | None = None
    owner_fields: frozenset[str] = OWNER_FIELDS
    refs: Mapping[str, type[Any]] = dataclasses.field(default_factory=dict)
    unique: tuple[str, ...] = ()

    def permission(self, scope: Scope) -> str:
        """The permission a write by `scope` needs."""
        return self.write_permission if isinstance(self.write_permission, str) else self.write_permission(scope)

    # -- reads ---------------------------------------------------------------------------------------------------
    def readable(self, scope: Scope, stmt: Select[Any] | None = None) -> Select[Any]:
        """The rows of this type `scope` may read (a select to narrow further)."""
        stmt = scope.readable(self.model, stmt)
        return stmt if self.read_condition is None else stmt.where(self.read_condition(scope))

    def list(self, session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[M], int]:
        return self.list_spec.apply(session, self.readable(scope), query)

    def get(self, session: Session, *, scope: Scope, ident: int) -> M:
        """The row, or 404 when it does not exist or `scope` may not read it."""
        primary_key = self.model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
        row: M | None = session.scalar(self.readable(scope).where(primary_key == ident))
        if row is None:
            raise NotFound(f"{self.name} {ident} not found")
        return row

    # -- writes --------------------------------------------------------------------------------------------------
    def create(self, session: Session, *, scope: Scope, data: BaseModel) -> M:
        permission = self.permission(scope)
        scope.require(permission)
        park_id, enterprise_id = self.owner(session, scope, data)
        scope.authorize_write(permission, park_id=park_id, enterprise_id=enterprise_id)
        values = data.model_dump(exclude=set(self.owner_fields))
        self._check_refs_and_unique(session, scope, park_id, values, None)
        if self.validate is not None:
            values = self.validate(session, scope, values, None)
        owner: dict[str, Any] = {"park_id": park_id}
        if hasattr(self.model, "enterprise_id"):
            owner["enterprise_id"] = enterprise_id
        row = self.model(**{**values, **owner})
        if self.before_create is not None:
            self.before_create(session, scope, row)
        session.add(row)
        session.flush()
        if self.after_create is not None:
            self.after_create(session, scope, row, data)
        return row

    def update(self, session: Session, *, scope: Scope, ident: int, data: BaseModel) -> M:
        row = self.get(session, scope=scope, ident=ident)
        scope.authorize_write_row(self.permission(scope), row)
        values = data.model_dump(exclude_unset=True, exclude=set(self.owner_fields))
        self._refuse_nulls(values)
        self._check_refs_and_unique(session, scope, park_of(row), values, row)
        if self.validate is not None:
            values = self.validate(session, scope, values, row)
        for key, value in values.items():
            setattr(row, key, value)
        session.flush()
        if self.after_update is not None:
            self.after_update(session, scope, row, values)
        return row

    def delete(self, session: Session, *, scope: Scope, ident: int) -> None:
        row = self.get(session, scope=scope, ident=ident)
        scope.authorize_write_row(self.permission(scope), row)
        if self.before_delete is not None:
            self.before_delete(session, scope, row)
        session.delete(row)
        session.flush()
        if self.after_delete is not None:
            self.after_delete(session, scope, row)

    def _refuse_nulls(self, values: dict[str, Any]) -> None:
        """An update may not clear a field the table requires (422 with the field, not an integrity error)."""
        columns = self.model.__table__.columns  # type: ignore[attr-defined]
        for key, value in values.items():
            if value is None and key in columns and not columns[key].nullable:
                raise field_error(key, "required: may not be set to null")

    def _check_refs_and_unique(
        self, session: Session, scope: Scope, park_id: int, values: dict[str, Any], row: M | None
    ) -> None:
        for field, target_model in self.refs.items():
            ident = values.get(field)
            if ident is None:
                continue
            target = session.scalar(scope.readable(target_model).where(target_model.id == ident))
            if target is None or park_of(target) != park_id:
                raise field_error(field, f"no {target_model.__tablename__} {ident} in this park")
        model: Any = self.model
        for field in self.unique:
            if values.get(field) is None:
                continue
            stmt = select(model.id).where(model.park_id == park_id, getattr(model, field) == values[field])
            if row is not None:
                stmt = stmt.where(model.id != cast(Any, row).id)
            if session.scalar(stmt) is not None:
                raise Conflict(
                    f"{self.name} with {field} {values[field]!r} already exists in this park",
                    errors=[{"field": field, "reason": "already exists"}],
                )


def park_of(row: Any) -> int:
    """The park a row belongs to (a park row is its own)."""
    return getattr(row, getattr(type(row), "__park_column__", "park_id"))  # type: ignore[no-any-return]
