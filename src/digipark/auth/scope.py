"""The one place tenancy is applied: every read goes through `Scope.readable`, every write through
`Scope.authorize_write`. Rows outside the scope are reported as not found, never as forbidden."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS, STAFF_ROLES, all_permissions
from digipark.core.errors import NotFound, PermissionDenied
from digipark.core.tenancy import Visibility

M = TypeVar("M")


def _park_column_name(model: type[Any]) -> str:
    return getattr(model, "__park_column__", "park_id")


def _enterprise_column_name(model: type[Any]) -> str:
    return getattr(model, "__enterprise_column__", "enterprise_id")


@dataclasses.dataclass(frozen=True)
class Scope:
    role: Role
    username: str
    user_id: int | None = None
    park_id: int | None = None
    read_parks: frozenset[int] = frozenset()
    enterprise_id: int | None = None
    permissions: frozenset[str] = frozenset()

    @classmethod
    def for_user(
        cls,
        *,
        role: Role,
        username: str,
        user_id: int | None,
        park_id: int | None,
        extra_parks: frozenset[int] = frozenset(),
        enterprise_id: int | None = None,
    ) -> Scope:
        parks = frozenset({park_id}) | extra_parks if park_id is not None else extra_parks
        return cls(
            role=role,
            username=username,
            user_id=user_id,
            park_id=park_id,
            read_parks=parks,
            enterprise_id=enterprise_id if role == Role.ENTERPRISE else None,
            permissions=ROLE_PERMISSIONS[role],
        )

    @property
    def write_parks(self) -> frozenset[int]:
        if self.role in (Role.PARK_ADMIN, Role.OPERATOR, Role.ENTERPRISE) and self.park_id is not None:
            return frozenset({self.park_id})
        return frozenset()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"role {self.role.value} may not {permission}")

    # -- reads ---------------------------------------------------------------------------------------------
    def condition(self, model: type[Any]) -> ColumnElement[bool]:
        """The WHERE clause limiting `model` to the rows this scope may read."""
        if not self.read_parks:
            return false()
        park_condition: ColumnElement[bool] = getattr(model, _park_column_name(model)).in_(sorted(self.read_parks))
        visibility: Visibility = getattr(model, "__visibility__", Visibility.STAFF)
        if visibility == Visibility.PARK or self.is_staff:
            return park_condition
        if visibility == Visibility.ENTERPRISE and self.role == Role.ENTERPRISE and self.enterprise_id:
            owner: ColumnElement[bool] = getattr(model, _enterprise_column_name(model)) == self.enterprise_id
            return park_condition & owner
        return false()

    def readable(self, model: type[M], stmt: Select[Any] | None = None) -> Select[Any]:
        stmt = select(model) if stmt is None else stmt
        return stmt.where(self.condition(model))

    def get_or_404(self, session: Session, model: type[M], ident: int) -> M:
        pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
        obj = session.scalar(self.readable(model).where(pk == ident))
        if obj is None:
            raise NotFound(f"{model.__tablename__} {ident} not found")  # type: ignore[attr-defined]
        return obj  # type: ignore[no-any-return]

    # -- writes --------------------------------------------------------------------------------------------
    def authorize_write(self, permission: str, *, park_id: int | None, enterprise_id: int | None = None) -> None:
        """Raise unless this scope may perform `permission` on a row owned by (park_id, enterprise_id)."""
        self.require(permission)
        if park_id is None or park_id not in self.write_parks:
            raise PermissionDenied("you may not change data of this park")
        if self.role == Role.ENTERPRISE and (enterprise_id is None or enterprise_id != self.enterprise_id):
            raise PermissionDenied("an enterprise may change only its own data")

    def authorize_write_row(self, permission: str, obj: Any) -> None:
        model = type(obj)
        self.authorize_write(
            permission,
            park_id=getattr(obj, _park_column_name(model)),
            enterprise_id=getattr(obj, _enterprise_column_name(model), None),
        )


def system_scope(park_id: int) -> Scope:
    """A park-admin scope for jobs and the CLI acting on one park."""
    return Scope(
        role=Role.PARK_ADMIN,
        username="system",
        park_id=park_id,
        read_parks=frozenset({park_id}),
        permissions=all_permissions(),
    )
