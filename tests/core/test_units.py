"""Unit conversion into the canonical units; a mismatch is a field error, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipark.core.errors import ValidationFailed
from digipark.core.units import CANONICAL, convert, is_known_unit, parse_unit, to_canonical


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1, "MWh", "kWh", 1000),
        (2500, "kWh", "MWh", 2.5),
        (1, "GWh", "kWh", 1_000_000),
        (1, "GJ", "kWh", 277.7777777777778),
        (3, "万元", "yuan", 30_000),
        (1, "亿元", "万元", 10_000),
        (1, "wan_yuan", "yuan", 10_000),
        (1500, "L", "m³", 1.5),
        (2, "m3", "m**3", 2),
        (1, "Nm³", "m³", 1),
        (20, "°C", "K", 293.15),
        (20, "℃", "degF", 68),
        (1000, "kg", "t", 1),
        (500, "kgce", "tce", 0.5),
        (1000, "kgCO2e", "tCO2e", 1),
        (50, "%", "dimensionless", 0.5),
    ],
)
def test_convert(value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, source, target) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "unit", "quantity", "expected"),
    [
        (1.2, "MWh", "energy", 1200),
        (250, "L", "volume", 0.25),
        (3, "GJ", "heat", 3),
        (12_000_000, "yuan", "money", 1200),
        (2, "亿元", "money", 20_000),
        (800, "kg", "mass", 0.8),
        (1, "tce", "standard_coal", 1),
        (5000, "kgCO2e", "emission", 5),
    ],
)
def test_to_canonical(value: float, unit: str, quantity: str, expected: float) -> None:
    assert to_canonical(value, unit, quantity) == pytest.approx(expected)
    assert quantity in CANONICAL


@pytest.mark.parametrize(("source", "target"), [("kWh", "m³"), ("万元", "kWh"), ("°C", "kg"), ("tce", "tCO2e")])
def test_dimension_mismatch_is_a_field_error(source: str, target: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        convert(1, source, target)
    assert excinfo.value.errors == [{"field": "unit", "reason": f"cannot convert {source} to {target}"}]
    assert excinfo.value.status == 422


def test_wrong_unit_for_a_quantity_is_a_field_error() -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        to_canonical(5, "kWh", "volume")
    assert excinfo.value.errors[0]["field"] == "unit"
    with pytest.raises(ValidationFailed) as excinfo:
        to_canonical(5, "kWh", "happiness")
    assert excinfo.value.errors[0]["field"] == "quantity"


@pytest.mark.parametrize("unit", ["bogus", "kWh kWh )", "1/0", "__class__", "kWh**kWh", "m^-", "(((", "nan"])
def test_unknown_units_are_field_errors(unit: str) -> None:
    assert not is_known_unit(unit)
    with pytest.raises(ValidationFailed) as excinfo:
        parse_unit(unit)
    assert excinfo.value.errors[0]["field"] == "unit"


@pytest.mark.parametrize("unit", ["kWh", "m³", "%LEL", "%RH", "°C", "万元", "tCO2e", "m³/h", "dimensionless"])
def test_known_units(unit: str) -> None:
    assert is_known_unit(unit)


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_round_trip(value: float) -> None:
    assert convert(convert(value, "MWh", "kWh"), "kWh", "MWh") == pytest.approx(value, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (2.5, "万Nm³", "m³", 25_000),
        (2.5, "万m³", "m³", 25_000),
        (2.5, "万立方米", "m³", 25_000),
        (2.5, "万标准立方米", "m³", 25_000),
        (2.5, "10^4 m3", "m³", 25_000),
        (2.5, "10⁴ m³", "m³", 25_000),
        (2.5, "10**4 Nm3", "m³", 25_000),
        (2.5, "1e4 m3", "m³", 25_000),
        (1.2, "万千瓦时", "kWh", 12_000),
        (1.2, "万kWh", "MWh", 12),
        (1.2, "亿千瓦时", "万千瓦时", 12_000),
        (3, "万吨", "t", 30_000),
        (3, "吨标准煤", "tce", 3),
        (3, "万吨标准煤", "tce", 30_000),
        (3, "千克标准煤", "kgce", 3),
        (45_000, "kWh", "万千瓦时", 4.5),
        (15, "亩", "m**2", 10_000),
    ],
)
def test_units_of_chinese_energy_statistics(value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, source, target) == pytest.approx(expected)
    assert is_known_unit(source)


@pytest.mark.parametrize("unit", ["万", "亿", "10^4", "10^4 bogus", "万bogus", "万万kWh", "10^", "1e4"])
def test_a_count_without_a_known_unit_is_unknown(unit: str) -> None:
    assert not is_known_unit(unit)
    with pytest.raises(ValidationFailed) as excinfo:
        convert(1, unit, "m³")
    assert excinfo.value.errors == [{"field": "unit", "reason": f"unknown unit {unit!r}"}]


def test_a_count_does_not_make_a_dimension_fit() -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        convert(1, "万吨标准煤", "t")
    assert excinfo.value.errors[0]["reason"] == "cannot convert 万吨标准煤 to t"
