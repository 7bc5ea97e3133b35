"""Conversion to standard coal (tce) after GB/T 2589-2020 and comprehensive energy consumption.

Electricity has two bases, both always shown and labelled: the equivalent value (当量值, its own heat, 3 600 kJ/kWh
→ 0.1229 kgce/kWh) and the equal value (等价值, the coal burnt to generate and supply it: the year's 供电标准煤耗).
Every other carrier converts the same way on both bases.

Comprehensive energy consumption (综合能耗) of an enterprise = Σ energy bought in (tce) − energy delivered out
(tce). Own PV generation is renewable and not counted; energy-carrying media bought in (water) are not counted
either (GB/T 2589-2020: the energy used to make them is counted by their producer) but shown as media.
"""

from __future__ import annotations

import dataclasses

from digipark.energy.factors import carriers, coal_table
from digipark.energy.models import Flow

EQUIVALENT = "equivalent"  # 当量值
EQUAL = "equal"  # 等价值
BASIS_LABELS = {EQUIVALENT: "当量值", EQUAL: "等价值"}


@dataclasses.dataclass(frozen=True)
class CoalFigure:
    carrier: str
    quantity: float  # canonical unit of the carrier
    unit: str
    equivalent_tce: float
    equal_tce: float
    equivalent_factor: float  # kgce per canonical unit
    equal_factor: float
    factor_note: str  # where the factor comes from
    status: str
    factor_note_en: str = ""  # the same in English


def convert(carrier: str, quantity: float, year: int) -> CoalFigure:
    """`quantity` of `carrier` (canonical unit) in tce on both bases."""
    found = carriers()[carrier]
    table = coal_table()
    if found.coal == "electricity":
        equal, equal_year, equal_status = table.equal_value(year)
        equivalent = table.electricity_equivalent
        (equivalent_zh, equivalent_en), (equal_zh, equal_en), (supply_zh, supply_en) = (
            table.bases["equivalent"],
            table.bases["equal"],
            table.bases["supply"],
        )
        note = (
            f"{table.standard}: {equivalent_zh} {equivalent} kgce/kWh; {equal_zh} {equal} kgce/kWh "
            f"({supply_zh} {equal_year})"
        )
        note_en = (
            f"{table.standard}: {equivalent_en} {equivalent} kgce/kWh; {equal_en} {equal} kgce/kWh "
            f"({supply_en} {equal_year})"
        )
        status = equal_status if equal_status != "secondary" else table.electricity_equivalent_status
        return CoalFigure(
            carrier,
            quantity,
            found.unit,
            quantity * equivalent / 1000,
            quantity * equal / 1000,
            equivalent,
            equal,
            note,
            status,
            note_en,
        )
    coefficient = table.coefficients[found.coal]
    per_unit = coefficient.kgce_per_unit * found.coal_per_unit
    factor = f"{coefficient.kgce_per_unit} kgce/{coefficient.unit}"
    note, note_en = (
        f"{table.standard}: {coefficient.name} {factor}",
        f"{table.standard}: {coefficient.name_en} {factor}",
    )
    tce = quantity * per_unit / 1000
    return CoalFigure(carrier, quantity, found.unit, tce, tce, per_unit, per_unit, note, coefficient.status, note_en)


def counts_in_consumption(carrier: str, flow: str) -> int:
    """+1 bought in, −1 delivered out, 0 not part of the comprehensive energy consumption."""
    found = carriers()[carrier]
    if found.media or flow == Flow.GENERATED.value:
        return 0
    return -1 if flow == Flow.EXPORTED.value else 1
