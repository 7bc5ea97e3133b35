"""A park's energy settings (grid factor basis, anomaly baseline), the factor tables in use and its tariffs."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.energy import tariffs
from digipark.energy.common import WRITE
from digipark.energy.factors import NATIONAL, carriers, coal_table, default_tariff, factor_set
from digipark.energy.models import EnergySetting, Tariff
from digipark.energy.schemas import FactorInfo, SettingsRead, SettingsUpdate, TariffCreate, TariffRead, TariffUpdate


# ==================================================================================================================
# Settings and factors
# ==================================================================================================================
def _setting_row(session: Session, park_id: int) -> EnergySetting | None:
    found: EnergySetting | None = session.scalar(select(EnergySetting).where(EnergySetting.park_id == park_id))
    return found


def region_of(session: Session, park_id: int) -> str:
    row = _setting_row(session, park_id)
    if row is None or row.grid_basis != "regional" or not row.grid_region:
        return NATIONAL
    return row.grid_region


def settings_read(session: Session, park_id: int) -> SettingsRead:
    row = _setting_row(session, park_id)
    fs = factor_set()
    return SettingsRead(
        park_id=park_id,
        grid_basis=row.grid_basis if row else "national",
        grid_region=row.grid_region if row else None,
        region_used=region_of(session, park_id),
        baseline_months=row.baseline_months if row else 6,
        anomaly_threshold_pct=row.anomaly_threshold_pct if row else 30.0,
        regions=fs.regions,
        factor_version=fs.version,
    )


def get_settings_read(session: Session, *, scope: Scope, park_id: int | None = None) -> SettingsRead:
    return settings_read(session, scope.acting_park(park_id))


def update_settings(session: Session, *, scope: Scope, data: SettingsUpdate) -> SettingsRead:
    scope.require(WRITE)
    park_id = scope.acting_write_park(data.park_id)
    if data.grid_basis == "regional" and (not data.grid_region or data.grid_region not in factor_set().regions):
        raise field_error("grid_region", f"choose one of {', '.join(factor_set().regions)}")
    row = _setting_row(session, park_id)
    if row is None:
        row = EnergySetting(park_id=park_id)
        session.add(row)
    row.grid_basis = data.grid_basis
    row.grid_region = data.grid_region if data.grid_basis == "regional" else None
    row.baseline_months = data.baseline_months
    row.anomaly_threshold_pct = data.anomaly_threshold_pct
    session.flush()
    return settings_read(session, park_id)


def factor_info() -> FactorInfo:
    fs = factor_set()
    table = coal_table()
    return FactorInfo(
        version=fs.version,
        method=fs.method,
        source=fs.source,
        status=fs.status,
        fuels=[dataclasses.asdict(f) for f in fs.fuels.values()],
        grid=[{**dataclasses.asdict(g), "source": fs.grid_source} for g in fs.grid],
        heat={"value": fs.heat_factor, "unit": "tCO2/GJ", "source": fs.heat_source, "status": fs.heat_status},
        process_materials=[dataclasses.asdict(m) for m in fs.materials.values()],
        standard_coal={
            "standard": table.standard,
            "source": table.source,
            "status": table.status,
            "coefficients": [dataclasses.asdict(c) for c in table.coefficients.values()],
            "electricity_equivalent_kgce_per_kwh": table.electricity_equivalent,
            "electricity_equal_kgce_per_kwh": {
                str(y): {"value": v, "status": s} for y, (v, s) in table.electricity_equal_by_year.items()
            },
        },
        carriers=[dataclasses.asdict(c) for c in carriers().values()],
    )


# ==================================================================================================================
# Tariffs
# ==================================================================================================================
def _checked_tariff(session: Session, scope: Scope, values: dict[str, Any], row: Tariff | None) -> dict[str, Any]:
    """The periods must cover the day once and every band used must have a price (checked together, the stored
    half standing in for the one an update leaves out)."""
    if "prices" in values:
        values["prices"] = {str(k): float(v) for k, v in values["prices"].items()}
    periods = values["periods"] if "periods" in values or row is None else row.periods
    prices = values["prices"] if "prices" in values or row is None else row.prices
    tariffs.minute_bands(periods)
    tariffs.check_prices(periods, prices)
    return values


def _one_tariff_per_day(session: Session, scope: Scope, row: Tariff) -> None:
    if session.scalar(select(Tariff.id).where(Tariff.park_id == row.park_id, Tariff.valid_from == row.valid_from)):
        raise Conflict(
            f"a tariff from {row.valid_from} exists", errors=[{"field": "valid_from", "reason": "already exists"}]
        )


TARIFFS: RecordType[Tariff] = RecordType(
    name="energy_tariff",
    model=Tariff,
    create_schema=TariffCreate,
    update_schema=TariffUpdate,
    read_schema=TariffRead,
    list_spec=ListSpec(
        filters={"park_id": Tariff.park_id, "valid_from": Tariff.valid_from},
        sort={"id": Tariff.id, "valid_from": Tariff.valid_from},
        default_sort="-valid_from",
    ),
    write_permission=WRITE,
    validate=_checked_tariff,
    before_create=_one_tariff_per_day,
)


@dataclasses.dataclass(frozen=True)
class TariffInUse:
    name: str
    periods: builtins.list[dict[str, Any]]
    prices: dict[str, float]


def tariff_name(name: str, lang: str) -> str:
    """A tariff's name in a page's language: the default tariff (energy/data/tariffs.yaml) has an English name;
    a tariff the park named itself is shown as named."""
    default = default_tariff()
    return str(default.get("name_en") or name) if lang == "en" and name == default.get("name") else name


def tariff_for(session: Session, park_id: int, on: dt.date) -> TariffInUse:
    """The park's tariff in force on `on` (the latest valid_from ≤ on), else the earliest, else the default."""
    rows = [*session.scalars(select(Tariff).where(Tariff.park_id == park_id).order_by(Tariff.valid_from))]
    chosen = [t for t in rows if t.valid_from <= on]
    row = chosen[-1] if chosen else (rows[0] if rows else None)
    if row is None:
        default = default_tariff()
        return TariffInUse(str(default["name"]), list(default["periods"]), dict(default["prices"]))
    return TariffInUse(row.name, row.periods, row.prices)
