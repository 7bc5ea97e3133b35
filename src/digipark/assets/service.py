"""The asset register (derived CRUD, `ASSETS`), asset classes as data, lifecycle changes, depreciation, and
maintenance plans that open work orders through `digipark.workorders.provides` — by calendar, by usage (run
hours read from telemetry) and from condition alarms on an asset's linked points."""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import zoneinfo
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import attributes, depreciation, watch
from digipark.assets.models import (
    TRANSITIONS,
    USAGE_POINTS,
    AlarmOrder,
    Asset,
    AssetClass,
    LifecycleChange,
    LifecycleState,
    MaintenancePlan,
    PlanKind,
)
from digipark.assets.schemas import AssetCreate, AssetRead, AssetUpdate, PlanCreate, StateChange
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.registry.models import Building, Enterprise, LandParcel, Point
from digipark.services.provides import shared_equipment
from digipark.telemetry.provides import PointLatest
from digipark.workorders.provides import Category, OriginKind, Priority, State, WorkOrderCreate, open_order, read_order

VIEW = "assets.view"
WRITE = "assets.write"
OPEN_STATES = (State.OPEN, State.ASSIGNED, State.IN_PROGRESS)


def today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


# -- classes as data ---------------------------------------------------------------------------------------------
@functools.cache
def class_catalogue() -> builtins.list[dict[str, Any]]:
    text = resources.files("digipark.assets").joinpath("data/classes.yaml").read_text("utf-8")
    classes: builtins.list[dict[str, Any]] = yaml.safe_load(text)["classes"]
    return classes


@functools.cache
def vibration_zones() -> dict[str, Any]:
    text = resources.files("digipark.assets").joinpath("data/vibration.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def failure_threshold(klass: AssetClass) -> float | None:
    """The RMS velocity (mm/s) of the class's ISO 10816-3 C/D boundary; None for a class without one."""
    if not klass.vibration_group:
        return None
    return float(vibration_zones()["groups"][klass.vibration_group]["cd"])


def seed_classes(session: Session, *, park_id: int) -> dict[str, AssetClass]:
    """The catalogue's classes in a park (the ones it lacks), by code."""
    found = {c.code: c for c in session.scalars(select(AssetClass).where(AssetClass.park_id == park_id))}
    for entry in class_catalogue():
        if entry["code"] in found:
            continue
        klass = AssetClass(
            park_id=park_id,
            code=entry["code"],
            name=entry["name"],
            name_en=entry.get("name_en"),
            kind=entry["kind"],
            useful_life_years=entry["useful_life_years"],
            method=entry["method"],
            salvage_rate=entry["salvage_rate"],
            rotating=entry.get("rotating", False),
            vibration_group=entry.get("vibration_group"),
            temperature_limit_c=entry.get("temperature_limit_c"),
            templates=entry.get("templates", []),
            attributes=entry.get("attributes", []),
            condition_indicators=entry.get("condition_indicators", []),
        )
        attributes.check_declaration(klass.attributes or [])
        watch.check_indicators(klass.condition_indicators or [])
        session.add(klass)
        found[klass.code] = klass
    session.flush()
    return found


def list_classes(session: Session, *, scope: Scope, park_id: int | None = None) -> builtins.list[AssetClass]:
    stmt = scope.readable(AssetClass)
    if park_id is not None:
        stmt = stmt.where(AssetClass.park_id == park_id)
    return list(session.scalars(stmt.order_by(AssetClass.code)))


# -- the register ------------------------------------------------------------------------------------------------
def _owner(session: Session, scope: Scope, data: Any) -> tuple[int, int | None]:
    park_id = scope.acting_write_park(getattr(data, "park_id", None))
    enterprise_id = scope.acting_enterprise(getattr(data, "enterprise_id", None))
    if enterprise_id is not None:
        found = session.scalar(
            scope.readable(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.park_id == park_id)
        )
        if found is None:
            raise field_error("enterprise_id", f"no enterprise {enterprise_id} in this park")
    return park_id, enterprise_id


LINK_FIELDS = (
    "run_hours_point_id",
    "vibration_point_id",
    "temperature_point_id",
    "cycles_point_id",
    "energy_point_id",
)


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: Asset | None) -> dict[str, Any]:
    park_id = row.park_id if row is not None else scope.acting_write_park(values.get("park_id"))
    if row is None:
        klass = session.scalar(
            select(AssetClass).where(AssetClass.id == values["class_id"], AssetClass.park_id == park_id)
        )
        if klass is None:
            raise field_error("class_id", f"no asset class {values['class_id']} in this park")
        values.setdefault("method", None)
        values["method"] = values["method"] or klass.method
        values["useful_life_months"] = values.get("useful_life_months") or klass.useful_life_years * 12
        if values.get("salvage_value") is None:
            values["salvage_value"] = round(values.get("purchase_value", 0.0) * klass.salvage_rate, 2)
    merged = {**(AssetRead.model_validate(row).model_dump() if row is not None else {}), **values}
    if merged.get("salvage_value", 0) > merged.get("purchase_value", 0):
        raise field_error("salvage_value", "must not exceed the purchase value")
    if merged.get("method") != "straight_line" and merged.get("useful_life_months", 12) % 12:
        raise field_error("useful_life_months", "accelerated depreciation needs whole years")
    if values.get("building_id") is not None:
        building = session.get(Building, values["building_id"])
        if building is None or building.park_id != park_id:
            raise field_error("building_id", f"no building {values['building_id']} in this park")
    if values.get("land_parcel_id") is not None:
        parcel = session.get(LandParcel, values["land_parcel_id"])
        if parcel is None or parcel.park_id != park_id:
            raise field_error("land_parcel_id", f"no land parcel {values['land_parcel_id']} in this park")
    if values.get("offering_id") is not None and values["offering_id"] not in shared_equipment(
        session, park_id=park_id
    ):
        raise field_error("offering_id", f"no bookable shared equipment {values['offering_id']} in this park")
    if merged.get("geometry") is not None and merged.get("network") is None:
        raise field_error("network", "a line geometry is a road or pipe network: say which")
    if values.get("attributes"):
        klass = session.get(AssetClass, merged["class_id"])
        values["attributes"] = attributes.check_values(klass.attributes or [] if klass else [], values["attributes"])
    for field in LINK_FIELDS:
        if values.get(field) is not None:
            point = session.scalar(scope.readable(Point).where(Point.id == values[field], Point.park_id == park_id))
            if point is None:
                raise field_error(field, f"no point {values[field]} in this park")
    return values


def _record_first_state(session: Session, scope: Scope, row: Asset, data: Any) -> None:
    session.add(
        LifecycleChange(
            park_id=row.park_id,
            asset_id=row.id,
            from_state=None,
            to_state=row.state,
            on=row.in_service_on or row.acquired_on or today(),
            by=scope.username,
        )
    )


WATCH_FIELDS = frozenset({"class_id", "state", *LINK_FIELDS})


def _created(session: Session, scope: Scope, row: Asset, data: Any) -> None:
    _record_first_state(session, scope, row, data)
    watch.sync_asset(session, asset=row, username=scope.username)


def _updated(session: Session, scope: Scope, row: Asset, values: dict[str, Any]) -> None:
    if WATCH_FIELDS & set(values):
        watch.sync_asset(session, asset=row, username=scope.username)


ASSETS: RecordType[Asset] = RecordType(
    name="asset",
    model=Asset,
    create_schema=AssetCreate,
    update_schema=AssetUpdate,
    read_schema=AssetRead,
    list_spec=ListSpec(
        filters={
            "park_id": Asset.park_id,
            "enterprise_id": Asset.enterprise_id,
            "class_id": Asset.class_id,
            "state": Asset.state,
            "building_id": Asset.building_id,
        },
        search=[Asset.code, Asset.name, Asset.model, Asset.supplier, Asset.location],
        sort={"id": Asset.id, "code": Asset.code, "name": Asset.name, "purchase_value": Asset.purchase_value},
        default_sort="code,id",
    ),
    write_permission=WRITE,
    owner=_owner,
    validate=_validate,
    after_create=_created,
    after_update=_updated,
    unique=("code",),
)


def change_state(session: Session, *, scope: Scope, ident: int, data: StateChange) -> Asset:
    """Move an asset along its lifecycle (planned -> acquired -> in service <-> under maintenance -> retired ->
    disposed); 409 for a change the lifecycle does not allow."""
    asset = ASSETS.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, asset)
    target = data.state.value
    if target not in TRANSITIONS[LifecycleState(asset.state)]:
        raise Conflict(f"an asset {asset.state} cannot become {target}")
    on = data.on or today()
    if target == LifecycleState.ACQUIRED and asset.acquired_on is None:
        asset.acquired_on = on
    if target == LifecycleState.IN_SERVICE and asset.in_service_on is None:
        asset.in_service_on = on
    session.add(
        LifecycleChange(
            park_id=asset.park_id,
            asset_id=asset.id,
            from_state=asset.state,
            to_state=target,
            on=on,
            by=scope.username,
            note=data.note,
        )
    )
    asset.state = target
    session.flush()
    return asset


def history(session: Session, *, scope: Scope, asset: Asset) -> builtins.list[LifecycleChange]:
    stmt = scope.readable(LifecycleChange).where(LifecycleChange.asset_id == asset.id)
    return list(session.scalars(stmt.order_by(LifecycleChange.id)))


def schedule(asset: Asset) -> builtins.list[depreciation.Month]:
    """The asset's monthly depreciation schedule (empty before it is in service)."""
    if asset.in_service_on is None:
        return []
    return depreciation.monthly_schedule(
        cost=asset.purchase_value,
        salvage=asset.salvage_value,
        life_months=asset.useful_life_months,
        method=asset.method,
        in_service_on=asset.in_service_on,
    )


def net_book_value(asset: Asset, on: dt.date) -> float:
    return depreciation.net_book_value(
        cost=asset.purchase_value,
        salvage=asset.salvage_value,
        life_months=asset.useful_life_months,
        method=asset.method,
        in_service_on=asset.in_service_on,
        on=on,
    )


# -- work orders -------------------------------------------------------------------------------------------------
def open_asset_order(
    session: Session,
    *,
    scope: Scope,
    asset: Asset,
    title: str,
    description: str | None,
    origin: OriginKind,
    origin_ref: str,
    category: Category = Category.MAINTENANCE,
    priority: Priority = Priority.NORMAL,
    now: dt.datetime | None = None,
    title_en: str | None = None,
) -> int:
    """Open a work order for an asset through the shared work-order mechanism (reported at `now`), titled `title`
    (and `title_en` on English pages); its id."""
    order = open_order(
        session,
        scope=scope,
        data=WorkOrderCreate(
            category=category,
            priority=priority,
            title=title[:200],
            title_en=title_en[:200] if title_en else None,
            description=description,
            building_id=asset.building_id,
            location=(asset.location or asset.name)[:200],
            enterprise_id=asset.enterprise_id,
            origin_kind=origin,
            origin_ref=origin_ref[:80],
            park_id=asset.park_id,
        ),
        now=now,
    )
    return order.id


def order_is_open(session: Session, *, scope: Scope, order_id: int | None) -> bool:
    if order_id is None:
        return False
    try:
        return read_order(session, scope=scope, ident=order_id).state in OPEN_STATES
    except NotFound:
        return False


# -- maintenance plans -------------------------------------------------------------------------------------------
def create_plan(session: Session, *, scope: Scope, asset_id: int, data: PlanCreate) -> MaintenancePlan:
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    scope.authorize_write_row(WRITE, asset)
    if data.kind == PlanKind.CALENDAR and not data.every_days:
        raise field_error("every_days", "required for a calendar plan")
    if data.kind == PlanKind.USAGE:
        if not data.every_run_hours:
            raise field_error("every_run_hours", "required for a usage plan")
        if asset.run_hours_point_id is None:
            raise field_error("kind", "the asset has no run-hours point")
    if data.kind in (PlanKind.CYCLES, PlanKind.ENERGY):
        if not data.every_usage:
            raise field_error("every_usage", f"required for a {data.kind} plan")
        if getattr(asset, USAGE_POINTS[data.kind]) is None:
            raise field_error("kind", f"the asset has no {data.kind} point")
    plan = MaintenancePlan(park_id=asset.park_id, asset_id=asset.id, active=True, **data.model_dump())
    session.add(plan)
    session.flush()
    return plan


def plans_of(session: Session, *, scope: Scope, asset: Asset) -> builtins.list[MaintenancePlan]:
    stmt = scope.readable(MaintenancePlan).where(MaintenancePlan.asset_id == asset.id)
    return list(session.scalars(stmt.order_by(MaintenancePlan.id)))


def run_hours(session: Session, asset: Asset) -> float | None:
    """The asset's run-hours counter: the newest reading of its run-hours point (telemetry)."""
    return usage_counter(session, asset, PlanKind.USAGE)


def usage_counter(session: Session, asset: Asset, kind: PlanKind | str) -> float | None:
    """The asset's counter for a usage basis — run hours, cycles (starts) or energy (kWh): the newest reading
    of the asset's point that counts it (telemetry); None without a point or a reading."""
    point_id = getattr(asset, USAGE_POINTS[PlanKind(kind)])
    if point_id is None:
        return None
    latest = session.get(PointLatest, point_id)
    return float(latest.value) if latest is not None else None


def next_due(plan: MaintenancePlan, asset: Asset) -> dt.date | None:
    if plan.kind != PlanKind.CALENDAR or not plan.every_days:
        return None
    start = plan.last_done_on or asset.in_service_on
    return start + dt.timedelta(days=plan.every_days) if start is not None else None


def due_plans(session: Session, *, scope: Scope, park_id: int, on: dt.date) -> builtins.list[int]:
    """Open the work orders of every active plan of the park that is due on `on` (by calendar, or by the run
    hours its asset's telemetry counter has reached) and has no open order yet. The new orders' ids."""
    scope.require(WRITE)
    opened: builtins.list[int] = []
    stmt = (
        scope.readable(MaintenancePlan)
        .where(MaintenancePlan.park_id == park_id, MaintenancePlan.active.is_(True))
        .order_by(MaintenancePlan.id)
    )
    for plan in session.scalars(stmt):
        asset = session.get(Asset, plan.asset_id)
        if asset is None or asset.state not in (LifecycleState.IN_SERVICE, LifecycleState.UNDER_MAINTENANCE):
            continue
        if order_is_open(session, scope=scope, order_id=plan.last_order_id):
            continue
        counter = usage_counter(session, asset, plan.kind) if plan.kind in USAGE_POINTS else None
        if plan.kind == PlanKind.CALENDAR:
            due = next_due(plan, asset)
            if due is None or due > on:
                continue
            detail = f"按计划每{plan.every_days}天一次，上次：{plan.last_done_on or asset.in_service_on}"
        elif plan.kind == PlanKind.USAGE:
            if counter is None or plan.every_run_hours is None:
                continue
            if counter - (plan.last_done_run_hours or 0.0) < plan.every_run_hours:
                continue
            detail = f"累计运行{counter:.0f}小时，上次保养时{plan.last_done_run_hours or 0:.0f}小时"
        else:
            if counter is None or plan.every_usage is None:
                continue
            if counter - (plan.last_done_usage or 0.0) < plan.every_usage:
                continue
            unit = "次启停" if plan.kind == PlanKind.CYCLES else "千瓦时"
            detail = f"累计{counter:.0f}{unit}，上次保养时{plan.last_done_usage or 0:.0f}{unit}"
        plan.last_order_id = open_asset_order(
            session,
            scope=scope,
            asset=asset,
            title=f"{asset.name}：{plan.name}",
            title_en=f"{asset.name_en or asset.name}: {plan.name_en or plan.name}",
            description=detail,
            origin=OriginKind.PLAN,
            origin_ref=str(plan.id),
        )
        plan.last_done_on = on
        if counter is not None and plan.kind == PlanKind.USAGE:
            plan.last_done_run_hours = counter
        elif counter is not None:
            plan.last_done_usage = counter
        opened.append(plan.last_order_id)
    session.flush()
    return opened


# -- condition alarms --------------------------------------------------------------------------------------------
def order_for_alarm(
    session: Session, *, scope: Scope, alarm_id: int, point_id: int | None, severity: str, message: str = ""
) -> int | None:
    """Open a repair order for the asset whose linked point (vibration, temperature, run hours, cycles or energy)
    raised an alarm (once per alarm); None when the point is no asset's."""
    if point_id is None:
        return None
    if session.scalar(select(AlarmOrder.id).where(AlarmOrder.alarm_id == alarm_id)) is not None:
        return None
    asset = session.scalar(
        scope.readable(Asset)
        .where(
            (Asset.vibration_point_id == point_id)
            | (Asset.temperature_point_id == point_id)
            | (Asset.run_hours_point_id == point_id)
            | (Asset.cycles_point_id == point_id)
            | (Asset.energy_point_id == point_id)
        )
        .order_by(Asset.id)
        .limit(1)
    )
    if asset is None:
        return None
    return order_for_asset_alarm(
        session, scope=scope, asset=asset, alarm_id=alarm_id, severity=severity, message=message
    )


def order_for_asset_alarm(
    session: Session, *, scope: Scope, asset: Asset, alarm_id: int, severity: str, message: str = ""
) -> int | None:
    """Open the repair order of a condition alarm of the asset (once per alarm; none for a retired asset)."""
    if session.scalar(select(AlarmOrder.id).where(AlarmOrder.alarm_id == alarm_id)) is not None:
        return None
    if asset.state in (LifecycleState.RETIRED, LifecycleState.DISPOSED):
        return None
    urgent = severity in ("critical", "major")
    order_id = open_asset_order(
        session,
        scope=scope,
        asset=asset,
        title=f"{asset.name}：状态报警检修",
        title_en=f"{asset.name_en or asset.name}: repair after a condition alarm",
        description=message or None,
        origin=OriginKind.ALARM,
        origin_ref=str(alarm_id),
        category=Category.REPAIR,
        priority=Priority.URGENT if urgent else Priority.NORMAL,
    )
    session.add(AlarmOrder(park_id=asset.park_id, alarm_id=alarm_id, asset_id=asset.id, order_id=order_id))
    session.flush()
    return order_id
