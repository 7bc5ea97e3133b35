"""Unit conversion with pint; figures are stored in canonical units (kWh, m³, t, GJ, tCO2e, tce, 万元)."""

from __future__ import annotations

import re
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


# Units in words, as Chinese statistics forms write them (国家统计局 能源统计报表: 万千瓦时, 万立方米, 吨标准煤).
_WORDS = {
    "千瓦时": "kWh",
    "千瓦·时": "kWh",
    "兆瓦时": "MWh",
    "标准立方米": "m**3",
    "标立方米": "m**3",
    "立方米": "m**3",
    "吨标准煤": "tce",
    "吨标煤": "tce",
    "千克标准煤": "kgce",
    "吨": "t",
    "千克": "kg",
    "公斤": "kg",
    "吉焦": "GJ",
    "平方米": "m**2",
}
# A count written before a unit: 万 (ten thousand) and 亿 (a hundred million) of Chinese numerals, or a power of
# ten ("10^4 m3", "10⁴ m³", "10**4 m3", "1e4 m3").
_NUMERALS = {"万": 10_000, "亿": 100_000_000}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_POWER_OF_TEN = re.compile(
    r"^(?:10\s*(?:\^|\*\*)\s*([0-9]{1,2})|10([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})|1e([0-9]{1,2}))\s*[*·×]?\s*(?=\S)"
)


def _unit(text: str) -> pint.Unit:
    text = text.strip()
    spelled = _WORDS.get(text, text)
    return registry().Unit(_ALIASES.get(spelled, spelled))


def parse_scaled_unit(unit: str) -> tuple[float, pint.Unit]:
    """`unit` as (count, unit): "万Nm³" is (10000, m³), "10^4 m3" too, "kWh" is (1, kWh); unknown: 422 on `unit`."""
    try:
        return 1.0, _unit(unit)
    except Exception:  # pint's parser also raises TokenError, ZeroDivisionError, AssertionError ...
        pass
    text = unit.strip()
    count: float | None = None
    if text[:1] in _NUMERALS and len(text) > 1:
        count, text = _NUMERALS[text[:1]], text[1:]
    elif power := _POWER_OF_TEN.match(text):
        digits = next(group for group in power.groups() if group)
        count, text = 10.0 ** int(digits.translate(_SUPERSCRIPTS)), text[power.end() :]
    if count is not None:
        try:
            return count, _unit(text)
        except Exception:
            pass
    raise field_error("unit", f"unknown unit {unit!r}")


def parse_unit(unit: str) -> pint.Unit:
    """`unit` as a pint unit without a count ("万m³" is not one: see `parse_scaled_unit`)."""
    try:
        return _unit(unit)
    except Exception as exc:
        raise field_error("unit", f"unknown unit {unit!r}") from exc


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert value between units, counts included ("万kWh"); a dimension mismatch is a field error, not a crash."""
    ureg = registry()
    (source_count, source), (target_count, target) = parse_scaled_unit(from_unit), parse_scaled_unit(to_unit)
    try:
        return float(ureg.Quantity(value * source_count, source).to(target).magnitude) / target_count
    except pint.errors.DimensionalityError as exc:
        raise field_error("unit", f"cannot convert {from_unit} to {to_unit}") from exc


def to_canonical(value: float, unit: str, quantity: str) -> float:
    if quantity not in CANONICAL:
        raise field_error("quantity", f"no canonical unit for {quantity!r}")
    return convert(value, unit, CANONICAL[quantity])


def is_known_unit(unit: str) -> bool:
    try:
        parse_scaled_unit(unit)
    except Exception:
        return False
    return True
