"""The one place tenancy is applied: every read goes through `Scope.readable`, every write through
`Scope.authorize_write`. Rows outside the scope are reported as not found, never as forbidden."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS, STAFF_ROLES, all_permissions
from digipark.core.errors import NotFound, PermissionDenied, field_error
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

    # -- which park / which enterprise a request acts for ---------------------------------------------------
    def acting_park(self, requested: int | None = None) -> int:
        """The park a read acts in: `requested` when this scope reads it (404 otherwise); else the user's own
        park; else the only park it reads. A scope reading several parks and no own park must say which (422)."""
        if requested is not None:
            if requested not in self.read_parks:
                raise NotFound(f"park {requested} not found")
            return requested
        if self.park_id is not None:
            return self.park_id
        if len(self.read_parks) == 1:
            return next(iter(self.read_parks))
        if not self.read_parks:
            raise NotFound("no park to act in")
        raise field_error("park_id", "required: you may read several parks; say which")

    def acting_write_park(self, requested: int | None = None) -> int:
        """The park a write acts in: `requested` or the user's own park; 403 where this scope may not write."""
        park = requested if requested is not None else self.park_id
        if park is None:
            raise field_error("park_id", "required: the park this is for")
        if park not in self.write_parks:
            if park not in self.read_parks:
                raise NotFound(f"park {park} not found")
            raise PermissionDenied("you may not change data of this park")
        return park

    def acting_enterprise(self, requested: int | None = None) -> int | None:
        """The enterprise a request acts for: an enterprise user always acts for its own (asking for another is
        404); staff act for `requested` (None: the whole park)."""
        if self.role == Role.ENTERPRISE:
            if requested is not None and requested != self.enterprise_id:
                raise NotFound(f"enterprise {requested} not found")
            return self.enterprise_id
        return requested

    @property
    def own_enterprise_only(self) -> bool:
        """Whether this scope acts only for its own enterprise (an enterprise user)."""
        return self.role == Role.ENTERPRISE

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

    def may_read(self, model: type[Any], *, park_id: int, enterprise_id: int | None) -> bool:
        """`condition` for a row held in memory (its park and owning enterprise): whether this scope may read it."""
        if park_id not in self.read_parks:
            return False
        visibility: Visibility = getattr(model, "__visibility__", Visibility.STAFF)
        if visibility == Visibility.PARK or self.is_staff:
            return True
        return (
            visibility == Visibility.ENTERPRISE
            and self.role == Role.ENTERPRISE
            and self.enterprise_id is not None
            and enterprise_id == self.enterprise_id
        )

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
