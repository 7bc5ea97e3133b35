"""Time-of-use tariffs (峰/平/谷): periods of the local day by band, the split of a consumption series into bands
and its cost, and the flexible-load shift that minimises that cost (an LP solved exactly).

A period is [start, end) in local time "HH:MM"; end "24:00" is midnight; a period with end <= start wraps over
midnight (e.g. 22:00–06:00 valley). The periods of a tariff must cover the day exactly once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from digipark.core.errors import field_error

DAY_MIN = 24 * 60
BANDS = ("sharp", "peak", "flat", "valley")


def _minute(text: str, field: str) -> int:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise field_error(field, f"not a time of day: {text!r}") from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise field_error(field, f"not a time of day: {text!r}")
    return hours * 60 + minutes


def minute_bands(periods: Sequence[Mapping[str, Any]], field: str = "periods") -> list[str]:
    """The band of every minute of the local day; raises a field error unless the periods cover the day once."""
    bands: list[str | None] = [None] * DAY_MIN
    for index, period in enumerate(periods):
        start = _minute(str(period["start"]), f"{field}[{index}].start") % DAY_MIN
        end = _minute(str(period["end"]), f"{field}[{index}].end") % DAY_MIN
        band = str(period["band"])
        if band not in BANDS:
            raise field_error(f"{field}[{index}].band", f"unknown band {band!r}; use one of {', '.join(BANDS)}")
        length = (end - start) % DAY_MIN or DAY_MIN
        for offset in range(length):
            minute = (start + offset) % DAY_MIN
            if bands[minute] is not None:
                raise field_error(
                    f"{field}[{index}]", f"overlaps another period at {minute // 60:02d}:{minute % 60:02d}"
                )
            bands[minute] = band
    gaps = [m for m, b in enumerate(bands) if b is None]
    if gaps:
        raise field_error(field, f"the periods leave {gaps[0] // 60:02d}:{gaps[0] % 60:02d} uncovered")
    return [b for b in bands if b is not None]


def check_prices(periods: Sequence[Mapping[str, Any]], prices: Mapping[str, float]) -> None:
    for band in {str(p["band"]) for p in periods}:
        if band not in prices:
            raise field_error("prices", f"no price for band {band!r}")


@dataclasses.dataclass(frozen=True)
class Split:
    kwh: dict[str, float]
    cost: dict[str, float]

    @property
    def total_kwh(self) -> float:
        return sum(self.kwh.values())

    @property
    def total_cost(self) -> float:
        return sum(self.cost.values())


def split(
    series: Iterable[tuple[int, float]],
    step_ms: int,
    periods: Sequence[Mapping[str, Any]],
    prices: Mapping[str, float],
    zone: ZoneInfo,
) -> Split:
    """Split a consumption series (bucket start ms, kWh in [start, start + step)) into bands, spreading each
    bucket's energy evenly over its minutes (a bucket crossing a band boundary, or midnight, is divided)."""
    bands = minute_bands(periods)
    kwh = dict.fromkeys(sorted({*bands}), 0.0)
    minutes = max(step_ms // 60_000, 1)
    shares: dict[int, list[tuple[str, float]]] = {}  # first minute of a bucket -> each band's share of it
    for start_ms, value in series:
        if not value:
            continue
        local = dt.datetime.fromtimestamp(start_ms / 1000, dt.UTC).astimezone(zone)
        first = local.hour * 60 + local.minute
        if first not in shares:
            counts = Counter(bands[(first + offset) % DAY_MIN] for offset in range(minutes))
            shares[first] = [(band, n / minutes) for band, n in counts.items()]
        for band, share in shares[first]:
            kwh[band] += value * share
    cost = {band: kwh[band] * float(prices.get(band, 0.0)) for band in kwh}
    return Split(kwh, cost)


def hour_aligned(periods: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every band boundary of the periods falls on a full hour (hour buckets then split exactly)."""
    bands = minute_bands(periods)
    return all(len(set(bands[h * 60 : h * 60 + 60])) == 1 for h in range(24))


def slot_prices(periods: Sequence[Mapping[str, Any]], prices: Mapping[str, float], slots: int = 96) -> list[float]:
    """The mean price of each of `slots` equal slots of the day."""
    bands = minute_bands(periods)
    width = DAY_MIN // slots
    return [sum(float(prices.get(bands[s * width + m], 0.0)) for m in range(width)) / width for s in range(slots)]


@dataclasses.dataclass(frozen=True)
class Shift:
    before: list[float]  # kWh per slot of the mean day
    after: list[float]
    cost_before: float
    cost_after: float
    moved_kwh: float

    @property
    def saving(self) -> float:
        return self.cost_before - self.cost_after


def shift_flexible(load: Sequence[float], flexible_share: float, prices: Sequence[float]) -> Shift:
    """Move the flexible part of a daily load profile to the cheapest slots without raising its peak.

    LP: minimise Σ p_i x_i  subject to  Σ x_i = F (F = share × Σ load_i),  0 ≤ x_i ≤ peak − fixed_i,
    where fixed_i = (1 − share) × load_i. One equality constraint and box bounds: filling the slots in order of
    increasing price up to their bound is optimal (the LP's dual: a single price threshold), so the solution
    is exact, not a heuristic."""
    if len(load) != len(prices):
        raise ValueError("one price per slot")
    share = min(max(flexible_share, 0.0), 1.0)
    peak = max(load, default=0.0)
    fixed = [(1 - share) * v for v in load]
    remaining = share * sum(load)
    after = list(fixed)
    for index in sorted(range(len(load)), key=lambda i: (prices[i], i)):
        if remaining <= 0:
            break
        room = max(peak - fixed[index], 0.0)
        put = min(room, remaining)
        after[index] += put
        remaining -= put
    cost_before = sum(p * v for p, v in zip(prices, load, strict=True))
    cost_after = sum(p * v for p, v in zip(prices, after, strict=True))
    moved = sum(max(a - b, 0.0) for a, b in zip(after, load, strict=True))
    return Shift(list(load), after, cost_before, cost_after, moved)
