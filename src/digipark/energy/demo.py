"""The demo park's energy and carbon data: meters linked to the demo's cumulative telemetry points (the year of
history reaches their rollups through the telemetry back-fill; the pages read whatever rollups exist), manual
monthly fuel entries with an evidence file for the industrial enterprises (coal, diesel, natural gas where no
gas meter), own PV on some roofs, process declarations, the park's time-of-use tariff.

Synthetic: magnitudes are plausible for a park near Suzhou, not measurements. Deterministic from the seed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.energy.common import today
from digipark.energy.factors import default_tariff
from digipark.energy.models import CarbonDeclaration, EnergyEntry, EnergyMeter, Tariff
from digipark.registry.models import Device, Enterprise, Point
from digipark.telemetry.provides import CUMULATIVE

Progress = Callable[[str, int, int], None]
ACTOR = "demo"
CARRIER_BY_QUANTITY = {
    "electric_energy": "electricity",
    "gas_volume": "natural_gas",
    "water_volume": "water",
    "steam_mass": "steam",
}
UNITS = {"electricity": "kWh", "natural_gas": "m³", "water": "m³", "steam": "t", "pv": "kWh"}
MONTHS = 12  # a year of entries up to the last closed month
# process emissions of the divisions that calcine carbonates (GB/T 4754: 30 non-metallic minerals, 31 steel)
PROCESS_DIVISIONS = {"30", "31"}


def _months(as_of: dt.date, today: dt.date) -> list[dt.date]:
    """The months entered: a year up to as_of's month or, when the demo starts later, up to the month before today's
    (the telemetry's history reaches today; a closed month without its fuel entries would read as a fall)."""
    last = max(as_of.year * 12 + as_of.month - 1, today.year * 12 + today.month - 2)
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(last - MONTHS + 1, last + 1)]


def _season(month: int) -> float:
    """Heating in winter, cooling in summer: fuel use and generation shapes (illustrative)."""
    return {1: 1.3, 2: 1.2, 3: 1.05, 4: 0.95, 5: 0.9, 6: 0.95, 7: 1.05, 8: 1.05, 9: 0.95, 10: 0.95, 11: 1.05, 12: 1.25}[
        month
    ]


def _pv(month: int) -> float:
    return {1: 0.55, 2: 0.65, 3: 0.85, 4: 1.0, 5: 1.1, 6: 1.05, 7: 1.2, 8: 1.15, 9: 1.0, 10: 0.85, 11: 0.65, 12: 0.5}[
        month
    ]


def _evidence(kind: str, enterprise: Enterprise, period: dt.date, quantity: float, unit: str) -> bytes:
    return (
        f"演示凭证 demo evidence\n{kind}\n{enterprise.name}\n{period:%Y-%m}\n{quantity:.3f} {unit}\n"
        "synthetic data of the digipark demo park\n"
    ).encode()


def build_energy_demo(
    session: Session, *, park_id: int, as_of: dt.date, seed: int, progress: Progress | None = None
) -> dict[str, int]:
    """Write the demo park's energy data; returns counts."""
    rng = random.Random(f"{seed}:energy")
    counts = dict.fromkeys(("energy_meters", "energy_entries", "carbon_declarations", "tariffs"), 0)
    tariff = default_tariff()
    session.add(
        Tariff(
            park_id=park_id,
            name=str(tariff["name"]),
            valid_from=dt.date(as_of.year - 2, 1, 1),
            periods=list(tariff["periods"]),
            prices=dict(tariff["prices"]),
            source=str(tariff["source"]),
        )
    )
    counts["tariffs"] = 1
    enterprises = {
        e.id: e
        for e in session.scalars(
            select(Enterprise)
            .where(Enterprise.park_id == park_id, Enterprise.status == "active")
            .order_by(Enterprise.id)
        )
    }
    points = session.execute(
        select(
            Point.id,
            Point.quantity,
            Point.enterprise_id,
            Point.key,
            Device.building_id,
            Device.code,
            Device.name,
            Device.name_en,
        )
        .join(Device, Device.id == Point.device_id)
        .where(Point.park_id == park_id, Point.state_class == CUMULATIVE)
        .order_by(Point.id)
    ).all()
    meters: list[EnergyMeter] = []
    first_of: dict[tuple[int | None, str], EnergyMeter] = {}
    for point_id, quantity, enterprise_id, _key, building_id, code, name, name_en in points:
        carrier = CARRIER_BY_QUANTITY.get(quantity)
        if carrier is None:
            continue
        owner = enterprise_id if enterprise_id in enterprises else None
        parent = first_of.get((owner, carrier)) if owner is not None else None
        level = ("sub" if parent is not None else "enterprise") if owner else ("building" if building_id else "park")
        enterprise = enterprises.get(owner) if owner else None
        meter = EnergyMeter(
            park_id=park_id,
            enterprise_id=owner,
            code=f"EM-{code}-{quantity}"[:60],
            name=name[:200],
            name_en=name_en[:200] if name_en else None,
            level=level,
            carrier=carrier,
            flow="purchased",
            source="telemetry",
            unit=UNITS[carrier],
            building_id=building_id,
            point_id=point_id,
            terms=[],
            flexible_share=0.15
            if carrier == "electricity" and enterprise is not None and enterprise.industrial
            else 0.0,
            active=True,
        )
        meters.append(meter)
        if owner is not None and parent is None:
            first_of[(owner, carrier)] = meter
    session.add_all(meters)
    session.flush()
    for meter in meters:  # sub-meters under the enterprise's first meter of the carrier
        parent = first_of.get((meter.enterprise_id, meter.carrier)) if meter.enterprise_id else None
        if parent is not None and parent is not meter:
            meter.parent_id = parent.id
    counts["energy_meters"] = len(meters)

    months = _months(as_of, today())
    entries: list[EnergyEntry] = []
    declarations: list[CarbonDeclaration] = []
    pv_meters: list[EnergyMeter] = []
    industrial = [e for e in enterprises.values() if e.industrial]
    for done, enterprise in enumerate(industrial, start=1):
        size = max(enterprise.employees or 50, 10) / 100
        has_gas = (enterprise.id, "natural_gas") in first_of
        coal = enterprise.above_scale and rng.random() < 0.35
        diesel_t = round(rng.uniform(0.4, 3.0) * size, 3)
        coal_t = round(rng.uniform(20, 120) * size, 1)
        gas_m3 = round(rng.uniform(2_000, 15_000) * size, 0)
        division = (enterprise.industry_code or "")[:2]
        for period in months:
            season = _season(period.month)
            noise = rng.uniform(0.9, 1.1)
            plan: list[tuple[str, float, str]] = [("diesel", diesel_t * noise, "t")]
            if coal:
                plan.append(("bituminous", coal_t * season * noise, "t"))
            if not has_gas and rng.random() < 0.9:
                plan.append(("natural_gas", gas_m3 * season * noise, "m³"))
            for carrier, amount, unit in plan:
                content = _evidence(carrier, enterprise, period, amount, unit)
                entries.append(
                    EnergyEntry(
                        park_id=park_id,
                        enterprise_id=enterprise.id,
                        carrier=carrier,
                        flow="purchased",
                        period=period,
                        quantity=round(amount, 3),
                        entered_quantity=round(amount, 3),
                        entered_unit=unit,
                        note="演示数据：送货单/加油记录",
                        evidence_name=f"{carrier}-{period:%Y-%m}.txt",
                        evidence_type="text/plain",
                        evidence_size=len(content),
                        evidence_sha256=None,
                        evidence=content,
                        entered_by=ACTOR,
                    )
                )
            declarations.append(
                CarbonDeclaration(
                    park_id=park_id,
                    enterprise_id=enterprise.id,
                    period=period,
                    process_material="caco3" if division in PROCESS_DIVISIONS else None,
                    process_quantity_t=round(rng.uniform(50, 200) * size, 1) if division in PROCESS_DIVISIONS else None,
                    product_output_t=round(rng.uniform(80, 400) * size * season, 1),
                    declared_by=ACTOR,
                )
            )
        if enterprise.above_scale and rng.random() < 0.3:  # rooftop PV: generation, the part sent to the grid
            pv_meters.append(
                EnergyMeter(
                    park_id=park_id,
                    enterprise_id=enterprise.id,
                    code=f"PV-{enterprise.id}",
                    name=f"{enterprise.name} 屋顶光伏上网"[:200],
                    name_en=f"{enterprise.name_en or enterprise.name} rooftop PV export"[:200],
                    level="enterprise",
                    carrier="pv",
                    flow="exported",
                    source="manual",
                    unit="kWh",
                    terms=[],
                    flexible_share=0.0,
                    active=True,
                )
            )
        if progress is not None:
            progress("energy", done, len(industrial))
    session.add_all(pv_meters)
    session.flush()
    for meter in pv_meters:
        peak_kw = rng.uniform(100, 600)
        for period in months:
            exported = peak_kw * 100 * _pv(period.month) * rng.uniform(0.3, 0.5)  # ~100 full-load hours a month
            entries.append(
                EnergyEntry(
                    park_id=park_id,
                    enterprise_id=meter.enterprise_id,
                    meter_id=meter.id,
                    carrier="pv",
                    flow="exported",
                    period=period,
                    quantity=round(exported, 1),
                    entered_quantity=round(exported, 1),
                    entered_unit="kWh",
                    note="演示数据：上网电量结算单",
                    evidence_size=0,
                    entered_by=ACTOR,
                )
            )
    session.add_all(entries)
    session.add_all(declarations)
    session.flush()
    counts["energy_meters"] += len(pv_meters)
    counts["energy_entries"] = len(entries)
    counts["carbon_declarations"] = len(declarations)
    return counts
