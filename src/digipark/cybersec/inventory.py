"""The park's network and compute inventory: network elements per building and floor, compute resources and the
enterprises using them; 双千兆 coverage per building computed from the inventory (indicator S4.1) and compute in
use (S4.2).

A building is covered by gigabit fibre when an in-service element of a fibre technology (千兆 or 万兆光网) is in it,
and by 5G when an in-service element of 5G or 5G-A is. A park without any network inventory yet is read from the
registry's two flags per building (what the park declared), and the result says so."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.cybersec import reference
from digipark.cybersec.common import VIEW, WRITE, enterprise_owner, viewers
from digipark.cybersec.models import ComputeAllocation, ComputeResource, ElementStatus, NetworkElement
from digipark.cybersec.schemas import (
    AllocationCreate,
    AllocationRead,
    AllocationUpdate,
    BuildingCoverage,
    ComputeResourceCreate,
    ComputeResourceRead,
    ComputeResourceUpdate,
    ComputeUse,
    InfrastructureRead,
    NetworkElementCreate,
    NetworkElementRead,
    NetworkElementUpdate,
)
from digipark.evaluation.provides import Computed, Gap, IndicatorContext, NoSource, enterprise_row, share
from digipark.registry.models import Building, Enterprise

ELEMENTS: RecordType[NetworkElement] = RecordType(
    name="network element",
    model=NetworkElement,
    create_schema=NetworkElementCreate,
    update_schema=NetworkElementUpdate,
    read_schema=NetworkElementRead,
    list_spec=ListSpec(
        filters={
            "park_id": NetworkElement.park_id,
            "building_id": NetworkElement.building_id,
            "technology": NetworkElement.technology,
            "kind": NetworkElement.kind,
            "status": NetworkElement.status,
        },
        search=[NetworkElement.code, NetworkElement.name],
        sort={"id": NetworkElement.id, "code": NetworkElement.code},
        default_sort="code,id",
    ),
    write_permission=WRITE,
    read_condition=viewers,
    refs={"building_id": Building},
    unique=("code",),
)

RESOURCES: RecordType[ComputeResource] = RecordType(
    name="compute resource",
    model=ComputeResource,
    create_schema=ComputeResourceCreate,
    update_schema=ComputeResourceUpdate,
    read_schema=ComputeResourceRead,
    list_spec=ListSpec(
        filters={"park_id": ComputeResource.park_id, "kind": ComputeResource.kind, "edge": ComputeResource.edge},
        search=[ComputeResource.code, ComputeResource.name],
        sort={"id": ComputeResource.id, "code": ComputeResource.code, "capacity": ComputeResource.capacity},
        default_sort="code,id",
    ),
    write_permission=WRITE,
    read_condition=viewers,
    refs={"building_id": Building},
    unique=("code",),
)


def _check_period(session: Session, scope: Scope, values: dict[str, Any], row: ComputeAllocation | None) -> Any:
    starts = values.get("starts_on", row.starts_on if row is not None else None)
    ends = values.get("ends_on", row.ends_on if row is not None else None)
    if starts is not None and ends is not None and ends < starts:
        raise field_error("ends_on", "before starts_on")
    return values


ALLOCATIONS: RecordType[ComputeAllocation] = RecordType(
    name="compute allocation",
    model=ComputeAllocation,
    create_schema=AllocationCreate,
    update_schema=AllocationUpdate,
    read_schema=AllocationRead,
    list_spec=ListSpec(
        filters={
            "park_id": ComputeAllocation.park_id,
            "enterprise_id": ComputeAllocation.enterprise_id,
            "resource_id": ComputeAllocation.resource_id,
        },
        search=[],
        sort={"id": ComputeAllocation.id, "starts_on": ComputeAllocation.starts_on},
        default_sort="-starts_on,id",
    ),
    write_permission=WRITE,
    owner=enterprise_owner,
    read_condition=viewers,
    validate=_check_period,
    refs={"resource_id": ComputeResource},
)


# -- coverage ------------------------------------------------------------------------------------------------------
def coverage(session: Session, *, park_id: int) -> tuple[str, builtins.list[BuildingCoverage]]:
    """Per building of the park: what its in-service network brings. ("inventory" | "registry", rows)."""
    technologies = reference.technologies()
    buildings = list(session.scalars(select(Building).where(Building.park_id == park_id).order_by(Building.code)))
    elements = list(
        session.scalars(
            select(NetworkElement).where(
                NetworkElement.park_id == park_id, NetworkElement.status == ElementStatus.IN_SERVICE.value
            )
        )
    )
    any_inventory = session.scalar(select(func.count(NetworkElement.id)).where(NetworkElement.park_id == park_id))
    rows = []
    for b in buildings:
        name = f"{b.code} {b.name}"
        name_en = f"{b.code} {b.name_en}" if b.name_en else None
        if not any_inventory:
            fibre, mobile = bool(b.gigabit_fibre), bool(b.coverage_5g)
            rows.append(
                BuildingCoverage(
                    building_id=b.id,
                    building=name,
                    building_en=name_en,
                    gigabit_fibre=fibre,
                    fibre_10g=False,
                    coverage_5g=mobile,
                    coverage_5g_a=False,
                    floors_5g=[],
                    bandwidth_mbps=0.0,
                    double_gigabit=fibre and mobile,
                )
            )
            continue
        mine = [e for e in elements if e.building_id == b.id]
        counts = {e.technology: technologies.get(e.technology, {}).get("counts_as") for e in mine}
        fibre = "gigabit_fibre" in counts.values()
        mobile = "coverage_5g" in counts.values()
        floors = sorted(
            {e.floor_level for e in mine if counts.get(e.technology) == "coverage_5g" and e.floor_level is not None}
        )
        rows.append(
            BuildingCoverage(
                building_id=b.id,
                building=name,
                building_en=name_en,
                gigabit_fibre=fibre,
                fibre_10g="fibre_10g" in counts,
                coverage_5g=mobile,
                coverage_5g_a="5g_a" in counts,
                floors_5g=floors,
                bandwidth_mbps=sum(
                    e.bandwidth_mbps or 0.0 for e in mine if counts.get(e.technology) == "gigabit_fibre"
                ),
                double_gigabit=fibre and mobile,
            )
        )
    return ("inventory" if any_inventory else "registry"), rows


def compute_use(session: Session, *, park_id: int, on: dt.date) -> builtins.list[ComputeUse]:
    kinds = reference.compute_kinds()
    resources = list(
        session.scalars(
            select(ComputeResource).where(ComputeResource.park_id == park_id).order_by(ComputeResource.code)
        )
    )
    active = (
        select(
            ComputeAllocation.resource_id,
            func.sum(ComputeAllocation.amount),
            func.count(func.distinct(ComputeAllocation.enterprise_id)),
        )
        .where(
            ComputeAllocation.park_id == park_id,
            ComputeAllocation.starts_on <= on,
            (ComputeAllocation.ends_on.is_(None)) | (ComputeAllocation.ends_on >= on),
        )
        .group_by(ComputeAllocation.resource_id)
    )
    used = {rid: (float(total or 0), int(n)) for rid, total, n in session.execute(active)}
    found = []
    for r in resources:
        allocated, enterprises = used.get(r.id, (0.0, 0))
        found.append(
            ComputeUse(
                resource_id=r.id,
                code=r.code,
                name=r.name,
                name_en=r.name_en,
                kind=r.kind,
                unit=str(kinds.get(r.kind, {}).get("unit", "")),
                capacity=r.capacity,
                allocated=allocated,
                utilisation=None if r.capacity <= 0 else round(100.0 * allocated / r.capacity, 1),
                enterprises=enterprises,
            )
        )
    return found


def compute_users(session: Session, *, park_id: int, on: dt.date) -> builtins.list[int]:
    """The enterprises with an allocation active on `on`."""
    stmt = (
        select(ComputeAllocation.enterprise_id)
        .where(
            ComputeAllocation.park_id == park_id,
            ComputeAllocation.enterprise_id.is_not(None),
            ComputeAllocation.starts_on <= on,
            (ComputeAllocation.ends_on.is_(None)) | (ComputeAllocation.ends_on >= on),
        )
        .distinct()
    )
    return sorted(int(e) for e in session.scalars(stmt) if e is not None)


def infrastructure(session: Session, *, scope: Scope, park_id: int | None = None, on: dt.date) -> InfrastructureRead:
    """The park's coverage by building and its compute in use (every member of the park with the view)."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    source, rows = coverage(session, park_id=park)
    return InfrastructureRead(
        park_id=park,
        source=source,
        buildings=rows,
        double_gigabit_share=share(sum(1 for r in rows if r.double_gigabit), len(rows)),
        compute=compute_use(session, park_id=park, on=on),
        compute_enterprises=len(compute_users(session, park_id=park, on=on)),
    )


# -- indicators ----------------------------------------------------------------------------------------------------
def double_gigabit(ctx: IndicatorContext) -> Computed:
    """S4.1: buildings with both gigabit fibre and 5G, from the network inventory (or the registry's flags)."""
    _, buildings = coverage(ctx.session, park_id=ctx.park_id)
    rows, gaps = [], []
    for b in buildings:
        rows.append(
            {
                "building": b.building,
                "gigabit_fibre": b.gigabit_fibre,
                "coverage_5g": b.coverage_5g,
                "ok": b.double_gigabit,
                "link": f"/buildings/{b.building_id}",
            }
        )
        if not b.double_gigabit:
            action = (
                "gigabit_and_5g"
                if not b.gigabit_fibre and not b.coverage_5g
                else "gigabit_fibre"
                if not b.gigabit_fibre
                else "coverage_5g"
            )
            gaps.append(Gap("building", b.building, action, b.building_id))
    covered = sum(1 for r in rows if r["ok"])
    return Computed(
        share(covered, len(rows)),
        covered,
        len(rows),
        columns=["building", "gigabit_fibre", "coverage_5g", "ok"],
        rows=rows,
        gaps=gaps,
    )


def compute_in_use(ctx: IndicatorContext) -> Computed:
    """S4.2: enterprises using the park's compute on the assessment's day (NoSource without compute inventory)."""
    if not ctx.session.scalar(select(func.count(ComputeResource.id)).where(ComputeResource.park_id == ctx.park_id)):
        raise NoSource("no data source yet")  # no compute resources registered: the park declares the value
    users = compute_users(ctx.session, park_id=ctx.park_id, on=ctx.as_of)
    enterprises = {
        e.id: e
        for e in ctx.session.scalars(select(Enterprise).where(Enterprise.id.in_(users)).order_by(Enterprise.name))
    }
    rows = [{**enterprise_row(e), "ok": True} for e in enterprises.values()]
    return Computed(float(len(users)), columns=["enterprise", "industry", "ok"], rows=rows)
