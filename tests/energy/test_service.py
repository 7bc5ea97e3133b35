"""The energy service against the database: consumption from the telemetry rollups (a meter reset inside a
month, through the real store), virtual meter arithmetic, manual entries, the enterprise account, tenancy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.auth.scope import Scope, system_scope
from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipark.energy import service
from digipark.energy.models import EnergyEntry
from digipark.energy.schemas import DeclarationCreate, EntryCreate, MeterCreate, MeterUpdate, SettingsUpdate
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=SHANGHAI).timestamp() * 1000)


def enterprise_scope(world: World, index: int = 0) -> Scope:
    return Scope(
        role=Role.ENTERPRISE,
        username="ent",
        park_id=world.a.park_id,
        read_parks=frozenset({world.a.park_id}),
        enterprise_id=world.a.enterprise_ids[index],
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
    )


def test_meter_reset_inside_a_month_through_the_store(db: Session, world: World) -> None:
    scope = system_scope(world.a.park_id)
    enterprise = world.a.enterprise_ids[0]
    meter = service.create_meter(
        db,
        scope=scope,
        data=MeterCreate(
            code="E-RESET",
            name="总表",
            level="enterprise",
            carrier="electricity",
            source="telemetry",
            enterprise_id=enterprise,
            point_id=world.a.point_ids[0],
        ),
    )
    # 100 (first reading: nothing before it), 150 (+50), reset to 5 (+5: consumed since the reset), 25 (+20)
    # → January 75 kWh; 5 February 40 (+15) → February 15 kWh
    readings = [
        (_ms(2025, 1, 1, 0, 5), 100.0),
        (_ms(2025, 1, 10), 150.0),
        (_ms(2025, 1, 15), 5.0),
        (_ms(2025, 1, 31, 12), 25.0),
        (_ms(2025, 2, 5), 40.0),
    ]
    write_readings(db, [ReadingRow(world.a.point_ids[0], ts, value) for ts, value in readings])
    found = service.meter_consumption(db, scope=scope, ident=meter.id, year=2025)
    assert found.months[0].quantity == pytest.approx(75.0)
    assert found.months[1].quantity == pytest.approx(15.0)
    assert found.total == pytest.approx(90.0)
    account = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2025)
    # 90 kWh × 0.1229 kgce/kWh = 0.011061 tce; × 0.5306 tCO2/MWh (2023 national, latest) = 0.047754 t
    assert account.comprehensive_tce_equivalent == pytest.approx(0.011061)
    assert account.tco2 == pytest.approx(0.09 * 0.5306)
    assert account.months[0].electricity_kwh == pytest.approx(75.0)


def _manual(db: Session, world: World, code: str, level: str = "enterprise", parent: int | None = None) -> int:
    meter = service.create_meter(
        db,
        scope=system_scope(world.a.park_id),
        data=MeterCreate(
            code=code,
            name=code,
            level=level,
            carrier="electricity",
            source="manual",
            enterprise_id=world.a.enterprise_ids[0],
            parent_id=parent,
        ),
    )
    return meter.id


def test_virtual_meter_arithmetic(db: Session, world: World) -> None:
    scope = system_scope(world.a.park_id)
    main = _manual(db, world, "M-MAIN")
    line_a = _manual(db, world, "M-A", "sub", main)
    line_b = _manual(db, world, "M-B", "sub", main)
    for meter_id, kwh in ((main, 1000.0), (line_a, 300.0), (line_b, 250.0)):
        service.create_entry(db, scope=scope, data=EntryCreate(meter_id=meter_id, period="2025-03", quantity=kwh))
    # the rest of the building: main − A − B = 1000 − 300 − 250 = 450; MWh entered: 2 MWh → 2000 kWh
    rest = service.create_meter(
        db,
        scope=scope,
        data=MeterCreate(
            code="V-REST",
            name="其他",
            level="sub",
            carrier="electricity",
            source="virtual",
            enterprise_id=world.a.enterprise_ids[0],
            terms=[{"meter_id": main, "sign": 1}, {"meter_id": line_a, "sign": -1}, {"meter_id": line_b, "sign": -1}],
        ),
    )
    twice = service.create_meter(
        db,
        scope=scope,
        data=MeterCreate(
            code="V-SUM",
            name="合计",
            level="sub",
            carrier="electricity",
            source="virtual",
            terms=[{"meter_id": rest.id, "sign": 1}, {"meter_id": line_a, "sign": 1}],
        ),
    )
    assert service.meter_consumption(db, scope=scope, ident=rest.id, year=2025).months[2].quantity == pytest.approx(450)
    # a virtual of a virtual: 450 + 300 = 750
    assert service.meter_consumption(db, scope=scope, ident=twice.id, year=2025).total == pytest.approx(750)
    # no cycle, no other carrier
    with pytest.raises(ValidationFailed):
        service.update_meter(
            db, scope=scope, ident=rest.id, data=MeterUpdate(terms=[{"meter_id": twice.id, "sign": 1}])
        )
    # only the enterprise-level meter counts in the account: 1000 kWh, not 1000 + 300 + 250 + 450
    account = service.enterprise_account(db, scope=scope, enterprise_id=world.a.enterprise_ids[0], year=2025)
    assert account.months[2].electricity_kwh == pytest.approx(1000)


def test_entries_in_other_units_and_invalid_input_changes_nothing(db: Session, world: World) -> None:
    scope = system_scope(world.a.park_id)
    enterprise = world.a.enterprise_ids[0]
    entry = service.create_entry(
        db,
        scope=scope,
        data=EntryCreate(enterprise_id=enterprise, carrier="bituminous", period="2025-01", quantity=100_000, unit="kg"),
    )
    assert entry.quantity == pytest.approx(100.0) and entry.entered_unit == "kg"
    before = db.scalar(select(func.count()).select_from(EnergyEntry))
    bad = [
        ({"carrier": "peat", "quantity": 1}, "carrier"),
        ({"carrier": "diesel", "quantity": 1, "unit": "kWh"}, "unit"),
        ({"carrier": "diesel", "quantity": 1, "unit": "furlongs"}, "unit"),
    ]
    for body, field in bad:
        with pytest.raises(ValidationFailed) as caught:
            service.create_entry(db, scope=scope, data=EntryCreate(enterprise_id=enterprise, period="2025-01", **body))
        assert caught.value.errors and caught.value.errors[0]["field"] == field
    with pytest.raises(ValueError):
        EntryCreate(enterprise_id=enterprise, carrier="diesel", period="2025-01", quantity=-1)
    assert db.scalar(select(func.count()).select_from(EnergyEntry)) == before
    # 100 t bituminous: 207.15 tCO2 in the account, with its calculation
    account = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2025)
    coal = next(line for line in account.lines if line.carrier == "bituminous")
    assert coal.tco2 == pytest.approx(207.15, abs=0.005) and "23.204" in coal.formula
    assert account.comprehensive_tce_equivalent == pytest.approx(71.43)


def test_regional_setting_and_process_declaration(db: Session, world: World) -> None:
    scope = system_scope(world.a.park_id)
    enterprise = world.a.enterprise_ids[0]
    service.create_entry(
        db,
        scope=scope,
        data=EntryCreate(enterprise_id=enterprise, carrier="electricity", period="2023-06", quantity=1000, unit="MWh"),
    )
    service.create_declaration(
        db,
        scope=scope,
        data=DeclarationCreate(
            enterprise_id=enterprise,
            period="2023-06",
            process_material="caco3",
            process_quantity_t=10,
            product_output_t=200,
        ),
    )
    national = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2023)
    assert national.tco2 == pytest.approx(530.6 + 4.4)  # 1000 MWh × 0.5306 + 10 t × 0.440
    service.update_settings(db, scope=scope, data=SettingsUpdate(grid_basis="regional", grid_region="华东"))
    regional = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2023)
    assert regional.tco2 == pytest.approx(550.0 + 4.4) and regional.grid_region == "华东"
    assert regional.tco2_per_t_product == pytest.approx(554.4 / 200)
    with pytest.raises(ValidationFailed):
        service.update_settings(db, scope=scope, data=SettingsUpdate(grid_basis="regional", grid_region="火星"))


def test_an_enterprise_sees_only_its_own(db: Session, world: World) -> None:
    other = world.a.enterprise_ids[1]
    with pytest.raises(NotFound):
        service.enterprise_account(db, scope=enterprise_scope(world), enterprise_id=other, year=2025)
    with pytest.raises(Exception):  # noqa: B017  park figures need energy.read
        service.park_summary(db, scope=enterprise_scope(world), year=2025)
    own = service.enterprise_account(
        db, scope=enterprise_scope(world), enterprise_id=world.a.enterprise_ids[0], year=2025
    )
    assert own.enterprise_id == world.a.enterprise_ids[0]


def test_intensity_per_wan_yuan_reads_economy_through_its_service(db: Session, world: World) -> None:
    from tests.economy.helpers import submit

    scope = system_scope(world.a.park_id)
    enterprise = world.a.enterprise_ids[0]
    service.create_entry(
        db,
        scope=scope,
        data=EntryCreate(enterprise_id=enterprise, carrier="bituminous", period="2025-01", quantity=100),
    )
    for period, output in (("2025-01", 120.0), ("2025-07", 80.0), ("2024-12", 999.0)):  # 2024 is not counted
        submit(db, world.a, enterprise, period, output)
    account = service.enterprise_account(db, scope=scope, enterprise_id=enterprise, year=2025)
    assert account.output_value_wan_yuan == pytest.approx(200.0)
    assert account.tco2_per_wan_yuan == pytest.approx(207.15 / 200, abs=1e-4)
    park = service.park_summary(db, scope=scope, year=2025)
    assert park.output_value_wan_yuan == pytest.approx(200.0)


def test_a_scope_of_several_parks_names_the_park_and_writes_only_its_own(db: Session, world: World) -> None:
    a, b = world.a.park_id, world.b.park_id
    reviewer = Scope(
        role=Role.REVIEWER,
        username="auditor",
        read_parks=frozenset({a, b}),
        permissions=ROLE_PERMISSIONS[Role.REVIEWER],
    )
    with pytest.raises(ValidationFailed):  # no own park and two readable ones: no guess
        service.park_summary(db, scope=reviewer, year=2025)
    assert service.park_summary(db, scope=reviewer, park_id=b, year=2025).park_id == b
    operator = Scope(
        role=Role.OPERATOR,
        username="op",
        park_id=a,
        read_parks=frozenset({a, b}),
        permissions=ROLE_PERMISSIONS[Role.OPERATOR],
    )
    with pytest.raises(PermissionDenied):  # reads park b, may not change it
        service.update_settings(db, scope=operator, data=SettingsUpdate(park_id=b, grid_basis="national"))
    assert service.update_settings(db, scope=operator, data=SettingsUpdate(grid_basis="national")).park_id == a
