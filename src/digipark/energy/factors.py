"""The energy domain's data files as typed objects: carriers, the carbon factor set (GB/T 32150-2015 and the
sector guides' defaults), standard-coal coefficients (GB/T 2589-2020) and the default tariff. Every value keeps
its source and status so that a figure computed with it can show them."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"


def _load(name: str) -> dict[str, Any]:
    with (DATA / name).open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


@dataclasses.dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    name_en: str
    unit: str
    coal: str  # a code of standard_coal.yaml (or "electricity")
    coal_per_unit: float  # canonical unit -> the coal code's unit
    carbon: str  # a fuel code, "grid", "heat" or "none"
    carbon_per_unit: float = 1.0  # canonical unit -> the fuel's NCV unit (natural gas: m³ -> 10^4 Nm³)
    heat_gj_per_unit: float = 0.0  # heat carriers: GJ per canonical unit
    telemetry: tuple[str, ...] = ()
    group: str | None = None  # coal | oil, for the structure charts
    media: bool = False  # an energy-carrying medium (耗能工质), not an energy


@cache
def carriers() -> dict[str, Carrier]:
    out: dict[str, Carrier] = {}
    for code, raw in _load("carriers.yaml")["carriers"].items():
        out[code] = Carrier(
            code=code,
            name=raw["name"],
            name_en=raw["name_en"],
            unit=raw["unit"],
            coal=raw["coal"],
            coal_per_unit=float(raw["coal_per_unit"]),
            carbon=raw["carbon"],
            carbon_per_unit=float(raw.get("carbon_per_unit", 1.0)),
            heat_gj_per_unit=float(raw.get("heat_gj_per_unit", 0.0)),
            telemetry=tuple(raw.get("telemetry", ())),
            group=raw.get("group"),
            media=bool(raw.get("media", False)),
        )
    return out


@dataclasses.dataclass(frozen=True)
class Fuel:
    code: str
    name: str
    name_en: str
    ncv: float
    ncv_unit: str
    cc: float  # tC/GJ
    of: float
    source: str
    status: str


@dataclasses.dataclass(frozen=True)
class GridFactor:
    year: int
    region: str
    value: float  # tCO2/MWh
    status: str


@dataclasses.dataclass(frozen=True)
class ProcessMaterial:
    code: str
    name: str
    name_en: str
    factor: float  # tCO2/t
    source: str
    status: str


@dataclasses.dataclass(frozen=True)
class FactorSet:
    version: str
    method: str
    source: str
    status: str
    co2_per_c: float
    fuels: dict[str, Fuel]
    grid: tuple[GridFactor, ...]
    grid_source: str
    grid_regions_en: dict[str, str]  # a grid's name (全国: the national average) -> its English name
    heat_factor: float
    heat_source: str
    heat_status: str
    materials: dict[str, ProcessMaterial]

    @property
    def regions(self) -> list[str]:
        return sorted({g.region for g in self.grid if g.region != NATIONAL})

    def grid_factor(self, year: int, region: str = "全国") -> tuple[GridFactor, bool]:
        """The factor of `year` in `region` (全国: national average), or of the latest earlier year with one;
        the flag says whether it is the year's own. No factor at all for the region: the earliest one."""
        rows = sorted((g for g in self.grid if g.region == region), key=lambda g: g.year)
        if not rows:
            raise KeyError(region)
        earlier = [g for g in rows if g.year <= year]
        chosen = earlier[-1] if earlier else rows[0]
        return chosen, chosen.year == year


NATIONAL = "全国"


def grid_region_name(region: str, lang: str) -> str:
    """A grid's name in `lang`: its English name from the factor file on English pages (as written without one)."""
    return factor_set().grid_regions_en.get(region, region) if lang == "en" else region


@cache
def factor_set() -> FactorSet:
    raw = _load("carbon_factors.yaml")
    ratio = raw["co2_per_c"]
    return FactorSet(
        version=str(raw["version"]),
        method=raw["meta"]["method"],
        source=raw["meta"]["source"],
        status=raw["meta"]["status"],
        co2_per_c=float(ratio["numerator"]) / float(ratio["denominator"]),
        fuels={
            f["code"]: Fuel(
                f["code"],
                f["name"],
                f["name_en"],
                float(f["ncv"]),
                f["ncv_unit"],
                float(f["cc"]),
                float(f["of"]),
                f["source"],
                f["status"],
            )
            for f in raw["fuels"]
        },
        grid=tuple(
            GridFactor(int(g["year"]), g["region"], float(g["value"]), g["status"])
            for g in raw["electricity_grid_factors"]
        ),
        grid_source=raw["grid_source"],
        grid_regions_en={str(k): str(v) for k, v in raw["grid_regions_en"].items()},
        heat_factor=float(raw["heat_factor"]["value"]),
        heat_source=raw["heat_factor"]["source"],
        heat_status=raw["heat_factor"]["status"],
        materials={
            m["code"]: ProcessMaterial(m["code"], m["name"], m["name_en"], float(m["factor"]), m["source"], m["status"])
            for m in raw["process_materials"]
        },
    )


@dataclasses.dataclass(frozen=True)
class CoalCoefficient:
    code: str
    name: str
    name_en: str
    kgce_per_unit: float
    unit: str
    status: str


@dataclasses.dataclass(frozen=True)
class CoalTable:
    standard: str
    source: str
    status: str
    coefficients: dict[str, CoalCoefficient]
    electricity_equivalent: float  # kgce/kWh, 当量值
    electricity_equivalent_status: str
    bases: dict[str, tuple[str, str]]  # equivalent | equal | supply -> (Chinese name, English name)
    electricity_equal_by_year: dict[int, tuple[float, str]]  # year -> (kgce/kWh 等价值, status)

    def equal_value(self, year: int) -> tuple[float, int, str]:
        """(kgce/kWh, the year it is of, status) of the equal-value basis for `year` (latest earlier year)."""
        years = sorted(self.electricity_equal_by_year)
        earlier = [y for y in years if y <= year]
        chosen = earlier[-1] if earlier else years[0]
        value, status = self.electricity_equal_by_year[chosen]
        return value, chosen, status


@cache
def coal_table() -> CoalTable:
    raw = _load("standard_coal.yaml")
    coefficients = {
        e["code"]: CoalCoefficient(
            e["code"], e["name"], e["name_en"], float(e["kgce_per_unit"]), e["unit"], e["status"]
        )
        for e in [*raw["energy"], *raw["energy_carrying_media"]]
    }
    electricity = raw["electricity"]
    return CoalTable(
        standard=raw["meta"]["standard"],
        source=raw["meta"]["source"],
        status=raw["meta"]["status"],
        coefficients=coefficients,
        electricity_equivalent=float(electricity["equivalent_value"]["kgce_per_unit"]),
        electricity_equivalent_status=electricity["equivalent_value"]["status"],
        bases={
            "equivalent": (electricity["equivalent_value"]["basis"], electricity["equivalent_value"]["basis_en"]),
            "equal": (electricity["equal_value"]["basis"], electricity["equal_value"]["basis_en"]),
            "supply": ("供电标准煤耗", electricity["equal_value"]["note_en"]),
        },
        electricity_equal_by_year={
            int(r["year"]): (float(r["kgce_per_unit"]), r["status"]) for r in electricity["equal_value"]["by_year"]
        },
    )


@cache
def default_tariff() -> dict[str, Any]:
    return _load("tariffs.yaml")
