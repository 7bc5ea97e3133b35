"""The demo park's PV inverter, battery and EV charging piles in the telemetry model: their readings are the year
of automation/site.py's generator (the same hourly PV, battery dispatch and charging sessions), so the platform's
records of them are that year.

The generator runs once per year (about a second: one LP per day) against the default time-of-use tariff
(energy/data/tariffs.yaml, the demo park's) with Monday to Friday as working days; every reading is then a
lookup: a register is the running sum up to the hour plus the share of the hour, the state of charge is
interpolated within the hour, a pile's register rises at its power from a session's start until its energy is
delivered. Registers count from 1 January of `EPOCH_YEAR` (the site's commissioning); before it they read 0."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import itertools
from functools import cache

from digipark.automation import site
from digipark.energy.factors import default_tariff
from digipark.energy.tariffs import slot_prices

HOUR_MS = 3_600_000
EPOCH_YEAR = 2025
SITE_KINDS = frozenset({"pv_inverter", "battery_storage", "ev_charger"})
SEED = 20260101  # site.site_year's default seed


def prices() -> list[float]:
    tariff = default_tariff()
    return slot_prices(tariff["periods"], tariff["prices"], 24)


@dataclasses.dataclass(frozen=True)
class _Year:
    start_ms: int  # local 1 January 00:00 as epoch ms of the model's clock (UTC + offset removed)
    hours: int
    pv: list[float]  # running sums at each hour's start (len hours + 1), offset by the earlier years
    export: list[float]
    charge: list[float]
    discharge: list[float]
    soc_start: float
    made: site.SiteYear
    piles: dict[str, _Pile]


@dataclasses.dataclass(frozen=True)
class _Pile:
    base: float  # the register at the year's start
    starts: list[int]  # each session's start and end (ms), the register at its start, its energy
    ends: list[int]
    before: list[float]
    kwh: list[float]

    @property
    def end(self) -> float:
        return self.base + sum(self.kwh)


def _running(rates: list[float], base: float) -> list[float]:
    """The running sums at each hour's start (one more than `rates`; kW over an hour is kWh)."""
    return list(itertools.accumulate(rates, initial=base))


@cache
def _year(year: int, offset_ms: int) -> _Year:
    made = site.site_year(year, prices(), seed=SEED)
    before = _year(year - 1, offset_ms) if year > EPOCH_YEAR else None
    start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp() * 1000) - offset_ms
    h = made.hours
    piles: dict[str, _Pile] = {}
    power = {str(p["code"]): float(p["power_kw"]) for p in site.site_data()["charging"]["piles"]}
    for code, kw in power.items():
        own = sorted((s for s in made.sessions if s.pile == code), key=lambda s: s.start)
        base = before.piles[code].end if before else 0.0
        starts = [int(s.start.replace(tzinfo=dt.UTC).timestamp() * 1000) - offset_ms for s in own]
        kwh = [s.kwh for s in own]
        ends = [t + int(e / kw * HOUR_MS) for t, e in zip(starts, kwh, strict=True)]
        piles[code] = _Pile(base, starts, ends, list(itertools.accumulate(kwh[:-1], initial=base)) if kwh else [], kwh)

    def last(values: list[float] | None) -> float:
        return values[-1] if values else 0.0

    unit = site.battery()
    return _Year(
        start,
        len(h.pv_kw),
        _running([0.0, *h.pv_kw], last(before.pv if before else None)),
        _running([0.0, *h.export_kw], last(before.export if before else None)),
        _running([0.0, *h.charge_kw], last(before.charge if before else None)),
        _running([0.0, *h.discharge_kw], last(before.discharge if before else None)),
        before.made.hours.soc_kwh[-1] if before else unit.min_soc * unit.capacity_kwh,
        made,
        piles,
    )


def _register(sums: list[float], rates: list[float], i: int, share: float) -> float:
    return sums[i] + rates[i] * share


def value(code: str, kind: str, key: str, t_ms: int, offset_ms: int) -> float:
    """The reading of point `key` of the site device `code` (a pile's code ends with its site.yaml code) at t."""
    year = dt.datetime.fromtimestamp((t_ms + offset_ms) / 1000, dt.UTC).year
    if year < EPOCH_YEAR:
        return 0.0
    y = _year(year, offset_ms)
    i = min(max((t_ms - y.start_ms) // HOUR_MS, 0), y.hours - 1)
    share = min(max((t_ms - y.start_ms - i * HOUR_MS) / HOUR_MS, 0.0), 1.0)
    h = y.made.hours
    if kind == "pv_inverter":
        if key == "pv_power_kw":
            return round(h.pv_kw[i], 3)
        sums, rates = (y.export, h.export_kw) if key == "export_kwh" else (y.pv, h.pv_kw)
        return round(_register(sums, rates, i, share), 3)
    if kind == "battery_storage":
        if key == "soc_pct":
            begin = h.soc_kwh[i - 1] if i else y.soc_start
            soc = begin + (h.soc_kwh[i] - begin) * share
            return round(100.0 * soc / site.battery().capacity_kwh, 3)
        sums, rates = (y.discharge, h.discharge_kw) if key == "discharge_kwh" else (y.charge, h.charge_kw)
        return round(_register(sums, rates, i, share), 3)
    pile = next((p for p in y.piles if code.endswith(p)), None)
    if pile is None:
        return 0.0
    found = y.piles[pile]
    n = bisect.bisect_right(found.starts, t_ms) - 1
    if n < 0:
        return round(found.base, 3)
    done = min(max((t_ms - found.starts[n]) / max(found.ends[n] - found.starts[n], 1), 0.0), 1.0)
    return round(found.before[n] + found.kwh[n] * done, 3)
