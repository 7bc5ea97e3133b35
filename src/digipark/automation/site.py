"""The demo park's PV, storage and EV charging over a year (free of the database): hourly PV generation, the
building's load, the battery dispatched each day by the LP of automation/storage.py against the park's
time-of-use prices, and charging sessions with their energy and fees.

The site's equipment and the generator's parameters are data (automation/data/site.yaml, with its source); the
year is synthetic and deterministic from the seed. The pages compute from the stored readings of the park's PV
inverters, batteries and piles (automation/site_records.py) and use this year only for a park without them; the
demo park's devices report this year (sim/telemetry_site.py), hour by hour (`Hours`).

- generation: kWp × performance ratio × the month's peak-sun hours × a daily weather factor, shaped over the day
  by a half-sine from 06:00 to 18:00;
- self-consumption: the PV energy used on site (by the load or charging the battery); the rest is spilled/exported
  unpaid;
- storage: the state of charge at the end of each day and the equivalent full cycles (discharged kWh ÷ capacity);
- charging: sessions per pile with start, energy and fee = energy × (the electricity price at the start hour +
  the service fee)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

from digipark.automation import storage


@cache
def site_data() -> dict[str, Any]:
    text = resources.files("digipark.automation").joinpath("data/site.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def battery() -> storage.Battery:
    b = site_data()["battery"]
    return storage.Battery(
        float(b["capacity_kwh"]),
        float(b["power_kw"]),
        float(b["charge_efficiency"]),
        float(b["discharge_efficiency"]),
        float(b["min_soc"]),
        float(b["max_soc"]),
    )


def pv_day(day: dt.date, weather: float) -> list[float]:
    """Hourly PV output (kW, mean of each hour) of a day."""
    pv = site_data()["pv"]
    energy = float(pv["kwp"]) * float(pv["performance_ratio"]) * float(pv["peak_sun_hours"][day.month - 1]) * weather
    shape = [max(math.sin(math.pi * (h + 0.5 - 6) / 12), 0.0) if 6 <= h < 18 else 0.0 for h in range(24)]
    total = sum(shape)
    return [energy * v / total for v in shape]


def load_day(day: dt.date, working: bool) -> list[float]:
    load = site_data()["load"]
    base, busy = float(load["base_kw"]), float(load["working_kw"])
    profile = [busy if 8 <= h < 18 else base for h in range(24)]
    return profile if working else [v * float(load["weekend_share"]) for v in profile]


@dataclasses.dataclass(frozen=True)
class Day:
    day: dt.date
    pv_kwh: float
    self_kwh: float
    load_kwh: float
    charged_kwh: float
    discharged_kwh: float
    soc_end_kwh: float
    cycles: float
    saving_yuan: float


@dataclasses.dataclass(frozen=True)
class Session:
    pile: str
    start: dt.datetime  # local time
    kwh: float
    energy_fee: float
    service_fee: float

    @property
    def fee(self) -> float:
        return round(self.energy_fee + self.service_fee, 2)


@dataclasses.dataclass(frozen=True)
class Hours:
    """The year hour by hour (local hours from 1 January 00:00): mean kW of each hour, the state of charge at its
    end — what the demo's inverter, battery and piles report (sim/telemetry_site.py)."""

    pv_kw: list[float] = dataclasses.field(default_factory=list)
    export_kw: list[float] = dataclasses.field(default_factory=list)
    charge_kw: list[float] = dataclasses.field(default_factory=list)
    discharge_kw: list[float] = dataclasses.field(default_factory=list)
    soc_kwh: list[float] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class SiteYear:
    year: int
    days: list[Day]
    sessions: list[Session]
    hours: Hours = dataclasses.field(default_factory=Hours)

    def monthly(self) -> list[dict[str, float]]:
        months = [
            {"pv_kwh": 0.0, "self_kwh": 0.0, "discharged_kwh": 0.0, "cycles": 0.0, "saving_yuan": 0.0}
            for _ in range(12)
        ]
        for d in self.days:
            m = months[d.day.month - 1]
            m["pv_kwh"] += d.pv_kwh
            m["self_kwh"] += d.self_kwh
            m["discharged_kwh"] += d.discharged_kwh
            m["cycles"] += d.cycles
            m["saving_yuan"] += d.saving_yuan
        for m in months:
            m["charging_kwh"] = 0.0
            m["charging_fee"] = 0.0
            m["sessions"] = 0.0
        for s in self.sessions:
            m = months[s.start.month - 1]
            m["charging_kwh"] += s.kwh
            m["charging_fee"] += s.fee
            m["sessions"] += 1
        return months


def _sessions(day: dt.date, working: bool, prices: Sequence[float], rng: random.Random) -> list[Session]:
    data = site_data()["charging"]
    fee = float(data["service_fee_yuan_per_kwh"])
    out = []
    for pile in data["piles"]:
        dc = pile["kind"] == "dc"
        count = rng.randint(2, 5) if working else rng.randint(0, 2)
        if dc:
            count += 1
        hour = 7
        for _ in range(count):
            hour += rng.randint(1, 4)
            if hour > 21:
                break
            kwh = round(rng.uniform(20, 50) if dc else rng.uniform(8, 30), 2)
            start = dt.datetime.combine(day, dt.time(hour, rng.randrange(60)))
            out.append(Session(pile["code"], start, kwh, round(kwh * prices[hour], 2), round(kwh * fee, 2)))
            hour += math.ceil(kwh / float(pile["power_kw"]))
    return out


def site_year(
    year: int, prices: Sequence[float], working_days: Sequence[dt.date] | None = None, *, seed: int = 20260101
) -> SiteYear:
    """The site's year with hourly `prices` (24, yuan/kWh) of the park's tariff; working days by the calendar
    given (else Monday to Friday). Days after today are not simulated."""
    if len(prices) != 24:
        raise ValueError("24 hourly prices")
    rng = random.Random(f"{seed}:site:{year}")
    working = set(working_days) if working_days is not None else None
    unit = battery()
    soc = unit.min_soc * unit.capacity_kwh
    days: list[Day] = []
    sessions: list[Session] = []
    hours = Hours()
    day = dt.date(year, 1, 1)
    while day.year == year:
        works = day in working if working is not None else day.weekday() < 5
        weather = min(max(rng.gauss(0.95, 0.3), 0.15), 1.25)
        pv, load = pv_day(day, weather), load_day(day, works)
        plan = storage.dispatch(prices, load, unit, pv_kw=pv, initial_soc_kwh=soc)
        used = sum(min(p, ld + c) for p, ld, c in zip(pv, load, plan.charge_kw, strict=True))
        soc = plan.soc_kwh[-1]
        hours.pv_kw.extend(pv)
        hours.export_kw.extend(p - min(p, ld + c) for p, ld, c in zip(pv, load, plan.charge_kw, strict=True))
        hours.charge_kw.extend(plan.charge_kw)
        hours.discharge_kw.extend(plan.discharge_kw)
        hours.soc_kwh.extend(plan.soc_kwh)
        without_pv = sum(p * v for p, v in zip(prices, load, strict=True))
        days.append(
            Day(
                day,
                sum(pv),
                min(used, sum(pv)),
                sum(load),
                sum(plan.charge_kw),
                sum(plan.discharge_kw),
                soc,
                plan.cycles,
                without_pv - plan.cost_after,
            )
        )
        sessions.extend(_sessions(day, works, prices, rng))
        day += dt.timedelta(days=1)
    return SiteYear(year, days, sessions, hours)
