"""Registry behaviour: list, get, create, update and delete of every kind of registry row, within a scope.

Each kind is a derived record type (`digipark.crud.RecordType`) in `KINDS`; what differs per kind (owner taken
from a parent, derived fields, catalogue points, rows still in use) is in the small hooks below.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

import digipark.audit.service  # registers the audit hook for every write below
from digipark.auth.permissions import ENTERPRISE_SELF_FIELDS
from digipark.auth.scope import Scope
from digipark.core import units
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.events import DomainEvent, queue_event
from digipark.core.geo import polygon_area_m2
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import Owner, RecordType, park_of, park_owner
from digipark.registry import schemas
from digipark.registry.catalog import device_kind
from digipark.registry.device_tokens import new_device_token, token_digest
from digipark.registry.models import Building, Device, Enterprise, Floor, LandParcel, Park, Point, Room, Zone

Row = Any


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegistryChanged(DomainEvent):
    kind: str
    action: str
    row_id: int


Kind = RecordType[Any]
"""A kind of registry row: a derived record type (`digipark.crud`)."""

# Kinds whose rows the platform operator creates and deletes (CLI, demo); the API only reads and updates them.
OPERATOR_KINDS = frozenset({"park"})

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


def creatable(kind: Kind) -> bool:
    """Whether rows of `kind` are created (and deleted) through the API."""
    return kind.name not in OPERATOR_KINDS


def _spec(model: type[Any], filters: tuple[str, ...], search: tuple[str, ...], sort: tuple[str, ...]) -> ListSpec:
    return ListSpec(
        filters={name: getattr(model, name) for name in filters},
        search=[getattr(model, name) for name in search],
        sort={name: getattr(model, name) for name in ("id", *sort)},
    )


# -- owners of new rows --------------------------------------------------------------------------------------------
def _operator_only(session: Session, scope: Scope, data: BaseModel) -> Owner:
    raise PermissionDenied("park records are created by the platform operator (CLI)")


def _park_and_enterprise(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """The park the input names (or the caller's), and the enterprise the input names."""
    return scope.acting_write_park(getattr(data, "park_id", None)), getattr(data, "enterprise_id", None)


def _enterprise_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    scope.require("enterprise.write")  # enterprises update themselves; only the park registers one
    return park_owner(session, scope, data)


def _parent(session: Session, scope: Scope, field: str, model: type[Any], ident: int) -> Any:
    parent = session.scalar(scope.readable(model).where(model.id == ident))
    if parent is None:
        raise field_error(field, f"no {model.__tablename__} {ident} visible to you")
    return parent


def _floor_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    level: int = data.level  # type: ignore[attr-defined]
    building = _parent(session, scope, "building_id", Building, data.building_id)  # type: ignore[attr-defined]
    if not -10 <= level <= building.floors or level == 0:
        raise field_error("level", f"building {building.code} has floors 1..{building.floors} (and basements -1..-10)")
    return building.park_id, None


def _room_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    floor = _parent(session, scope, "floor_id", Floor, data.floor_id)  # type: ignore[attr-defined]
    return floor.park_id, data.enterprise_id  # type: ignore[attr-defined]


def _point_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    device = _parent(session, scope, "device_id", Device, data.device_id)  # type: ignore[attr-defined]
    return device.park_id, device.enterprise_id


# -- checks and derived values ------------------------------------------------------------------------------------
RANGES = (("lease_start", "lease_end"), ("lease_from", "lease_to"), ("valid_min", "valid_max"))


def _ordered_ranges(session: Session, scope: Scope, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """An update may not leave a range's end below its start (a create's schema checks its own input)."""
    if row is not None:
        for start, end in RANGES:
            low = values[start] if start in values else getattr(row, start, None)
            high = values[end] if end in values else getattr(row, end, None)
            if low is not None and high is not None and high < low:
                raise field_error(end, f"must not be below {start}")
    return values


def _area_from_geometry(session: Session, scope: Scope, values: dict[str, Any], row: Any) -> dict[str, Any]:
    if values.get("geometry") and not values.get("area_m2"):
        values["area_m2"] = round(polygon_area_m2(values["geometry"]), 1)
    return _ordered_ranges(session, scope, values, row)


def _parcel_area(session: Session, scope: Scope, values: dict[str, Any], row: Any) -> dict[str, Any]:
    """The area in m², from `area_mu` (亩) when it is given that way, else from the geometry when not given."""
    area_mu = values.pop("area_mu", None)
    if area_mu is not None:
        if values.get("area_m2") is not None:
            raise field_error("area_mu", "give the area in m² or in 亩, not both")
        values["area_m2"] = units.convert(area_mu, "mu", "m**2")
    values = _area_from_geometry(session, scope, values, row)
    if "area_m2" in values and values["area_m2"] is None:
        raise field_error("area_m2", "give area_m2 or a geometry to compute it from")
    return values


def _enterprise_fields(session: Session, scope: Scope, values: dict[str, Any], row: Any) -> dict[str, Any]:
    if row is not None and scope.own_enterprise_only:
        forbidden = sorted(set(values) - ENTERPRISE_SELF_FIELDS)
        if forbidden:
            raise PermissionDenied(f"an enterprise may not change {', '.join(forbidden)}; ask the park operator")
    return values


def _device_defaults(session: Session, scope: Scope, values: dict[str, Any], row: Any) -> dict[str, Any]:
    if row is None:
        values.pop("create_points", None)
        catalogue = device_kind(values["kind"])
        assert catalogue is not None  # validated by the schema
        values["protocol"] = values.get("protocol") or catalogue.protocol
        values["issued_token"] = token = new_device_token()
        values["token_hash"] = token_digest(token)
    return _ordered_ranges(session, scope, values, row)


def _room_in_floors_building(session: Session, scope: Scope, row: Room) -> None:
    row.building_id = session.get_one(Floor, row.floor_id).building_id


def _enterprise_permission(scope: Scope) -> str:
    return "enterprise.self_update" if scope.own_enterprise_only else "enterprise.write"


# -- follow-ups of writes -----------------------------------------------------------------------------------------
def _created(session: Session, scope: Scope, row: Any, data: BaseModel) -> None:
    queue_event(session, RegistryChanged(park_id=park_of(row), kind=row.__tablename__, action="create", row_id=row.id))


def _updated(session: Session, scope: Scope, row: Any, values: dict[str, Any]) -> None:
    queue_event(session, RegistryChanged(park_id=park_of(row), kind=row.__tablename__, action="update", row_id=row.id))


def _deleted(session: Session, scope: Scope, row: Any) -> None:
    queue_event(session, RegistryChanged(park_id=park_of(row), kind=row.__tablename__, action="delete", row_id=row.id))


def _device_created(session: Session, scope: Scope, row: Device, data: BaseModel) -> None:
    if getattr(data, "create_points", False):
        _create_catalogue_points(session, row)
    _created(session, scope, row, data)


def _device_updated(session: Session, scope: Scope, row: Device, values: dict[str, Any]) -> None:
    if "enterprise_id" in values:
        for point in session.scalars(select(Point).where(Point.device_id == row.id)):  # through the ORM: audited
            point.enterprise_id = row.enterprise_id
        session.flush()
    _updated(session, scope, row, values)


def _refuse_if_in_use(session: Session, scope: Scope, row: Any) -> None:
    used_by: builtins.list[str] = []
    for model, column in DEPENDENTS.get(row.__tablename__, ()):
        n = session.scalar(select(func.count()).select_from(model).where(getattr(model, column) == row.id)) or 0
        if n:
            used_by.append(f"{n} {model.__tablename__}")
    if used_by:
        raise Conflict(
            f"{row.__tablename__} {row.id} is still used by {', '.join(used_by)}; remove or move them first",
            errors=[{"field": "id", "reason": f"in use by {', '.join(used_by)}"}],
        )


def _park_kept(session: Session, scope: Scope, row: Park) -> None:
    raise PermissionDenied("park records cannot be deleted through the API")


def _enterprise_deletable(session: Session, scope: Scope, row: Enterprise) -> None:
    scope.authorize_write_row("enterprise.write", row)  # an enterprise may update itself, never delete itself
    _refuse_if_in_use(session, scope, row)


def _device_deletable(session: Session, scope: Scope, row: Device) -> None:
    _refuse_if_in_use(session, scope, row)
    for point in session.scalars(select(Point).where(Point.device_id == row.id)):
        session.delete(point)
    session.flush()  # points first: the unit of work does not know they depend on the device


def _kind(
    name: str,
    model: type[Any],
    schemas_: tuple[type[BaseModel], type[BaseModel], type[BaseModel]],
    list_spec: ListSpec,
    **hooks: Any,
) -> Kind:
    create_schema, update_schema, read_schema = schemas_
    hooks.setdefault("write_permission", f"{name}.write")
    hooks.setdefault("validate", _ordered_ranges)
    hooks.setdefault("before_delete", _refuse_if_in_use)
    hooks.setdefault("after_create", _created)
    hooks.setdefault("after_update", _updated)
    return RecordType(
        name=name,
        model=model,
        create_schema=create_schema,
        update_schema=update_schema,
        read_schema=read_schema,
        list_spec=list_spec,
        after_delete=_deleted,
        owner_fields=frozenset({"park_id"}),
        **hooks,
    )


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        _kind(
            "park",
            Park,
            (schemas.ParkUpdate, schemas.ParkUpdate, schemas.ParkRead),  # no create schema: see OPERATOR_KINDS
            _spec(Park, ("code", "region_code"), ("name", "code"), ("code", "name")),
            owner=_operator_only,
            before_delete=_park_kept,
        ),
        _kind(
            "zone",
            Zone,
            (schemas.ZoneCreate, schemas.ZoneUpdate, schemas.ZoneRead),
            _spec(Zone, ("park_id", "code", "function"), ("name", "code"), ("code", "name")),
            unique=("code",),
            validate=_area_from_geometry,
        ),
        _kind(
            "land_parcel",
            LandParcel,
            (schemas.LandParcelCreate, schemas.LandParcelUpdate, schemas.LandParcelRead),
            _spec(
                LandParcel,
                ("park_id", "zone_id", "code", "land_use"),
                ("code", "owner"),
                ("code", "area_m2", "lease_end"),
            ),
            refs={"zone_id": Zone},
            unique=("code",),
            validate=_parcel_area,
        ),
        _kind(
            "building",
            Building,
            (schemas.BuildingCreate, schemas.BuildingUpdate, schemas.BuildingRead),
            _spec(
                Building,
                ("park_id", "zone_id", "parcel_id", "code", "use", "gigabit_fibre", "coverage_5g"),
                ("name", "code"),
                ("code", "name", "floors", "gross_floor_area_m2", "year_built"),
            ),
            refs={"zone_id": Zone, "parcel_id": LandParcel},
            unique=("code",),
        ),
        _kind(
            "floor",
            Floor,
            (schemas.FloorCreate, schemas.FloorUpdate, schemas.FloorRead),
            _spec(Floor, ("park_id", "building_id", "level"), ("name",), ("level",)),
            owner=_floor_owner,
        ),
        _kind(
            "room",
            Room,
            (schemas.RoomCreate, schemas.RoomUpdate, schemas.RoomRead),
            _spec(
                Room,
                ("park_id", "building_id", "floor_id", "enterprise_id", "use"),
                ("code",),
                ("code", "area_m2", "lease_to"),
            ),
            refs={"enterprise_id": Enterprise},
            owner=_room_owner,
            before_create=_room_in_floors_building,
        ),
        _kind(
            "enterprise",
            Enterprise,
            (schemas.EnterpriseCreate, schemas.EnterpriseUpdate, schemas.EnterpriseRead),
            _spec(
                Enterprise,
                ("park_id", "uscc", "industry_code", "above_scale", "industrial", "status"),
                ("name", "uscc", "name_en"),
                ("name", "industry_code", "employees", "registered_capital_wan_yuan", "established_on"),
            ),
            unique=("uscc",),
            write_permission=_enterprise_permission,
            owner=_enterprise_owner,
            validate=_enterprise_fields,
            before_delete=_enterprise_deletable,
        ),
        _kind(
            "device",
            Device,
            (schemas.DeviceCreate, schemas.DeviceUpdate, schemas.DeviceRead),
            _spec(
                Device,
                ("park_id", "enterprise_id", "building_id", "kind", "status", "protocol", "code"),
                ("name", "code", "model"),
                ("code", "name", "kind", "installed_on"),
            ),
            refs={"enterprise_id": Enterprise, "building_id": Building, "room_id": Room},
            unique=("code",),
            owner=_park_and_enterprise,
            validate=_device_defaults,
            before_delete=_device_deletable,
            after_create=_device_created,
            after_update=_device_updated,
        ),
        _kind(
            "point",
            Point,
            (schemas.PointCreate, schemas.PointUpdate, schemas.PointRead),
            _spec(
                Point,
                ("park_id", "enterprise_id", "device_id", "key", "quantity", "device_class"),
                ("name", "key"),
                ("key", "quantity", "device_id"),
            ),
            owner=_point_owner,
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


def english_enterprise_names(session: Session) -> dict[int, str]:
    """Every enterprise's English name by id (those that have one), for pages that show names other domains carry."""
    rows = session.execute(select(Enterprise.id, Enterprise.name_en).where(Enterprise.name_en.is_not(None)))
    return {i: str(n) for i, n in rows if n}


def get_park_by_code(session: Session, *, code: str) -> Park | None:
    return session.scalar(select(Park).where(Park.code == code))


def kind_or_raise(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise NotFound(f"unknown registry kind {key!r}") from None


# The generic operations by kind, for callers that choose the kind at run time (pages, Excel, other domains).
def list(session: Session, *, scope: Scope, kind: Kind, query: ListQuery) -> tuple[builtins.list[Row], int]:
    return kind.list(session, scope=scope, query=query)


def all_rows(session: Session, *, scope: Scope, kind: Kind, query: ListQuery) -> builtins.list[Row]:
    return kind.list_spec.all_rows(session, kind.readable(scope), query)


def get(session: Session, *, scope: Scope, kind: Kind, ident: int) -> Row:
    return kind.get(session, scope=scope, ident=ident)


def create(session: Session, *, scope: Scope, kind: Kind, data: BaseModel) -> Row:
    return kind.create(session, scope=scope, data=data)


def update(session: Session, *, scope: Scope, kind: Kind, ident: int, data: BaseModel) -> Row:
    return kind.update(session, scope=scope, ident=ident, data=data)


def delete(session: Session, *, scope: Scope, kind: Kind, ident: int) -> None:
    kind.delete(session, scope=scope, ident=ident)


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


def authorize_device_token(session: Session, *, scope: Scope, ident: int) -> Device:
    """The device, if the scope may issue its token."""
    device = get(session, scope=scope, kind=KINDS["device"], ident=ident)
    scope.authorize_write_row("device.write", device)
    return device  # type: ignore[no-any-return]


def rotate_device_token(session: Session, *, scope: Scope, ident: int) -> str:
    device = authorize_device_token(session, scope=scope, ident=ident)
    token = new_device_token()
    device.token_hash = token_digest(token)
    session.flush()
    # the token's digest is excluded from the row's audit; record that it changed, never its value
    digipark.audit.service.record(
        session,
        action="device_token_rotated",
        entity_type="device",
        entity_id=device.id,
        park_id=device.park_id,
        enterprise_id=device.enterprise_id,
    )
    return token


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
    """The park's key figures as `scope` may see them: the counts in one statement, the industries in another."""
    park = get(session, scope=scope, kind=KINDS["park"], ident=park_id)

    def count(model: type[Any], *conditions: Any) -> Any:
        where = (model.park_id == park_id, scope.condition(model), *conditions)
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    floor_area = select(func.coalesce(func.sum(Building.gross_floor_area_m2), 0.0)).where(Building.park_id == park_id)
    figures = session.execute(
        select(
            count(Zone),
            count(Building),
            count(Enterprise),
            count(Enterprise, Enterprise.above_scale.is_(True), Enterprise.industrial.is_(True)),
            count(Device),
            count(Point),
            count(Building, Building.gigabit_fibre.is_(True), Building.coverage_5g.is_(True)),
            floor_area.scalar_subquery(),
        )
    ).one()
    # literal arguments: with bound ones PostgreSQL does not see the GROUP BY expression as the selected one
    division = func.substr(Enterprise.industry_code, literal_column("1"), literal_column("2"))
    by_industry_rows = session.execute(
        select(division, func.count())
        .where(Enterprise.park_id == park_id, scope.condition(Enterprise))
        .group_by(division)
    ).all()
    zones, buildings, enterprises, above_scale_industrial, devices, points, gigabit, area = figures
    return ParkOverview(
        park=park,
        zones=zones or 0,
        buildings=buildings or 0,
        enterprises=enterprises or 0,
        above_scale_industrial=above_scale_industrial or 0,
        devices=devices or 0,
        points=points or 0,
        gigabit_buildings=gigabit or 0,
        floor_area_m2=float(area or 0.0),
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
