"""Declarations for the carbon account: process emissions and product output."""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.energy.common import ENTRY, enterprise_for, not_future
from digipark.energy.factors import factor_set
from digipark.energy.models import CarbonDeclaration
from digipark.energy.schemas import DeclarationCreate, DeclarationUpdate

DECLARATION_SPEC = ListSpec(
    filters={
        "park_id": CarbonDeclaration.park_id,
        "enterprise_id": CarbonDeclaration.enterprise_id,
        "period": CarbonDeclaration.period,
    },
    sort={"id": CarbonDeclaration.id, "period": CarbonDeclaration.period},
    default_sort="-period,id",
)


def list_declarations(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[CarbonDeclaration], int]:
    return DECLARATION_SPEC.apply(session, scope.readable(CarbonDeclaration), query)


def get_declaration(session: Session, *, scope: Scope, ident: int) -> CarbonDeclaration:
    return scope.get_or_404(session, CarbonDeclaration, ident)


def _check_material(material: str | None, quantity: float | None) -> None:
    if material is not None and material not in factor_set().materials:
        raise field_error(
            "process_material", f"unknown process material {material!r}; use one of {', '.join(factor_set().materials)}"
        )
    if (material is None) != (quantity is None):
        raise field_error("process_quantity_t", "give the material and its quantity together")


def create_declaration(session: Session, *, scope: Scope, data: DeclarationCreate) -> CarbonDeclaration:
    enterprise = enterprise_for(session, scope, data.enterprise_id)
    scope.authorize_write(ENTRY, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    not_future(data.period)
    _check_material(data.process_material, data.process_quantity_t)
    existing = session.scalar(
        select(CarbonDeclaration.id).where(
            CarbonDeclaration.enterprise_id == enterprise.id, CarbonDeclaration.period == data.period
        )
    )
    if existing is not None:
        raise Conflict(
            f"{enterprise.name} already declared {data.period:%Y-%m} (declaration {existing})",
            errors=[{"field": "period", "reason": "already exists", "declaration_id": existing}],
        )
    row = CarbonDeclaration(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        period=data.period,
        process_material=data.process_material,
        process_quantity_t=data.process_quantity_t,
        process_tco2=data.process_tco2,
        product_output_t=data.product_output_t,
        note=data.note,
        declared_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def update_declaration(session: Session, *, scope: Scope, ident: int, data: DeclarationUpdate) -> CarbonDeclaration:
    row = get_declaration(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    given = data.model_dump(exclude_unset=True)
    material = given.get("process_material", row.process_material)
    quantity = given.get("process_quantity_t", row.process_quantity_t)
    _check_material(material, quantity)
    for key, value in given.items():
        setattr(row, key, value)
    row.declared_by = scope.username
    session.flush()
    return row


def delete_declaration(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_declaration(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    session.delete(row)
    session.flush()
