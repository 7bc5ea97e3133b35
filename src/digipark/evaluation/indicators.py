"""The indicator system of the guide's four construction standards (data: data/indicators.yaml) and the
functions that compute each indicator live from the platform's records.

Each indicator names a `formula`; an installed module record declares its function (`Module.indicators`), which
takes an `IndicatorContext` and returns a `Computed`: the value, what it was computed from (numerator/denominator
or parts), the drill-down rows behind it and the gaps (what to do, for which enterprise, building, industry or system).
A formula whose source is missing (a module not installed yet) raises `NoSource`; the indicator then takes a
value the park declares with evidence, like the indicators whose formula is `declared`.

A formula lives with the domain that owns its data (transformation, economy, energy and safety compute theirs
from their own records through `digipark.evaluation.provides`); this module keeps the indicator system, the context,
the `formula()` lookup, the helpers formulas share and the formula read from the registry's rows (S3 asset
management; the registry sits below the domains and does not import the evaluation); S4 double gigabit is the
cybersec module's, from its network inventory. Online
points come from telemetry's provides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import modules
from digipark.core.codes import CodeError, english_industry_name, industry
from digipark.core.modules import resolve
from digipark.registry.models import Building, Device, Enterprise, LandParcel, Point
from digipark.telemetry.provides import online_points, online_share

PERCENT = "%"
DECLARED = "declared"


# -- the indicator system as data --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Target:
    op: str  # ">=", ">", "=="
    value: float
    unit: str

    def met(self, value: float | None) -> bool:
        if value is None:
            return False
        if self.op == ">=":
            return value >= self.value - 1e-9
        if self.op == ">":
            return value > self.value
        if self.op == "==":
            return abs(value - self.value) < 1e-9
        raise ValueError(f"unknown target operator {self.op!r}")

    def progress(self, value: float | None) -> float:
        """How far the value is towards the target, 0..1."""
        if value is None:
            return 0.0
        if self.met(value):
            return 1.0
        if self.op == ">" or self.value <= 0:
            return 0.0
        return max(0.0, min(1.0, value / self.value))

    @property
    def text(self) -> str:
        op = {">=": "≥", ">": ">", "==": "="}[self.op]
        number = f"{self.value:g}"
        return f"{op} {number}{self.unit}" if self.unit == PERCENT else f"{op} {number} {self.unit}"


@dataclasses.dataclass(frozen=True)
class IndicatorDef:
    key: str
    code: str
    standard: str
    name: str
    name_en: str
    definition: str
    definition_en: str
    formula: str
    target: Target
    source: str
    module: str | None = None  # the module whose records compute it (or would, for a declared one)
    source_en: str = ""  # the guide's sentence in English

    @property
    def declared_only(self) -> bool:
        return self.formula == DECLARED


@dataclasses.dataclass(frozen=True)
class StandardDef:
    code: str
    name: str
    name_en: str
    source: str
    indicators: tuple[IndicatorDef, ...]
    source_en: str = ""  # the guide's sentence in English


@dataclasses.dataclass(frozen=True)
class IndicatorSystem:
    meta: dict[str, Any]
    standards: tuple[StandardDef, ...]

    @property
    def indicators(self) -> tuple[IndicatorDef, ...]:
        return tuple(i for s in self.standards for i in s.indicators)

    def indicator(self, key: str) -> IndicatorDef | None:
        return next((i for i in self.indicators if i.key == key), None)


def _load(name: str) -> dict[str, Any]:
    text = resources.files("digipark.evaluation").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError(f"malformed evaluation data: {name}")
    return raw


@cache
def system() -> IndicatorSystem:
    raw = _load("indicators.yaml")
    standards = []
    for s in raw["standards"]:
        indicators = tuple(
            IndicatorDef(
                key=str(i["key"]),
                code=str(i["code"]),
                standard=str(s["code"]),
                name=str(i["name"]),
                name_en=str(i["name_en"]),
                definition=str(i["definition"]),
                definition_en=str(i["definition_en"]),
                formula=str(i["formula"]),
                module=i.get("module"),
                target=Target(str(i["target"]["op"]), float(i["target"]["value"]), str(i["target"]["unit"])),
                source=str(i["source"]),
                source_en=str(i["source_en"]),
            )
            for i in s["indicators"]
        )
        standards.append(
            StandardDef(
                str(s["code"]), str(s["name"]), str(s["name_en"]), str(s["source"]), indicators, str(s["source_en"])
            )
        )
    found = IndicatorSystem(dict(raw["meta"]), tuple(standards))
    return found


# -- computing ----------------------------------------------------------------------------------------------------
class NoSource(Exception):
    """The platform has no source for this indicator yet (the reason says which)."""


@dataclasses.dataclass
class Gap:
    """Something to do for the park to meet an indicator: `action` is a key of the report's action texts,
    `params` fill it in; `kind`/`ref_id` name the enterprise, building, industry, device or system."""

    kind: str  # enterprise | building | parcel | division | device | system
    subject: str
    action: str
    ref_id: int | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Part:
    """One share an indicator is made of (e.g. buildings with complete records)."""

    key: str
    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return None if self.denominator == 0 else 100.0 * self.numerator / self.denominator


@dataclasses.dataclass
class Computed:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    parts: list[Part] = dataclasses.field(default_factory=list)
    columns: list[str] = dataclasses.field(default_factory=list)
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    gaps: list[Gap] = dataclasses.field(default_factory=list)
    note: str | None = None  # e.g. the month the statistics are for


def share(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else 100.0 * numerator / denominator


@dataclasses.dataclass
class IndicatorContext:
    """What the formulas read, fetched once per evaluation and shared between them."""

    session: Session
    scope: Scope
    park_id: int
    as_of: dt.date
    now_ms: int | None = None
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def industrial(self) -> list[Enterprise]:
        """The park's active industrial enterprises, by name."""
        result: list[Enterprise] = self.cached(
            "industrial",
            lambda: list(
                self.session.scalars(
                    select(Enterprise)
                    .where(
                        Enterprise.park_id == self.park_id,
                        Enterprise.industrial.is_(True),
                        Enterprise.status == "active",
                    )
                    .order_by(Enterprise.name, Enterprise.id)
                )
            ),
        )
        return result

    def above_scale(self) -> list[Enterprise]:
        return [e for e in self.industrial() if e.above_scale]


def division(code: str) -> tuple[str, str, str | None]:
    """(division code, Chinese name, English name) of an industry code — a division without an English name of
    its own has its section's; unknown codes stand for themselves."""
    try:
        found = industry(code[:2])
    except CodeError:
        return code[:2], code[:2], None
    return found.code, found.name_zh, english_industry_name(found)


def enterprise_row(e: Enterprise) -> dict[str, Any]:
    code, name_zh, name_en = division(e.industry_code)
    return {
        "enterprise_id": e.id,
        "enterprise": e.name,
        "uscc": e.uscc,
        "industry": f"{code} {name_zh}",
        "industry_en": f"{code} {name_en or name_zh}",
        "link": f"/enterprises/{e.id}",
    }


# -- S3 ------------------------------------------------------------------------------------------------------------
BUILDING_RECORD_FIELDS = ("parcel_id", "gross_floor_area_m2", "year_built", "footprint")
PARCEL_RECORD_FIELDS = ("land_use", "owner")


def online_points_of(ctx: IndicatorContext, quantity: str | None) -> tuple[int, int]:
    """(online, all) points of the park measuring `quantity` (all: None), by telemetry's online rule."""
    return online_share(ctx.session, park_id=ctx.park_id, quantity=quantity, now=ctx.now_ms)


def point_states(ctx: IndicatorContext, quantity: str | None) -> list[dict[str, Any]]:
    """Per device: its points of `quantity` (all: None) and how many are online (telemetry's online rule); read
    once per evaluation (several indicators ask)."""
    rows: list[dict[str, Any]] = ctx.cached(f"point_states:{quantity}", lambda: _point_states(ctx, quantity))
    return rows


def _point_states(ctx: IndicatorContext, quantity: str | None) -> list[dict[str, Any]]:
    stmt = (
        select(Device.id, Device.code, Device.name, Device.name_en, Device.enterprise_id, Point.id)
        .join(Point, Point.device_id == Device.id)
        .where(Point.park_id == ctx.park_id)
        .order_by(Device.code, Point.id)
    )
    if quantity is not None:
        stmt = stmt.where(Point.quantity == quantity)
    points = ctx.session.execute(stmt).all()
    online_now = online_points(ctx.session, [point_id for *_, point_id in points], now=ctx.now_ms)
    devices: dict[int, dict[str, Any]] = {}
    for device_id, code, name, name_en, enterprise_id, point_id in points:
        row = devices.setdefault(
            device_id,
            {
                "device_id": device_id,
                "device": f"{code} {name}",
                "device_en": f"{code} {name_en or name}",
                "enterprise_id": enterprise_id,
                "points": 0,
                "online": 0,
                "link": f"/devices/{device_id}",
            },
        )
        row["points"] += 1
        row["online"] += 1 if point_id in online_now else 0
    for row in devices.values():
        row["ok"] = row["online"] == row["points"]
    return list(devices.values())


EQUIPMENT_PART = "asset_equipment"  # the formula key of S3.1's equipment parts (the assets module's)


def asset_management(ctx: IndicatorContext) -> Computed:
    """The lowest of: buildings with complete records, parcels with complete records, points online and, where a
    module declares `asset_equipment` (assets), its parts: equipment with complete records, key machines
    monitored."""
    rows: list[dict[str, Any]] = []
    gaps: list[Gap] = []
    buildings = list(
        ctx.session.scalars(select(Building).where(Building.park_id == ctx.park_id).order_by(Building.code))
    )
    complete_buildings = 0
    for b in buildings:
        missing = [f for f in BUILDING_RECORD_FIELDS if getattr(b, f) in (None, "", {})]
        rows.append(
            {
                "asset": "building",
                "name": f"{b.code} {b.name}",
                "name_en": f"{b.code} {b.name_en or b.name}",
                "missing": ", ".join(missing),
                "ok": not missing,
                "link": f"/buildings/{b.id}",
            }
        )
        if missing:
            english = f"{b.code} {b.name_en or b.name}"
            gaps.append(
                Gap(
                    "building", f"{b.code} {b.name}", "complete_building", b.id, {"fields": missing, "name_en": english}
                )
            )
        else:
            complete_buildings += 1
    parcels = list(
        ctx.session.scalars(select(LandParcel).where(LandParcel.park_id == ctx.park_id).order_by(LandParcel.code))
    )
    complete_parcels = 0
    for p in parcels:
        missing = [f for f in PARCEL_RECORD_FIELDS if getattr(p, f) in (None, "")]
        rows.append(
            {
                "asset": "parcel",
                "name": p.code,
                "missing": ", ".join(missing),
                "ok": not missing,
                "link": f"/land-parcels/{p.id}",
            }
        )
        if missing:
            gaps.append(Gap("parcel", p.code, "complete_parcel", p.id, {"fields": missing}))
        else:
            complete_parcels += 1
    online, total = online_points_of(ctx, None)
    for device in point_states(ctx, None):
        if not device["ok"]:
            gaps.append(
                Gap(
                    "device",
                    device["device"],
                    "bring_online",
                    device["device_id"],
                    {
                        "offline": device["points"] - device["online"],
                        "points": device["points"],
                        "name_en": device["device_en"],
                    },
                )
            )
    parts = [
        Part("buildings_complete", complete_buildings, len(buildings)),
        Part("parcels_complete", complete_parcels, len(parcels)),
        Part("points_online", online, total),
    ]
    # the park's equipment (registered with lifecycle records, key machines monitored) when a module computes it
    equipment = modules.indicator_formulas().get(EQUIPMENT_PART)
    if equipment is not None:
        found: Computed = resolve(equipment[1])(ctx)
        parts += [p for p in found.parts if p.denominator]  # a park without equipment on record: no such part
        rows += found.rows
        gaps += found.gaps
    shares = [p.share for p in parts if p.share is not None]
    return Computed(
        min(shares) if shares else None,
        parts=parts,
        columns=["asset", "name", "missing", "ok"],
        rows=rows,
        gaps=gaps,
    )


def formula(definition: IndicatorDef) -> Callable[[IndicatorContext], Computed]:
    """The function an installed module declares for the indicator's formula; NoSource when none does."""
    found = modules.indicator_formulas().get(definition.formula)
    if found is None:
        raise NoSource(f"the {definition.module or definition.formula} module is not installed")
    function: Callable[[IndicatorContext], Computed] = resolve(found[1])
    return function
