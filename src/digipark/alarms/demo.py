"""The demo park's alarm rules and notification contacts (data: alarms/data/demo.yaml), made through the alarms
service so they are checked and audited like any other. Idempotent: a park that has its demo rules gets nothing.

Each rule targets a device class (and quantity) of one device kind in the smallest areas that hold no other kind's
points of that class: one rule per zone, or per building where the zone mixes kinds, or per point where the
building does. Limits named `{example: ...}` are the levels of alarms/data/rules.yaml `examples` (GB/T 50493-2019,
marked unverified there)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.alarms import service as alarms
from digipark.alarms.models import AlarmRule
from digipark.alarms.schemas import ContactCreate, RuleCreate
from digipark.auth.scope import system_scope
from digipark.registry.models import Building, Device, Point, Zone


@cache
def spec() -> dict[str, Any]:
    text = resources.files("digipark.alarms").joinpath("data/demo.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def _examples() -> dict[str, Any]:
    text = resources.files("digipark.alarms").joinpath("data/rules.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["examples"])


def _limits(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in conditions:
        c = dict(c)
        for field in ("high", "low"):
            if isinstance(c.get(field), dict):
                c[field] = float(_examples()[c[field]["example"]]["value"])
        out.append(c)
    return out


@dataclasses.dataclass(frozen=True)
class _P:
    point_id: int
    kind: str
    device_class: str
    quantity: str
    zone_id: int | None
    zone_code: str | None
    building_id: int | None
    building_code: str | None
    enterprise_id: int | None
    device_code: str


def _points(session: Session, park_id: int) -> list[_P]:
    rows = session.execute(
        select(
            Point.id,
            Device.kind,
            Point.device_class,
            Point.quantity,
            Building.zone_id,
            Zone.code,
            Device.building_id,
            Building.code,
            Device.enterprise_id,
            Device.code,
        )
        .join(Device, Device.id == Point.device_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .outerjoin(Zone, Zone.id == Building.zone_id)
        .where(Point.park_id == park_id)
        .order_by(Zone.code, Building.code, Device.code, Point.id)
    )
    return [_P(*tuple(row)) for row in rows]


def _targets(points: list[_P], rule: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(key suffix, target fields) of the areas for one rule spec."""
    same = [p for p in points if p.device_class == rule["device_class"] and p.quantity == rule["quantity"]]
    by_zone: dict[int | None, list[_P]] = defaultdict(list)
    for p in same:
        by_zone[p.zone_id].append(p)
    out: list[tuple[str, dict[str, Any]]] = []
    area = {"device_class": rule["device_class"], "quantity": rule["quantity"]}
    for zone_id, in_zone in by_zone.items():
        wanted = [p for p in in_zone if p.kind == rule["device_kind"]]
        if not wanted:
            continue
        if zone_id is not None and len(wanted) == len(in_zone):
            out.append((f"zone:{wanted[0].zone_code}", {**area, "zone_id": zone_id}))
            continue
        by_building: dict[int | None, list[_P]] = defaultdict(list)
        for p in in_zone:
            by_building[p.building_id].append(p)
        for building_id, in_building in by_building.items():
            mine = [p for p in in_building if p.kind == rule["device_kind"]]
            if building_id is not None and mine and len(mine) == len(in_building):
                out.append((f"building:{mine[0].building_code}", {**area, "building_id": building_id}))
            else:
                out.extend((f"point:{p.device_code}", {"point_id": p.point_id}) for p in mine)
    return out


def build_alarms_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo park's alarm rules and contacts in `session` (not committed); nothing when they exist."""
    s = spec()
    prefix = str(s["key_prefix"])
    if session.scalar(
        select(func.count())
        .select_from(AlarmRule)
        .where(AlarmRule.park_id == park_id, AlarmRule.key.like(prefix + "%"))
    ):
        return {"alarm_rules": 0, "alarm_contacts": 0}
    scope = system_scope(park_id)
    points = _points(session, park_id)
    rules = 0
    for rule in s["rules"]:
        conditions = _limits(rule["conditions"])
        for suffix, target in _targets(points, rule):
            alarms.create_rule(
                session,
                scope=scope,
                data=RuleCreate(
                    key=f"{prefix}{rule['key']}:{suffix}",
                    name=str(rule["name"]),
                    name_en=str(rule["name_en"]),
                    severity=rule["severity"],
                    conditions=conditions,
                    **target,
                ),
            )
            rules += 1
    main = s["main_meters"]
    meters = [
        p
        for p in points
        if p.kind == main["device_kind"] and p.quantity == main["quantity"] and p.enterprise_id is None
    ]
    for p in sorted(meters, key=lambda p: (p.device_code, p.point_id))[: int(main["count"])]:
        alarms.create_rule(
            session,
            scope=scope,
            data=RuleCreate(
                key=f"{prefix}{main['key']}:{p.device_code}",
                name=f"{main['name']} {p.device_code}",
                name_en=f"{main['name_en']} {p.device_code}",
                severity=main["severity"],
                conditions=_limits(main["conditions"]),
                point_id=p.point_id,
            ),
        )
        rules += 1
    contacts = 0
    for contact in s["contacts"]:
        alarms.create_contact(session, scope=scope, data=ContactCreate(**contact))
        contacts += 1
    return {"alarm_rules": rules, "alarm_contacts": contacts}
