"""The service catalogue: what the park and its enterprises offer (shared machines, warehouse space, R&D, tests,
transformation services, logistics, finance products), browsed and searched by every member of the park. The
digital-transformation services come from the transformation catalogue (read through its provides)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.services.common import enterprise_owner, viewers, write_permission
from digipark.services.models import Booking, PriceUnit, ServiceKind, ServiceOffering, ServiceUsage
from digipark.services.schemas import OfferingCreate, OfferingRead, OfferingUpdate
from digipark.transformation import provides as transformation


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: ServiceOffering | None) -> dict[str, Any]:
    kind = values.get("kind", row.kind if row is not None else None)
    price = values.get("unit_price_yuan", row.unit_price_yuan if row is not None else None)
    unit = values.get("price_unit", row.price_unit if row is not None else PriceUnit.NONE)
    if price is not None and unit == PriceUnit.NONE:
        raise field_error("price_unit", "a price needs its unit")
    if values.get("bookable") and kind not in (
        ServiceKind.SHARED_EQUIPMENT,
        ServiceKind.SHARED_WAREHOUSE,
        ServiceKind.TESTING,
        ServiceKind.RND_DESIGN,
        ServiceKind.LOGISTICS,
    ):
        raise field_error("bookable", f"a {kind} service has no calendar")
    entry = values.get("transformation_entry_id")
    if entry is not None:
        if kind != ServiceKind.TRANSFORMATION:
            raise field_error("transformation_entry_id", "only a transformation service stands for a catalogue entry")
        if transformation.catalogue_entry(session, scope=scope, ident=entry) is None:
            raise field_error("transformation_entry_id", f"no transformation catalogue entry {entry}")
    return values


def _before_delete(session: Session, scope: Scope, row: ServiceOffering) -> None:
    for model in (Booking, ServiceUsage):
        if session.scalar(select(model.id).where(model.offering_id == row.id).limit(1)) is not None:
            raise Conflict(f"service {row.id} has bookings or usage; set it inactive instead")


OFFERINGS: RecordType[ServiceOffering] = RecordType(
    name="service_offering",
    model=ServiceOffering,
    create_schema=OfferingCreate,
    update_schema=OfferingUpdate,
    read_schema=OfferingRead,
    list_spec=ListSpec(
        filters={
            "park_id": ServiceOffering.park_id,
            "kind": ServiceOffering.kind,
            "enterprise_id": ServiceOffering.enterprise_id,
            "bookable": ServiceOffering.bookable,
            "active": ServiceOffering.active,
        },
        search=[ServiceOffering.name, ServiceOffering.provider_name, ServiceOffering.description],
        sort={
            "id": ServiceOffering.id,
            "name": ServiceOffering.name,
            "kind": ServiceOffering.kind,
            "unit_price_yuan": ServiceOffering.unit_price_yuan,
        },
        default_sort="kind,name,id",
    ),
    write_permission=write_permission,
    owner=enterprise_owner,
    read_condition=viewers,
    validate=_validate,
    before_delete=_before_delete,
)


def import_transformation_services(session: Session, *, scope: Scope, park_id: int) -> builtins.list[ServiceOffering]:
    """Add the transformation catalogue's active services the service catalogue does not list yet (staff)."""
    scope.authorize_write("services.write", park_id=park_id)
    listed = set(
        session.scalars(
            select(ServiceOffering.transformation_entry_id).where(
                ServiceOffering.park_id == park_id, ServiceOffering.transformation_entry_id.is_not(None)
            )
        )
    )
    added = []
    for entry in transformation.catalogue_services(session, park_id=park_id):
        if entry["id"] in listed:
            continue
        row = ServiceOffering(
            park_id=park_id,
            enterprise_id=None,
            kind=ServiceKind.TRANSFORMATION.value,
            name=entry["name"],
            name_en=entry.get("name_en"),
            provider_name=entry["provider"],
            provider_name_en=entry.get("provider_en"),
            description=entry["description"],
            rules=entry["price_note"],
            price_unit=PriceUnit.NONE.value,
            transformation_entry_id=entry["id"],
        )
        session.add(row)
        added.append(row)
    session.flush()
    return added
