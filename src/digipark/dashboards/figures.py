"""The figures a KPI tile, a gauge or a table can show: each read from the domain that owns it through its
`provides` (economy's monitoring, energy's park summary, evaluation's four standards, alarms' active counts, the
data space's sharing figures, living's online services), as the viewer may read it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from digipark.alarms import provides as alarms
from digipark.auth.scope import Scope
from digipark.core.errors import DomainError
from digipark.core.modules import N_
from digipark.dataspace import provides as dataspace
from digipark.economy import provides as economy
from digipark.energy import provides as energy
from digipark.evaluation import provides as evaluation
from digipark.living import provides as living

Reader = Callable[[Session, Scope, int], dict[str, float | None]]


@dataclasses.dataclass(frozen=True)
class Figure:
    key: str  # "<source>.<name>"
    label: str  # msgid
    unit: str  # shown as is (a symbol) or a msgid


def _economy(session: Session, scope: Scope, park_id: int) -> dict[str, float | None]:
    found = economy.dashboard(session, scope=scope, period=None, park_id=park_id)
    values: dict[str, float | None] = {"reporting": float(found.reporting), "expected": float(found.expected)}
    for f in found.figures:
        values[f.figure] = f.month_total
    return values


def _energy(session: Session, scope: Scope, park_id: int) -> dict[str, float | None]:
    found = energy.park_summary(session, scope=scope, park_id=park_id)
    return {"tce": found.tce_equivalent, "tco2": found.tco2, "tce_per_wan_yuan": found.tce_per_wan_yuan}


def _evaluation(session: Session, scope: Scope, park_id: int) -> dict[str, float | None]:
    found = evaluation.evaluation_for_year(session, scope=scope, park_id=park_id)
    return {
        "met_standards": float(found.met_standards),
        "met_indicators": float(found.met_indicators),
        "indicators": float(found.indicators),
    }


def _alarms(session: Session, scope: Scope, park_id: int) -> dict[str, float | None]:
    rows = alarms.active_counts(session, scope=scope, park_id=park_id)
    return {"active": float(sum(r.count for r in rows))}


def _dataspace(session: Session, scope: Scope, park_id: int) -> dict[str, float | None]:
    return {k: float(v) for k, v in dataspace.sharing_figures(session, park_id=park_id).items()}


def _living(session: Session, scope: Scope, park_id: int) -> dict[str, float | None]:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    return {k: float(v) for k, v in living.online_service_counts(session, park_id, since).items()}


SOURCES: dict[str, Reader] = {
    "economy": _economy,
    "energy": _energy,
    "evaluation": _evaluation,
    "alarms": _alarms,
    "dataspace": _dataspace,
    "living": _living,
}

FIGURES: dict[str, Figure] = {
    f.key: f
    for f in (
        Figure("economy.output_value_wan_yuan", N_("Industrial output value (month)"), N_("10k yuan")),
        Figure("economy.sales_revenue_wan_yuan", N_("Operating revenue (month)"), N_("10k yuan")),
        Figure("economy.tax_paid_wan_yuan", N_("Tax paid (month)"), N_("10k yuan")),
        Figure("economy.reporting", N_("Enterprises reporting"), ""),
        Figure("energy.tce", N_("Energy this year"), "tce"),
        Figure("energy.tco2", N_("Carbon emissions this year"), "tCO2"),
        Figure("energy.tce_per_wan_yuan", N_("Energy intensity"), N_("tce per 10k yuan")),
        Figure("evaluation.met_standards", N_("Construction standards met"), ""),
        Figure("evaluation.met_indicators", N_("Indicators met"), ""),
        Figure("alarms.active", N_("Active alarms"), ""),
        Figure("dataspace.products", N_("Data products"), ""),
        Figure("dataspace.contracts", N_("Data contracts"), ""),
        Figure("living.work_orders", N_("Work orders in 30 days"), ""),
        Figure("living.visitor_passes", N_("Visitor passes in 30 days"), ""),
    )
}


def values(session: Session, *, scope: Scope, park_id: int, keys: set[str]) -> dict[str, float | None]:
    """The values of the figures `keys` (None where the source has no value or the viewer may not read it)."""
    found: dict[str, float | None] = {}
    for source in sorted({k.split(".", 1)[0] for k in keys}):
        reader = SOURCES.get(source)
        read: dict[str, Any] = {}
        if reader is not None:
            try:
                read = reader(session, scope, park_id)
            except DomainError:  # no permission to that domain's figures, or none yet
                read = {}
        for key in keys:
            if key.startswith(source + "."):
                value = read.get(key.split(".", 1)[1])
                found[key] = None if value is None else round(float(value), 2)
    return found
