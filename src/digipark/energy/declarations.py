"""Declarations for the carbon account: process emissions and product output. Their plain create/read/update/delete
is derived (`DECLARATIONS`); what differs is below."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import Owner, RecordType
from digipark.energy.common import ENTRY, enterprise_for, not_future
from digipark.energy.factors import factor_set
from digipark.energy.models import CarbonDeclaration
from digipark.energy.schemas import DeclarationCreate, DeclarationRead, DeclarationUpdate
from digipark.registry.models import Enterprise


def _declaring_enterprise(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """The enterprise the input names (an enterprise user: its own), in its park."""
    enterprise = enterprise_for(session, scope, getattr(data, "enterprise_id", None))
    return enterprise.park_id, enterprise.id


def _check_material(material: str | None, quantity: float | None) -> None:
    if material is not None and material not in factor_set().materials:
        raise field_error(
            "process_material", f"unknown process material {material!r}; use one of {', '.join(factor_set().materials)}"
        )
    if (material is None) != (quantity is None):
        raise field_error("process_quantity_t", "give the material and its quantity together")


def _checked_declaration(
    session: Session, scope: Scope, values: dict[str, Any], row: CarbonDeclaration | None
) -> dict[str, Any]:
    """A past or current month; a known process material given with its quantity (an update's missing half taken
    from the row). The caller becomes the declarant."""
    if row is None:
        not_future(values["period"])
    material = values.get("process_material", row.process_material if row else None)
    quantity = values.get("process_quantity_t", row.process_quantity_t if row else None)
    _check_material(material, quantity)
    return {**values, "declared_by": scope.username}


def _one_declaration_per_month(session: Session, scope: Scope, row: CarbonDeclaration) -> None:
    existing = session.scalar(
        select(CarbonDeclaration.id).where(
            CarbonDeclaration.enterprise_id == row.enterprise_id, CarbonDeclaration.period == row.period
        )
    )
    if existing is not None:
        name = session.scalar(select(Enterprise.name).where(Enterprise.id == row.enterprise_id))
        raise Conflict(
            f"{name} already declared {row.period:%Y-%m} (declaration {existing})",
            errors=[{"field": "period", "reason": "already exists", "declaration_id": existing}],
        )


DECLARATIONS: RecordType[CarbonDeclaration] = RecordType(
    name="carbon_declaration",
    model=CarbonDeclaration,
    create_schema=DeclarationCreate,
    update_schema=DeclarationUpdate,
    read_schema=DeclarationRead,
    list_spec=ListSpec(
        filters={
            "park_id": CarbonDeclaration.park_id,
            "enterprise_id": CarbonDeclaration.enterprise_id,
            "period": CarbonDeclaration.period,
        },
        sort={"id": CarbonDeclaration.id, "period": CarbonDeclaration.period},
        default_sort="-period,id",
    ),
    write_permission=ENTRY,
    owner=_declaring_enterprise,
    validate=_checked_declaration,
    before_create=_one_declaration_per_month,
)
