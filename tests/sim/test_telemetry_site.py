"""The demo site's PV inverter, battery and piles report automation/site.py's year (sim/telemetry_site.py), so the
platform's records and the generator agree; the demo plan has them, named as site.yaml names them."""

from __future__ import annotations

import datetime as dt

import pytest

from digipark.automation import site
from digipark.sim import telemetry_site
from digipark.sim.demo import DEMO_SEED
from digipark.sim.park_plan import plan_park

OFFSET = 8 * 3_600_000  # Asia/Shanghai


def _ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(dt.datetime(year, month, day, hour, tzinfo=dt.UTC).timestamp() * 1000) - OFFSET


def _between(code: str, kind: str, key: str, start: int, end: int) -> float:
    return telemetry_site.value(code, kind, key, end, OFFSET) - telemetry_site.value(code, kind, key, start, OFFSET)


def test_the_devices_readings_are_the_generators_year() -> None:
    made = site.site_year(2025, telemetry_site.prices(), seed=telemetry_site.SEED)
    start, end = _ms(2025, 7, 1), _ms(2025, 8, 1)
    july = [d for d in made.days if d.day.month == 7]
    pv = _between("SITE-PV01", "pv_inverter", "pv_energy_kwh", start, end)
    exported = _between("SITE-PV01", "pv_inverter", "export_kwh", start, end)
    assert pv == pytest.approx(sum(d.pv_kwh for d in july), abs=0.01) and pv > 0
    assert pv - exported == pytest.approx(sum(d.self_kwh for d in july), abs=0.01)
    discharged = _between("SITE-ESS01", "battery_storage", "discharge_kwh", start, end)
    assert discharged == pytest.approx(sum(d.discharged_kwh for d in july), abs=0.01)
    charged = _between("SITE-CP-05", "ev_charger", "charging_kwh", start, end)
    assert charged == pytest.approx(sum(s.kwh for s in made.sessions if s.pile == "CP-05" and s.start.month == 7))
    unit = site.battery()
    socs = [
        telemetry_site.value("SITE-ESS01", "battery_storage", "soc_pct", start + h * 900_000, OFFSET) for h in range(96)
    ]
    assert min(socs) >= 100 * unit.min_soc - 1e-6 and max(socs) <= 100 * unit.max_soc + 1e-6 and max(socs) > min(socs)
    # registers run on across the new year and never fall
    assert telemetry_site.value("SITE-PV01", "pv_inverter", "pv_energy_kwh", _ms(2026, 1, 1, 12), OFFSET) > (
        telemetry_site.value("SITE-PV01", "pv_inverter", "pv_energy_kwh", _ms(2025, 12, 31, 23), OFFSET)
    )


def test_the_demo_plan_has_the_site_devices_in_site_yaml_names() -> None:
    plan = plan_park(DEMO_SEED)
    found = {d.code: d for d in plan.devices if d.code.startswith("SITE-")}
    data = site.site_data()
    assert found["SITE-PV01"].kind == "pv_inverter" and found["SITE-PV01"].name == data["pv"]["name"]
    assert found["SITE-ESS01"].kind == "battery_storage" and found["SITE-ESS01"].name == data["battery"]["name"]
    piles = {p["code"]: p["name"] for p in data["charging"]["piles"]}
    assert {c.removeprefix("SITE-"): d.name for c, d in found.items() if d.kind == "ev_charger"} == piles
