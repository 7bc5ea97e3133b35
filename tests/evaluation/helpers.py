"""A small hand-built park for the evaluation tests, built through the registry, transformation and economy
services (telemetry's newest readings as direct rows), with every expected value worked out by hand below."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope, system_scope
from digipark.core.codes import make_uscc
from digipark.economy import statistics
from digipark.economy.schemas import MonthlyStatisticCreate
from digipark.registry import schemas as rs
from digipark.registry import service as registry
from digipark.registry.models import Point
from digipark.services import booking as services_booking
from digipark.services import catalogue as services_catalogue
from digipark.services.schemas import BookingCreate, OfferingCreate, UsageCreate
from digipark.telemetry.models import PointLatest
from digipark.transformation import schemas as ts
from digipark.transformation import service as transformation
from tests.conftest import polygon

# Time of every test: 2025-06-15 12:00 in Shanghai. The statistics month evaluated is May 2025.
NOW = dt.datetime(2025, 6, 15, 4, 0, tzinfo=dt.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
AS_OF = dt.date(2025, 6, 15)

# Hand-worked expectations (see `build` for the records):
# S1.1 industry divisions of the industrial enterprises: 33 (E1, E2), 26 (E3), 13 (E4), 34 (E5) = 4;
#      industrial internet used in 33 (E1) and 13 (E4) -> 2 of 4 = 50 %; uncovered: 26, 34.
# S1.2 above-scale industrial: E1, E2, E3; renovated: E1 (GB/T 39116 level 2, verified), E3 (smart factory
#      基础级, verified) -> 2 of 3 = 66.67 %; E2 lacks a renovation.
# S2.2 above-scale that used a production service in the 12 months to 2025-06-15: E1 (a digital production service
#      on its transformation adoption record), E3 (a shared machine booked and approved for 2025-03-10); E2's
#      booking was declined and its usage is from 2024-05 (outside the window) -> 2 of 3 = 66.67 %.
# S3.1 buildings with complete records: B1 of B1-B3 (33.33 %); parcels: P1 of P1-P2 (50 %); points online:
#      M1 all 4, M2 only power_kw -> 5 of 8 (62.5 %); the indicator takes the lowest: 33.33 %.
# S3.2 enterprises owing May 2025 statistics: E1-E5 (the service company E6 owes none); submitted E1, E2, E4 ->
#      3 of 5 = 60 %; missing E3, E5.
# S3.3 electric-energy points: M1.energy_kwh online, M2.energy_kwh offline -> 1 of 2 = 50 %.
# S4.1 buildings with gigabit fibre and 5G: B1 only (B2 fibre only, B3 neither) -> 1 of 3 = 33.33 %.
EXPECTED = {
    "industrial_internet_coverage": 50.0,
    "renovation_coverage": 200 / 3,
    "production_service_coverage": 200 / 3,
    "asset_management": 100 / 3,
    "statistics_reporting": 60.0,
    "energy_metered_online": 50.0,
    "double_gigabit": 100 / 3,
}


def _service_bookings(db: Session, scope: Scope, enterprises: dict[str, int]) -> None:
    machine = services_catalogue.OFFERINGS.create(
        db,
        scope=scope,
        data=OfferingCreate(
            kind="shared_equipment",
            name="共享五轴加工中心",
            provider_name="园区共享制造中心",
            unit_price_yuan=180,
            price_unit="hour",
            bookable=True,
        ),
    )
    shanghai = dt.timezone(dt.timedelta(hours=8))
    for name, day, approve in (("E3", dt.date(2025, 3, 10), True), ("E2", dt.date(2025, 3, 11), False)):
        start = dt.datetime.combine(day, dt.time(9), shanghai)
        row = services_booking.create_booking(
            db,
            scope=scope,
            data=BookingCreate(
                offering_id=machine.id,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=4),
                enterprise_id=enterprises[name],
            ),
        )
        services_booking.decide(db, scope=scope, ident=row.id, approve=approve)
    services_booking.record_usage(  # E2's use of the machine a year and more before: outside the window
        db,
        scope=scope,
        data=UsageCreate(
            offering_id=machine.id, enterprise_id=enterprises["E2"], used_on=dt.date(2024, 5, 6), quantity=4
        ),
    )


@dataclasses.dataclass
class SmallPark:
    park_id: int
    scope: Scope
    enterprises: dict[str, int]
    buildings: dict[str, int]
    parcels: dict[str, int]
    devices: dict[str, int]


def build(db: Session, code: str = "EV", serial: int = 1) -> SmallPark:
    park = registry.create_park(
        db, code=code, name=f"评价测试园区{code}", name_en=f"Evaluation park {code}", region_code="320500"
    )
    scope = system_scope(park.id)
    kinds = registry.KINDS
    zone = registry.create(
        db, scope=scope, kind=kinds["zone"], data=rs.ZoneCreate(code="Z1", name="一区", function="industrial")
    )
    parcels = {
        "P1": registry.create(
            db,
            scope=scope,
            kind=kinds["land_parcel"],
            data=rs.LandParcelCreate(
                zone_id=zone.id, code="P1", geometry=polygon(120.7, 31.3), land_use="M1", owner="园区公司"
            ),
        ),
        "P2": registry.create(
            db,
            scope=scope,
            kind=kinds["land_parcel"],
            data=rs.LandParcelCreate(zone_id=zone.id, code="P2", geometry=polygon(120.71, 31.3), land_use="M1"),
        ),
    }
    buildings = {
        "B1": registry.create(
            db,
            scope=scope,
            kind=kinds["building"],
            data=rs.BuildingCreate(
                zone_id=zone.id,
                parcel_id=parcels["P1"].id,
                code="B1",
                name="一号厂房",
                use="factory",
                footprint=polygon(120.7001, 31.3001, 0.0005),
                gross_floor_area_m2=6000,
                year_built=2018,
                gigabit_fibre=True,
                coverage_5g=True,
            ),
        ),
        "B2": registry.create(
            db,
            scope=scope,
            kind=kinds["building"],
            data=rs.BuildingCreate(zone_id=zone.id, code="B2", name="二号厂房", use="factory", gigabit_fibre=True),
        ),
        "B3": registry.create(
            db,
            scope=scope,
            kind=kinds["building"],
            data=rs.BuildingCreate(zone_id=zone.id, code="B3", name="三号仓库", use="warehouse"),
        ),
    }
    specs = {
        # name: (industry code, above scale, industrial)
        "E1": ("3311", True, True),
        "E2": ("3312", True, True),
        "E3": ("2614", True, True),
        "E4": ("1311", False, True),
        "E5": ("3411", False, True),
        "E6": ("7211", False, False),
    }
    enterprises = {}
    for i, (name, (industry_code, above, industrial)) in enumerate(specs.items()):
        enterprises[name] = registry.create(
            db,
            scope=scope,
            kind=kinds["enterprise"],
            data=rs.EnterpriseCreate(
                name=f"{code}企业{name}",
                uscc=make_uscc("9", "1", "320500", f"EA{i:02d}{serial:04d}"),
                industry_code=industry_code,
                above_scale=above,
                industrial=industrial,
            ),
        ).id
    # transformation records
    transformation.create_certificate(
        db,
        scope=scope,
        data=ts.CertificateCreate(
            enterprise_id=enterprises["E1"],
            scale="GBT39116",
            level=2,
            certificate_no="GBT-1",
            issuer="中国电子技术标准化研究院",
            issued_on=dt.date(2024, 3, 1),
        ),
    )
    transformation.create_certificate(
        db,
        scope=scope,
        data=ts.CertificateCreate(
            enterprise_id=enterprises["E3"],
            scale="SMART_FACTORY",
            level=1,
            certificate_no="SF-1",
            issuer="工业和信息化部",
            issued_on=dt.date(2024, 9, 1),
        ),
    )
    for name, kind in (
        ("E1", "industrial_internet"),
        ("E1", "digital_production_service"),
        ("E4", "industrial_internet"),
    ):
        transformation.create_adoption(
            db,
            scope=scope,
            data=ts.AdoptionCreate(
                enterprise_id=enterprises[name], kind=kind, name=f"{name}-{kind}", started_on=dt.date(2024, 1, 1)
            ),
        )
    _service_bookings(db, scope, enterprises)
    # statistics for May 2025
    for name in ("E1", "E2", "E4"):
        statistics.submit(
            db,
            scope=scope,
            data=MonthlyStatisticCreate(
                enterprise_id=enterprises[name],
                period=dt.date(2025, 5, 1),
                output_value_wan_yuan=1000,
                sales_revenue_wan_yuan=900,
                tax_paid_wan_yuan=50,
                total_profit_wan_yuan=80,
                employees=100,
                electricity_kwh=400_000,
            ),
        )
    # meters and their newest readings
    devices = {}
    for code_, owner in (("M1", "E1"), ("M2", "E2")):
        devices[code_] = registry.create(
            db,
            scope=scope,
            kind=kinds["device"],
            data=rs.DeviceCreate(
                code=code_,
                name=f"{owner}电表",
                kind="electricity_meter",
                enterprise_id=enterprises[owner],
                building_id=buildings["B1"].id,
            ),
        ).id
    for device, keys in (("M1", ("energy_kwh", "power_kw", "voltage_v", "power_factor")), ("M2", ("power_kw",))):
        for point_id in db.scalars(select(Point.id).where(Point.device_id == devices[device], Point.key.in_(keys))):
            db.add(PointLatest(point_id=point_id, ts=NOW_MS - 1000, value=1.0, quality=0))
    # M2's energy meter last reported ten days ago: offline
    stale = db.scalar(select(Point.id).where(Point.device_id == devices["M2"], Point.key == "energy_kwh"))
    db.add(PointLatest(point_id=stale, ts=NOW_MS - 10 * 86_400_000, value=1.0, quality=0))
    db.flush()
    return SmallPark(
        park.id,
        scope,
        enterprises,
        {k: b.id for k, b in buildings.items()},
        {k: p.id for k, p in parcels.items()},
        devices,
    )
