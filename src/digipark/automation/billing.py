"""Tenant electricity bills from sub-meter registers, free of the database (the hand-computed tests call these).

- **Consumption** of a meter is the difference of its register between consecutive samples, times its multiplier
  (CT ratio). A meter replaced in the month (`Replacement`: when, the old register's final reading, the new
  register's first) counts the old meter up to its final reading and the new one from its first: the interval
  across the replacement is (old final − previous sample) + (next sample − new initial).
- **Time of use**: an interval's energy is spread evenly over its minutes and each minute goes to the band of
  the tariff's period it falls in (periods may cross midnight: 22:00–06:00 valley); the price of each band is
  the tariff's (data with its source, `energy_tariff`).
- **Shared areas** (corridors, lifts, lighting of common parts, measured by a shared meter): its cost is
  apportioned to the enterprises by floor area (`area`: share = area_i / Σ area) or by their own metered
  consumption (`consumption`: share = kWh_i / Σ kWh). Amounts are rounded to the fen at the end of each line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from digipark.energy.provides import minute_bands

DAY_MIN = 1440
METHODS = ("area", "consumption")


@dataclasses.dataclass(frozen=True)
class Replacement:
    at_ms: int
    old_final: float
    new_initial: float


@dataclasses.dataclass(frozen=True)
class MeterLine:
    meter_id: int
    name: str
    start_reading: float | None
    end_reading: float | None
    replacement: Replacement | None
    kwh: dict[str, float]
    amount: dict[str, float]

    @property
    def total_kwh(self) -> float:
        return sum(self.kwh.values())

    @property
    def total_amount(self) -> float:
        return round(sum(self.amount.values()), 2)


def intervals(
    samples: Sequence[tuple[int, float]], replacement: Replacement | None = None, multiplier: float = 1.0
) -> list[tuple[int, int, float]]:
    """(start ms, end ms, kWh) between consecutive register samples (sorted by time), across a replacement."""
    out = []
    ordered = sorted(samples)
    for (t0, r0), (t1, r1) in itertools.pairwise(ordered):
        if replacement is not None and t0 < replacement.at_ms <= t1:
            energy = (replacement.old_final - r0) + (r1 - replacement.new_initial)
        else:
            energy = r1 - r0
        out.append((t0, t1, energy * multiplier))
    return out


def band_split(
    parts: Sequence[tuple[int, int, float]], periods: Sequence[Mapping[str, Any]], zone: ZoneInfo
) -> dict[str, float]:
    """kWh per band: each interval's energy spread evenly over its minutes. Vectorised (numpy) with the minutes of
    each band counted from prefix sums over two days; an interval over a day long, or a month whose offset from UTC
    changes, is spread minute by minute."""
    if not parts:
        return dict.fromkeys(sorted(_prefixes(periods)[1]), 0.0)
    starts = np.array([p[0] for p in parts], dtype=np.int64)
    ends = np.array([p[1] for p in parts], dtype=np.int64)
    energy = np.array([p[2] for p in parts], dtype=np.float64)
    return split_arrays(starts, ends, energy, periods, zone)


def split_arrays(
    starts: Any, ends: Any, energy: Any, periods: Sequence[Mapping[str, Any]], zone: ZoneInfo
) -> dict[str, float]:
    """`band_split` of intervals given as numpy arrays (start ms, end ms, kWh)."""
    bands, prefixes = _prefixes(periods)
    names = sorted(prefixes)
    kwh = dict.fromkeys(names, 0.0)
    if len(starts) == 0:
        return kwh
    minutes = np.maximum((ends - starts) // 60_000, 1)
    offsets = {_offset_min(int(starts.min()), zone), _offset_min(int(starts.max()), zone)}
    if len(offsets) != 1 or int(minutes.max()) > DAY_MIN:
        parts = list(zip(starts.tolist(), ends.tolist(), energy.tolist(), strict=True))
        return _band_split_slow(parts, bands, kwh, zone)
    first = ((starts // 60_000) + offsets.pop()) % DAY_MIN
    for name in names:
        prefix = prefixes[name]
        inside = prefix[first + minutes] - prefix[first]
        kwh[name] = float(np.sum(energy * inside / minutes))
    return kwh


_PREFIXES: dict[str, tuple[list[str], dict[str, Any]]] = {}


def _prefixes(periods: Sequence[Mapping[str, Any]]) -> tuple[list[str], dict[str, Any]]:
    """The band of every minute of the day and, per band, the count of its minutes before each minute of two
    days (cached by the periods)."""
    key = repr([(p["start"], p["end"], p["band"]) for p in periods])
    found = _PREFIXES.get(key)
    if found is None:
        bands = minute_bands(periods)
        prefixes = {
            name: np.concatenate(([0], np.cumsum(np.array([b == name for b in bands] * 2, dtype=np.int64))))
            for name in set(bands)
        }
        found = _PREFIXES[key] = (bands, prefixes)
    return found


def _offset_min(ms: int, zone: ZoneInfo) -> int:
    offset = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).astimezone(zone).utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 60)


def _band_split_slow(
    parts: Sequence[tuple[int, int, float]], bands: Sequence[str], kwh: dict[str, float], zone: ZoneInfo
) -> dict[str, float]:
    for start, end, energy in parts:
        minutes = max((end - start) // 60_000, 1)
        if not energy:
            continue
        local = dt.datetime.fromtimestamp(start / 1000, dt.UTC).astimezone(zone)
        first = local.hour * 60 + local.minute
        share = energy / minutes
        for offset in range(minutes):
            kwh[bands[(first + offset) % DAY_MIN]] += share
    return kwh


def meter_line(
    meter_id: int,
    name: str,
    samples: Sequence[tuple[int, float]] | np.ndarray[Any, Any],
    periods: Sequence[Mapping[str, Any]],
    prices: Mapping[str, float],
    zone: ZoneInfo,
    *,
    replacement: Replacement | None = None,
    multiplier: float = 1.0,
) -> MeterLine:
    """A meter's line of a bill from its register samples: (ms, reading) pairs, or an array of them (n × 2) in
    time order."""
    table = samples if isinstance(samples, np.ndarray) else np.array(sorted(samples), dtype=np.float64).reshape(-1, 2)
    if replacement is None and len(table) > 1:
        times = table[:, 0].astype(np.int64)
        kwh = split_arrays(times[:-1], times[1:], np.diff(table[:, 1]) * multiplier, periods, zone)
    else:
        ordered = [(int(t), float(v)) for t, v in table]
        kwh = band_split(intervals(ordered, replacement, multiplier), periods, zone)
    amount = {band: round(value * float(prices.get(band, 0.0)), 2) for band, value in kwh.items()}
    return MeterLine(
        meter_id,
        name,
        float(table[0, 1]) if len(table) else None,
        float(table[-1, 1]) if len(table) else None,
        replacement,
        kwh,
        amount,
    )


def shares(method: str, weights: Mapping[int, float]) -> dict[int, float]:
    """Each enterprise's share of the shared areas (by area or by consumption; the weights given accordingly)."""
    if method not in METHODS:
        raise ValueError(f"method: one of {', '.join(METHODS)}")
    total = sum(max(w, 0.0) for w in weights.values())
    if total <= 0:
        return dict.fromkeys(weights, 0.0)
    return {key: max(w, 0.0) / total for key, w in weights.items()}


@dataclasses.dataclass(frozen=True)
class Bill:
    enterprise_id: int
    month: dt.date
    lines: tuple[MeterLine, ...]
    shared_share: float
    shared_kwh: float
    shared_amount: float

    @property
    def metered_kwh(self) -> float:
        return sum(line.total_kwh for line in self.lines)

    @property
    def metered_amount(self) -> float:
        return round(sum(line.total_amount for line in self.lines), 2)

    @property
    def total_amount(self) -> float:
        return round(self.metered_amount + self.shared_amount, 2)


def bills(
    month: dt.date,
    lines_by_enterprise: Mapping[int, Sequence[MeterLine]],
    shared: MeterLine | None,
    method: str,
    areas: Mapping[int, float],
) -> list[Bill]:
    """The month's bills: each enterprise's meter lines and its share of the shared meter's kWh and cost."""
    if method == "area":
        weights = {e: float(areas.get(e) or 0.0) for e in lines_by_enterprise}
    else:
        weights = {e: sum(line.total_kwh for line in lines) for e, lines in lines_by_enterprise.items()}
    split = shares(method, weights)
    shared_kwh = shared.total_kwh if shared else 0.0
    shared_cost = sum(shared.amount.values()) if shared else 0.0
    return [
        Bill(
            enterprise,
            month,
            tuple(lines),
            split[enterprise],
            shared_kwh * split[enterprise],
            round(shared_cost * split[enterprise], 2),
        )
        for enterprise, lines in sorted(lines_by_enterprise.items())
    ]
