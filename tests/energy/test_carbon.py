"""Hand-worked examples of the carbon account (GB/T 32150-2015 with the reference factors of
energy/data/carbon_factors.yaml), standard coal on both electricity bases (GB/T 2589-2020) and the time-of-use
split and shift. Each expected value is worked out by hand in the comment above it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from digipark.core.errors import ValidationFailed
from digipark.energy import carbon, report, standard_coal, tariffs
from digipark.energy.carbon import Activity, Declared

SHANGHAI = ZoneInfo("Asia/Shanghai")


# fuel, quantity (canonical unit), tCO2 = quantity × NCV × CC × OF × 44/12
@pytest.mark.parametrize(
    ("fuel", "quantity", "expected"),
    [
        ("anthracite", 10, 23.2277),  # 10 × 24.515 × 0.02749 × 0.94 × 44/12
        ("bituminous", 100, 207.1509),  # 100 × 23.204 × 0.02618 × 0.93 × 44/12 (the reference's worked example)
        ("lignite", 10, 14.2409),  # 10 × 14.449 × 0.02800 × 0.96 × 44/12
        ("fuel_oil", 10, 31.7046),  # 10 × 41.816 × 0.02110 × 0.98 × 44/12
        ("gasoline", 10, 29.2506),  # 10 × 43.070 × 0.01890 × 0.98 × 44/12
        ("diesel", 10, 30.9591),  # 10 × 42.652 × 0.02020 × 0.98 × 44/12
        ("lpg", 10, 31.0133),  # 10 × 50.179 × 0.01720 × 0.98 × 44/12
        ("natural_gas", 10_000, 21.6502),  # 10 000 m³ = 1 × 10^4 Nm³: 1 × 389.31 × 0.01532 × 0.99 × 44/12
    ],
)
def test_each_fuel_with_the_reference_factors(fuel: str, quantity: float, expected: float) -> None:
    line = carbon.fuel_emission(fuel, quantity)
    assert line.tco2 == pytest.approx(expected, abs=5e-5)
    assert line.category == carbon.COMBUSTION
    assert "NCV" in line.formula and "44/12" in line.formula and line.status == "secondary"


def test_electricity_national_and_regional_factors() -> None:
    # 1 000 MWh in 2023: national 0.5306 → 530.6 t; 华东 0.5500 → 550.0 t; 华北 2022 0.6776 → 677.6 t
    assert carbon.electricity_emission(1_000_000, 2023).tco2 == pytest.approx(530.6)
    assert carbon.electricity_emission(1_000_000, 2023, "华东").tco2 == pytest.approx(550.0)
    assert carbon.electricity_emission(1_000_000, 2022, "华北").tco2 == pytest.approx(677.6)
    # 2025 has no published factor yet: the latest earlier year's (2023), and the calculation says so, in the
    # reader's language (the line keeps the factor's year; report.formula_text words it)
    later = carbon.electricity_emission(1_000_000, 2025, "全国")
    assert later.tco2 == pytest.approx(530.6) and later.year == 2023
    zh = report.formula_text(later.formula, later.year, 2025, report.translator("zh"))
    assert "2025 年因子尚未发布" in zh and "2023" in zh
    assert "latest earlier" in report.formula_text(later.formula, later.year, 2025, report.translator("en"))
    assert report.formula_text(later.formula, later.year, 2023, report.translator("zh")) == later.formula


def test_heat_steam_and_exports() -> None:
    # 500 GJ purchased heat × 0.11 = 55.0 t; 10 t steam × 3.763 GJ/t × 0.11 = 4.1393 t
    assert carbon.heat_emission("heat", 500).tco2 == pytest.approx(55.0)
    assert carbon.heat_emission("steam", 10).tco2 == pytest.approx(4.1393)
    # 200 MWh exported in 2023 at the national factor is subtracted: −200 × 0.5306 = −106.12 t
    exported = carbon.activity_line(Activity("electricity", "exported", 200_000), 2023, "全国")
    assert exported is not None and exported.tco2 == pytest.approx(-106.12)
    assert exported.category == carbon.EXPORTED_ELECTRICITY
    # own PV generation emits nothing; exported PV is exported electricity
    assert carbon.activity_line(Activity("pv", "generated", 1000), 2023, "全国") is None
    pv_out = carbon.activity_line(Activity("pv", "exported", 1000), 2023, "全国")
    assert pv_out is not None and pv_out.tco2 == pytest.approx(-0.5306)
    # exported heat: −100 GJ × 0.11 = −11 t
    heat_out = carbon.activity_line(Activity("heat", "exported", 100), 2023, "全国")
    assert heat_out is not None and heat_out.tco2 == pytest.approx(-11.0)


def test_the_reference_worked_example_and_process_emissions() -> None:
    # 207.15 (coal) + 550.0 (electricity, 2023 华东) + 55.0 (heat) = 812.15 t; + 10 t CaCO3 × 0.440 = 4.4 t;
    # + 3 t declared directly; − 100 MWh exported × 0.5500 = −55.0 t  → 812.15 + 4.4 + 3 − 55 = 764.55
    account = carbon.account(
        [
            Activity("bituminous", "purchased", 60),
            Activity("bituminous", "purchased", 40),  # summed with the line above: one line of 100 t
            Activity("electricity", "purchased", 1_000_000),
            Activity("heat", "purchased", 500),
            Activity("electricity", "exported", 100_000),
        ],
        2023,
        "华东",
        [Declared("caco3", 10, None), Declared(None, None, 3.0)],
    )
    assert account.total == pytest.approx(764.55, abs=0.005)
    by = account.by_category
    assert by["combustion"] == pytest.approx(207.15, abs=0.005)
    assert by["process"] == pytest.approx(7.4)
    assert by["exported_electricity"] == pytest.approx(-55.0)
    assert len([line for line in account.lines if line.carrier == "bituminous"]) == 1


def test_unknown_fuel() -> None:
    with pytest.raises(carbon.UnknownFuel):
        carbon.activity_line(Activity("peat", "purchased", 1), 2023, "全国")


def test_standard_coal_on_both_bases() -> None:
    # 10 000 kWh: equivalent 10 000 × 0.1229 kgce = 1.229 tce; equal (2023: 0.3000 kgce/kWh) = 3.000 tce
    figure = standard_coal.convert("electricity", 10_000, 2023)
    assert figure.equivalent_tce == pytest.approx(1.229)
    assert figure.equal_tce == pytest.approx(3.0)
    assert "当量值" in figure.factor_note and "等价值" in figure.factor_note
    # 100 t bituminous (raw coal 0.7143 kgce/kg): 71.43 tce on both bases
    coal = standard_coal.convert("bituminous", 100, 2023)
    assert coal.equivalent_tce == pytest.approx(71.43) and coal.equal_tce == pytest.approx(71.43)
    # 1 000 m³ natural gas × 1.2143 kgce/m³ = 1.2143 tce; 10 t steam × 128.6 kgce/t = 1.286 tce;
    # 100 GJ heat × 34.12 kgce/GJ = 3.412 tce; 2 t diesel × 1457.1 kgce/t = 2.9142 tce
    assert standard_coal.convert("natural_gas", 1000, 2023).equivalent_tce == pytest.approx(1.2143)
    assert standard_coal.convert("steam", 10, 2023).equivalent_tce == pytest.approx(1.286)
    assert standard_coal.convert("heat", 100, 2023).equivalent_tce == pytest.approx(3.412)
    assert standard_coal.convert("diesel", 2, 2023).equivalent_tce == pytest.approx(2.9142)
    # exported counts negative, own generation and water (a medium) not at all
    assert standard_coal.counts_in_consumption("electricity", "exported") == -1
    assert standard_coal.counts_in_consumption("pv", "generated") == 0
    assert standard_coal.counts_in_consumption("water", "purchased") == 0


def _ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=SHANGHAI).timestamp() * 1000)


DEFAULT_PERIODS = [
    {"start": "00:00", "end": "08:00", "band": "valley"},
    {"start": "08:00", "end": "11:00", "band": "peak"},
    {"start": "11:00", "end": "17:00", "band": "flat"},
    {"start": "17:00", "end": "22:00", "band": "peak"},
    {"start": "22:00", "end": "24:00", "band": "flat"},
]
PRICES = {"peak": 1.0, "flat": 0.6, "valley": 0.3}


def test_split_across_a_day_boundary() -> None:
    # one hour bucket 23:30–00:30 with 4 kWh: 2 kWh in 23:30–24:00 (flat), 2 kWh in 00:00–00:30 (valley)
    # cost 2 × 0.6 + 2 × 0.3 = 1.8 yuan
    split = tariffs.split([(_ms(2025, 3, 1, 23, 30), 4.0)], 3_600_000, DEFAULT_PERIODS, PRICES, SHANGHAI)
    assert split.kwh["flat"] == pytest.approx(2.0) and split.kwh["valley"] == pytest.approx(2.0)
    assert split.kwh["peak"] == 0 and split.total_cost == pytest.approx(1.8)
    # a valley that wraps over midnight (22:00–06:00): 15 min buckets 21:45 (1 kWh) 22:00 (1) 05:45 (1) 06:00 (1)
    wrapped = [
        {"start": "22:00", "end": "06:00", "band": "valley"},
        {"start": "06:00", "end": "22:00", "band": "flat"},
    ]
    series = [
        (_ms(2025, 3, 1, 21, 45), 1.0),
        (_ms(2025, 3, 1, 22, 0), 1.0),
        (_ms(2025, 3, 2, 5, 45), 1.0),
        (_ms(2025, 3, 2, 6, 0), 1.0),
    ]
    split = tariffs.split(series, 900_000, wrapped, {"valley": 0.3, "flat": 0.6}, SHANGHAI)
    assert split.kwh == {"flat": pytest.approx(2.0), "valley": pytest.approx(2.0)}


def test_periods_must_cover_the_day_once() -> None:
    with pytest.raises(ValidationFailed):
        tariffs.minute_bands([{"start": "00:00", "end": "12:00", "band": "flat"}])
    with pytest.raises(ValidationFailed):
        tariffs.minute_bands([*DEFAULT_PERIODS, {"start": "10:00", "end": "10:15", "band": "sharp"}])
    with pytest.raises(ValidationFailed):
        tariffs.minute_bands([{"start": "00:00", "end": "24:00", "band": "cheap"}])


def test_shift_of_the_flexible_load_is_the_lp_optimum() -> None:
    # load [1, 1, 2, 2] kWh, prices [1, 1, 2, 2], half flexible: fixed [0.5, 0.5, 1, 1], F = 3, peak 2
    # room [1.5, 1.5, 1, 1]: the two cheap slots take 1.5 each → after [2, 2, 1, 1]
    # cost 1 + 1 + 4 + 4 = 10 before, 2 + 2 + 2 + 2 = 8 after: saving 2
    shift = tariffs.shift_flexible([1, 1, 2, 2], 0.5, [1, 1, 2, 2])
    assert shift.after == pytest.approx([2, 2, 1, 1])
    assert shift.saving == pytest.approx(2.0) and shift.moved_kwh == pytest.approx(2.0)
    # nothing flexible: nothing moves
    assert tariffs.shift_flexible([1, 2], 0.0, [1, 2]).saving == 0
