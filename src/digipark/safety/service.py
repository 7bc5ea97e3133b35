"""The safety domain's service: the risk register, major hazard sources, hidden dangers, emergency plans and
resources, incidents and drills (from an alarm or reported; photos, tasks, timeline, nearest resources, report and
its push to the regional command) and the early-warning risk picture.

Everything takes `(session, *, scope, ...)`, reads through the scope and never commits. Every write lands in the
audit log through the `Audited` models."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import math
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import httpx
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.registry.models import Building, Device, Enterprise, Park, Point, Zone
from digipark.safety import alarm_link, major_hazard, risk
from digipark.safety.models import (
    DangerStatus,
    EmergencyPlan,
    EmergencyResource,
    HazardSource,
    HiddenDanger,
    Incident,
    IncidentEvent,
    IncidentPhoto,
    IncidentSource,
    IncidentStatus,
    IncidentTask,
    ReportPush,
    ResourceKind,
    RiskPoint,
    TaskStatus,
)
from digipark.safety.schemas import (
    AreaRisk,
    Assign,
    Close,
    HazardSourceCreate,
    HazardSourceUpdate,
    HiddenDangerCreate,
    HiddenDangerUpdate,
    IncidentCreate,
    IncidentFromAlarm,
    PlanCreate,
    PlanUpdate,
    Reason,
    Rectify,
    ResourceCreate,
    ResourceUpdate,
    RiskPicture,
    RiskPointCreate,
    RiskPointUpdate,
    SubstanceIn,
    TaskCreate,
    TaskStatusChange,
    Verify,
)

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
READ = "safety.read"  # the park's whole safety picture
WRITE = "safety.write"  # staff: register, hazard sources, hidden dangers (verify too), plans, resources
SELF_WRITE = "safety.self_write"  # an enterprise: its own risk points, hazard sources, hidden dangers, reports
COMMAND = "emergency.command"  # staff: incidents' tasks, closing, report pushes

# -- incident photos -----------------------------------------------------------------------------------------------
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 20
PHOTO_TYPES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
}

REPORT_SCHEMA = "https://digipark.dev/schemas/safety/incident-report-1.json"
OPEN_DANGER = (DangerStatus.FOUND.value, DangerStatus.ASSIGNED.value)
UNVERIFIED_DANGER = (DangerStatus.FOUND.value, DangerStatus.ASSIGNED.value, DangerStatus.RECTIFIED.value)
DANGER_TRANSITIONS: dict[str, frozenset[str]] = {
    DangerStatus.FOUND.value: frozenset({DangerStatus.ASSIGNED.value}),
    DangerStatus.ASSIGNED.value: frozenset({DangerStatus.ASSIGNED.value, DangerStatus.RECTIFIED.value}),
    DangerStatus.RECTIFIED.value: frozenset({DangerStatus.VERIFIED.value, DangerStatus.ASSIGNED.value}),
    DangerStatus.VERIFIED.value: frozenset(),
}


def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


@cache
def warning_data() -> dict[str, Any]:
    text = resources.files("digipark.safety").joinpath("data", "early_warning.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed safety/data/early_warning.yaml")
    return raw


# ==================================================================================================================
# Shared checks: owner, location, sensors
# ==================================================================================================================
def _writer(scope: Scope) -> str:
    """The permission a write of an enterprise-owned record needs: staff write any, an enterprise its own."""
    return SELF_WRITE if scope.role == Role.ENTERPRISE else WRITE


def _may_write(scope: Scope, row: Any) -> bool:
    try:
        scope.authorize_write_row(_writer(scope), row)
    except PermissionDenied:
        return False
    return True


def _owner(
    session: Session, scope: Scope, enterprise_id: int | None, park_id: int | None = None
) -> tuple[int, int | None]:
    """(park_id, enterprise_id) of a new record: an enterprise user's own enterprise, or (staff) a visible
    enterprise of the park or none (the park's own)."""
    if scope.role == Role.ENTERPRISE:
        if enterprise_id is not None and enterprise_id != scope.enterprise_id:
            raise PermissionDenied("an enterprise may record only its own data")
        enterprise_id = scope.enterprise_id
    park = park_id if park_id is not None else scope.park_id
    if enterprise_id is not None:
        found: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
        if found is None:
            raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
        park = found.park_id
    if park is None:
        raise field_error("park_id", "your account is not assigned to a park")
    scope.authorize_write(_writer(scope), park_id=park, enterprise_id=enterprise_id)
    return park, enterprise_id


_LOCATION_FIELDS = ("zone_id", "building_id", "lon", "lat", "location")


def _locate(session: Session, scope: Scope, park_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """Check a location's zone and building are the park's; a building without a zone gives its zone."""
    out = {k: values[k] for k in _LOCATION_FIELDS if k in values}
    if out.get("zone_id") is not None:
        zone = session.scalar(scope.readable(Zone).where(Zone.id == out["zone_id"], Zone.park_id == park_id))
        if zone is None:
            raise field_error("zone_id", f"no zone {out['zone_id']} in this park")
    if out.get("building_id") is not None:
        building = session.scalar(
            scope.readable(Building).where(Building.id == out["building_id"], Building.park_id == park_id)
        )
        if building is None:
            raise field_error("building_id", f"no building {out['building_id']} in this park")
        if out.get("zone_id") is None and building.zone_id is not None:
            out["zone_id"] = building.zone_id
        elif out.get("zone_id") is not None and building.zone_id not in (None, out["zone_id"]):
            raise field_error("building_id", f"building {building.id} is not in zone {out['zone_id']}")
    if ("lon" in out) != ("lat" in out) or (out.get("lon") is None) != (out.get("lat") is None):
        raise field_error("lon", "give both lon and lat, or neither")
    return out


def _check_points(
    session: Session, scope: Scope, park_id: int, enterprise_id: int | None, ids: Sequence[int]
) -> list[int]:
    """Linked sensors: points of the park the caller can read (an enterprise's record: its own or the park's)."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    found = {
        pid: owner
        for pid, owner in session.execute(
            select(Point.id, Point.enterprise_id).where(
                scope.condition(Point), Point.park_id == park_id, Point.id.in_(unique)
            )
        )
    }
    for pid in unique:
        if pid not in found:
            raise field_error("point_ids", f"no point {pid} in this park visible to you")
        if enterprise_id is not None and found[pid] not in (None, enterprise_id):
            raise field_error("point_ids", f"point {pid} belongs to another enterprise")
    return unique


def _null_check(values: dict[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in values and values[name] is None:
            raise field_error(name, "required: may not be set to null")


# ==================================================================================================================
# Risk register
# ==================================================================================================================
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


def list_risk_points(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[RiskPoint], int]:
    return RISK_POINT_SPEC.apply(session, scope.readable(RiskPoint), query)


def get_risk_point(session: Session, *, scope: Scope, ident: int) -> RiskPoint:
    return scope.get_or_404(session, RiskPoint, ident)


def create_risk_point(session: Session, *, scope: Scope, data: RiskPointCreate) -> RiskPoint:
    park_id, enterprise_id = _owner(session, scope, data.enterprise_id)
    values = data.model_dump(exclude={"enterprise_id"})
    method = data.method.value
    if method == "LEC":
        values["s_value"] = None
    else:
        values["e_value"] = values["c_value"] = None
    found = _assess(method, values)
    values.update(_locate(session, scope, park_id, values))
    values["point_ids"] = _check_points(session, scope, park_id, enterprise_id, data.point_ids)
    values["method"] = method
    row = RiskPoint(park_id=park_id, enterprise_id=enterprise_id, score=found.score, level=found.level, **values)
    session.add(row)
    session.flush()
    return row


def update_risk_point(session: Session, *, scope: Scope, ident: int, data: RiskPointUpdate) -> RiskPoint:
    row = get_risk_point(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    values = data.model_dump(exclude_unset=True)
    _null_check(values, ("code", "name", "responsible_person", "hazards", "controls", "method", "l_value", "active"))
    if "method" in values:
        values["method"] = values["method"].value
    merged = {k: getattr(row, k) for k in ("method", "l_value", "e_value", "c_value", "s_value")} | {
        k: v for k, v in values.items() if k in ("method", "l_value", "e_value", "c_value", "s_value")
    }
    if merged["method"] == "LEC":
        merged["s_value"] = None
    else:
        merged["e_value"] = merged["c_value"] = None
    found = _assess(merged["method"], merged)
    location = _locate(session, scope, row.park_id, {**{k: getattr(row, k) for k in _LOCATION_FIELDS}, **values})
    if "point_ids" in values:
        values["point_ids"] = _check_points(session, scope, row.park_id, row.enterprise_id, values["point_ids"])
    for key, value in {**values, **merged, **location}.items():
        setattr(row, key, value)
    row.score, row.level = found.score, found.level
    session.flush()
    return row


def delete_risk_point(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_risk_point(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    session.delete(row)
    session.flush()


# ==================================================================================================================
# Major hazard sources (GB 18218-2018)
# ==================================================================================================================
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


def _substance_rows(
    substances: Sequence[SubstanceIn], found: major_hazard.Identification
) -> builtins.list[dict[str, Any]]:
    return [
        {**dataclasses.asdict(result), "categories": list(given.categories)}
        for given, result in zip(substances, found.substances, strict=True)
    ]


def _apply_identification(row: HazardSource, found: major_hazard.Identification) -> None:
    row.s_value = found.s
    row.is_major = found.major
    row.alpha = found.alpha
    row.r_value = found.r
    row.grade = found.grade


def list_hazard_sources(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[HazardSource], int]:
    return HAZARD_SPEC.apply(session, scope.readable(HazardSource), query)


def get_hazard_source(session: Session, *, scope: Scope, ident: int) -> HazardSource:
    return scope.get_or_404(session, HazardSource, ident)


def create_hazard_source(session: Session, *, scope: Scope, data: HazardSourceCreate) -> HazardSource:
    park_id, enterprise_id = _owner(session, scope, data.enterprise_id)
    found = evaluate(data.substances, data.exposed_people)
    values = data.model_dump(exclude={"enterprise_id", "substances"})
    values.update(_locate(session, scope, park_id, values))
    values["point_ids"] = _check_points(session, scope, park_id, enterprise_id, data.point_ids)
    row = HazardSource(
        park_id=park_id, enterprise_id=enterprise_id, substances=_substance_rows(data.substances, found), **values
    )
    _apply_identification(row, found)
    session.add(row)
    session.flush()
    return row


def update_hazard_source(session: Session, *, scope: Scope, ident: int, data: HazardSourceUpdate) -> HazardSource:
    row = get_hazard_source(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    values = data.model_dump(exclude_unset=True)
    _null_check(values, ("code", "name", "unit_kind", "exposed_people", "substances", "point_ids"))
    substances = data.substances if data.substances is not None else [SubstanceIn(**_input(s)) for s in row.substances]
    found = evaluate(substances, values.get("exposed_people", row.exposed_people))
    location = _locate(session, scope, row.park_id, {**{k: getattr(row, k) for k in _LOCATION_FIELDS}, **values})
    if "point_ids" in values:
        values["point_ids"] = _check_points(session, scope, row.park_id, row.enterprise_id, values["point_ids"])
    values.pop("substances", None)
    for key, value in {**values, **location}.items():
        setattr(row, key, value)
    row.substances = _substance_rows(substances, found)
    _apply_identification(row, found)
    session.flush()
    return row


def _input(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": stored["name"],
        "cas": stored.get("cas"),
        "quantity_t": stored["quantity_t"],
        "categories": stored.get("categories") or [],
    }


def delete_hazard_source(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_hazard_source(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    session.delete(row)
    session.flush()


# ==================================================================================================================
# Hidden dangers (隐患排查治理)
# ==================================================================================================================
DANGER_SPEC = ListSpec(
    filters={
        "park_id": HiddenDanger.park_id,
        "enterprise_id": HiddenDanger.enterprise_id,
        "zone_id": HiddenDanger.zone_id,
        "risk_point_id": HiddenDanger.risk_point_id,
        "status": HiddenDanger.status,
        "grade": HiddenDanger.grade,
    },
    search=[HiddenDanger.title, HiddenDanger.assignee, HiddenDanger.found_by],
    sort={
        "id": HiddenDanger.id,
        "found_on": HiddenDanger.found_on,
        "deadline": HiddenDanger.deadline,
        "status": HiddenDanger.status,
    },
    default_sort="-found_on,-id",
)


def is_overdue(row: HiddenDanger, on: dt.date | None = None) -> bool:
    """Not yet rectified and past its deadline."""
    return row.status in OPEN_DANGER and row.deadline is not None and row.deadline < (on or today())


def list_hidden_dangers(
    session: Session, *, scope: Scope, query: ListQuery, overdue: bool | None = None
) -> tuple[builtins.list[HiddenDanger], int]:
    stmt = scope.readable(HiddenDanger)
    if overdue is True:
        stmt = stmt.where(HiddenDanger.status.in_(OPEN_DANGER), HiddenDanger.deadline < today())
    elif overdue is False:
        stmt = stmt.where(
            (HiddenDanger.status.not_in(OPEN_DANGER))
            | HiddenDanger.deadline.is_(None)
            | (HiddenDanger.deadline >= today())
        )
    return DANGER_SPEC.apply(session, stmt, query)


def get_hidden_danger(session: Session, *, scope: Scope, ident: int) -> HiddenDanger:
    return scope.get_or_404(session, HiddenDanger, ident)


def _risk_point_of(session: Session, scope: Scope, park_id: int, enterprise_id: int | None, ident: int | None) -> None:
    if ident is None:
        return
    point = session.scalar(scope.readable(RiskPoint).where(RiskPoint.id == ident, RiskPoint.park_id == park_id))
    if point is None or (enterprise_id is not None and point.enterprise_id not in (None, enterprise_id)):
        raise field_error("risk_point_id", f"no risk point {ident} of this owner visible to you")


def _history(row: HiddenDanger, scope: Scope, status: str, note: str | None) -> None:
    row.history = [*row.history, {"status": status, "at": utcnow().isoformat(), "by": scope.username, "note": note}]


def create_hidden_danger(session: Session, *, scope: Scope, data: HiddenDangerCreate) -> HiddenDanger:
    park_id, enterprise_id = _owner(session, scope, data.enterprise_id)
    found_on = data.found_on or today()
    if found_on > today():
        raise field_error("found_on", "must not be in the future")
    if data.deadline is not None and data.deadline < found_on:
        raise field_error("deadline", "must not be before found_on")
    _risk_point_of(session, scope, park_id, enterprise_id, data.risk_point_id)
    values = data.model_dump(exclude={"enterprise_id", "found_on"})
    values.update(_locate(session, scope, park_id, values))
    values["grade"] = data.grade.value
    row = HiddenDanger(
        park_id=park_id,
        enterprise_id=enterprise_id,
        status=DangerStatus.FOUND.value,
        found_by=scope.username,
        found_on=found_on,
        history=[{"status": "found", "at": utcnow().isoformat(), "by": scope.username, "note": data.description}],
        **values,
    )
    session.add(row)
    session.flush()
    return row


def update_hidden_danger(session: Session, *, scope: Scope, ident: int, data: HiddenDangerUpdate) -> HiddenDanger:
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    if row.status == DangerStatus.VERIFIED.value:
        raise Conflict("a verified hidden danger is closed and cannot be changed")
    values = data.model_dump(exclude_unset=True)
    _null_check(values, ("title", "grade"))
    if "grade" in values:
        values["grade"] = values["grade"].value
    if "risk_point_id" in values:
        _risk_point_of(session, scope, row.park_id, row.enterprise_id, values["risk_point_id"])
    location = _locate(session, scope, row.park_id, {**{k: getattr(row, k) for k in _LOCATION_FIELDS}, **values})
    for key, value in {**values, **location}.items():
        setattr(row, key, value)
    session.flush()
    return row


def _transition(row: HiddenDanger, target: str) -> None:
    if target not in DANGER_TRANSITIONS[row.status]:
        raise Conflict(
            f"a {row.status} hidden danger cannot become {target}",
            errors=[{"field": "status", "reason": f"{row.status} -> {target} is not allowed"}],
        )


def assign_hidden_danger(session: Session, *, scope: Scope, ident: int, data: Assign) -> HiddenDanger:
    """found → assigned (or re-assigned): who rectifies it, by when, how."""
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    _transition(row, DangerStatus.ASSIGNED.value)
    if data.deadline < row.found_on:
        raise field_error("deadline", "must not be before the day it was found")
    row.status = DangerStatus.ASSIGNED.value
    row.assignee, row.deadline = data.assignee, data.deadline
    row.measures = data.measures or row.measures
    _history(row, scope, row.status, f"{data.assignee} · {data.deadline.isoformat()}")
    session.flush()
    return row


def rectify_hidden_danger(session: Session, *, scope: Scope, ident: int, data: Rectify) -> HiddenDanger:
    """assigned → rectified: what was done."""
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    _transition(row, DangerStatus.RECTIFIED.value)
    row.status = DangerStatus.RECTIFIED.value
    row.rectification, row.rectified_by, row.rectified_at = data.rectification, scope.username, utcnow()
    _history(row, scope, row.status, data.rectification)
    session.flush()
    return row


def verify_hidden_danger(session: Session, *, scope: Scope, ident: int, data: Verify) -> HiddenDanger:
    """rectified → verified (passed), or back to assigned (failed). The park verifies, never the enterprise."""
    row = get_hidden_danger(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    target = DangerStatus.VERIFIED.value if data.passed else DangerStatus.ASSIGNED.value
    if row.status != DangerStatus.RECTIFIED.value:
        _transition(row, DangerStatus.VERIFIED.value)
    row.status = target
    if data.passed:
        row.verified_by, row.verified_at = scope.username, utcnow()
    _history(row, scope, "verified" if data.passed else "verification_failed", data.note)
    session.flush()
    return row


# ==================================================================================================================
# Emergency plans and resources
# ==================================================================================================================
PLAN_SPEC = ListSpec(
    filters={
        "park_id": EmergencyPlan.park_id,
        "enterprise_id": EmergencyPlan.enterprise_id,
        "plan_type": EmergencyPlan.plan_type,
        "active": EmergencyPlan.active,
    },
    search=[EmergencyPlan.code, EmergencyPlan.title],
    sort={"id": EmergencyPlan.id, "code": EmergencyPlan.code, "title": EmergencyPlan.title},
    default_sort="code",
)
RESOURCE_SPEC = ListSpec(
    filters={
        "park_id": EmergencyResource.park_id,
        "kind": EmergencyResource.kind,
        "zone_id": EmergencyResource.zone_id,
        "available": EmergencyResource.available,
    },
    search=[EmergencyResource.name, EmergencyResource.category, EmergencyResource.contact],
    sort={"id": EmergencyResource.id, "name": EmergencyResource.name, "kind": EmergencyResource.kind},
    default_sort="kind,name",
)


def _plan_values(values: dict[str, Any]) -> dict[str, Any]:
    levels = values.get("levels")
    if levels is not None and len({lv["level"] for lv in levels}) != len(levels):
        raise field_error("levels", "each response level at most once")
    return values


def list_plans(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EmergencyPlan], int]:
    return PLAN_SPEC.apply(session, scope.readable(EmergencyPlan), query)


def get_plan(session: Session, *, scope: Scope, ident: int) -> EmergencyPlan:
    return scope.get_or_404(session, EmergencyPlan, ident)


def create_plan(session: Session, *, scope: Scope, data: PlanCreate) -> EmergencyPlan:
    park_id, enterprise_id = _owner(session, scope, data.enterprise_id)
    values = _plan_values(data.model_dump(exclude={"enterprise_id"}))
    row = EmergencyPlan(park_id=park_id, enterprise_id=enterprise_id, **values)
    session.add(row)
    session.flush()
    return row


def update_plan(session: Session, *, scope: Scope, ident: int, data: PlanUpdate) -> EmergencyPlan:
    row = get_plan(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    values = _plan_values(data.model_dump(exclude_unset=True))
    _null_check(values, ("code", "title", "plan_type", "incident_kinds", "levels", "roles", "steps", "active"))
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_plan(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_plan(session, scope=scope, ident=ident)
    scope.authorize_write_row(_writer(scope), row)
    used = session.scalar(select(Incident.id).where(Incident.plan_id == row.id).limit(1))
    if used is not None:
        raise Conflict("incidents followed this plan; set it inactive instead")
    session.delete(row)
    session.flush()


def list_resources(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EmergencyResource], int]:
    return RESOURCE_SPEC.apply(session, scope.readable(EmergencyResource), query)


def get_resource(session: Session, *, scope: Scope, ident: int) -> EmergencyResource:
    return scope.get_or_404(session, EmergencyResource, ident)


def create_resource(
    session: Session, *, scope: Scope, data: ResourceCreate, park_id: int | None = None
) -> EmergencyResource:
    park = park_id if park_id is not None else scope.park_id
    scope.authorize_write(WRITE, park_id=park)
    assert park is not None
    values = data.model_dump()
    values.update(_locate(session, scope, park, values))
    if data.owner_enterprise_id is not None:
        owner = session.scalar(
            scope.readable(Enterprise).where(Enterprise.id == data.owner_enterprise_id, Enterprise.park_id == park)
        )
        if owner is None:
            raise field_error("owner_enterprise_id", f"no enterprise {data.owner_enterprise_id} in this park")
    row = EmergencyResource(park_id=park, **values)
    session.add(row)
    session.flush()
    return row


def update_resource(session: Session, *, scope: Scope, ident: int, data: ResourceUpdate) -> EmergencyResource:
    row = get_resource(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    values = data.model_dump(exclude_unset=True)
    _null_check(values, ("name", "available"))
    location = _locate(session, scope, row.park_id, {**{k: getattr(row, k) for k in _LOCATION_FIELDS}, **values})
    for key, value in {**values, **location}.items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_resource(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_resource(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    used = session.scalar(select(IncidentTask.id).where(IncidentTask.team_id == row.id).limit(1))
    if used is not None:
        raise Conflict("the team has incident tasks; set it unavailable instead")
    session.delete(row)
    session.flush()


# ==================================================================================================================
# Incidents and drills
# ==================================================================================================================
INCIDENT_SPEC = ListSpec(
    filters={
        "park_id": Incident.park_id,
        "enterprise_id": Incident.enterprise_id,
        "zone_id": Incident.zone_id,
        "status": Incident.status,
        "kind": Incident.kind,
        "level": Incident.level,
        "source": Incident.source,
        "drill": Incident.drill,
        "alarm_id": Incident.alarm_id,
    },
    search=[Incident.code, Incident.title],
    sort={"id": Incident.id, "occurred_at": Incident.occurred_at, "level": Incident.level, "status": Incident.status},
    default_sort="-occurred_at,-id",
)


def list_incidents(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Incident], int]:
    return INCIDENT_SPEC.apply(session, scope.readable(Incident), query)


def get_incident(session: Session, *, scope: Scope, ident: int) -> Incident:
    return scope.get_or_404(session, Incident, ident)


def _event(session: Session, row: Incident, actor: str, kind: str, text: str, **data: Any) -> IncidentEvent:
    entry = IncidentEvent(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        incident_id=row.id,
        at=utcnow(),
        actor=actor,
        kind=kind,
        text=text[:2000],
        data=data,
    )
    session.add(entry)
    return entry


def _code(session: Session, park_id: int, drill: bool) -> str:
    day = today()
    prefix = f"{'DR' if drill else 'IN'}{park_id}-{day:%Y%m%d}-"
    taken = session.scalar(select(func.count()).select_from(Incident).where(Incident.code.like(prefix + "%"))) or 0
    return f"{prefix}{taken + 1:03d}"


def _pick_plan(
    session: Session, scope: Scope, park_id: int, enterprise_id: int | None, kind: str, plan_id: int | None
) -> int | None:
    if plan_id is not None:
        plan: EmergencyPlan | None = session.scalar(
            scope.readable(EmergencyPlan).where(EmergencyPlan.id == plan_id, EmergencyPlan.park_id == park_id)
        )
        if plan is None or plan.enterprise_id not in (None, enterprise_id):
            raise field_error("plan_id", f"no emergency plan {plan_id} for this incident visible to you")
        return plan.id
    plans = session.scalars(
        select(EmergencyPlan)
        .where(EmergencyPlan.park_id == park_id, EmergencyPlan.active.is_(True))
        .order_by(EmergencyPlan.enterprise_id.is_(None), EmergencyPlan.id)
    )
    for plan in plans:
        if plan.enterprise_id in (None, enterprise_id) and kind in plan.incident_kinds:
            return plan.id
    return None


def _open(
    session: Session,
    scope: Scope,
    *,
    park_id: int,
    enterprise_id: int | None,
    title: str,
    kind: str,
    level: str,
    source: str,
    drill: bool,
    description: str | None,
    occurred_at: dt.datetime,
    location: dict[str, Any],
    plan_id: int | None,
    alarm_id: int | None = None,
) -> Incident:
    row = Incident(
        park_id=park_id,
        enterprise_id=enterprise_id,
        code=_code(session, park_id, drill),
        title=title,
        kind=kind,
        level=level,
        status=IncidentStatus.OPEN.value,
        source=source,
        drill=drill,
        alarm_id=alarm_id,
        plan_id=_pick_plan(session, scope, park_id, enterprise_id, kind, plan_id),
        description=description,
        reported_by=scope.username,
        occurred_at=occurred_at,
        deaths=0,
        injuries=0,
        **location,
    )
    session.add(row)
    session.flush()
    what = "drill started" if drill else f"incident opened ({source})"
    _event(session, row, scope.username, "opened", what, source=source, alarm_id=alarm_id, plan_id=row.plan_id)
    session.flush()
    return row


def create_incident(session: Session, *, scope: Scope, data: IncidentCreate) -> Incident:
    """An incident reported by a person (staff or an enterprise for itself), or a drill (staff)."""
    park_id, enterprise_id = _owner(session, scope, data.enterprise_id)
    if data.drill:
        scope.authorize_write(COMMAND, park_id=park_id)
    values = data.model_dump()
    location = _locate(session, scope, park_id, values)
    if not any(location.get(k) is not None for k in _LOCATION_FIELDS):
        raise field_error("location", "say where: a zone, a building, coordinates or a description")
    occurred = data.occurred_at or utcnow()
    if occurred.tzinfo is None:
        raise field_error("occurred_at", "give a time zone")
    if occurred > utcnow() + dt.timedelta(minutes=5):
        raise field_error("occurred_at", "must not be in the future")
    return _open(
        session,
        scope,
        park_id=park_id,
        enterprise_id=enterprise_id,
        title=data.title,
        kind=data.kind,
        level=data.level,
        source=IncidentSource.DRILL.value if data.drill else IncidentSource.REPORT.value,
        drill=data.drill,
        description=data.description,
        occurred_at=occurred,
        location=location,
        plan_id=data.plan_id,
    )


def create_incident_from_alarm(session: Session, *, scope: Scope, data: IncidentFromAlarm) -> Incident:
    """Open an incident from an alarm the caller may read; one incident per alarm while it is not closed."""
    alarm = alarm_link.get(session, scope=scope, ident=data.alarm_id)
    scope.authorize_write(
        COMMAND if scope.role != Role.ENTERPRISE else SELF_WRITE,
        park_id=alarm.park_id,
        enterprise_id=alarm.enterprise_id,
    )
    existing = session.scalar(
        select(Incident.id).where(Incident.alarm_id == alarm.id, Incident.status != IncidentStatus.CLOSED.value)
    )
    if existing is not None:
        raise Conflict(
            f"incident {existing} is already open for alarm {alarm.id}",
            errors=[{"field": "alarm_id", "reason": "an open incident exists", "incident_id": existing}],
        )
    location: dict[str, Any] = {"zone_id": alarm.zone_id, "building_id": alarm.building_id}
    if alarm.point_id is not None:
        device = session.scalar(
            select(Device).join(Point, Point.device_id == Device.id).where(Point.id == alarm.point_id)
        )
        if device is not None:
            location.update(lon=device.lon, lat=device.lat, location=device.location or device.name)
            if location["building_id"] is None:
                location["building_id"] = device.building_id
    if location["zone_id"] is None and location["building_id"] is not None:
        location["zone_id"] = session.scalar(select(Building.zone_id).where(Building.id == location["building_id"]))
    levels = warning_data()["alarm_incident_levels"]
    raised = alarm.raised_at
    return _open(
        session,
        scope,
        park_id=alarm.park_id,
        enterprise_id=alarm.enterprise_id,
        title=data.title or alarm.title,
        kind=data.kind,
        level=data.level or str(levels.get(alarm.severity, "IV")),
        source=IncidentSource.ALARM.value,
        drill=False,
        description=f"alarm {alarm.id}: {alarm.title} ({alarm.severity})",
        occurred_at=raised if raised.tzinfo else raised.replace(tzinfo=dt.UTC),
        location=location,
        plan_id=data.plan_id,
        alarm_id=alarm.id,
    )


def _not_closed(row: Incident) -> None:
    if row.status == IncidentStatus.CLOSED.value:
        raise Conflict(f"incident {row.code} is closed")


def _may_act(scope: Scope, row: Incident) -> None:
    """Notes and photos: the command, or the owning enterprise on its own incident."""
    scope.authorize_write_row(COMMAND if scope.role != Role.ENTERPRISE else SELF_WRITE, row)


def add_note(session: Session, *, scope: Scope, ident: int, text: str) -> IncidentEvent:
    row = get_incident(session, scope=scope, ident=ident)
    _may_act(scope, row)
    _not_closed(row)
    entry = _event(session, row, scope.username, "note", text)
    session.flush()
    return entry


def timeline(session: Session, *, scope: Scope, ident: int) -> builtins.list[IncidentEvent]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(IncidentEvent).where(IncidentEvent.incident_id == row.id)
    return [*session.scalars(stmt.order_by(IncidentEvent.at, IncidentEvent.id))]


# -- photos --------------------------------------------------------------------------------------------------------
def _check_photo(filename: str, content_type: str, content: bytes) -> str:
    if len(content) > MAX_PHOTO_BYTES:
        raise FileTooLarge(f"the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    if not content:
        raise field_error("file", "the file is empty")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in PHOTO_TYPES:
        raise UnsupportedFile(f"files of type {declared or 'unknown'} are not accepted; use JPEG, PNG or WebP")
    ok = any(content.startswith(sig) for sig in PHOTO_TYPES[declared])
    if declared == "image/webp":
        ok = ok and content[8:12] == b"WEBP"
    if not ok:
        raise UnsupportedFile(f"the file is not the {declared} it claims to be")
    return declared


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')[:200] or "photo"


def add_photo(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> IncidentPhoto:
    row = get_incident(session, scope=scope, ident=ident)
    _may_act(scope, row)
    _not_closed(row)
    declared = _check_photo(filename, content_type, content)
    count = session.scalar(select(func.count()).select_from(IncidentPhoto).where(IncidentPhoto.incident_id == row.id))
    if (count or 0) >= MAX_PHOTOS:
        raise Conflict(f"an incident holds at most {MAX_PHOTOS} photos")
    photo = IncidentPhoto(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        incident_id=row.id,
        filename=_safe_name(filename),
        content_type=declared,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=scope.username,
        uploaded_at=utcnow(),
    )
    session.add(photo)
    session.flush()
    _event(session, row, scope.username, "photo", f"photo {photo.filename}", photo_id=photo.id)
    session.flush()
    return photo


def photos(session: Session, *, scope: Scope, ident: int) -> builtins.list[IncidentPhoto]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(IncidentPhoto).where(IncidentPhoto.incident_id == row.id)
    return [*session.scalars(stmt.order_by(IncidentPhoto.id))]


def get_photo(session: Session, *, scope: Scope, ident: int) -> IncidentPhoto:
    return scope.get_or_404(session, IncidentPhoto, ident)


# -- tasks ---------------------------------------------------------------------------------------------------------
def tasks(session: Session, *, scope: Scope, ident: int) -> builtins.list[IncidentTask]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(IncidentTask).where(IncidentTask.incident_id == row.id)
    return [*session.scalars(stmt.order_by(IncidentTask.deadline, IncidentTask.id))]


def add_task(session: Session, *, scope: Scope, ident: int, data: TaskCreate) -> IncidentTask:
    """A response task to a team (an emergency resource of kind team) or a named person, with a deadline."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=row.park_id)
    _not_closed(row)
    if data.team_id is None and not data.assignee:
        raise field_error("team_id", "give a team or an assignee")
    team_name = None
    if data.team_id is not None:
        team = session.scalar(
            scope.readable(EmergencyResource).where(
                EmergencyResource.id == data.team_id, EmergencyResource.park_id == row.park_id
            )
        )
        if team is None or team.kind != ResourceKind.TEAM.value:
            raise field_error("team_id", f"no emergency team {data.team_id} in this park")
        team_name = team.name
    if data.deadline.tzinfo is None:
        raise field_error("deadline", "give a time zone")
    if data.deadline <= row.occurred_at:
        raise field_error("deadline", "must be after the incident occurred")
    task = IncidentTask(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        incident_id=row.id,
        team_id=data.team_id,
        assignee=data.assignee,
        title=data.title,
        detail=data.detail,
        deadline=data.deadline,
        status=TaskStatus.ASSIGNED.value,
        assigned_by=scope.username,
    )
    session.add(task)
    if row.status == IncidentStatus.OPEN.value:
        row.status = IncidentStatus.RESPONDING.value
    session.flush()
    who = team_name or data.assignee or ""
    _event(session, row, scope.username, "task_assigned", f"{data.title} → {who}", task_id=task.id)
    session.flush()
    return task


def get_task(session: Session, *, scope: Scope, ident: int) -> IncidentTask:
    return scope.get_or_404(session, IncidentTask, ident)


def change_task(session: Session, *, scope: Scope, ident: int, data: TaskStatusChange) -> IncidentTask:
    task = get_task(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=task.park_id)
    row = get_incident(session, scope=scope, ident=task.incident_id)
    _not_closed(row)
    if task.status != TaskStatus.ASSIGNED.value:
        raise Conflict(f"the task is {task.status}; only an assigned task can be done or cancelled")
    task.status = data.status.value
    task.note = data.note
    task.done_at = utcnow()
    _event(
        session,
        row,
        scope.username,
        f"task_{task.status}",
        f"{task.title}: {data.note or task.status}",
        task_id=task.id,
    )
    session.flush()
    return task


# -- closing, report, push -----------------------------------------------------------------------------------------
def close_incident(session: Session, *, scope: Scope, ident: int, data: Close) -> Incident:
    """Close with a summary; every task must be done or cancelled first. Pushes the report to the regional
    command when a webhook is configured (each attempt recorded)."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=row.park_id)
    _not_closed(row)
    open_tasks = session.scalar(
        select(func.count())
        .select_from(IncidentTask)
        .where(IncidentTask.incident_id == row.id, IncidentTask.status == TaskStatus.ASSIGNED.value)
    )
    if open_tasks:
        raise Conflict(
            f"{open_tasks} tasks are still assigned; mark them done or cancelled first",
            errors=[{"field": "tasks", "reason": "open tasks", "count": open_tasks}],
        )
    row.status = IncidentStatus.CLOSED.value
    row.closed_at, row.closed_by = utcnow(), scope.username
    row.summary, row.deaths, row.injuries = data.summary, data.deaths, data.injuries
    _event(session, row, scope.username, "closed", data.summary, deaths=data.deaths, injuries=data.injuries)
    session.flush()
    if get_settings().safety_command_webhook_url:
        push_report(session, scope=scope, ident=row.id)
    return row


def _centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    if not geometry or geometry.get("type") != "Polygon" or not geometry.get("coordinates"):
        return None
    ring = geometry["coordinates"][0]
    points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    if not points:
        return None
    return sum(float(p[0]) for p in points) / len(points), sum(float(p[1]) for p in points) / len(points)


def position(session: Session, row: Any) -> tuple[float, float] | None:
    """Where a located record is: its coordinates, else its building's or zone's centre."""
    if row.lon is not None and row.lat is not None:
        return float(row.lon), float(row.lat)
    if row.building_id is not None:
        found = _centre(session.scalar(select(Building.footprint).where(Building.id == row.building_id)))
        if found:
            return found
    if row.zone_id is not None:
        return _centre(session.scalar(select(Zone.geometry).where(Zone.id == row.zone_id)))
    return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two lon/lat points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(1.0, h)))


def nearest_resources(
    session: Session, *, scope: Scope, ident: int, per_kind: int | None = None
) -> builtins.list[tuple[EmergencyResource, float]]:
    """The nearest available teams, supplies and shelters to an incident (per kind, nearest first)."""
    row = get_incident(session, scope=scope, ident=ident)
    here = position(session, row)
    if here is None:
        return []
    limit = per_kind or int(warning_data()["nearest_per_kind"])
    found: dict[str, builtins.list[tuple[EmergencyResource, float]]] = defaultdict(builtins.list)
    stmt = scope.readable(EmergencyResource).where(
        EmergencyResource.park_id == row.park_id, EmergencyResource.available.is_(True)
    )
    for resource in session.scalars(stmt):
        there = position(session, resource)
        if there is not None:
            found[resource.kind].append((resource, round(distance_m(here, there), 1)))
    result: builtins.list[tuple[EmergencyResource, float]] = []
    for kind in (k.value for k in ResourceKind):
        result.extend(sorted(found[kind], key=lambda item: (item[1], item[0].id))[:limit])
    return result


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def report(session: Session, *, scope: Scope, ident: int) -> dict[str, Any]:
    """The incident report (schema in docs/safety.md, `$schema` REPORT_SCHEMA)."""
    row = get_incident(session, scope=scope, ident=ident)
    park = session.get(Park, row.park_id)
    enterprise = session.get(Enterprise, row.enterprise_id) if row.enterprise_id else None
    zone = session.get(Zone, row.zone_id) if row.zone_id else None
    building = session.get(Building, row.building_id) if row.building_id else None
    plan = session.get(EmergencyPlan, row.plan_id) if row.plan_id else None
    here = position(session, row)
    teams = {
        r.id: r.name for r in session.scalars(select(EmergencyResource).where(EmergencyResource.park_id == row.park_id))
    }
    return {
        "$schema": REPORT_SCHEMA,
        "generated_at": _iso(utcnow()),
        "park": {
            "id": row.park_id,
            "code": park.code if park else None,
            "name": park.name if park else None,
            "region_code": park.region_code if park else None,
        },
        "incident": {
            "id": row.id,
            "code": row.code,
            "title": row.title,
            "kind": row.kind,
            "level": row.level,
            "status": row.status,
            "source": row.source,
            "drill": row.drill,
            "alarm_id": row.alarm_id,
            "description": row.description,
            "reported_by": row.reported_by,
            "occurred_at": _iso(row.occurred_at),
            "closed_at": _iso(row.closed_at),
            "closed_by": row.closed_by,
            "summary": row.summary,
            "casualties": {"deaths": row.deaths, "injuries": row.injuries},
        },
        "enterprise": {"id": enterprise.id, "name": enterprise.name, "uscc": enterprise.uscc} if enterprise else None,
        "location": {
            "zone": {"id": zone.id, "code": zone.code, "name": zone.name} if zone else None,
            "building": {"id": building.id, "code": building.code, "name": building.name} if building else None,
            "lon": here[0] if here else None,
            "lat": here[1] if here else None,
            "text": row.location,
        },
        "plan": {"id": plan.id, "code": plan.code, "title": plan.title} if plan else None,
        "tasks": [
            {
                "id": t.id,
                "title": t.title,
                "team": teams.get(t.team_id) if t.team_id else None,
                "assignee": t.assignee,
                "deadline": _iso(t.deadline),
                "status": t.status,
                "done_at": _iso(t.done_at),
                "note": t.note,
            }
            for t in tasks(session, scope=scope, ident=row.id)
        ],
        "timeline": [
            {"at": _iso(e.at), "actor": e.actor, "kind": e.kind, "text": e.text}
            for e in timeline(session, scope=scope, ident=row.id)
        ],
        "photos": [
            {"id": p.id, "filename": p.filename, "content_type": p.content_type, "size": p.size, "sha256": p.sha256}
            for p in photos(session, scope=scope, ident=row.id)
        ],
        "nearest_resources": [
            {"id": r.id, "kind": r.kind, "name": r.name, "phone": r.phone, "distance_m": d}
            for r, d in nearest_resources(session, scope=scope, ident=row.id)
        ],
    }


def report_body(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def push_report(session: Session, *, scope: Scope, ident: int) -> builtins.list[ReportPush]:
    """POST the report to the regional command webhook, retrying up to the configured attempts; every attempt is
    recorded (and audited). Returns the attempts of this push."""
    row = get_incident(session, scope=scope, ident=ident)
    scope.authorize_write(COMMAND, park_id=row.park_id)
    settings = get_settings()
    url = settings.safety_command_webhook_url
    if not url:
        raise Conflict("no regional command webhook is configured (DIGIPARK_SAFETY_COMMAND_WEBHOOK_URL)")
    body = report_body(report(session, scope=scope, ident=row.id))
    digest = hashlib.sha256(body).hexdigest()
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Digipark-Event": "incident-report"}
    if settings.safety_command_webhook_secret:
        mac = hmac.new(settings.safety_command_webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Digipark-Signature"] = f"sha256={mac}"
    attempts: builtins.list[ReportPush] = []
    for attempt in range(1, settings.safety_command_webhook_attempts + 1):
        if attempt > 1 and settings.safety_command_webhook_backoff_s:
            time.sleep(settings.safety_command_webhook_backoff_s * (attempt - 1))
        status: int | None = None
        error: str | None = None
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=settings.safety_command_webhook_timeout_s)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        push = ReportPush(
            park_id=row.park_id,
            enterprise_id=row.enterprise_id,
            incident_id=row.id,
            url=url[:500],
            attempt=attempt,
            at=utcnow(),
            status_code=status,
            ok=error is None,
            error=error,
            sha256=digest,
        )
        session.add(push)
        attempts.append(push)
        if error is None:
            row.report_pushed_at = push.at
            _event(session, row, scope.username, "report_pushed", f"report pushed to the regional command ({status})")
            break
    else:
        _event(session, row, scope.username, "report_push_failed", f"report push failed: {attempts[-1].error}")
    session.flush()
    return attempts


def pushes(session: Session, *, scope: Scope, ident: int) -> builtins.list[ReportPush]:
    row = get_incident(session, scope=scope, ident=ident)
    stmt = scope.readable(ReportPush).where(ReportPush.incident_id == row.id)
    return [*session.scalars(stmt.order_by(ReportPush.id))]


# ==================================================================================================================
# Early warning: the park's risk picture
# ==================================================================================================================
@dataclasses.dataclass
class _Area:
    reasons: dict[tuple[str, str], list[float]] = dataclasses.field(default_factory=dict)  # -> [count, points]

    def add(self, kind: str, detail: str, count: int, points: float) -> None:
        if count <= 0:
            return
        entry = self.reasons.setdefault((kind, detail), [0, 0.0])
        entry[0] += count
        entry[1] += points

    def index(self) -> float:
        return round(sum(p for _, p in self.reasons.values()), 2)


def _band(index: float) -> str:
    for band in warning_data()["bands"]:
        if index >= float(band["min"]):
            return str(band["level"])
    return "blue"


def risk_picture(
    session: Session, *, scope: Scope, park_id: int | None = None, as_of: dt.datetime | None = None
) -> RiskPicture:
    """Per zone, building and enterprise (and the park as a whole): an index from active alarms by severity,
    open and overdue hidden dangers, major hazard grades, assessed risk points, open incidents and the recent
    trend, with its colour and the reasons behind it (weights: data/early_warning.yaml)."""
    park = park_id if park_id is not None else scope.park_id
    if park is None or park not in scope.read_parks:
        raise NotFound(f"park {park} not found")
    if not (scope.can(READ) or scope.role == Role.ENTERPRISE):
        raise PermissionDenied(f"role {scope.role.value} may not read the park's risk picture")
    now = as_of or utcnow()
    on = now.astimezone(zoneinfo.ZoneInfo(get_settings().timezone)).date()
    w = warning_data()
    areas: dict[tuple[str, int | None], _Area] = defaultdict(_Area)

    def add(keys: tuple[int | None, int | None, int | None], kind: str, detail: str, count: int, points: float) -> None:
        zone_id, building_id, enterprise_id = keys
        targets: list[tuple[str, int | None]] = [("park", None)]
        if zone_id is not None:
            targets.append(("zone", zone_id))
        if building_id is not None:
            targets.append(("building", building_id))
        if enterprise_id is not None:
            targets.append(("enterprise", enterprise_id))
        for target in targets:
            areas[target].add(kind, detail, count, points)

    for c in alarm_link.active_counts(session, scope=scope, park_id=park):
        add(
            (c.zone_id, c.building_id, c.enterprise_id),
            "alarms",
            c.severity,
            c.count,
            c.count * float(w["alarm_weights"].get(c.severity, 0)),
        )
    dangers = session.execute(
        select(
            HiddenDanger.zone_id,
            HiddenDanger.building_id,
            HiddenDanger.enterprise_id,
            HiddenDanger.grade,
            HiddenDanger.status,
            HiddenDanger.deadline,
        ).where(scope.condition(HiddenDanger), HiddenDanger.park_id == park, HiddenDanger.status.in_(UNVERIFIED_DANGER))
    )
    for zone_id, building_id, enterprise_id, grade, status, deadline in dangers:
        keys = (zone_id, building_id, enterprise_id)
        add(keys, "hidden_dangers_open", grade, 1, float(w["hidden_danger_weights"]["open"][grade]))
        if status in OPEN_DANGER and deadline is not None and deadline < on:
            add(keys, "hidden_dangers_overdue", grade, 1, float(w["hidden_danger_weights"]["overdue"][grade]))
    hazards = session.execute(
        select(HazardSource.zone_id, HazardSource.building_id, HazardSource.enterprise_id, HazardSource.grade).where(
            scope.condition(HazardSource), HazardSource.park_id == park, HazardSource.is_major.is_(True)
        )
    )
    for zone_id, building_id, enterprise_id, hazard_grade in hazards:
        if hazard_grade is not None:
            add(
                (zone_id, building_id, enterprise_id),
                "hazard_sources",
                str(hazard_grade),
                1,
                float(w["hazard_grade_weights"][hazard_grade]),
            )
    points = session.execute(
        select(RiskPoint.zone_id, RiskPoint.building_id, RiskPoint.enterprise_id, RiskPoint.level).where(
            scope.condition(RiskPoint), RiskPoint.park_id == park, RiskPoint.active.is_(True)
        )
    )
    for zone_id, building_id, enterprise_id, level in points:
        add(
            (zone_id, building_id, enterprise_id), "risk_points", level, 1, float(w["risk_point_weights"].get(level, 0))
        )
    incidents = session.execute(
        select(Incident.zone_id, Incident.building_id, Incident.enterprise_id, Incident.level).where(
            scope.condition(Incident),
            Incident.park_id == park,
            Incident.drill.is_(False),
            Incident.status != IncidentStatus.CLOSED.value,
        )
    )
    for zone_id, building_id, enterprise_id, level in incidents:
        add((zone_id, building_id, enterprise_id), "incidents", level, 1, float(w["incident_weight"]))
    # trend: hidden dangers found and incidents opened, this window against the one before
    window = int(w["trend"]["window_days"])
    start, middle = on - dt.timedelta(days=2 * window), on - dt.timedelta(days=window)
    counts: dict[tuple[int | None, int | None, int | None], list[int]] = defaultdict(lambda: [0, 0])
    for zone_id, building_id, enterprise_id, found_on in session.execute(
        select(HiddenDanger.zone_id, HiddenDanger.building_id, HiddenDanger.enterprise_id, HiddenDanger.found_on).where(
            scope.condition(HiddenDanger), HiddenDanger.park_id == park, HiddenDanger.found_on > start
        )
    ):
        counts[(zone_id, building_id, enterprise_id)][0 if found_on <= middle else 1] += 1
    since = now - dt.timedelta(days=2 * window)
    for zone_id, building_id, enterprise_id, occurred in session.execute(
        select(Incident.zone_id, Incident.building_id, Incident.enterprise_id, Incident.occurred_at).where(
            scope.condition(Incident), Incident.park_id == park, Incident.drill.is_(False), Incident.occurred_at > since
        )
    ):
        counts[(zone_id, building_id, enterprise_id)][0 if occurred <= now - dt.timedelta(days=window) else 1] += 1
    trend: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0])
    for (zone_id, building_id, enterprise_id), (before, recent) in counts.items():
        for target in [("park", None), ("zone", zone_id), ("building", building_id), ("enterprise", enterprise_id)]:
            if target[0] == "park" or target[1] is not None:
                trend[target][0] += before
                trend[target][1] += recent
    for target, (before, recent) in trend.items():
        if recent > before:
            areas[target].add(
                "trend", f"{before}->{recent}", recent - before, (recent - before) * float(w["trend"]["per_increase"])
            )

    def area(kind: str, key: int | None, name: str) -> AreaRisk:
        found = areas.get((kind, key), _Area())
        index = found.index()
        reasons = [
            Reason(kind=k, detail=d, count=int(v[0]), points=round(v[1], 2))
            for (k, d), v in sorted(found.reasons.items(), key=lambda item: -item[1][1])
        ]
        return AreaRisk(key=key, name=name, index=index, level=_band(index), reasons=reasons)

    zones = session.execute(
        select(Zone.id, Zone.name).where(scope.condition(Zone), Zone.park_id == park).order_by(Zone.code)
    )
    buildings = session.execute(
        select(Building.id, Building.name)
        .where(scope.condition(Building), Building.park_id == park)
        .order_by(Building.code)
    )
    enterprises = session.execute(
        select(Enterprise.id, Enterprise.name)
        .where(scope.condition(Enterprise), Enterprise.park_id == park, Enterprise.status == "active")
        .order_by(Enterprise.name)
    )
    park_name = session.scalar(select(Park.name).where(Park.id == park)) or str(park)
    enterprise_rows = [area("enterprise", i, n) for i, n in enterprises]
    return RiskPicture(
        park_id=park,
        as_of=now,
        zones=[area("zone", i, n) for i, n in zones],
        buildings=[area("building", i, n) for i, n in buildings],
        enterprises=sorted(enterprise_rows, key=lambda a: (-a.index, a.name)),
        park=area("park", None, park_name),
        alarms_available=alarm_link.available(),
    )


def overview_counts(session: Session, *, scope: Scope, park_id: int) -> dict[str, int]:
    """Key figures of the safety centre, as the scope sees them."""
    on = today()

    def count(model: Any, *conditions: Any) -> int:
        stmt = (
            select(func.count()).select_from(model).where(scope.condition(model), model.park_id == park_id, *conditions)
        )
        return int(session.scalar(stmt) or 0)

    return {
        "risk_points": count(RiskPoint, RiskPoint.active.is_(True)),
        "red_points": count(RiskPoint, RiskPoint.active.is_(True), RiskPoint.level == "red"),
        "major_hazards": count(HazardSource, HazardSource.is_major.is_(True)),
        "open_dangers": count(HiddenDanger, HiddenDanger.status.in_(UNVERIFIED_DANGER)),
        "overdue_dangers": count(HiddenDanger, HiddenDanger.status.in_(OPEN_DANGER), HiddenDanger.deadline < on),
        "open_incidents": count(Incident, Incident.status != IncidentStatus.CLOSED.value, Incident.drill.is_(False)),
    }
