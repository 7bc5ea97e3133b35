"""Roads and pipes as GeoJSON lines (validated), land and buildings from the registry (idempotent), leases of park
assets (an enterprise reads its own; income hand-computed), labour in the cost per asset, booked hours of shared
equipment in the utilisation, and the C-MAPSS reader on a generated sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from digipark.assets import cmapss, costs, geo, leases, registry_sync, service, utilisation
from digipark.assets.models import Asset, Lease
from digipark.assets.schemas import AssetCreate, AssetUpdate, LeaseCreate, LeaseStateChange
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.registry.models import Building
from digipark.services.models import Booking, ServiceOffering
from digipark.workorders import service as workorders
from digipark.workorders.models import WorkTeam
from digipark.workorders.provides import OriginKind, complete_order, read_order
from tests.conftest import World
from tests.workorders.helpers import scope_of

LINE = {"type": "LineString", "coordinates": [[120.7001, 31.3001], [120.7021, 31.3001], [120.7021, 31.3015]]}


def _asset(db: Session, world: World, klass: str = "pipe", **extra: Any) -> Asset:
    admin = scope_of(db, "TA", "park_admin")
    classes = service.seed_classes(db, park_id=world.a.park_id)
    data = AssetCreate.model_validate(
        {
            "class_id": classes[klass].id,
            "code": f"T-{klass}-{len(extra)}-{id(extra) % 10_000}",
            "name": "测试资产",
            "purchase_value": 100_000,
            "in_service_on": dt.date(2025, 1, 5),
            "state": "in_service",
            **extra,
        }
    )
    return service.ASSETS.create(db, scope=admin, data=data)


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Point", "coordinates": [120.7, 31.3]},
        {"type": "LineString", "coordinates": [[120.7, 31.3]]},
        {"type": "LineString", "coordinates": [[120.7, 31.3], [190.0, 31.3]]},
        {"type": "LineString", "coordinates": [[120.7, 31.3], [120.8, 95.0]]},
        {"type": "LineString", "coordinates": [[120.7, 31.3], [True, 31.3]]},
        {"type": "LineString", "coordinates": [[120.7, 31.3], [float("nan"), 31.3]]},
        {"type": "MultiLineString", "coordinates": []},
        {"type": "MultiLineString", "coordinates": [[[120.7, 31.3], [120.8, 31.3]], [[1, 2]]]},
        {"type": "LineString", "coordinates": [[120.7, 31.3], [120.8, 31.3]], "properties": {}},
        "LINESTRING(120 31, 121 31)",
    ],
)
def test_a_line_geometry_must_be_a_wgs84_linestring_or_multilinestring(geometry: Any) -> None:
    with pytest.raises(ValueError):
        geo.check_line_geometry(geometry)


def test_roads_and_pipes_keep_their_line_material_diameter_and_year(db: Session, world: World) -> None:
    pipe = _asset(db, world, network="water", geometry=LINE, material="球墨铸铁管", diameter_mm=300, install_year=2021)
    assert pipe.geometry == LINE and (pipe.network, pipe.diameter_mm, pipe.install_year) == ("water", 300, 2021)
    # about 190 m east and 155 m north at 31.3° N
    assert geo.line_length_m(LINE) == pytest.approx(190.2 + 155.7, rel=0.01)
    admin = scope_of(db, "TA", "park_admin")
    multi = {"type": "MultiLineString", "coordinates": [LINE["coordinates"], [[120.7, 31.3], [120.71, 31.3]]]}
    service.ASSETS.update(db, scope=admin, ident=pipe.id, data=AssetUpdate(geometry=multi, network="drainage"))
    assert pipe.geometry == multi and pipe.network == "drainage"
    with pytest.raises(ValidationFailed):
        _asset(db, world, geometry=LINE)  # a line without its network


def test_land_and_buildings_come_from_the_registry_once(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    first = registry_sync.sync_registry(db, scope=admin)
    assert first.created == 2  # park A's parcel P1 and building B1
    again = registry_sync.sync_registry(db, scope=admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    classes = service.seed_classes(db, park_id=world.a.park_id)
    rows = {a.source_ref: a for a in db.query(Asset).filter(Asset.park_id == world.a.park_id, Asset.source_ref != None)}  # noqa: E711
    land, building = rows[f"land:{world.a.parcel_id}"], rows[f"building:{world.a.building_id}"]
    assert (land.class_id, building.class_id) == (classes["land"].id, classes["building"].id)
    assert (building.code, building.name, building.land_parcel_id) == ("LY-B1", "1号厂房", world.a.parcel_id)
    assert land.enterprise_id is None and land.state == "in_service"
    renamed = db.get(Building, world.a.building_id)
    assert renamed is not None
    renamed.name = "1号标准厂房"
    third = registry_sync.sync_registry(db, scope=admin)
    assert (third.created, third.updated) == (0, 1) and building.name == "1号标准厂房"
    with pytest.raises(PermissionDenied):
        registry_sync.sync_registry(db, scope=scope_of(db, "TA", "enterprise"))
    with pytest.raises(NotFound):
        registry_sync.sync_registry(db, scope=scope_of(db, "TB", "park_admin"), park_id=world.a.park_id)


def test_leases_of_park_assets_are_read_by_their_enterprise_only_and_earn_rent(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world, klass="pump")
    e0, e1 = world.a.enterprise_ids
    data = LeaseCreate(
        enterprise_id=e0,
        room_id=world.a.room_id,
        starts_on=dt.date(2026, 1, 15),
        ends_on=dt.date(2026, 12, 31),
        monthly_rent=3100,
    )
    lease = leases.create_lease(db, scope=admin, asset_id=asset.id, data=data)
    with pytest.raises(Conflict):  # overlapping
        leases.create_lease(db, scope=admin, asset_id=asset.id, data=data)
    with pytest.raises(ValidationFailed):  # the unit is let to enterprise 0
        leases.create_lease(
            db,
            scope=admin,
            asset_id=asset.id,
            data=data.model_copy(
                update={"enterprise_id": e1, "starts_on": dt.date(2027, 1, 1), "ends_on": dt.date(2027, 6, 30)}
            ),
        )
    owned = _asset(db, world, klass="pump", enterprise_id=e0)
    with pytest.raises(Conflict):  # only park assets are leased
        leases.create_lease(db, scope=admin, asset_id=owned.id, data=data)
    assert leases.income(lease, until=dt.date(2026, 3, 31)) == 0.0  # a draft earns nothing
    with pytest.raises(PermissionDenied):
        leases.change_state(
            db, scope=scope_of(db, "TA", "enterprise"), ident=lease.id, data=LeaseStateChange(state="active")
        )
    leases.change_state(db, scope=admin, ident=lease.id, data=LeaseStateChange(state="active"))
    # 17 of January's 31 days, then February and March in full: 1700 + 3100 + 3100
    assert leases.income(lease, until=dt.date(2026, 3, 31)) == 7900.0
    assert leases.asset_income(db, scope=admin, asset=asset, on=dt.date(2026, 3, 31)) == {
        "year": 7900.0,
        "total": 7900.0,
    }
    with pytest.raises(Conflict):
        leases.change_state(db, scope=admin, ident=lease.id, data=LeaseStateChange(state="draft"))
    assert [r.id for r in leases.list_leases(db, scope=scope_of(db, "TA", "enterprise"))] == [lease.id]
    assert leases.list_leases(db, scope=scope_of(db, "TA", "enterprise2")) == []
    assert leases.list_leases(db, scope=scope_of(db, "TB", "park_admin")) == []
    assert db.get(Lease, lease.id) is not None


def test_labour_hours_times_the_trade_rate_add_to_the_parts_cost(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world, klass="pump")
    reported = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)
    order_id = service.open_asset_order(
        db,
        scope=admin,
        asset=asset,
        title="更换轴承",
        description=None,
        origin=OriginKind.ASSET,
        origin_ref=str(asset.id),
        now=reported,
    )
    from digipark.assets.models import Failure

    db.add(
        Failure(
            park_id=asset.park_id,
            asset_id=asset.id,
            failed_on=reported.date(),
            description="轴承",
            repair_order_id=order_id,
        )
    )
    db.flush()
    assert costs.of_asset(db, scope=admin, asset=asset).labour == []  # not completed yet
    team = WorkTeam(park_id=world.a.park_id, name="机电班")
    db.add(team)
    db.flush()
    workorders.assign(db, scope=admin, ident=order_id, team_id=team.id, now=reported)
    done = complete_order(
        db,
        scope=admin,
        ident=order_id,
        note="已更换",
        started_at=reported + dt.timedelta(hours=1),
        now=reported + dt.timedelta(hours=3, minutes=30),
    )
    assert done.state == "done" and read_order(db, scope=admin, ident=order_id).started_at is not None
    figures = costs.of_asset(db, scope=admin, asset=asset)
    assert [(line.hours, line.rate, line.cost) for line in figures.labour] == [
        (2.5, 120.0, 300.0)
    ]  # maintenance: 120/h
    assert figures.total == figures.parts + 300.0
    with pytest.raises(Conflict):
        complete_order(db, scope=admin, ident=order_id, note=None)


def test_booked_hours_of_shared_equipment_count_in_its_utilisation(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    offering = ServiceOffering(
        park_id=world.a.park_id,
        kind="shared_equipment",
        name="五轴加工中心",
        provider_name="园区运营公司",
        bookable=True,
    )
    db.add(offering)
    db.flush()
    today = service.today()
    asset = _asset(db, world, klass="pump", offering_id=offering.id, in_service_on=today - dt.timedelta(days=100))
    start = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(9, 0), tzinfo=dt.UTC)
    for status, hours in (("approved", 4), ("completed", 3), ("declined", 8)):
        db.add(
            Booking(
                park_id=world.a.park_id,
                enterprise_id=world.a.enterprise_ids[0],
                offering_id=offering.id,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=hours),
                status=status,
                requested_by="测试",
            )
        )
    db.flush()
    found = dict(utilisation.of_park(db, scope=admin, park_id=world.a.park_id, until=today))
    figure = found[asset]
    assert (figure.run_hours, figure.booked_hours, figure.available_hours) == (0.0, 7.0, 30 * 24.0)
    assert figure.share == pytest.approx(7 / 720)
    with pytest.raises(ValidationFailed):
        _asset(db, world, klass="pump", offering_id=offering.id + 10_000)


def test_the_cmapss_reader_reads_a_sample_in_the_published_format(tmp_path: Path) -> None:
    cmapss.sample(tmp_path, units=3, seed=4)
    subset = cmapss.read_subset(tmp_path, "FD001")
    assert len(subset.train) == len(subset.test) == len(subset.test_rul) == 3
    unit = subset.train[0]
    assert unit.cycles == list(range(1, len(unit.cycles) + 1)) and 128 <= len(unit.cycles) <= 362
    assert len(unit.settings[0]) == 3 and len(unit.sensors[0]) == 21
    assert unit.sensor(4)[-1] > unit.sensor(4)[0]  # sensor 4 (LPT outlet temperature) rises towards failure
    assert all(r > 0 for r in subset.test_rul)
    (tmp_path / "test_FD001.txt").write_text("1 1 0.0 0.0\n", "ascii")
    with pytest.raises(ValueError, match="columns"):
        cmapss.read_subset(tmp_path, "FD001")
