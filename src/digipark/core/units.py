"""Unit conversion with pint; figures are stored in canonical units (kWh, m³, t, GJ, tCO2e, tce, 万元)."""

from __future__ import annotations

from functools import cache

import pint

from digipark.core.errors import field_error


@cache
def registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    ureg: pint.UnitRegistry = pint.UnitRegistry()  # type: ignore[type-arg]
    ureg.define("yuan = [currency] = CNY")
    ureg.define("wan_yuan = 10000 * yuan = 万元")
    ureg.define("yi_yuan = 100000000 * yuan = 亿元")
    ureg.define("tce = [standard_coal_mass] = 吨标准煤")
    ureg.define("kgce = 0.001 * tce")
    ureg.define("tCO2e = [co2_equivalent_mass] = tCO2")
    ureg.define("kgCO2e = 0.001 * tCO2e")
    ureg.define("percent_LEL = [lel_fraction] = %LEL")
    ureg.define("ppm_v = [volume_fraction] = ppmv")
    # 市亩, the land unit of Chinese land statistics (亩均产值/亩均税收): 1 亩 = 60 平方丈 = 1/15 公顷 = 10000/15 m²,
    # as the 市制 of the 1959 国务院《关于统一计量制度的命令》 defines it; still the unit of 亩均 evaluations although
    # the 1984 国务院《关于在我国统一实行法定计量单位的命令》 phases the 市制 out.
    ureg.define("mu = 10000 / 15 * m ** 2 = 亩")
    return ureg


CANONICAL = {
    "energy": "kWh",
    "volume": "m**3",
    "mass": "t",
    "heat": "GJ",
    "emission": "tCO2e",
    "standard_coal": "tce",
    "money": "wan_yuan",
}

_ALIASES = {
    "%LEL": "percent_LEL",
    "%": "percent",
    "%RH": "percent",
    "m3": "m**3",
    "m³": "m**3",
    "℃": "degC",
    "°C": "degC",
    "Nm3": "m**3",
    "Nm³": "m**3",
}


def parse_unit(unit: str) -> pint.Unit:
    try:
        return registry().Unit(_ALIASES.get(unit, unit))
    except Exception as exc:  # pint's parser also raises TokenError, ZeroDivisionError, AssertionError ...
        raise field_error("unit", f"unknown unit {unit!r}") from exc


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert value between units; a dimension mismatch is a field error, not a crash."""
    ureg = registry()
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return float(ureg.Quantity(value, source).to(target).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise field_error("unit", f"cannot convert {from_unit} to {to_unit}") from exc


def to_canonical(value: float, unit: str, quantity: str) -> float:
    if quantity not in CANONICAL:
        raise field_error("quantity", f"no canonical unit for {quantity!r}")
    return convert(value, unit, CANONICAL[quantity])


def is_known_unit(unit: str) -> bool:
    try:
        parse_unit(unit)
    except Exception:
        return False
    return True
