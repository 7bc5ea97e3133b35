"""The park's context as NGSI-LD entities (ETSI GS CIM 009 subset, docs/dataspace.md "NGSI-LD context API"):

- the registry's devices as Smart Data Models `Device` entities, each point's newest reading a Property of its device
  (value, `observedAt`, `unitCode`), and the buildings as `Building` entities — read-only here, the registry is
  their record; the car parks as `OffStreetParking` entities through living's door (`ngsi_parking`);
- entities created through the API (`ContextEntity`): create, retrieve, query, partial update of attributes,
  append, delete.

Entities are held with expanded IRIs (`{"id", "type": IRI, "attrs": {IRI: attribute}}`) and compacted with the
request's @context on the way out. Who reads what is the scope's: an enterprise sees its own devices and entities
and the park's buildings, staff the park's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

import regex
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.dataspace import ngsi_geo, ngsi_parking, ngsi_registry
from digipark.dataspace.models import ContextEntity, NgsiChange, NgsiSubscription
from digipark.dataspace.ngsi_context import (
    PATTERN_SECONDS,
    Context,
    NgsiError,
    bad,
    matches,
    parse_q,
    platform_terms,
    spec,
    user_pattern,
)
from digipark.dataspace.ngsi_geo import GeoQuery
from digipark.registry.models import Building, Device, Point
from digipark.telemetry.provides import PointLatest

VIEW, WRITE = "dataspace.view", "dataspace.publish"
DEVICE_PREFIX, BUILDING_PREFIX = "urn:ngsi-ld:Device:digipark-", "urn:ngsi-ld:Building:digipark-"
MAX_ENTITY_ATTRS = 200
MAX_ENTITY_CHARS = 64_000
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:/#.\-]{0,254}$")
ATTRIBUTE_TYPES = ("Property", "Relationship", "GeoProperty")

Entity = dict[str, Any]  # {"id", "type": IRI, "attrs": {IRI: attribute}, "owner": enterprise id or None}


@cache
def _IRIS() -> dict[str, str]:
    return platform_terms()


def _iri(term: str) -> str:
    return _IRIS()[term]


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat().replace("+00:00", "Z")


def _prop(value: Any, **members: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **{k: v for k, v in members.items() if v is not None}}


# -- the registry's records as entities --------------------------------------------------------------------------
def _devices(session: Session, scope: Scope, ids: list[int] | None) -> list[Entity]:
    """The devices the scope reads, each with its points' newest readings (two column queries, no ORM objects: a
    query of a thousand devices stays cheap)."""
    columns: Any = select(
        Device.id,
        Device.name,
        Device.kind,
        Device.code,
        Device.status,
        Device.installed_on,
        Device.lon,
        Device.lat,
        Device.building_id,
        Device.enterprise_id,
    )
    stmt = scope.readable(Device, columns).order_by(Device.id)
    readings: Any = (
        select(Point.device_id, Point.key, Point.quantity, Point.unit, PointLatest.ts, PointLatest.value)
        .join(Device, Device.id == Point.device_id)
        .outerjoin(PointLatest, PointLatest.point_id == Point.id)
        .where(scope.condition(Device))
        .order_by(Point.id)
    )
    if ids is not None:
        stmt = stmt.where(Device.id.in_(ids))
        readings = readings.where(Device.id.in_(ids))
    devices = session.execute(stmt).all()
    if not devices:
        return []
    points: dict[int, list[list[Any]]] = {}
    for device_id, *reading in session.execute(readings):
        points.setdefault(device_id, []).append(reading)
    units, vocab = spec()["unit_codes"], spec()["default_vocab"]
    reserved = set(spec()["reserved_entity"]) | set(platform_terms())
    iri = _IRIS()
    out = []
    for ident, name, kind, code, status, installed_on, lon, lat, building_id, enterprise_id in devices:
        mine = points.get(ident, ())
        attrs: dict[str, Any] = {
            iri["name"]: _prop(name),
            iri["category"]: _prop([kind]),
            iri["serialNumber"]: _prop(code),
            iri["deviceState"]: _prop(status),
            iri["controlledProperty"]: _prop(sorted({quantity for _, quantity, _, _, _ in mine})),
        }
        if installed_on is not None:
            attrs[iri["dateInstalled"]] = _prop(installed_on.isoformat())
        if lon is not None and lat is not None:
            attrs[iri["location"]] = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}
        if building_id is not None:
            attrs[iri["refBuilding"]] = {"type": "Relationship", "object": f"{BUILDING_PREFIX}{building_id}"}
        for key, _, unit, ts, value in mine:
            if ts is None:
                continue  # no reading yet
            term = key if key not in reserved else f"point_{key}"
            attrs[vocab + term] = _prop(value, observedAt=_iso(ts), unitCode=units.get(unit))
        out.append({"id": f"{DEVICE_PREFIX}{ident}", "type": iri["Device"], "attrs": attrs, "owner": enterprise_id})
    return out


def _buildings(session: Session, scope: Scope, ids: list[int] | None) -> list[Entity]:
    stmt = scope.readable(Building).order_by(Building.id)
    if ids is not None:
        stmt = stmt.where(Building.id.in_(ids))
    out = []
    for b in session.scalars(stmt):
        attrs: dict[str, Any] = {
            _iri("name"): _prop(b.name),
            _iri("category"): _prop([b.use]),
            _iri("floorsAboveGround"): _prop(b.floors),
        }
        if b.footprint:
            attrs[_iri("location")] = {"type": "GeoProperty", "value": b.footprint}
        out.append({"id": f"{BUILDING_PREFIX}{b.id}", "type": _iri("Building"), "attrs": attrs, "owner": None})
    return out


def _stored(row: ContextEntity) -> Entity:
    return {"id": row.entity_id, "type": row.entity_type, "attrs": dict(row.attrs), "owner": row.enterprise_id}


def _mapped_id(entity_id: str) -> tuple[str, int] | None:
    mapped = [("device", DEVICE_PREFIX), ("building", BUILDING_PREFIX), ("parking", ngsi_parking.PREFIX)]
    for kind, prefix in [*mapped, *((prefix, prefix) for prefix in ngsi_registry.KINDS)]:
        if entity_id.startswith(prefix):
            rest = entity_id[len(prefix) :]
            return (kind, int(rest)) if rest.isdigit() and len(rest) < 10 else (kind, 0)
    return None


# -- reading ------------------------------------------------------------------------------------------------------
def retrieve(session: Session, *, scope: Scope, entity_id: str) -> Entity:
    scope.require(VIEW)
    mapped = _mapped_id(entity_id)
    if mapped is not None:
        kind, ident = mapped
        loaders = {"device": _devices, "building": _buildings, "parking": ngsi_parking.car_parks}
        load = loaders[kind] if kind in loaders else ngsi_registry.KINDS[kind][1]
        found = load(session, scope, [ident])
        if found:
            return found[0]
    else:
        row = _readable_row(session, scope, entity_id)
        if row is not None:
            return _stored(row)
    raise NgsiError("ResourceNotFound", "entity %(entity_id)s not found", entity_id=entity_id)


def _readable_row(session: Session, scope: Scope, entity_id: str) -> ContextEntity | None:
    row: ContextEntity | None = session.scalar(
        scope.readable(ContextEntity).where(ContextEntity.entity_id == entity_id)
    )
    return row


def query(
    session: Session,
    *,
    scope: Scope,
    context: Context,
    types: list[str],
    attrs: list[str],
    q: str | None,
    ids: list[str],
    id_pattern: str | None,
    geo: GeoQuery | None = None,
) -> list[Entity]:
    """Entities matching the query (all matches; the caller pages them): by type, id, idPattern, attrs (an entity
    with at least one of them) and q. One of type, attrs or q is needed (BadRequestData otherwise)."""
    scope.require(VIEW)
    if not types and not attrs and not q and geo is None:
        raise bad("a query needs type, attrs, q or a geo-query")
    tree = parse_q(q) if q else None
    pattern = user_pattern(id_pattern, "idPattern") if id_pattern else None
    type_iris = {context.expand(t) for t in types}
    attr_iris = {context.expand(a) for a in attrs}
    found: list[Entity] = []
    wanted = ids or None
    if not type_iris or _iri("Building") in type_iris:
        found += _buildings(session, scope, _numbers(wanted, BUILDING_PREFIX))
    if not type_iris or _iri("Device") in type_iris:
        found += _devices(session, scope, _numbers(wanted, DEVICE_PREFIX))
    if not type_iris or _iri(ngsi_parking.TYPE) in type_iris:
        found += ngsi_parking.car_parks(session, scope, _numbers(wanted, ngsi_parking.PREFIX))
    for prefix, (term, load) in ngsi_registry.KINDS.items():
        if not type_iris or _iri(term) in type_iris:
            found += load(session, scope, _numbers(wanted, prefix))
    stmt = scope.readable(ContextEntity).order_by(ContextEntity.id)
    if type_iris:
        stmt = stmt.where(ContextEntity.entity_type.in_(sorted(type_iris)))
    if wanted is not None:
        stmt = stmt.where(ContextEntity.entity_id.in_(wanted))
    found += [_stored(row) for row in session.scalars(stmt)]
    try:
        selected = [e for e in found if _selected(e, type_iris, attr_iris, pattern, tree, context)]
    except TimeoutError as exc:
        raise bad("a regular expression in idPattern or q takes too long to evaluate: simplify it") from exc
    if geo is None:
        return selected
    where = context.expand(geo.geoproperty)
    return [e for e in selected if ngsi_geo.matches(geo, (e["attrs"].get(where) or {}).get("value"))]


def _selected(
    entity: Entity,
    type_iris: set[str],
    attr_iris: set[str],
    pattern: regex.Pattern[str] | None,
    tree: Any,
    context: Context,
) -> bool:
    if type_iris and entity["type"] not in type_iris:
        return False
    if pattern is not None and not pattern.search(entity["id"], timeout=PATTERN_SECONDS):
        return False
    if attr_iris and not attr_iris & entity["attrs"].keys():
        return False
    return tree is None or matches(tree, entity["attrs"], context)


def _numbers(ids: list[str] | None, prefix: str) -> list[int] | None:
    if ids is None:
        return None
    return [int(i[len(prefix) :]) for i in ids if i.startswith(prefix) and i[len(prefix) :].isdigit()][:1000]


def compact(entity: Entity, context: Context, *, attrs: Iterable[str] = (), key_values: bool = False) -> dict[str, Any]:
    """The entity as the client's @context names it (normalised, or keyValues: attribute -> value)."""
    keep = {context.expand(a) for a in attrs}
    reserved = set(spec()["reserved_attribute"])
    out: dict[str, Any] = {"id": entity["id"], "type": context.compact(entity["type"])}
    for iri, attribute in entity["attrs"].items():
        if keep and iri not in keep:
            continue
        name = context.compact(iri)
        if key_values:
            out[name] = attribute.get("object") if attribute.get("type") == "Relationship" else attribute.get("value")
            continue
        out[name] = {k if k in reserved else context.compact(k): v for k, v in attribute.items()}
    return out


# -- writing ------------------------------------------------------------------------------------------------------
def _listening(session: Session, park_id: int) -> bool:
    found = select(NgsiSubscription.id).where(NgsiSubscription.park_id == park_id, NgsiSubscription.active.is_(True))
    return session.scalar(found.limit(1)) is not None


def record_change(
    session: Session,
    row: ContextEntity,
    attrs: Iterable[str] = (),
    *,
    created: Iterable[str] = (),
    deleted: Iterable[str] = (),
    entity_created: bool = False,
) -> None:
    """Note what a change through the API did, for the notifier (`ngsi_notify`), in the change's own transaction (a
    change rolled back notifies nothing): the attributes it updated (`attrs`), created and deleted, and whether it
    created the entity — each the notification trigger of the same name (NGSI-LD §5.2.12; a created entity creates
    its attributes too)."""
    events = {
        "attributeUpdated": sorted(set(attrs)),
        "attributeCreated": sorted(set(created)),
        "attributeDeleted": sorted(set(deleted)),
    }
    events = {trigger: iris for trigger, iris in events.items() if iris}
    if entity_created:
        events["entityCreated"] = []
    if events and _listening(session, row.park_id):  # nobody listening: nothing kept
        changed = sorted({iri for iris in events.values() for iri in iris})
        session.add(
            NgsiChange(
                park_id=row.park_id,
                entity_id=row.entity_id,
                entity_type=row.entity_type,
                attrs=changed,
                events=events,
            )
        )


def record_deletion(session: Session, row: ContextEntity) -> None:
    """Note a deleted entity for the notifier (trigger entityDeleted), with what it was: it can no longer be read."""
    if _listening(session, row.park_id):
        session.add(
            NgsiChange(
                park_id=row.park_id,
                entity_id=row.entity_id,
                entity_type=row.entity_type,
                attrs=[],
                events={"entityDeleted": []},
                deleted={"attrs": dict(row.attrs), "owner": row.enterprise_id},
            )
        )


def _attribute(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad("%(name)s: an attribute is an object with its type (normalised form)", name=name)
    kind = value.get("type")
    if kind not in ATTRIBUTE_TYPES:
        raise bad("%(name)s: type must be one of %(value)s", name=name, value=", ".join(ATTRIBUTE_TYPES))
    if kind == "Relationship":
        target = value.get("object")
        if not isinstance(target, str) or not _URI.match(target):
            raise bad("%(name)s: a Relationship's object is a URI", name=name)
    elif "value" not in value or value["value"] is None:
        raise bad("%(name)s: a %(kind)s has a value", name=name, kind=kind)
    elif kind == "GeoProperty" and not (isinstance(value["value"], dict) and "type" in value["value"]):
        raise bad("%(name)s: a GeoProperty's value is a GeoJSON geometry", name=name)
    observed = value.get("observedAt")
    if observed is not None:
        try:
            dt.datetime.fromisoformat(str(observed).replace("Z", "+00:00"))
        except ValueError as exc:
            raise bad("%(name)s: observedAt is no date-time", name=name) from exc
    return value


def expand_attributes(payload: dict[str, Any], context: Context, *, entity: bool) -> dict[str, Any]:
    """The attributes of a payload keyed by expanded IRIs (sub-attributes too), each checked."""
    reserved = set(spec()["reserved_entity"]) if entity else {"@context"}
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if name in reserved:
            continue
        if not _NAME.match(name):
            raise bad("%(name)s is no attribute name", name=repr(name[:60]))
        attribute = _attribute(name, value)
        members = set(spec()["reserved_attribute"])
        out[context.expand(name)] = {
            k if k in members else context.expand(k): (_attribute(f"{name}.{k}", v) if k not in members else v)
            for k, v in attribute.items()
        }
    if len(out) > MAX_ENTITY_ATTRS:
        raise bad("more than %(value)s attributes", value=MAX_ENTITY_ATTRS)
    return out


def _check_size(attrs: dict[str, Any]) -> None:
    import json

    if len(json.dumps(attrs, ensure_ascii=False)) > MAX_ENTITY_CHARS:
        raise bad("the entity is larger than %(value)s characters", value=MAX_ENTITY_CHARS)


def create(session: Session, *, scope: Scope, payload: Any, context: Context) -> ContextEntity:
    if not isinstance(payload, dict):
        raise bad("the entity is a JSON object")
    entity_id, entity_type = payload.get("id"), payload.get("type")
    if not isinstance(entity_id, str) or len(entity_id) > 255 or not _URI.match(entity_id):
        raise bad("id: a URI of at most 255 characters")
    if isinstance(entity_type, list) and len(entity_type) == 1:
        entity_type = entity_type[0]
    if not isinstance(entity_type, str) or not _NAME.match(entity_type):
        raise bad("type: one entity type name")
    park_id = scope.acting_write_park()
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=scope.enterprise_id)
    if _mapped_id(entity_id) is not None:
        raise bad("ids under urn:ngsi-ld:<type>:digipark- are the platform's records")
    attrs = expand_attributes(payload, context, entity=True)
    _check_size(attrs)
    exists = session.scalar(
        select(ContextEntity.id).where(ContextEntity.park_id == park_id, ContextEntity.entity_id == entity_id)
    )
    if exists is not None:
        raise NgsiError("AlreadyExists", "entity %(entity_id)s already exists", entity_id=entity_id)
    row = ContextEntity(
        park_id=park_id,
        enterprise_id=scope.enterprise_id,
        entity_id=entity_id,
        entity_type=context.expand(entity_type),
        attrs=attrs,
        created_by=scope.username,
    )
    session.add(row)
    session.flush()
    record_change(session, row, created=attrs, entity_created=True)
    return row


def _writable(session: Session, scope: Scope, entity_id: str) -> ContextEntity:
    if _mapped_id(entity_id) is not None:
        retrieve(session, scope=scope, entity_id=entity_id)  # 404 when the caller may not read it
        raise NgsiError(
            "OperationNotSupported", "the platform's own records (devices, buildings, rooms…) change in its modules"
        )
    row = _readable_row(session, scope, entity_id)
    if row is None:
        raise NgsiError("ResourceNotFound", "entity %(entity_id)s not found", entity_id=entity_id)
    scope.authorize_write_row(WRITE, row)
    return row


def update_attributes(
    session: Session, *, scope: Scope, entity_id: str, payload: Any, context: Context
) -> dict[str, Any]:
    """Update Attributes (PATCH …/attrs): replace the attributes the entity has; the others are not updated."""
    row = _writable(session, scope, entity_id)
    if not isinstance(payload, dict) or not payload:
        raise bad("the attributes are a non-empty JSON object")
    given = expand_attributes(payload, context, entity=False)
    attrs = dict(row.attrs)
    updated, not_updated = [], []
    for iri, attribute in given.items():
        if iri in attrs:
            attrs[iri] = attribute
            updated.append(context.compact(iri))
        else:
            not_updated.append({"attributeName": context.compact(iri), "reason": "the entity has no such attribute"})
    _check_size(attrs)
    row.attrs = attrs
    session.flush()
    record_change(session, row, [iri for iri in given if iri in row.attrs])
    return {"updated": updated, "notUpdated": not_updated}


def append_attributes(
    session: Session, *, scope: Scope, entity_id: str, payload: Any, context: Context, overwrite: bool
) -> dict[str, Any]:
    """Append Attributes (POST …/attrs): add new ones, replace existing ones unless `noOverwrite`."""
    row = _writable(session, scope, entity_id)
    if not isinstance(payload, dict) or not payload:
        raise bad("the attributes are a non-empty JSON object")
    given = expand_attributes(payload, context, entity=False)
    attrs = dict(row.attrs)
    updated: list[str] = []
    not_updated: list[dict[str, str]] = []
    changed: list[str] = []
    created: list[str] = []
    for iri, attribute in given.items():
        if iri in attrs and not overwrite:
            not_updated.append({"attributeName": context.compact(iri), "reason": "exists (noOverwrite)"})
            continue
        (changed if iri in attrs else created).append(iri)
        attrs[iri] = attribute
        updated.append(context.compact(iri))
    if len(attrs) > MAX_ENTITY_ATTRS:
        raise bad("more than %(value)s attributes", value=MAX_ENTITY_ATTRS)
    _check_size(attrs)
    row.attrs = attrs
    session.flush()
    record_change(session, row, changed, created=created)
    return {"updated": updated, "notUpdated": not_updated}


def patch_attribute(
    session: Session, *, scope: Scope, entity_id: str, attribute: str, payload: Any, context: Context
) -> None:
    """Partial Attribute Update (PATCH …/attrs/{attrId}): the members given replace the attribute's."""
    row = _writable(session, scope, entity_id)
    iri = context.expand(attribute)
    if iri not in row.attrs:
        raise NgsiError(
            "ResourceNotFound",
            "entity %(entity_id)s has no attribute %(attribute)s",
            entity_id=entity_id,
            attribute=attribute,
        )
    if not isinstance(payload, dict) or not payload:
        raise bad("the attribute fragment is a non-empty JSON object")
    fragment = {k: v for k, v in payload.items() if k != "@context"}
    merged = {**row.attrs[iri], **fragment}
    checked = expand_attributes({attribute: merged}, context, entity=False)
    attrs = {**row.attrs, **checked}
    _check_size(attrs)
    row.attrs = attrs
    session.flush()
    record_change(session, row, [iri])


def delete_attribute(session: Session, *, scope: Scope, entity_id: str, attribute: str, context: Context) -> None:
    row = _writable(session, scope, entity_id)
    iri = context.expand(attribute)
    if iri not in row.attrs:
        raise NgsiError(
            "ResourceNotFound",
            "entity %(entity_id)s has no attribute %(attribute)s",
            entity_id=entity_id,
            attribute=attribute,
        )
    row.attrs = {k: v for k, v in row.attrs.items() if k != iri}
    session.flush()
    record_change(session, row, deleted=[iri])


def delete(session: Session, *, scope: Scope, entity_id: str) -> None:
    row = _writable(session, scope, entity_id)
    record_deletion(session, row)
    session.delete(row)
    session.flush()


def types(session: Session, *, scope: Scope) -> list[str]:
    """The entity types the caller can read (expanded IRIs)."""
    scope.require(VIEW)
    stored = set(session.scalars(scope.readable(ContextEntity, select(ContextEntity.entity_type).distinct())))
    mapped = {_iri("Device"), _iri("Building"), *(_iri(term) for term, _ in ngsi_registry.KINDS.values())} | (
        {_iri(ngsi_parking.TYPE)} if scope.can(ngsi_parking.LIVING_VIEW) else set()
    )
    return sorted(stored | mapped)
