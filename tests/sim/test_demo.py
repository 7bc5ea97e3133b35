"""The demo park generator: counts, realism checks, determinism, reuse."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.audit.models import AuditEntry
from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.core import migrate, modules
from digipark.core.codes import is_manufacturing, validate_industry_code, validate_uscc
from digipark.core.db import make_engine
from digipark.core.geo import bounds
from digipark.core.modules import Module, resolve
from digipark.registry.catalog import device_kinds
from digipark.registry.models import Building, Device, Enterprise, LandParcel, Park, Point, Room, Zone
from digipark.sim import demo, park_plan, telemetry_model
from digipark.sim.demo import DEMO_PASSWORD, DemoResult, build_demo, demo_exists

Box = tuple[float, float, float, float]


@dataclasses.dataclass
class FreshDemo:
    factory: sessionmaker[Session]
    result: DemoResult
    stages: list[tuple[str, int, int]]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDemo]:
    """The demo built once, committed, in a fresh migrated SQLite file."""
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    stages: list[tuple[str, int, int]] = []
    with factory() as db, db.begin():
        result = build_demo(db, progress=lambda stage, done, total: stages.append((stage, done, total)))
    yield FreshDemo(factory, result, stages)
    engine.dispose()


def _box(geometry: dict[str, Any] | None) -> Box:
    assert geometry is not None and geometry["type"] == "Polygon"
    found = bounds([geometry])
    assert found is not None
    return found


def _inside(inner: Box, outer: Box) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _snapshot(db: Session, park_id: int) -> dict[str, list[Any]]:
    """The demo's content without database ids, to compare two builds."""

    def rows(stmt: Any, by_code: bool = False) -> list[Any]:
        found = [tuple(r) for r in db.execute(stmt).all()]
        return sorted(found) if by_code else found  # codes sorted here: collations differ by backend

    return {
        "enterprises": rows(
            select(
                Enterprise.name,
                Enterprise.uscc,
                Enterprise.industry_code,
                Enterprise.employees,
                Enterprise.established_on,
                Enterprise.contact_phone,
                Enterprise.address,
            )
            .where(Enterprise.park_id == park_id)
            .order_by(Enterprise.id)
        ),
        "buildings": rows(
            select(
                Building.code,
                Building.name,
                Building.floors,
                Building.gross_floor_area_m2,
                Building.year_built,
                Building.gigabit_fibre,
            )
            .where(Building.park_id == park_id)
            .order_by(Building.code),
            by_code=True,
        ),
        "footprints": sorted(
            (b.code, str(b.footprint)) for b in db.scalars(select(Building).where(Building.park_id == park_id))
        ),
        "rooms": rows(
            select(Room.code, Room.area_m2, Room.lease_from, Room.lease_to, Enterprise.uscc)
            .outerjoin(Enterprise, Enterprise.id == Room.enterprise_id)
            .where(Room.park_id == park_id)
            .order_by(Room.id)
        ),
        "devices": rows(
            select(Device.code, Device.name, Device.kind, Device.lon, Device.lat, Device.installed_on)
            .where(Device.park_id == park_id)
            .order_by(Device.code),
            by_code=True,
        ),
    }


def check_demo_park(db: Session, result: DemoResult) -> None:
    park_id = result.park_id
    park = db.get(Park, park_id)
    assert park is not None and park.name == "星湖高新技术产业园" and park.region_code.startswith("3205")

    zones = db.scalars(select(Zone).where(Zone.park_id == park_id)).all()
    assert len(zones) >= 5
    assert {"industrial", "logistics", "office", "living", "utility"} <= {z.function for z in zones}
    zone_box = {z.id: _box(z.geometry) for z in zones}
    for box in zone_box.values():
        assert 120.6 < box[0] < box[2] < 120.8 and 31.2 < box[1] < box[3] < 31.4

    parcels = {p.id: p for p in db.scalars(select(LandParcel).where(LandParcel.park_id == park_id))}
    parcel_box = {pid: _box(p.geometry) for pid, p in parcels.items()}
    for pid, parcel in parcels.items():
        assert parcel.zone_id is not None and _inside(parcel_box[pid], zone_box[parcel.zone_id])
        assert parcel.area_m2 > 0 and parcel.lease_start is not None and parcel.lease_end is not None
    boxes = list(parcel_box.values())
    assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])

    buildings = db.scalars(select(Building).where(Building.park_id == park_id)).all()
    assert len(buildings) >= 30
    footprints = [_box(b.footprint) for b in buildings]
    for building, box in zip(buildings, footprints, strict=True):
        assert building.parcel_id in parcels
        assert building.zone_id == parcels[building.parcel_id].zone_id
        assert _inside(box, parcel_box[building.parcel_id])
        assert building.floors >= 1 and building.gross_floor_area_m2 and building.year_built
    assert not any(_overlap(a, b) for i, a in enumerate(footprints) for b in footprints[i + 1 :])
    fibre = sum(b.gigabit_fibre for b in buildings)
    covered = sum(b.coverage_5g for b in buildings)
    assert len(buildings) / 2 < fibre < len(buildings) and len(buildings) / 2 < covered < len(buildings)

    enterprises = db.scalars(select(Enterprise).where(Enterprise.park_id == park_id)).all()
    assert len(enterprises) >= 150
    usccs = [e.uscc for e in enterprises]
    assert len(set(usccs)) == len(usccs) and len({e.name for e in enterprises}) == len(enterprises)
    for e in enterprises:
        assert validate_uscc(e.uscc) == e.uscc and e.uscc[:2] == "91" and e.uscc[2:8] == park.region_code
        assert validate_industry_code(e.industry_code) == e.industry_code
        assert e.name.endswith("有限公司") and e.contact_phone and e.established_on and e.employees
    manufacturing = [e for e in enterprises if is_manufacturing(e.industry_code)]
    assert len({e.industry_code[:2] for e in manufacturing}) >= 8
    assert sum(e.above_scale and e.industrial for e in enterprises) >= 50
    services = [e for e in enterprises if not e.industrial]
    assert len(services) >= 20
    assert {"59", "65", "73"} <= {e.industry_code[:2] for e in services}

    rooms = db.scalars(select(Room).where(Room.park_id == park_id)).all()
    leased = [r for r in rooms if r.enterprise_id is not None]
    assert {r.enterprise_id for r in leased} == {e.id for e in enterprises}  # every enterprise has premises
    assert all(r.lease_from is not None and r.lease_to is not None and r.lease_from <= r.lease_to for r in leased)
    assert len(leased) < len(rooms)  # some units are vacant

    devices = db.scalars(select(Device).where(Device.park_id == park_id)).all()
    points = db.scalar(select(func.count()).select_from(Point).where(Point.park_id == park_id)) or 0
    assert len(devices) + points >= 600
    catalogue = device_kinds()
    assert points == sum(len(catalogue[d.kind].points) for d in devices)
    kinds = Counter(d.kind for d in devices)
    # nearly every kind of the catalogue is used, the lighting controllers and air-conditioning units the
    # automation's "after hours" scene switches among them, in the office and commercial buildings
    assert set(catalogue) - {"smoke_detector"} <= set(kinds)
    switched = [d for d in devices if d.kind in ("lighting_controller", "hvac_unit")]
    assert {d.building_id for d in switched} == {b.id for b in buildings if b.use in ("office", "commercial")}
    by_id = {e.id: e for e in enterprises}
    metered = {d.enterprise_id for d in devices if d.kind == "electricity_meter"}
    assert metered >= set(by_id)  # every enterprise has its own electricity meter
    hazardous = {e.id for e in enterprises if e.industry_code[:2] in ("26", "27")}
    detected = {d.enterprise_id for d in devices if d.kind == "gas_detector"}
    assert hazardous and hazardous <= detected
    assert any(d.enterprise_id is None and d.kind == "electricity_meter" for d in devices)  # building meters

    building_by_id = {b.id: b for b in buildings}
    for room in leased:
        building, tenant = building_by_id[room.building_id], by_id[room.enterprise_id]
        if building.use in ("factory", "warehouse"):
            assert tenant.industrial or tenant.industry_code[:2] in ("54", "58", "59")
        if "能源站" in building.name:
            assert tenant.industry_code.startswith("44")
        if "污水处理厂" in building.name:
            assert tenant.industry_code.startswith("46")

    users = {u.username: u for u in db.scalars(select(User).where(User.park_id == park_id))}
    assert {role for role, _, _ in result.accounts} == {r.value for r in Role}
    for role, username, password in result.accounts:
        assert password == DEMO_PASSWORD and users[username].role == role and users[username].display_name
    first = min(by_id)
    assert users["enterprise"].enterprise_id == first and by_id[first].above_scale


def test_demo_in_the_test_database_is_complete_and_deterministic(db: Session, fresh: FreshDemo) -> None:
    result = build_demo(db)
    assert result.created and result.counts["enterprises"] >= 150
    check_demo_park(db, result)
    # audited, as the demo actor
    demo_entries = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.actor == "system:demo", AuditEntry.park_id == result.park_id)
    )
    assert demo_entries and demo_entries >= result.counts["devices"] + result.counts["points"]
    # the same seed built into a fresh database gives the same park
    with fresh.factory() as other:
        assert _snapshot(db, result.park_id) == _snapshot(other, fresh.result.park_id)
    found = demo_exists(db)
    assert found is not None and found.park_id == result.park_id and found.accounts == result.accounts


def test_fresh_database_demo(fresh: FreshDemo) -> None:
    with fresh.factory() as db:
        check_demo_park(db, fresh.result)
        found = demo_exists(db)
        assert found is not None and not found.created
        assert found.park_id == fresh.result.park_id and len(found.accounts) == 5
        login = auth_service.authenticate(db, username="admin", password=DEMO_PASSWORD)
        assert login.user is not None and login.user.role == Role.PARK_ADMIN


def test_progress_is_reported_for_every_stage(fresh: FreshDemo) -> None:
    stages = [stage for stage, _, _ in fresh.stages]
    assert list(dict.fromkeys(stages)) == [
        "zones",
        "buildings",
        "enterprises",
        "rooms",
        "devices",
        "accounts",
        "chains",
        "statistics",
        "transformation",
    ]
    last = {stage: (done, total) for stage, done, total in fresh.stages}
    assert all(done == total > 0 for done, total in last.values())
    labels = demo.stage_labels()  # the titles of `digipark demo`'s progress bars
    assert set(stages) <= set(labels) and labels["transformation"] != "transformation"
    assert last["devices"][1] == fresh.result.counts["devices"]


def test_no_demo_in_an_empty_park_list(db: Session) -> None:
    assert demo_exists(db) is None


def test_plan_depends_only_on_the_seed() -> None:
    def names(seed: int) -> list[tuple[str, str]]:
        return [(e.name, e.uscc) for e in park_plan.plan_park(seed).enterprises]

    assert names(7) == names(7)
    assert names(7) != names(8)


def _installed() -> list[Module]:
    return modules.installed()  # installed by importing digipark.sim.demo


def test_demo_parts_are_the_records_builders_in_the_write_order() -> None:
    declared = {ref for record in _installed() for ref in record.demo}
    parts = demo.demo_parts()
    assert [(p.module, p.build, p.stage, p.after_start) for p in parts] == [
        ("economy", "digipark.economy.demo_chains:build_chains_demo", "chains", False),
        ("economy", "digipark.economy.demo_statistics:generate_statistics", "statistics", False),
        ("transformation", "digipark.transformation.demo:build_transformation_demo", "transformation", True),
        ("evaluation", "digipark.evaluation.demo:build_evaluation_demo", None, True),
        ("energy", "digipark.energy.demo:build_energy_demo", None, True),
        ("environment", "digipark.environment.demo:build_environment_demo", None, True),
        ("safety", "digipark.safety.demo:build_safety_demo", None, True),
        ("alarms", "digipark.alarms.demo:build_alarms_demo", None, True),
        ("duty", "digipark.duty.demo:build_duty_demo", None, True),
        ("devices", "digipark.devices.demo:build_devices_demo", None, True),
        ("notices", "digipark.notices.demo:build_notices_demo", None, True),
        ("workorders", "digipark.workorders.demo:build_workorders_demo", None, True),
        ("living", "digipark.living.demo:build_living_demo", None, True),
        ("approvals", "digipark.approvals.demo:build_approvals_demo", None, True),
        ("services", "digipark.services.demo:build_services_demo", None, True),
        ("services", "digipark.services.demo:build_services_bookings_demo", None, True),
        ("assets", "digipark.assets.demo:build_assets_demo", None, True),
        ("automation", "digipark.automation.demo:build_automation_demo", None, True),
        ("dataspace", "digipark.dataspace.demo:build_dataspace_demo", None, True),
        ("cybersec", "digipark.cybersec.demo:build_cybersec_demo", None, True),
        ("safety", "digipark.safety.forecasts:build_demo_forecasts", None, True),  # demo.WRITTEN_LAST
    ]
    assert {p.build for p in parts} == declared
    for part in parts:
        assert callable(resolve(part.build)), part.build
        assert part.build.split(".")[1] == part.module  # a domain's builder lives in its own package


def test_a_module_not_in_the_write_order_follows_in_the_records_order(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        Module(name="late", title="Late", demo=("tests.sim.test_demo:_late",)),
        Module(name="alarms", title="Alarms", demo=("a:alarms",)),
        Module(name="extra", title="Extra", demo=("tests.sim.test_demo:_extra", "tests.sim.test_demo:_extra_2")),
        Module(name="economy", title="Economy", demo=("e:chains", "e:statistics")),
        Module(name="plain", title="Plain"),
    ]
    monkeypatch.setattr(modules, "installed", lambda: records)
    parts = demo.demo_parts()
    assert [p.build for p in parts] == [
        "e:chains",
        "e:statistics",
        "a:alarms",
        "tests.sim.test_demo:_late",
        "tests.sim.test_demo:_extra",
        "tests.sim.test_demo:_extra_2",
    ]
    assert [p.after_start for p in parts] == [False, False, True, True, True, True]
    assert parts[-1].module == "extra" and parts[-1].stage is None and parts[-1].arguments is None


def test_the_demos_own_settings_name_declared_builders() -> None:
    declared = {ref for record in _installed() for ref in record.demo}
    assert set(demo.PROGRESS_STAGES) <= declared
    assert set(demo.ARGUMENTS) <= declared
    assert set(demo.WRITE_ORDER) <= {record.name for record in _installed() if record.demo}
    assert set(demo.WRITE_ORDER) >= demo.BEFORE_START


def test_the_environment_demo_scans_the_telemetry_history_the_simulator_writes() -> None:
    (part,) = [p for p in demo.demo_parts() if p.module == "environment"]
    assert part.arguments is not None
    assert part.arguments() == {"history_days": int(telemetry_model.spec()["history"]["days"])}


def test_the_demos_live_state_is_valid_on_the_day_it_is_looked_at(fresh: FreshDemo) -> None:
    """Visitor passes and parking permits are live state: some passes valid now, permits covering today (not the
    demo's statistics day, which lies weeks behind)."""
    from digipark.living.models import ParkingPermit, VisitorPass

    now = dt.datetime.now(dt.UTC)
    with fresh.factory() as db:
        passes = db.scalars(select(VisitorPass).where(VisitorPass.park_id == fresh.result.park_id)).all()
        valid = [p for p in passes if _aware(p.valid_from) <= now < _aware(p.valid_until)]
        later = [p for p in passes if _aware(p.valid_from) > now]
        assert valid and later
        permits = db.scalars(select(ParkingPermit).where(ParkingPermit.park_id == fresh.result.park_id)).all()
        assert permits and all(p.first_day <= now.date() <= p.last_day for p in permits)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def test_the_after_hours_scene_switches_the_demos_lights_and_air_conditioning(fresh: FreshDemo) -> None:
    """The demo's office buildings have lighting controllers and air-conditioning units: a scene switching a
    building's lighting and HVAC off plans a real command for each active one (not `no_device`)."""
    from digipark.auth.scope import system_scope
    from digipark.automation import commands, logic

    with fresh.factory() as db:
        park_id = fresh.result.park_id
        office = db.scalars(
            select(Building).where(Building.park_id == park_id, Building.use == "office").order_by(Building.id)
        ).first()
        assert office is not None
        switched = db.scalars(
            select(Device).where(
                Device.building_id == office.id,
                Device.kind.in_(("lighting_controller", "hvac_unit")),
                Device.status == "active",
            )
        ).all()
        assert switched
        planned = []
        for system in ("lighting", "hvac"):
            action = logic.normalise_actions(
                [{"kind": "device_command", "building_id": office.id, "system": system, "command": "off"}]
            )[0]
            entries = commands.plan(db, scope=system_scope(park_id), park_id=park_id, action=action, alarm_id=None)
            assert commands.status(entries) == "done"
            planned += entries
        assert sorted(e["device_id"] for e in planned) == sorted(d.id for d in switched)
        assert {e["name"] for e in planned} == {"switch_off"} and {e["state"] for e in planned} == {"queued"}
