"""The PV, storage and charging site's figures from stored readings (automation/site_records.py): a hand-built day
of an inverter's, a battery's and a charging pile's readings with known totals, the page in both languages, the
synthetic fallback labelled as such, and who may see it."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.automation import insight, site_records
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.models import Point
from digipark.telemetry.provides import local_zone
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import World, bearer
from tests.notices.helpers import scope_of

PRICES = [0.3] * 8 + [1.0] * 10 + [0.7] * 6  # yuan/kWh by hour
FEE = 0.6


def _device(db: Session, world: World, kind: str, code: str) -> dict[str, int]:
    device = registry.create(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        kind=registry.KINDS["device"],
        data=schemas.DeviceCreate(code=code, name=code, kind=kind, building_id=world.a.building_id),
    )
    return {p.key: p.id for p in db.scalars(select(Point).where(Point.device_id == device.id))}


def _at(day: dt.date, hour: int, minute: int = 30) -> int:
    return int(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=local_zone()).timestamp() * 1000)


def _site_day(db: Session, world: World, day: dt.date) -> None:
    pv = _device(db, world, "pv_inverter", "PV-T1")
    battery = _device(db, world, "battery_storage", "ESS-T1")
    pile = _device(db, world, "ev_charger", "CP-T1")
    rows: list[ReadingRow] = []
    generated = exported = 0.0
    for hour in range(24):
        generated += 10.0 if 6 <= hour < 18 else 0.0  # 12 h × 10 kWh = 120 kWh
        exported += 2.0 if hour in (11, 12) else 0.0  # 4 kWh to the grid
        rows.append(ReadingRow(pv["pv_energy_kwh"], _at(day, hour), 1000.0 + generated))
        rows.append(ReadingRow(pv["export_kwh"], _at(day, hour), 50.0 + exported))
    for hour, soc in ((1, 10.0), (3, 90.0), (8, 20.0), (12, 80.0), (18, 30.0)):  # falls 70 + 50 % = 1.2 cycles
        rows.append(ReadingRow(battery["soc_pct"], _at(day, hour), soc))
    # registers: 80 kWh charged 02:00–03:00 (0.3 yuan), 70 kWh discharged 08:00–10:00 (1.0 yuan), 30 kWh discharged
    # 18:00–19:00 (0.7 yuan)
    for hour, charged, discharged in ((1, 100.0, 200.0), (2, 140.0, 200.0), (3, 180.0, 200.0), (8, 180.0, 200.0)):
        rows.append(ReadingRow(battery["charge_kwh"], _at(day, hour), charged))
        rows.append(ReadingRow(battery["discharge_kwh"], _at(day, hour), discharged))
    for hour, discharged in ((9, 235.0), (10, 270.0), (18, 270.0), (19, 300.0)):
        rows.append(ReadingRow(battery["discharge_kwh"], _at(day, hour), discharged))
    for hour, register in ((9, 500.0), (10, 520.0), (11, 530.0), (19, 545.0)):  # 20 + 10 kWh, then 15 kWh
        rows.append(ReadingRow(pile["charging_kwh"], _at(day, hour), register))
    write_readings(db, rows)


def test_generation_self_consumption_cycles_and_fees_from_stored_readings(db: Session, world: World) -> None:
    day = dt.date(2025, 3, 10)
    _site_day(db, world, day)
    until = dt.datetime(2025, 3, 11, tzinfo=local_zone())
    made = site_records.records_year(
        db,
        scope=scope_of(db, "TA", "park_admin"),
        park_id=world.a.park_id,
        year=2025,
        prices=PRICES,
        service_fee=FEE,
        until=until,
    )
    assert made is not None
    march = made.months[2]
    assert march["pv_kwh"] == pytest.approx(120.0)
    assert march["self_kwh"] == pytest.approx(116.0)
    assert made.cycles == pytest.approx(1.2) and march["cycles"] == pytest.approx(1.2)
    assert made.soc_end_pct == pytest.approx(30.0)
    assert march["charged_kwh"] == pytest.approx(80.0) and march["discharged_kwh"] == pytest.approx(100.0)
    assert march["saving_yuan"] == pytest.approx(70 * 1.0 + 30 * 0.7 - 80 * 0.3)  # 67.0 yuan
    assert march["charging_kwh"] == pytest.approx(45.0)
    # 20 kWh at 10:00 and 10 kWh at 11:00 at 1.0 yuan, 15 kWh at 19:00 at 0.7 yuan, each + 0.6 service fee
    assert march["charging_fee"] == pytest.approx(20 * 1.6 + 10 * 1.6 + 15 * 1.3)
    assert made.sessions == 2 and march["sessions"] == 2
    assert sum(m["pv_kwh"] for i, m in enumerate(made.months) if i != 2) == 0
    hours = (until - dt.datetime(2025, 1, 1, tzinfo=local_zone())) // dt.timedelta(hours=1)
    assert made.completeness == pytest.approx(24 / hours)  # one day of the year so far: history incomplete
    assert made.devices == {"pv_inverter": 1, "battery_storage": 1, "ev_charger": 1}
    # another park has no site device: no records, the synthetic year is the fallback
    other = site_records.records_year(
        db, scope=scope_of(db, "TB", "park_admin"), park_id=world.b.park_id, year=2025, prices=PRICES, service_fee=FEE
    )
    assert other is None
    with pytest.raises(ValueError):
        site_records.records_year(
            db, scope=scope_of(db, "TA", "park_admin"), park_id=world.a.park_id, year=2025, prices=[1.0], service_fee=0
        )


def test_the_page_shows_the_records_in_both_languages(client: TestClient, db: Session, world: World) -> None:
    from tests.web.helpers import login, visible_text

    login(client, "TA-park_admin")
    synthetic = visible_text(client.get("/energy-ops/outlook", params={"lang": "zh"}).text)
    assert "合成数据" in synthetic  # no site device yet: the synthetic site, labelled
    assert "Synthetic" in visible_text(client.get("/energy-ops/outlook", params={"lang": "en"}).text)
    today = insight.today()
    day = today - dt.timedelta(days=1)
    if day.year != today.year:
        pytest.skip("the first day of a year has no day before it in the year")
    _site_day(db, world, day)
    zh = visible_text(client.get("/energy-ops/outlook", params={"lang": "zh"}).text)
    en = visible_text(client.get("/energy-ops/outlook", params={"lang": "en"}).text)
    assert "按园区光伏逆变器、储能系统与充电桩的已存读数计算" in zh and "合成数据" not in zh
    assert "From the stored readings of the park's PV inverters" in en and "Synthetic" not in en
    assert "历史数据加载中" in zh and "History loading" in en
    assert "120" in zh and "116" in zh and "荷电状态: 30 %" in zh.replace("：", ": ")
    api = client.get(
        "/api/v1/energy-ops/site", params={"year": today.year}, headers=bearer(world.a.tokens["park_admin"])
    )
    body = api.json()
    assert api.status_code == 200 and body["source"] == "records" and body["sessions"] == 2
    assert sum(m["pv_kwh"] for m in body["months"]) == pytest.approx(120.0)
    refused = client.get(
        "/api/v1/energy-ops/site", params={"year": today.year}, headers=bearer(world.a.tokens["enterprise"])
    )
    assert refused.status_code == 403
