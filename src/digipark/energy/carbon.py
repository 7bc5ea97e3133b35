"""Carbon accounting after GB/T 32150-2015 (and the sector guides), as pure functions over activity data.

    E = E_combustion + E_process + E_purchased_electricity + E_purchased_heat − E_exported_electricity − E_exported_heat
    E_combustion  = Σ FC × NCV × CC × OF × 44/12          (fuel, t or m³ → GJ → tC → tCO2)
    E_process     = Σ carbonate (t) × its factor, or the tCO2 an enterprise declares
    E_electricity = MWh × EF_grid of the year (national average or the regional grid, per the park's setting)
    E_heat        = GJ × EF_heat (steam: t × 3.763 GJ/t first)

Own PV generation emits nothing and is not purchased: it does not enter E (self-consumption lowers the purchased
electricity, exported PV is exported electricity). Every line keeps its activity data, factor, factor source,
status and year so that the figure can show its calculation.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from digipark.energy.factors import NATIONAL, FactorSet, carriers, factor_set
from digipark.energy.models import Flow

COMBUSTION = "combustion"
PROCESS = "process"
ELECTRICITY = "electricity"
HEAT = "heat"
EXPORTED_ELECTRICITY = "exported_electricity"
EXPORTED_HEAT = "exported_heat"
CATEGORIES = (COMBUSTION, PROCESS, ELECTRICITY, HEAT, EXPORTED_ELECTRICITY, EXPORTED_HEAT)


class UnknownFuel(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Activity:
    carrier: str
    flow: str
    quantity: float  # canonical unit of the carrier


@dataclasses.dataclass(frozen=True)
class Declared:
    """A month's process emissions: a carbonate quantity (factor from the set) and/or tCO2 declared directly."""

    material: str | None = None
    quantity_t: float | None = None
    tco2: float | None = None


@dataclasses.dataclass(frozen=True)
class Line:
    category: str
    carrier: str  # carrier, process material code, or "declared"
    activity: float
    activity_unit: str
    factor: float  # tCO2 per activity unit
    factor_unit: str
    formula: str  # how the factor is made, with the values used
    source: str
    status: str
    year: int | None
    tco2: float


@dataclasses.dataclass(frozen=True)
class Account:
    lines: list[Line]
    version: str
    grid_region: str

    @property
    def by_category(self) -> dict[str, float]:
        out = dict.fromkeys(CATEGORIES, 0.0)
        for line in self.lines:
            out[line.category] += line.tco2
        return out

    @property
    def total(self) -> float:
        return sum(line.tco2 for line in self.lines)


def _fuel_line(fs: FactorSet, carrier: str, quantity: float) -> Line:
    found = carriers()[carrier]
    fuel = fs.fuels.get(found.carbon)
    if fuel is None:
        raise UnknownFuel(carrier)
    activity = quantity * found.carbon_per_unit  # in the NCV's unit of fuel (t, or 10^4 Nm³)
    factor = fuel.ncv * fuel.cc * fuel.of * fs.co2_per_c
    fuel_unit = fuel.ncv_unit.split("/", 1)[1]
    formula = f"NCV {fuel.ncv} {fuel.ncv_unit} × CC {fuel.cc} tC/GJ × OF {fuel.of} × 44/12"
    return Line(
        COMBUSTION,
        carrier,
        activity,
        fuel_unit,
        factor,
        f"tCO2/{fuel_unit}",
        formula,
        fuel.source,
        fuel.status,
        None,
        activity * factor,
    )


def fuel_emission(carrier: str, quantity: float, fs: FactorSet | None = None) -> Line:
    """tCO2 of burning `quantity` (canonical unit) of a fuel carrier."""
    return _fuel_line(fs or factor_set(), carrier, quantity)


def electricity_emission(
    kwh: float, year: int, region: str = NATIONAL, *, exported: bool = False, fs: FactorSet | None = None
) -> Line:
    fs = fs or factor_set()
    grid, _own_year = fs.grid_factor(year, region)
    mwh = kwh / 1000
    sign = -1.0 if exported else 1.0
    formula = f"EF {region} {grid.year} {grid.value} tCO2/MWh"  # a year without its own: Line.year says which
    return Line(
        EXPORTED_ELECTRICITY if exported else ELECTRICITY,
        "electricity",
        mwh,
        "MWh",
        grid.value,
        "tCO2/MWh",
        formula,
        fs.grid_source,
        grid.status,
        grid.year,
        sign * mwh * grid.value,
    )


def heat_emission(carrier: str, quantity: float, *, exported: bool = False, fs: FactorSet | None = None) -> Line:
    fs = fs or factor_set()
    found = carriers()[carrier]
    gj = quantity * found.heat_gj_per_unit
    formula = f"EF {fs.heat_factor} tCO2/GJ"
    if carrier != "heat":
        formula = f"{found.heat_gj_per_unit} GJ/{found.unit} × " + formula
    sign = -1.0 if exported else 1.0
    return Line(
        EXPORTED_HEAT if exported else HEAT,
        carrier,
        gj,
        "GJ",
        fs.heat_factor,
        "tCO2/GJ",
        formula,
        fs.heat_source,
        fs.heat_status,
        None,
        sign * gj * fs.heat_factor,
    )


def process_lines(declared: Declared, fs: FactorSet | None = None) -> list[Line]:
    fs = fs or factor_set()
    lines: list[Line] = []
    if declared.material and declared.quantity_t:
        material = fs.materials.get(declared.material)
        if material is None:
            raise UnknownFuel(declared.material)
        lines.append(
            Line(
                PROCESS,
                material.code,
                declared.quantity_t,
                "t",
                material.factor,
                "tCO2/t",
                f"{material.name} {material.factor} tCO2/t",
                material.source,
                material.status,
                None,
                declared.quantity_t * material.factor,
            )
        )
    if declared.tco2:
        lines.append(
            Line(
                PROCESS,
                "declared",
                declared.tco2,
                "tCO2",
                1.0,
                "",
                "declared",
                "declared",
                "declared",
                None,
                declared.tco2,
            )
        )
    return lines


def activity_line(activity: Activity, year: int, region: str, fs: FactorSet | None = None) -> Line | None:
    """The emission line of one activity, or None when it does not enter the account (water, own PV)."""
    fs = fs or factor_set()
    found = carriers().get(activity.carrier)
    if found is None:
        raise UnknownFuel(activity.carrier)
    exported = activity.flow == Flow.EXPORTED.value
    if found.carbon == "none" or activity.flow == Flow.GENERATED.value:
        if found.code == "pv" and exported:
            return electricity_emission(activity.quantity, year, region, exported=True, fs=fs)
        return None
    if found.carbon == "grid":
        return electricity_emission(activity.quantity, year, region, exported=exported, fs=fs)
    if found.carbon == "heat":
        return heat_emission(activity.carrier, activity.quantity, exported=exported, fs=fs)
    if exported:
        return None  # fuels delivered out are not burnt here
    return _fuel_line(fs, activity.carrier, activity.quantity)


def account(
    activities: Iterable[Activity],
    year: int,
    region: str = NATIONAL,
    declared: Iterable[Declared] = (),
    fs: FactorSet | None = None,
) -> Account:
    """The account of one enterprise (or the park) over a period of `year`: activities of the same carrier and
    flow are summed first, so each line is one carrier's calculation."""
    fs = fs or factor_set()
    summed: dict[tuple[str, str], float] = defaultdict(float)
    for a in activities:
        summed[(a.carrier, a.flow)] += a.quantity
    lines: list[Line] = []
    for (carrier, flow), quantity in sorted(summed.items()):
        line = activity_line(Activity(carrier, flow, quantity), year, region, fs)
        if line is not None:
            lines.append(line)
    process: dict[str, float] = defaultdict(float)
    direct = 0.0
    for d in declared:
        if d.material and d.quantity_t:
            process[d.material] += d.quantity_t
        direct += d.tco2 or 0.0
    for material, quantity in sorted(process.items()):
        lines += process_lines(Declared(material, quantity), fs)
    if direct:
        lines += process_lines(Declared(tco2=direct), fs)
    return Account(lines, fs.version, region)
