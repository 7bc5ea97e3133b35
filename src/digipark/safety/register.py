"""The risk register (risk points assessed by LEC, LS or a grid) and the major hazard sources (GB 18218-2018):
plain record types (`RISK_POINTS`, `HAZARD_SOURCES`) whose assessment, location and sensor checks are hooks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.safety import major_hazard, risk
from digipark.safety.common import (
    checked_points,
    enterprise_record_owner,
    relocated,
    writer_permission,
)
from digipark.safety.models import (
    HazardSource,
    RiskPoint,
)
from digipark.safety.schemas import (
    HazardSourceCreate,
    HazardSourceRead,
    HazardSourceUpdate,
    RiskPointCreate,
    RiskPointRead,
    RiskPointUpdate,
    SubstanceIn,
)

RISK_POINT_SPEC = ListSpec(
    filters={
        "park_id": RiskPoint.park_id,
        "enterprise_id": RiskPoint.enterprise_id,
        "zone_id": RiskPoint.zone_id,
        "building_id": RiskPoint.building_id,
        "level": RiskPoint.level,
        "method": RiskPoint.method,
        "active": RiskPoint.active,
    },
    search=[RiskPoint.code, RiskPoint.name, RiskPoint.responsible_person, RiskPoint.category],
    sort={"id": RiskPoint.id, "code": RiskPoint.code, "score": RiskPoint.score, "name": RiskPoint.name},
    default_sort="-score,code",
)


def _assess(method: str, values: dict[str, Any]) -> risk.Assessment:
    try:
        return risk.assess(
            method, l=values.get("l_value"), e=values.get("e_value"), c=values.get("c_value"), s=values.get("s_value")
        )
    except risk.RiskInputError as exc:
        raise field_error(f"{exc.field}_value" if exc.field in "lecs" else exc.field, exc.reason) from None


ASSESSED = ("method", "l_value", "e_value", "c_value", "s_value")


def _risk_point_values(session: Session, scope: Scope, values: dict[str, Any], row: RiskPoint | None) -> dict[str, Any]:
    """The assessment (score, level) of the new or changed factors; an update's location and sensors checked
    against the stored row (a new point's once it has its owner: `_check_new_located`)."""
    if "method" in values:
        values["method"] = values["method"].value
    current = {} if row is None else {k: getattr(row, k) for k in ASSESSED}
    merged = current | {k: v for k, v in values.items() if k in ASSESSED}
    if merged["method"] == "LEC":
        merged["s_value"] = None
    else:
        merged["e_value"] = merged["c_value"] = None
    found = _assess(merged["method"], merged)
    values = {**values, **merged, "score": found.score, "level": found.level}
    if row is not None:
        values.update(relocated(session, scope, row, values))
        if "point_ids" in values:
            values["point_ids"] = checked_points(session, scope, row.park_id, row.enterprise_id, values["point_ids"])
    return values


def _check_new_located(session: Session, scope: Scope, row: RiskPoint | HazardSource) -> None:
    """A new risk point's or hazard source's location and sensors, checked once it has its owner."""
    for key, value in relocated(session, scope, row, {}).items():
        setattr(row, key, value)
    row.point_ids = checked_points(session, scope, row.park_id, row.enterprise_id, row.point_ids)


RISK_POINTS: RecordType[RiskPoint] = RecordType(
    name="safety_risk_point",
    model=RiskPoint,
    create_schema=RiskPointCreate,
    update_schema=RiskPointUpdate,
    read_schema=RiskPointRead,
    list_spec=RISK_POINT_SPEC,
    write_permission=writer_permission,
    owner=enterprise_record_owner,
    validate=_risk_point_values,
    before_create=_check_new_located,
)


HAZARD_SPEC = ListSpec(
    filters={
        "park_id": HazardSource.park_id,
        "enterprise_id": HazardSource.enterprise_id,
        "zone_id": HazardSource.zone_id,
        "is_major": HazardSource.is_major,
        "grade": HazardSource.grade,
        "unit_kind": HazardSource.unit_kind,
    },
    search=[HazardSource.code, HazardSource.name],
    sort={
        "id": HazardSource.id,
        "code": HazardSource.code,
        "r_value": HazardSource.r_value,
        "grade": HazardSource.grade,
    },
    default_sort="grade,-r_value,code",
)


def evaluate(substances: Sequence[SubstanceIn], exposed_people: int) -> major_hazard.Identification:
    """GB 18218 identification and grading of one unit (no record written)."""
    try:
        return major_hazard.identify(
            [major_hazard.SubstanceInput(s.name, s.quantity_t, s.cas, tuple(s.categories)) for s in substances],
            exposed_people,
        )
    except major_hazard.HazardInputError as exc:
        raise field_error(exc.field, exc.reason) from None


def _substance_rows(substances: Sequence[SubstanceIn], found: major_hazard.Identification) -> list[dict[str, Any]]:
    return [
        {**dataclasses.asdict(result), "categories": list(given.categories)}
        for given, result in zip(substances, found.substances, strict=True)
    ]


def _identified(substances: Sequence[SubstanceIn], exposed_people: int) -> dict[str, Any]:
    """The stored substances and the GB 18218 identification of a unit."""
    found = evaluate(substances, exposed_people)
    return {
        "substances": _substance_rows(substances, found),
        "s_value": found.s,
        "is_major": found.major,
        "alpha": found.alpha,
        "r_value": found.r,
        "grade": found.grade,
    }


def _hazard_source_values(
    session: Session, scope: Scope, values: dict[str, Any], row: HazardSource | None
) -> dict[str, Any]:
    """The identification of the new or changed unit; an update's location and sensors checked against the stored
    row (a new source's once it has its owner: `_check_new_located`)."""
    inputs = values["substances"] if row is None or "substances" in values else [_input(s) for s in row.substances]
    exposed_people = values["exposed_people"] if row is None or "exposed_people" in values else row.exposed_people
    values = {**values, **_identified([SubstanceIn(**s) for s in inputs], exposed_people)}
    if row is not None:
        values.update(relocated(session, scope, row, values))
        if "point_ids" in values:
            values["point_ids"] = checked_points(session, scope, row.park_id, row.enterprise_id, values["point_ids"])
    return values


def _input(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": stored["name"],
        "cas": stored.get("cas"),
        "quantity_t": stored["quantity_t"],
        "categories": stored.get("categories") or [],
    }


HAZARD_SOURCES: RecordType[HazardSource] = RecordType(
    name="safety_hazard_source",
    model=HazardSource,
    create_schema=HazardSourceCreate,
    update_schema=HazardSourceUpdate,
    read_schema=HazardSourceRead,
    list_spec=HAZARD_SPEC,
    write_permission=writer_permission,
    owner=enterprise_record_owner,
    validate=_hazard_source_values,
    before_create=_check_new_located,
)
