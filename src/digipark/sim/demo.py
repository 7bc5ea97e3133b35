"""The demo park: a fictional park that looks real, generated deterministically for `digipark demo` and tests.

The park, its layout and its industries are described in ``sim/data/demo_park.yaml``, the words its names
are made of in ``sim/data/names.yaml``. Generation first plans everything in memory from a seeded random
generator (same seed, same park), then writes it through the registry and account services, so every row
is validated and audited like any other write. Then each domain's part: the builders its module record declares
(`Module.demo`, in `<domain>/demo.py`), in `WRITE_ORDER`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.modules  # noqa: F401  (installs the module records, whose builders the demo writes)
from digipark.audit import service as audit
from digipark.audit.service import Actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.auth.scope import system_scope
from digipark.core import modules
from digipark.core import progress as work_progress
from digipark.core.modules import Ref, resolve
from digipark.core.progress import DEMO_EXTRAS
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.catalog import device_kinds
from digipark.sim import layout, telemetry_model
from digipark.sim.layout import Frame, Rect
from digipark.sim.park_plan import ParkPlan, demo_data, demo_park_code, plan_park

log = logging.getLogger("digipark.demo")

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SEED",
    "WRITE_ORDER",
    "DemoPart",
    "DemoResult",
    "Progress",
    "build_demo",
    "demo_exists",
    "demo_park_code",
    "stage_labels",
]

DEMO_SEED = 20_260_601
DEMO_PASSWORD = "digipark-demo"
DEMO_ACTOR = Actor("system:demo")

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while the demo is written."""


@dataclasses.dataclass
class DemoResult:
    park_id: int
    accounts: list[tuple[str, str, str]]  # (role, username, password)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    created: bool = False


# ----------------------------------------------------------------------------------------------------------
# the domains' parts, after the registry's: builders the installed module records declare (`Module.demo`)


@dataclasses.dataclass(frozen=True)
class DemoPart:
    """One domain's part of the demo park: a builder its module record declares.

    `build(session, *, park_id, as_of, seed)` writes it in the session (not committed) and returns counts; a part
    with a progress `stage` is also given `progress=` and reports under that stage (`label`: the title of its
    progress bar); `arguments()` gives it further keyword arguments only the demo knows. `after_start`: written by
    `build_demo_extras` (the served demo writes it after it answers)."""

    module: str  # the name of the module record declaring it
    build: Ref
    stage: str | None = None
    label: str = ""
    after_start: bool = True
    arguments: Callable[[], dict[str, Any]] | None = None


@dataclasses.dataclass(frozen=True)
class DemoContext:
    """What every part is built with."""

    park_id: int
    as_of: dt.date
    seed: int
    progress: Progress | None = None


REGISTRY_STAGES = {
    "zones": "zones and land parcels",
    "buildings": "buildings and floors",
    "enterprises": "enterprises",
    "rooms": "units and leases",
    "devices": "devices and points",
    "accounts": "demo accounts",
}
"""The progress stages of the registry's part (the park itself), with their titles."""

WRITE_ORDER: tuple[str, ...] = (
    "economy",
    "transformation",
    "evaluation",
    "energy",
    "environment",
    "safety",
    "alarms",
)
"""The modules whose demo parts are written in this order, each module's in the order its record declares them; a
module not listed follows, in the records' order. A later part may read what an earlier one wrote (the evaluation's
signed assessment is computed from the statistics and transformation data), and the order fixes the demo's ids and
audit chain."""

WRITTEN_LAST: dict[Ref, Ref] = {
    "digipark.safety.forecasts:build_demo_forecasts": "digipark.safety.forecasts:write_demo_forecasts",
}
"""Builders written after every other part: they compute from what the others wrote (the safety centre's forecast
counts the alarms, hidden dangers and incidents any part wrote). Each maps to what `build_demo_extras_in_parts`
calls instead (`f(park_id=...)`): it opens transactions of its own, so no write lock is held while it computes
(a login of the served demo waits for none)."""

BEFORE_START = frozenset({"economy"})
"""The modules whose parts the served demo writes before it answers; every other module's part comes after."""

PROGRESS_STAGES: dict[Ref, tuple[str, str]] = {
    "digipark.economy.demo_chains:build_chains_demo": ("chains", "industry chains, leads"),
    "digipark.economy.demo_statistics:generate_statistics": ("statistics", "monthly statistics"),
    "digipark.transformation.demo:build_transformation_demo": (
        "transformation",
        "digital-maturity assessments, transformation records",
    ),
}
"""The builders that report progress: their stage and the title of its progress bar."""


def _telemetry_history() -> dict[str, Any]:
    return {"history_days": int(telemetry_model.spec()["history"]["days"])}


ARGUMENTS: dict[Ref, Callable[[], dict[str, Any]]] = {
    # the exceedance scan covers the history the demo's telemetry simulator writes
    "digipark.environment.demo:build_environment_demo": _telemetry_history,
}
"""Further keyword arguments of a builder, from what only the demo knows."""


def demo_parts() -> tuple[DemoPart, ...]:
    """The builders every installed module record declares, in `WRITE_ORDER`."""
    records = modules.installed()
    rank = {name: position for position, name in enumerate(WRITE_ORDER)}
    ordered = sorted(records, key=lambda record: rank.get(record.name, len(WRITE_ORDER)))
    parts: list[DemoPart] = []
    for record in ordered:
        for ref in record.demo:
            stage, label = PROGRESS_STAGES.get(ref, (None, ""))
            after_start = record.name not in BEFORE_START
            parts.append(DemoPart(record.name, ref, stage, label, after_start, ARGUMENTS.get(ref)))
    return tuple(sorted(parts, key=lambda part: part.build in WRITTEN_LAST))


def stage_labels() -> dict[str, str]:
    """Every progress stage of the demo -> the title of its progress bar."""
    return REGISTRY_STAGES | {part.stage: part.label for part in demo_parts() if part.stage is not None}


def _as_of() -> dt.date:
    return dt.date.fromisoformat(str(demo_data("demo_park.yaml")["park"]["as_of"]))


def _build_part(session: Session, part: DemoPart, context: DemoContext) -> dict[str, int]:
    arguments: dict[str, Any] = {"park_id": context.park_id, "as_of": context.as_of, "seed": context.seed}
    if part.stage is not None:
        arguments["progress"] = context.progress
    if part.arguments is not None:
        arguments.update(part.arguments())
    counts: dict[str, int] = resolve(part.build)(session, **arguments)
    return counts


def _build_parts(session: Session, context: DemoContext, *, after_start: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in demo_parts():
        if part.after_start == after_start:
            counts.update(_build_part(session, part, context))
    return counts


# ----------------------------------------------------------------------------------------------------------
# writing the plan


class _Writer:
    def __init__(self, session: Session, progress: Progress | None) -> None:
        self.session = session
        self.progress = progress

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None and (done == total or done % 10 == 0):
            self.progress(stage, done, total)

    def write(self, plan: ParkPlan) -> DemoResult:
        session = self.session
        park_spec = plan.park
        frame = Frame(float(park_spec["origin"][0]), float(park_spec["origin"][1]))
        width, depth = (float(v) for v in park_spec["size_m"])
        outline: Rect = (0.0, 0.0, width, depth)
        centre_lon, centre_lat = frame.lonlat(width / 2, depth / 2)
        park = registry.create_park(
            session,
            code=str(park_spec["code"]),
            name=str(park_spec["name"]),
            region_code=str(park_spec["region_code"]),
            name_en=str(park_spec["name_en"]),
            address=str(park_spec["address"]),
            address_en=str(park_spec["address_en"]),
            level=str(park_spec["level"]),
            leading_industries=[str(c) for c in park_spec["leading_industries"]],
            area_m2=layout.area(outline),
            centre_lon=centre_lon,
            centre_lat=centre_lat,
            boundary=frame.polygon(outline),
        )
        scope = system_scope(park.id)
        kinds = registry.KINDS

        def create(kind: str, data: Any) -> Any:
            return registry.create(session, scope=scope, kind=kinds[kind], data=data)

        counts = dict.fromkeys(
            ("zones", "parcels", "buildings", "floors", "rooms", "enterprises", "devices", "points", "accounts"), 0
        )
        # zones and parcels
        total = len(plan.zones) + sum(len(z.parcels) for z in plan.zones)
        zone_ids: dict[str, int] = {}
        parcel_ids: dict[str, int] = {}
        done = 0
        for zone in plan.zones:
            z = zone.spec
            zone_ids[z.code] = create(
                "zone",
                schemas.ZoneCreate(
                    code=z.code, name=z.name, name_en=z.name_en, function=z.function, geometry=frame.polygon(z.rect)
                ),
            ).id
            done += 1
            for parcel in zone.parcels:
                parcel_ids[parcel.code] = create(
                    "land_parcel",
                    schemas.LandParcelCreate(
                        zone_id=zone_ids[z.code],
                        code=parcel.code,
                        geometry=frame.polygon(parcel.rect),
                        land_use=parcel.land_use,
                        owner=parcel.owner,
                        owner_en=parcel.owner_en,
                        lease_start=parcel.lease_start,
                        lease_end=parcel.lease_end,
                    ),
                ).id
                done += 1
                self.report("zones", done, total)
        counts["zones"], counts["parcels"] = len(zone_ids), len(parcel_ids)

        # buildings and floors
        buildings = [(p, b) for z in plan.zones for p in z.parcels for b in p.buildings]
        total = sum(1 + b.floors for _, b in buildings)
        building_ids: dict[str, int] = {}
        floor_ids: dict[tuple[str, int], int] = {}
        done = 0
        for parcel, b in buildings:
            building_ids[b.code] = create(
                "building",
                schemas.BuildingCreate(
                    zone_id=zone_ids[b.zone],
                    parcel_id=parcel_ids[parcel.code],
                    code=b.code,
                    name=b.name,
                    name_en=b.name_en,
                    footprint=frame.polygon(b.rect),
                    floors=b.floors,
                    gross_floor_area_m2=b.floor_area_m2 * b.floors,
                    use=b.type.use,
                    year_built=b.year_built,
                    gigabit_fibre=b.gigabit_fibre,
                    coverage_5g=b.coverage_5g,
                ),
            ).id
            done += 1
            for level in range(1, b.floors + 1):
                floor_ids[b.code, level] = create(
                    "floor",
                    schemas.FloorCreate(
                        building_id=building_ids[b.code], level=level, name=f"{level}F", area_m2=b.floor_area_m2
                    ),
                ).id
                done += 1
                self.report("buildings", done, total)
        counts["buildings"], counts["floors"] = len(building_ids), len(floor_ids)

        # enterprises
        enterprise_ids: list[int] = []
        for e in plan.enterprises:
            enterprise_ids.append(
                create(
                    "enterprise",
                    schemas.EnterpriseCreate(
                        name=e.name,
                        name_en=e.name_en,
                        uscc=e.uscc,
                        industry_code=e.industry_code,
                        above_scale=e.above_scale,
                        industrial=e.industrial,
                        registered_capital_wan_yuan=e.capital_wan_yuan,
                        employees=e.employees,
                        established_on=e.established_on,
                        contact_name=e.contact_name,
                        contact_phone=e.contact_phone,
                        contact_email=e.contact_email,
                        address=e.address,
                    ),
                ).id
            )
            self.report("enterprises", len(enterprise_ids), len(plan.enterprises))
        counts["enterprises"] = len(enterprise_ids)

        # rooms and leases
        units = [(b, u) for _, b in buildings for u in b.units]
        for done, (b, u) in enumerate(units, start=1):
            create(
                "room",
                schemas.RoomCreate(
                    floor_id=floor_ids[b.code, u.level],
                    code=u.code,
                    area_m2=u.area_m2,
                    use=u.use,
                    enterprise_id=None if u.tenant is None else enterprise_ids[u.tenant],
                    lease_from=u.lease_from,
                    lease_to=u.lease_to,
                ),
            )
            self.report("rooms", done, len(units))
        counts["rooms"] = len(units)

        # devices, each with the points of its kind from the catalogue
        point_counts = {key: len(kind.points) for key, kind in device_kinds().items()}
        for done, d in enumerate(plan.devices, start=1):
            create(
                "device",
                schemas.DeviceCreate(
                    code=d.code,
                    name=d.name,
                    name_en=d.name_en,
                    kind=d.kind,
                    model=d.model,
                    manufacturer=d.manufacturer,
                    enterprise_id=None if d.enterprise is None else enterprise_ids[d.enterprise],
                    building_id=None if d.building is None else building_ids[d.building],
                    location=d.location,
                    lon=d.lon,
                    lat=d.lat,
                    installed_on=d.installed_on,
                    status=d.status,
                    create_points=True,
                ),
            )
            counts["points"] += point_counts[d.kind]
            self.report("devices", done, len(plan.devices))
        counts["devices"] = len(plan.devices)

        # one account per role
        accounts: list[tuple[str, str, str]] = []
        account_specs = demo_data("demo_park.yaml")["accounts"]
        for done, a in enumerate(account_specs, start=1):
            role = Role(str(a["role"]))
            user = auth_service.create(
                session,
                username=str(a["username"]),
                password=DEMO_PASSWORD,
                role=role,
                display_name=str(a["display_name"]),
                park_id=park.id,
                enterprise_id=enterprise_ids[0] if role == Role.ENTERPRISE else None,
            )
            user.is_platform_admin = bool(a.get("platform_admin", False))
            accounts.append((role.value, str(a["username"]), DEMO_PASSWORD))
            self.report("accounts", done, len(account_specs))
        counts["accounts"] = len(accounts)
        return DemoResult(park_id=park.id, accounts=accounts, counts=counts, created=True)


# ----------------------------------------------------------------------------------------------------------
# public


def build_demo(
    session: Session, *, progress: Progress | None = None, seed: int = DEMO_SEED, extras: bool = True
) -> DemoResult:
    """Create the demo park in `session` (not committed). The same seed always gives the same park.
    `extras=False` leaves the parts written after start (`DemoPart.after_start`) to `build_demo_extras` (the
    served demo writes them after it answers)."""
    audit.install()
    previous = audit.get_actor(session)
    audit.set_actor(session, DEMO_ACTOR)
    try:
        plan = plan_park(seed)
        result = _Writer(session, progress).write(plan)
        context = DemoContext(result.park_id, _as_of(), seed, progress)
        result.counts.update(_build_parts(session, context, after_start=False))
    finally:
        audit.set_actor(session, previous)
    if extras:
        result.counts.update(build_demo_extras(session, park_id=result.park_id, progress=progress, seed=seed))
    return result


def demo_extras_missing(session: Session, *, park_id: int) -> bool:
    """Whether the demo park still lacks the parts written after start (checked by its transformation data,
    the first of them)."""
    from digipark.transformation.models import CatalogueEntry

    return not session.scalar(select(func.count()).select_from(CatalogueEntry).where(CatalogueEntry.park_id == park_id))


def build_demo_extras(
    session: Session, *, park_id: int, progress: Progress | None = None, seed: int = DEMO_SEED
) -> dict[str, int]:
    """The demo park's parts written after start (those of every module not in `BEFORE_START`), in `session` (not
    committed)."""
    audit.install()
    previous = audit.get_actor(session)
    audit.set_actor(session, DEMO_ACTOR)
    try:
        return _build_parts(session, DemoContext(park_id, _as_of(), seed, progress), after_start=True)
    finally:
        audit.set_actor(session, previous)


def build_demo_extras_in_parts(*, park_id: int, seed: int = DEMO_SEED) -> dict[str, int]:
    """`build_demo_extras`, each part in a short writing transaction of its own and committed, so the served
    demo's requests (a login writes) wait for one part at most, not for all of them."""
    from digipark.core.db import transaction

    counts: dict[str, int] = {}
    context = DemoContext(park_id, _as_of(), seed)
    parts = [part for part in demo_parts() if part.after_start]
    for done, part in enumerate(parts):
        work_progress.report(DEMO_EXTRAS, part.module, done, len(parts))
        started = time.perf_counter()
        own_transactions = WRITTEN_LAST.get(part.build)
        if own_transactions is not None:
            counts.update(resolve(own_transactions)(park_id=park_id))
        else:
            with transaction(write=True, name=f"demo part {part.build}") as session:
                audit.set_actor(session, DEMO_ACTOR)
                counts.update(_build_part(session, part, context))
        log.info("demo part %s written in %.2f s", part.build, time.perf_counter() - started)
    work_progress.report(DEMO_EXTRAS, "done", len(parts), len(parts))
    return counts


def demo_exists(session: Session) -> DemoResult | None:
    """The demo park already in the database, with its accounts, or None."""
    park = registry.get_park_by_code(session, code=demo_park_code())
    if park is None:
        return None
    usernames = set(session.scalars(select(User.username).where(User.park_id == park.id)))
    accounts = [
        (str(a["role"]), str(a["username"]), DEMO_PASSWORD)
        for a in demo_data("demo_park.yaml")["accounts"]
        if str(a["username"]) in usernames
    ]
    return DemoResult(park_id=park.id, accounts=accounts)
