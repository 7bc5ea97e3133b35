"""Registry behaviour: list, get, create, update and delete of every kind of registry row, within a scope.

The kinds share one implementation driven by `KINDS`; what differs per kind (owner taken from a parent,
derived fields, catalogue points) is in the small hooks below.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import secrets
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

import digipark.audit.service  # registers the audit hook for every write below
from digipark.auth.permissions import ENTERPRISE_SELF_FIELDS
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.events import DomainEvent, queue_event
from digipark.core.geo import polygon_area_m2
from digipark.core.listing import ListQuery, ListSpec
from digipark.registry.catalog import device_kind
from digipark.registry.models import Building, Device, Enterprise, Floor, LandParcel, Park, Point, Room, Zone

Row = Any


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistryChanged(DomainEvent):
    kind: str
    action: str
    row_id: int


@dataclasses.dataclass(frozen=True)
class Kind:
    key: str
    model: type[Any]
    list_spec: ListSpec
    # reference fields that must point at a row of the same park, visible to the caller
    refs: dict[str, type[Any]] = dataclasses.field(default_factory=dict)
    # the field naming the parent row whose park (and enterprise) the new row inherits
    parent: tuple[str, type[Any]] | None = None
    # fields whose value must be unique within a park, checked up front for a clear error
    unique: tuple[str, ...] = ()
    creatable: bool = True


def _spec(model: type[Any], filters: tuple[str, ...], search: tuple[str, ...], sort: tuple[str, ...]) -> ListSpec:
    return ListSpec(
        filters={name: getattr(model, name) for name in filters},
        search=[getattr(model, name) for name in search],
        sort={name: getattr(model, name) for name in ("id", *sort)},
    )


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("park", Park, _spec(Park, ("code", "region_code"), ("name", "code"), ("code", "name")), creatable=False),
        Kind(
            "zone",
            Zone,
            _spec(Zone, ("park_id", "code", "function"), ("name", "code"), ("code", "name")),
            unique=("code",),
        ),
        Kind(
            "land_parcel",
            LandParcel,
            _spec(
                LandParcel,
                ("park_id", "zone_id", "code", "land_use"),
                ("code", "owner"),
                ("code", "area_m2", "lease_end"),
            ),
            refs={"zone_id": Zone},
            unique=("code",),
        ),
        Kind(
            "building",
            Building,
            _spec(
                Building,
                ("park_id", "zone_id", "parcel_id", "code", "use", "gigabit_fibre", "coverage_5g"),
                ("name", "code"),
                ("code", "name", "floors", "gross_floor_area_m2", "year_built"),
            ),
            refs={"zone_id": Zone, "parcel_id": LandParcel},
            unique=("code",),
        ),
        Kind(
            "floor",
            Floor,
            _spec(Floor, ("park_id", "building_id", "level"), ("name",), ("level",)),
            parent=("building_id", Building),
        ),
        Kind(
            "room",
            Room,
            _spec(
                Room,
                ("park_id", "building_id", "floor_id", "enterprise_id", "use"),
                ("code",),
                ("code", "area_m2", "lease_to"),
            ),
            refs={"enterprise_id": Enterprise},
            parent=("floor_id", Floor),
        ),
        Kind(
            "enterprise",
            Enterprise,
            _spec(
                Enterprise,
                ("park_id", "uscc", "industry_code", "above_scale", "industrial", "status"),
                ("name", "uscc", "name_en"),
                ("name", "industry_code", "employees", "registered_capital_wan_yuan", "established_on"),
            ),
            unique=("uscc",),
        ),
        Kind(
            "device",
            Device,
            _spec(
                Device,
                ("park_id", "enterprise_id", "building_id", "kind", "status", "protocol", "code"),
                ("name", "code", "model"),
                ("code", "name", "kind", "installed_on"),
            ),
            refs={"enterprise_id": Enterprise, "building_id": Building, "room_id": Room},
            unique=("code",),
        ),
        Kind(
            "point",
            Point,
            _spec(
                Point,
                ("park_id", "enterprise_id", "device_id", "key", "quantity", "device_class"),
                ("name", "key"),
                ("key", "quantity", "device_id"),
            ),
            parent=("device_id", Device),
        ),
    )
}


def create_park(session: Session, *, code: str, name: str, region_code: str, **fields: Any) -> Park:
    """Parks are created by the platform operator (CLI, demo), not through the tenant API."""
    from digipark.core.codes import CodeError, validate_region_code

    try:
        region_code = validate_region_code(region_code)
    except CodeError as exc:
        raise field_error("region_code", str(exc)) from exc
    if session.scalar(select(Park.id).where(Park.code == code)) is not None:
        raise Conflict(f"park {code!r} already exists")
    park = Park(code=code, name=name, region_code=region_code, **fields)
    session.add(park)
    session.flush()
    return park


def get_park_by_code(session: Session, *, code: str) -> Park | None:
    return session.scalar(select(Park).where(Park.code == code))


def kind_or_raise(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise NotFound(f"unknown registry kind {key!r}") from None


def list(session: Session, *, scope: Scope, kind: Kind, query: ListQuery) -> tuple[builtins.list[Row], int]:
    return kind.list_spec.apply(session, scope.readable(kind.model), query)


def all_rows(session: Session, *, scope: Scope, kind: Kind, query: ListQuery) -> builtins.list[Row]:
    return kind.list_spec.all_rows(session, scope.readable(kind.model), query)


def get(session: Session, *, scope: Scope, kind: Kind, ident: int) -> Row:
    return scope.get_or_404(session, kind.model, ident)


def _visible_ref(session: Session, scope: Scope, field: str, model: type[Any], ident: int, park_id: int) -> Row:
    row = session.scalar(scope.readable(model).where(model.id == ident))
    owner_park = getattr(row, getattr(model, "__park_column__", "park_id"), None) if row is not None else None
    if row is None or owner_park != park_id:
        raise field_error(field, f"no {model.__tablename__} {ident} in this park")
    return row


def _check_unique(session: Session, kind: Kind, park_id: int, values: dict[str, Any], ident: int | None) -> None:
    for field in kind.unique:
        if field not in values or values[field] is None:
            continue
        stmt = select(kind.model.id).where(kind.model.park_id == park_id, getattr(kind.model, field) == values[field])
        if ident is not None:
            stmt = stmt.where(kind.model.id != ident)
        if session.scalar(stmt) is not None:
            raise Conflict(
                f"{kind.key} with {field} {values[field]!r} already exists in this park",
                errors=[{"field": field, "reason": "already exists"}],
            )


def _derive(kind: Kind, values: dict[str, Any]) -> None:
    geometry_field = {"zone": "geometry", "land_parcel": "geometry", "building": "footprint"}.get(kind.key)
    if geometry_field and values.get(geometry_field) and not values.get("area_m2") and kind.key != "building":
        values["area_m2"] = round(polygon_area_m2(values[geometry_field]), 1)
    if kind.key == "land_parcel" and values.get("area_m2") is None and "area_m2" in values:
        raise field_error("area_m2", "give area_m2 or a geometry to compute it from")


def _owner_from_parent(session: Session, scope: Scope, kind: Kind, values: dict[str, Any]) -> tuple[int, int | None]:
    assert kind.parent is not None
    field, model = kind.parent
    parent = session.scalar(scope.readable(model).where(model.id == values[field]))
    if parent is None:
        raise field_error(field, f"no {model.__tablename__} {values[field]} visible to you")
    if kind.key == "floor" and (not -10 <= values["level"] <= parent.floors or values["level"] == 0):
        raise field_error("level", f"building {parent.code} has floors 1..{parent.floors} (and basements -1..-10)")
    if kind.key == "room":
        values["building_id"] = parent.building_id
    return parent.park_id, getattr(parent, "enterprise_id", None)


def create(session: Session, *, scope: Scope, kind: Kind, data: BaseModel) -> Row:
    if not kind.creatable:
        raise PermissionDenied(f"{kind.key} records are created by the platform operator (CLI)")
    values = data.model_dump(exclude={"create_points"})
    if kind.parent is not None:
        park_id, enterprise_id = _owner_from_parent(session, scope, kind, values)
        values["park_id"] = park_id
        if kind.key == "point":
            values["enterprise_id"] = enterprise_id
    else:
        scope.require(f"{kind.key}.write")  # a role that may not write is refused before being asked which park
        values["park_id"] = scope.acting_write_park(values.get("park_id"))
    park_id = values["park_id"]
    scope.authorize_write(f"{kind.key}.write", park_id=park_id, enterprise_id=values.get("enterprise_id"))
    for field, model in kind.refs.items():
        if values.get(field) is not None:
            _visible_ref(session, scope, field, model, values[field], park_id)
    _check_unique(session, kind, park_id, values, None)
    _derive(kind, values)
    if kind.key == "device":
        catalogue = device_kind(values["kind"])
        assert catalogue is not None  # validated by the schema
        values["protocol"] = values.get("protocol") or catalogue.protocol
        values["token"] = secrets.token_urlsafe(24)
    row = kind.model(**values)
    session.add(row)
    session.flush()
    if kind.key == "device" and getattr(data, "create_points", False):
        _create_catalogue_points(session, row)
    queue_event(session, RegistryChanged(park_id=park_id, kind=kind.key, action="create", row_id=row.id))
    return row


def _create_catalogue_points(session: Session, device: Device) -> None:
    catalogue = device_kind(device.kind)
    assert catalogue is not None
    for description in catalogue.points:
        session.add(
            Point(
                park_id=device.park_id,
                enterprise_id=device.enterprise_id,
                device_id=device.id,
                key=description.key,
                name=description.name_zh,
                quantity=description.quantity,
                unit=description.unit,
                device_class=description.device_class,
                state_class=description.state_class,
                expected_interval_s=description.expected_interval_s,
                valid_min=description.valid_min,
                valid_max=description.valid_max,
            )
        )
    session.flush()


def update(session: Session, *, scope: Scope, kind: Kind, ident: int, data: BaseModel) -> Row:
    row = get(session, scope=scope, kind=kind, ident=ident)
    values = data.model_dump(exclude_unset=True)
    columns = kind.model.__table__.columns
    for field, value in values.items():  # an explicit null may only clear an optional field
        if value is None and field in columns and not columns[field].nullable:
            raise field_error(field, "required: may not be set to null")
    if kind.key == "enterprise" and scope.own_enterprise_only:
        forbidden = sorted(set(values) - ENTERPRISE_SELF_FIELDS)
        if forbidden:
            raise PermissionDenied(f"an enterprise may not change {', '.join(forbidden)}; ask the park operator")
        scope.authorize_write_row("enterprise.self_update", row)
    else:
        scope.authorize_write_row(f"{kind.key}.write", row)
    park_id = row.park_id if kind.key != "park" else row.id
    for field, model in kind.refs.items():
        if values.get(field) is not None:
            _visible_ref(session, scope, field, model, values[field], park_id)
    _check_unique(session, kind, park_id, values, row.id)
    merged = {**{c: getattr(row, c) for c in values}, **values}
    _derive(kind, merged)
    for field, value in merged.items():
        setattr(row, field, value)
    for start, end in (("lease_start", "lease_end"), ("lease_from", "lease_to"), ("valid_min", "valid_max")):
        low, high = getattr(row, start, None), getattr(row, end, None)
        if low is not None and high is not None and high < low:
            raise field_error(end, f"must not be below {start}")
    if kind.key == "device" and "enterprise_id" in values:
        for point in session.scalars(select(Point).where(Point.device_id == row.id)):  # through the ORM: audited
            point.enterprise_id = row.enterprise_id
    session.flush()
    queue_event(session, RegistryChanged(park_id=park_id, kind=kind.key, action="update", row_id=row.id))
    return row


# Rows that a database cascade would delete, or SET NULL would silently unlink, without an audit entry:
# deleting their parent is refused (409) until they are removed or moved.
DEPENDENTS: dict[str, tuple[tuple[type[Any], str], ...]] = {
    "zone": ((LandParcel, "zone_id"), (Building, "zone_id")),
    "land_parcel": ((Building, "parcel_id"),),
    "building": ((Floor, "building_id"), (Room, "building_id"), (Device, "building_id")),
    "floor": ((Room, "floor_id"),),
    "room": ((Device, "room_id"),),
    "enterprise": ((Room, "enterprise_id"), (Device, "enterprise_id"), (Point, "enterprise_id")),
}


def _refuse_if_in_use(session: Session, kind: Kind, row: Row) -> None:
    used_by: builtins.list[str] = []
    for model, column in DEPENDENTS.get(kind.key, ()):
        n = session.scalar(select(func.count()).select_from(model).where(getattr(model, column) == row.id)) or 0
        if n:
            used_by.append(f"{n} {model.__tablename__}")
    if used_by:
        raise Conflict(
            f"{kind.key} {row.id} is still used by {', '.join(used_by)}; remove or move them first",
            errors=[{"field": "id", "reason": f"in use by {', '.join(used_by)}"}],
        )


def delete(session: Session, *, scope: Scope, kind: Kind, ident: int) -> None:
    if not kind.creatable:
        raise PermissionDenied(f"{kind.key} records cannot be deleted through the API")
    row = get(session, scope=scope, kind=kind, ident=ident)
    scope.authorize_write_row(f"{kind.key}.write", row)
    _refuse_if_in_use(session, kind, row)
    if kind.key == "device":
        for point in session.scalars(select(Point).where(Point.device_id == row.id)):
            session.delete(point)
        session.flush()  # points first: the unit of work does not know they depend on the device
    session.delete(row)
    session.flush()
    queue_event(session, RegistryChanged(park_id=row.park_id, kind=kind.key, action="delete", row_id=ident))


def device_token(session: Session, *, scope: Scope, ident: int) -> str:
    device = get(session, scope=scope, kind=KINDS["device"], ident=ident)
    scope.authorize_write_row("device.write", device)
    return device.token  # type: ignore[no-any-return]


def rotate_device_token(session: Session, *, scope: Scope, ident: int) -> str:
    device = get(session, scope=scope, kind=KINDS["device"], ident=ident)
    scope.authorize_write_row("device.write", device)
    device.token = secrets.token_urlsafe(24)
    session.flush()
    # the token column is excluded from the row's audit; record that it changed, never its value
    digipark.audit.service.record(
        session,
        action="device_token_rotated",
        entity_type="device",
        entity_id=device.id,
        park_id=device.park_id,
        enterprise_id=device.enterprise_id,
    )
    return device.token  # type: ignore[no-any-return]


def enterprise_units(session: Session, *, scope: Scope, enterprise_id: int) -> builtins.list[Room]:
    enterprise = get(session, scope=scope, kind=KINDS["enterprise"], ident=enterprise_id)
    return [*session.scalars(scope.readable(Room).where(Room.enterprise_id == enterprise.id).order_by(Room.id))]


@dataclasses.dataclass
class ParkOverview:
    park: Park
    zones: int
    buildings: int
    enterprises: int
    above_scale_industrial: int
    devices: int
    points: int
    gigabit_buildings: int
    floor_area_m2: float
    by_industry: dict[str, int]


def overview(session: Session, *, scope: Scope, park_id: int) -> ParkOverview:
    park = get(session, scope=scope, kind=KINDS["park"], ident=park_id)

    def count(model: type[Any], *conditions: Any) -> int:
        stmt = (
            select(func.count()).select_from(model).where(model.park_id == park_id, scope.condition(model), *conditions)
        )
        return session.scalar(stmt) or 0

    # literal arguments: with bound ones PostgreSQL does not see the GROUP BY expression as the selected one
    division = func.substr(Enterprise.industry_code, literal_column("1"), literal_column("2"))
    by_industry_rows = session.execute(
        select(division, func.count())
        .where(Enterprise.park_id == park_id, scope.condition(Enterprise))
        .group_by(division)
    ).all()
    floor_area = (
        session.scalar(
            select(func.coalesce(func.sum(Building.gross_floor_area_m2), 0.0)).where(Building.park_id == park_id)
        )
        or 0.0
    )
    return ParkOverview(
        park=park,
        zones=count(Zone),
        buildings=count(Building),
        enterprises=count(Enterprise),
        above_scale_industrial=count(Enterprise, Enterprise.above_scale.is_(True), Enterprise.industrial.is_(True)),
        devices=count(Device),
        points=count(Point),
        gigabit_buildings=count(Building, Building.gigabit_fibre.is_(True), Building.coverage_5g.is_(True)),
        floor_area_m2=float(floor_area),
        by_industry={code: n for code, n in by_industry_rows},
    )


# -- free space (read by investment attraction: digipark.economy.leads) ------------------------------------------
@dataclasses.dataclass
class VacantBuilding:
    building_id: int
    code: str
    name: str
    use: str
    zone_id: int | None
    vacant_rooms: int
    vacant_area_m2: float
    largest_room_m2: float


@dataclasses.dataclass
class FreeParcel:
    parcel_id: int
    code: str
    zone_id: int | None
    land_use: str
    area_m2: float


@dataclasses.dataclass
class FreeSpace:
    park_id: int
    as_of: dt.date
    buildings: builtins.list[VacantBuilding]
    parcels: builtins.list[FreeParcel]

    @property
    def vacant_rooms(self) -> int:
        return sum(b.vacant_rooms for b in self.buildings)

    @property
    def vacant_floor_area_m2(self) -> float:
        return sum(b.vacant_area_m2 for b in self.buildings)

    @property
    def free_land_m2(self) -> float:
        return sum(p.area_m2 for p in self.parcels)


def free_space(session: Session, *, scope: Scope, park_id: int, as_of: dt.date | None = None) -> FreeSpace:
    """Vacant rooms (no tenant, or the lease ended before `as_of`) by building, and land parcels without a
    building, of the rows the scope may read (rooms and parcels are not public: staff see them all)."""
    get(session, scope=scope, kind=KINDS["park"], ident=park_id)
    as_of = as_of or dt.date.today()
    vacant = (Room.enterprise_id.is_(None)) | (Room.lease_to.is_not(None) & (Room.lease_to < as_of))
    rows = session.execute(
        select(Room.building_id, func.count(), func.sum(Room.area_m2), func.max(Room.area_m2))
        .where(Room.park_id == park_id, scope.condition(Room), vacant)
        .group_by(Room.building_id)
    ).all()
    per_building = {building: (int(n), float(area or 0), float(top or 0)) for building, n, area, top in rows}
    buildings: builtins.list[VacantBuilding] = []
    if per_building:
        stmt = scope.readable(Building).where(Building.id.in_(sorted(per_building))).order_by(Building.code)
        for b in session.scalars(stmt):
            n, area, largest = per_building[b.id]
            buildings.append(VacantBuilding(b.id, b.code, b.name, b.use, b.zone_id, n, area, largest))
    built = select(Building.parcel_id).where(Building.parcel_id.is_not(None))
    parcels = [
        FreeParcel(p.id, p.code, p.zone_id, p.land_use, p.area_m2)
        for p in session.scalars(
            scope.readable(LandParcel)
            .where(LandParcel.park_id == park_id, LandParcel.id.not_in(built))
            .order_by(LandParcel.code)
        )
    ]
    return FreeSpace(park_id=park_id, as_of=as_of, buildings=buildings, parcels=parcels)
