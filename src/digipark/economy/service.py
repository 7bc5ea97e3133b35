"""The economy domain's archive facts' CRUD, and (for the api and pages) the statistics, monitoring and archive
functions they call. Other domains import `digipark.economy.provides`, never this module.

Qualifications, intellectual property and products ("archive facts") share one CRUD implementation driven by
`FACTS`. Park staff (`archive.write`) maintain all three; an enterprise user maintains its own products
(`product.self_write`) — qualifications and IP are certificates the park verifies.
"""

from __future__ import annotations

import builtins
import dataclasses
import enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.modules import SectionResult
from digipark.economy.archive import enterprise_archive
from digipark.economy.land import land_allocation
from digipark.economy.models import IntellectualProperty, Product, Qualification
from digipark.economy.monitoring import dashboard, enterprise_summary, warnings
from digipark.economy.statistics import correct, missing_submissions, send_reminders, submit
from digipark.registry.models import Enterprise

__all__ = [
    "FACTS",
    "FactKind",
    "SectionResult",
    "correct",
    "create_fact",
    "dashboard",
    "delete_fact",
    "enterprise_archive",
    "enterprise_summary",
    "get_fact",
    "land_allocation",
    "list_facts",
    "missing_submissions",
    "send_reminders",
    "submit",
    "update_fact",
    "warnings",
]


@dataclasses.dataclass(frozen=True)
class FactKind:
    key: str
    model: type[Any]
    list_spec: ListSpec
    self_permission: str | None = None  # what lets an enterprise user maintain its own rows


def _spec(model: type[Any], filters: tuple[str, ...], search: tuple[str, ...], sort: tuple[str, ...]) -> ListSpec:
    return ListSpec(
        filters={name: getattr(model, name) for name in ("park_id", "enterprise_id", *filters)},
        search=[getattr(model, name) for name in search],
        sort={name: getattr(model, name) for name in ("id", "enterprise_id", *sort)},
    )


FACTS: dict[str, FactKind] = {
    kind.key: kind
    for kind in (
        FactKind(
            "qualification",
            Qualification,
            _spec(Qualification, ("kind",), ("name", "certificate_no"), ("kind", "valid_from", "valid_to")),
        ),
        FactKind(
            "intellectual_property",
            IntellectualProperty,
            _spec(IntellectualProperty, ("kind",), ("title", "number"), ("kind", "granted_on")),
        ),
        FactKind("product", Product, _spec(Product, (), ("name",), ("name",)), self_permission="product.self_write"),
    )
}


def _permission(scope: Scope, kind: FactKind) -> str:
    if scope.own_enterprise_only and kind.self_permission is not None:
        return kind.self_permission
    return "archive.write"


def list_facts(session: Session, *, scope: Scope, kind: FactKind, query: ListQuery) -> tuple[builtins.list[Any], int]:
    return kind.list_spec.apply(session, scope.readable(kind.model), query)


def get_fact(session: Session, *, scope: Scope, kind: FactKind, ident: int) -> Any:
    return scope.get_or_404(session, kind.model, ident)


def create_fact(session: Session, *, scope: Scope, kind: FactKind, data: BaseModel) -> Any:
    values = data.model_dump()
    enterprise_id = values.pop("enterprise_id", None)
    if enterprise_id is None:
        enterprise_id = scope.acting_enterprise()
        if enterprise_id is None:
            raise field_error("enterprise_id", "required: the enterprise this belongs to")
    enterprise = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    scope.authorize_write(_permission(scope, kind), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    row = kind.model(park_id=enterprise.park_id, enterprise_id=enterprise.id, **_plain(values))
    session.add(row)
    session.flush()
    return row


def update_fact(session: Session, *, scope: Scope, kind: FactKind, ident: int, data: BaseModel) -> Any:
    row = get_fact(session, scope=scope, kind=kind, ident=ident)
    scope.authorize_write_row(_permission(scope, kind), row)
    values = data.model_dump(exclude_unset=True)
    columns = kind.model.__table__.columns
    for field, value in values.items():
        if value is None and not columns[field].nullable:
            raise field_error(field, "required: may not be set to null")
    for field, value in _plain(values).items():
        setattr(row, field, value)
    for start, end in (("valid_from", "valid_to"),):
        low, high = getattr(row, start, None), getattr(row, end, None)
        if low is not None and high is not None and high < low:
            raise field_error(end, f"must not be before {start}")
    session.flush()
    return row


def delete_fact(session: Session, *, scope: Scope, kind: FactKind, ident: int) -> None:
    row = get_fact(session, scope=scope, kind=kind, ident=ident)
    scope.authorize_write_row(_permission(scope, kind), row)
    session.delete(row)
    session.flush()


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members as their stored values."""
    return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in values.items()}
