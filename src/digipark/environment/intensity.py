"""Solid waste generation intensity per unit of output (源头减量, source reduction): the general industrial solid
waste generated (t, the monthly ledger) divided by the output value (万元, the economy's monthly statistics via
`economy.provides`), per enterprise and month, over a window of twelve months, with the park's total.

Which enterprises worsen: with the same twelve months of the year before on record for both figures, the
window's intensity against the year before's (year on year, so the seasons of output cancel); otherwise the
trend inside the window — the Theil–Sen slope (scipy.stats.theilslopes: the median of the pairwise slopes, robust
to a single odd month such as the Spring Festival's) of the monthly intensities, as a change over a year relative
to their median. Either change above `WORSENING_PCT` lists the enterprise. A month without both figures (no
ledger entry, no statistics or an output of 0) has no intensity and is left out.

Who sees what: the caller's scope on both sources (staff: the park's enterprises; an enterprise: its own)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from scipy.stats import theilslopes
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.economy.provides import add_months, output_value_by_enterprise_month
from digipark.environment.models import WasteEntry
from digipark.registry.models import Enterprise

VIEW = "environment.view"
WINDOW = 12
WORSENING_PCT = 10.0  # a rise of the intensity above this (%) lists the enterprise
MIN_TREND_MONTHS = 6  # months with an intensity needed for the trend


@dataclasses.dataclass(frozen=True)
class Intensity:
    enterprise_id: int | None  # None: the park
    name: str
    months: list[dt.date]
    waste_t: list[float | None]
    output: list[float | None]  # 万元
    intensity: list[float | None]  # t per 万元
    window_intensity: float | None  # the window's waste ÷ its output (months with both)
    previous_intensity: float | None  # the same months a year before
    year_on_year_pct: float | None
    trend_pct: float | None  # Theil–Sen slope × 12 ÷ median intensity, in %
    worsening: bool


def ratio(waste: float | None, output: float | None) -> float | None:
    if waste is None or output is None or output <= 0:
        return None
    return waste / output


def trend_pct(values: Sequence[float | None]) -> float | None:
    """The Theil–Sen slope of the months' values (gaps skipped, their places kept) over a year, relative to the
    median value, in %; None with fewer than `MIN_TREND_MONTHS` values or a median of 0."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < MIN_TREND_MONTHS:
        return None
    middle = statistics.median(v for _, v in points)
    if middle <= 0:
        return None
    slope = float(theilslopes([v for _, v in points], [i for i, _ in points])[0])
    return 100 * slope * 12 / middle


def summarise(
    enterprise_id: int | None,
    name: str,
    months: Sequence[dt.date],
    waste: Mapping[dt.date, float],
    output: Mapping[dt.date, float],
) -> Intensity:
    """The intensity of one enterprise (or the park) over `months`, from its waste and output per month (a month
    absent from a mapping has no figure); the months a year before come from the same mappings."""
    waste_t = [waste.get(m) for m in months]
    out = [output.get(m) for m in months]
    monthly = [ratio(w, o) for w, o in zip(waste_t, out, strict=True)]

    def window(of: Sequence[dt.date]) -> tuple[float | None, int]:
        both = [(waste[m], output[m]) for m in of if m in waste and m in output and output[m] > 0]
        total_out = sum(o for _, o in both)
        return (sum(w for w, _ in both) / total_out if total_out > 0 else None), len(both)

    current, current_n = window(months)
    before, before_n = window([add_months(m, -12) for m in months])
    yoy = None
    if current is not None and before and current_n == before_n == len(months):
        yoy = 100 * (current - before) / before
    trend = trend_pct(monthly)
    change = yoy if yoy is not None else trend
    return Intensity(
        enterprise_id,
        name,
        list(months),
        waste_t,
        out,
        monthly,
        current,
        before if yoy is not None else None,
        yoy,
        trend,
        change is not None and change > WORSENING_PCT,
    )


def latest_month(session: Session, *, scope: Scope, park_id: int) -> dt.date | None:
    """The newest month of the ledger the caller may read."""
    found: dt.date | None = session.scalar(
        scope.readable(WasteEntry, select(func.max(WasteEntry.month))).where(WasteEntry.park_id == park_id)
    )
    return found


def waste_intensity(
    session: Session, *, scope: Scope, park_id: int, last: dt.date | None = None
) -> tuple[Intensity, list[Intensity]] | None:
    """The park's intensity (over the enterprises the caller reads) and each enterprise's, for the twelve months
    up to `last` (default: the newest month of the ledger); enterprises that worsen first, then by intensity.
    None when the caller reads no ledger."""
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    end = (last or latest_month(session, scope=scope, park_id=park) or dt.date.min).replace(day=1)
    if end == dt.date.min:
        return None
    months = [add_months(end, i - WINDOW + 1) for i in range(WINDOW)]
    start = add_months(months[0], -12)
    waste: dict[int, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    aggregate: Select[Any] = select(  # type: ignore[assignment]
        WasteEntry.enterprise_id, WasteEntry.month, func.sum(WasteEntry.generated_t)
    ).group_by(WasteEntry.enterprise_id, WasteEntry.month)
    stmt = scope.readable(WasteEntry, aggregate).where(
        WasteEntry.park_id == park, WasteEntry.month >= start, WasteEntry.month <= end
    )
    for enterprise_id, month, generated in session.execute(stmt):
        waste[int(enterprise_id)][month.replace(day=1)] += float(generated or 0.0)
    if not waste:
        return None
    output: dict[int, dict[dt.date, float]] = defaultdict(dict)
    for (enterprise_id, month), value in output_value_by_enterprise_month(
        session, scope=scope, park_id=park, start=start, end=end
    ).items():
        if enterprise_id in waste:
            output[enterprise_id][month] = value
    names = dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(sorted(waste)), scope.condition(Enterprise))
        ).all()
    )
    rows = [summarise(e, names.get(e, str(e)), months, waste[e], output.get(e, {})) for e in sorted(waste)]
    # the park: the months where an enterprise has both figures, summed
    park_waste: dict[dt.date, float] = defaultdict(float)
    park_output: dict[dt.date, float] = defaultdict(float)
    for e in waste:
        for month, w in waste[e].items():
            o = output.get(e, {}).get(month)
            if o is not None and o > 0:
                park_waste[month] += w
                park_output[month] += o
    park_row = summarise(None, "", months, park_waste, park_output)
    rows.sort(key=lambda r: (not r.worsening, -(r.window_intensity or 0.0), r.name))
    return park_row, rows
