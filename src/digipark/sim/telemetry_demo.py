"""Live telemetry and history for the demo park: a simulator publishing over MQTT, and a back-fill.

Every value is a pure function of (point, time): the same seed gives the same reading at the same instant in the
history, the raw back-fill and the live stream, so charts join without a seam and a restarted demo writes nothing
twice. The model (sim/data/telemetry_demo.yaml):

- electric, water, gas and steam consumption follow a daily load shape per profile (2- or 3-shift factory,
  office, residential, ...), lower at weekends, scaled by the enterprise's employees or the building's use;
  electricity rises with cooling and heating demand from a synthetic weather series (seasonal, daily and
  passing-weather waves). A meter's register is the integral of its consumption since a fixed epoch, so it only
  increases; its power / flow point is the derivative, sampled with noise.
- indoor temperature and humidity follow the weather and the building's occupied hours; gas detectors, air
  quality, wastewater, flue gas (with occasional high episodes), vibration and parking sensors have their own
  simple models.
- faults: a device goes silent for a while (offline), a sample spikes, a sensor reads outside its range
  (stored with quality BAD), a sensor drifts slowly and is recalibrated.

`start_demo_telemetry(host=, port=)` starts the live simulator (devices share a few MQTT connections and publish
to their native topic `digipark/v1/{token}/telemetry`, every `live.max_period_s` at most) and, a few seconds
later, the back-fill in background threads. The back-fill writes one year of history (readings every
`history.step_s` kept as rollup_15m rows, inserted in bulk, then `rollups_refresh.refresh_coarser`) for the meters and
a few measured quantities, then the last `history.raw_days` of raw readings of every point through
`store.write_readings`, in short transactions so live ingestion keeps going. `backfill_progress()` tells the
overview page how far it is. A restart skips history that is there and fills only the gap since the last
reading.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import heapq
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from importlib import resources
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson
import yaml
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from digipark.core import progress
from digipark.core.config import get_settings
from digipark.registry.models import Building, Device, DeviceStatus, Enterprise, Park, Point
from digipark.telemetry.models import Quality, Reading, Rollup15m

log = logging.getLogger("digipark.sim.telemetry")

__all__ = [
    "Backfill",
    "BackfillReport",
    "SimDevice",
    "SimModel",
    "backfill_progress",
    "load_devices",
    "run_backfill",
    "start_demo_telemetry",
]

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
M15_MS = 900_000
_MASK52 = (1 << 52) - 1
DEFAULT_SEED = 20_260_601  # the demo park's seed (sim.demo.DEMO_SEED)
TOPIC = "digipark/v1/{token}/telemetry"
BACKFILL = "demo_backfill"  # its name in core.progress
BACKFILL_DELAY_S = 3.0  # the web answers first
# Short transactions, each followed by a pause: SQLite has one writer, and web requests (a login writes its
# session) and live ingestion wait for the lock at most `busy_timeout`; they must get their turn between chunks.
HISTORY_ROWS_PER_CHUNK = 10_000
RAW_ROWS_PER_CHUNK = 2_000
PAUSE_BETWEEN_CHUNKS_S = 0.05
REFRESH_POINTS_PER_CHUNK = 100


@cache
def spec() -> dict[str, Any]:
    raw = yaml.safe_load(
        resources.files("digipark.sim").joinpath("data").joinpath("telemetry_demo.yaml").read_text("utf-8")
    )
    if not isinstance(raw, dict):
        raise RuntimeError("malformed demo data: telemetry_demo.yaml")
    return raw


# ----------------------------------------------------------------------------------------------------------
# deterministic noise


def _unit(*parts: int) -> float:
    """A number in [0, 1) fixed by the parts (integer tuple hashes are the same in every run; hashing twice
    decorrelates neighbouring inputs)."""
    return (hash((hash(parts), 1)) & _MASK52) / 4503599627370496.0


def _signed(*parts: int) -> float:
    """A number in [-1, 1) fixed by the parts."""
    return _unit(*parts) * 2.0 - 1.0


def _stable(text_value: str) -> int:
    return int.from_bytes(hashlib.blake2b(text_value.encode(), digest_size=8).digest(), "big")


def _between(bounds: Sequence[float], u: float) -> float:
    low, high = float(bounds[0]), float(bounds[1])
    return low + (high - low) * u


# ----------------------------------------------------------------------------------------------------------
# weather and load shapes


class Weather:
    """A deterministic synthetic outdoor temperature and humidity series (local time)."""

    def __init__(self, seed: int, offset_ms: int) -> None:
        w = spec()["weather"]
        self.offset_ms = offset_ms
        self.mean = float(w["annual_mean_c"])
        self.seasonal = float(w["seasonal_amplitude_c"])
        self.warmest_day = float(w["warmest_day_of_year"])
        self.daily = float(w["daily_amplitude_c"])
        self.warmest_hour = float(w["warmest_hour"])
        self.synoptic = float(w["synoptic_amplitude_c"])
        self.periods = [float(p) for p in w["synoptic_periods_days"]]
        self.phases = [_unit(seed, 101, i) * 2 * math.pi for i in range(len(self.periods))]
        self.humidity_mean = float(w["humidity_mean_pct"])
        self.humidity_daily = float(w["humidity_daily_amplitude_pct"])
        self._day_means: dict[int, float] = {}

    def _slow(self, days: float) -> float:
        """Seasonal and passing-weather part at `days` (local days since 1970)."""
        doy = days % 365.2425
        season = self.mean + self.seasonal * math.cos(2 * math.pi * (doy - self.warmest_day) / 365.2425)
        waves = sum(math.sin(2 * math.pi * days / p + ph) for p, ph in zip(self.periods, self.phases, strict=True))
        return season + self.synoptic * waves / math.sqrt(len(self.periods))

    def temperature(self, t_ms: int) -> float:
        days = (t_ms + self.offset_ms) / DAY_MS
        hour = (days % 1.0) * 24
        return self._slow(days) + self.daily * math.cos(2 * math.pi * (hour - self.warmest_hour) / 24)

    def day_mean(self, day: int) -> float:
        found = self._day_means.get(day)
        if found is None:
            found = self._day_means[day] = self._slow(day + 0.5)
        return found

    def humidity(self, t_ms: int) -> float:
        days = (t_ms + self.offset_ms) / DAY_MS
        hour = (days % 1.0) * 24
        wet = -0.8 * (self._slow(days) - self.mean)  # warmer spells are drier here, cooler ones wetter
        value = self.humidity_mean + wet - self.humidity_daily * math.cos(2 * math.pi * (hour - self.warmest_hour) / 24)
        return min(98.0, max(25.0, value))


@dataclasses.dataclass(frozen=True)
class Shape:
    """A daily load shape: hourly values interpolated linearly (cyclic), with its running integral."""

    values: tuple[float, ...]
    cumulative: tuple[float, ...]  # integral from 0 h to h h, in hours of peak load, h = 0..24
    mean: float

    @classmethod
    def of(cls, hourly: Sequence[float]) -> Shape:
        values = tuple(float(v) for v in hourly)
        if len(values) != 24:
            raise RuntimeError("a load shape has 24 hourly values")
        cumulative = [0.0]
        for h in range(24):
            cumulative.append(cumulative[-1] + (values[h] + values[(h + 1) % 24]) / 2)
        return cls(values, tuple(cumulative), cumulative[-1] / 24)

    def at(self, hour: float) -> float:
        h = int(hour)
        f = hour - h
        return self.values[h % 24] * (1 - f) + self.values[(h + 1) % 24] * f

    def integral(self, hour: float) -> float:
        h = int(hour)
        f = hour - h
        a, b = self.values[h % 24], self.values[(h + 1) % 24]
        return self.cumulative[h] + a * f + (b - a) * f * f / 2


@cache
def _profiles() -> dict[str, tuple[Shape, Shape]]:
    return {str(name): (Shape.of(raw["weekday"]), Shape.of(raw["weekend"])) for name, raw in spec()["profiles"].items()}


# ----------------------------------------------------------------------------------------------------------
# the devices and points of a park, as the simulator sees them


@dataclasses.dataclass(frozen=True)
class SimPoint:
    point_id: int
    key: str
    quantity: str
    state_class: str
    interval_s: int
    valid_min: float | None
    valid_max: float | None
    seed: int

    @property
    def cumulative(self) -> bool:
        return self.state_class == "total_increasing"

    def quality(self, value: float) -> int:
        if (self.valid_min is not None and value < self.valid_min) or (
            self.valid_max is not None and value > self.valid_max
        ):
            return int(Quality.BAD)
        return int(Quality.GOOD)


@dataclasses.dataclass(frozen=True)
class SimDevice:
    device_id: int
    code: str
    token: str
    kind: str
    profile: str
    size: float  # peak consumption of its main meter (kW, m³/h, t/h), by enterprise size or building use
    installed_ms: int | None
    seed: int
    points: tuple[SimPoint, ...]

    @property
    def period_s(self) -> float:
        shortest = min((p.interval_s for p in self.points), default=60)
        return float(min(shortest, int(spec()["live"]["max_period_s"])))


def _profile_for(enterprise: Enterprise | None, building_use: str | None) -> str:
    s = spec()
    if enterprise is not None:
        division = (enterprise.industry_code or "")[:2]
        by_division = {str(k): str(v) for k, v in s["profile_by_division"].items()}
        if division in by_division:
            return by_division[division]
        return str(s["industrial_profile"]) if enterprise.industrial else str(s["default_profile"])
    uses = {str(k): str(v) for k, v in s["profile_by_building_use"].items()}
    return uses.get(building_use or "", str(s["default_profile"]))


def _size(kind: str, profile: str, enterprise: Enterprise | None, building_use: str | None, seed: int) -> float:
    s = spec()
    employees = float(enterprise.employees or 20) if enterprise is not None else None
    u = _unit(seed, 1)
    if kind == "electricity_meter":
        if employees is not None:
            return max(15.0, employees * float(s["electricity"]["kw_per_employee"][profile]) * (0.7 + 0.6 * u))
        ranges = s["electricity"]["park_peak_kw"]
        return _between(ranges.get(building_use or "none", ranges["none"]), u)
    if kind in ("water_meter", "wastewater_monitor"):
        if employees is not None:
            return max(0.5, employees * float(s["water"]["m3h_per_employee"]) * (0.6 + 0.8 * u))
        return _between(s["water"]["peak_m3h"], u)
    if kind == "gas_meter":
        if employees is not None:
            return max(2.0, employees * float(s["gas"]["m3h_per_employee"]) * (0.6 + 0.8 * u))
        return _between(s["gas"]["peak_m3h"], u)
    if kind == "steam_meter":
        return _between(s["steam"]["peak_th"], u)
    if kind == "flue_gas_monitor":
        gas = s["flue_gas"]
        low, high = (float(v) for v in gas["peak_m3h"])
        if employees is not None:
            return min(high, max(low, employees * float(gas["m3h_per_employee"]) * (0.6 + 0.8 * u)))
        return _between(gas["peak_m3h"], u)
    return 1.0


def load_devices(session: Session, *, park_id: int, seed: int = DEFAULT_SEED) -> list[SimDevice]:
    """The active devices of a park with their points, in id order (system-level read, no scope)."""
    tz = ZoneInfo(get_settings().timezone)
    rows = session.execute(
        select(Device, Enterprise, Building.use)
        .outerjoin(Enterprise, Enterprise.id == Device.enterprise_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Device.park_id == park_id, Device.status == DeviceStatus.ACTIVE.value)
        .order_by(Device.id)
    ).all()
    points_by_device: dict[int, list[Point]] = {}
    for point in session.scalars(select(Point).where(Point.park_id == park_id).order_by(Point.id)):
        points_by_device.setdefault(point.device_id, []).append(point)
    devices: list[SimDevice] = []
    for device, enterprise, building_use in rows:
        device_seed = _stable(f"{seed}:{device.code}")
        profile = _profile_for(enterprise, building_use)
        installed = None
        if device.installed_on is not None:
            local = dt.datetime.combine(device.installed_on, dt.time(), tzinfo=tz)
            installed = int(local.timestamp() * 1000)
        points = tuple(
            SimPoint(
                point_id=p.id,
                key=p.key,
                quantity=p.quantity,
                state_class=p.state_class,
                interval_s=max(1, int(p.expected_interval_s)),
                valid_min=p.valid_min,
                valid_max=p.valid_max,
                seed=_stable(f"{seed}:{device.code}:{p.key}"),
            )
            for p in points_by_device.get(device.id, [])
        )
        if not points:
            continue
        devices.append(
            SimDevice(
                device_id=device.id,
                code=device.code,
                token=device.token,
                kind=device.kind,
                profile=profile,
                size=_size(device.kind, profile, enterprise, building_use, device_seed),
                installed_ms=installed,
                seed=device_seed,
                points=points,
            )
        )
    return devices


# ----------------------------------------------------------------------------------------------------------
# the model: value of a point at a time


_CONSUMPTION = {"electric_energy", "water_volume", "gas_volume", "steam_mass"}
_FLUE = ("so2_mgm3", "nox_mgm3", "pm_mgm3", "o2_pct")  # flue gas monitor points modelled from spec()["flue_gas"]


class SimModel:
    """Values of the simulated points; one instance per thread (it caches running sums)."""

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        s = spec()
        tz = ZoneInfo(get_settings().timezone)
        offset = dt.datetime.now(tz).utcoffset()
        self.offset_ms = int(offset.total_seconds() * 1000) if offset is not None else 0
        self.seed = seed
        self.weather = Weather(seed, self.offset_ms)
        epoch = dt.datetime.combine(dt.date.fromisoformat(str(s["history"]["register_epoch"])), dt.time(), tzinfo=tz)
        self.epoch_day = self.local_day(int(epoch.timestamp() * 1000))
        e = s["electricity"]
        self.cooling_per_c, self.cooling_above = float(e["cooling_per_c"]), float(e["cooling_above_c"])
        self.heating_per_c, self.heating_below = float(e["heating_per_c"]), float(e["heating_below_c"])
        self.day_noise, self.sample_noise = float(e["day_noise"]), float(e["sample_noise"])
        f = s["faults"]
        self.offline_window = int(float(f["offline"]["window_h"]) * HOUR_MS)
        self.offline_share = float(f["offline"]["share"])
        self.offline_minutes = [float(v) for v in f["offline"]["minutes"]]
        self.spike_share = float(f["spike"]["share"])
        self.spike_factor = [float(v) for v in f["spike"]["factor"]]
        self.spike_quantities = frozenset(str(q) for q in f["spike"]["quantities"])
        self.bad_share = float(f["bad_value"]["share"])
        self.bad_quantities = frozenset(str(q) for q in f["bad_value"]["quantities"])
        self.drift_cycle = int(float(f["drift"]["cycle_days"]) * DAY_MS)
        self.drift_share = float(f["drift"]["share"])
        self.drift_days = [float(v) for v in f["drift"]["days"]]
        self.drift_per_day = {str(k): float(v) for k, v in f["drift"]["per_day"].items()}
        self.register_start = {str(k): [float(x) for x in v] for k, v in s["register_start"].items()}
        self._running: dict[tuple[int, str], list[float]] = {}  # (device, meter) -> total at the start of day i
        self._days: dict[tuple[int, str, int], float] = {}  # (device, meter, day) -> consumption of that day
        self._outages: dict[tuple[int, int], tuple[int, int] | None] = {}  # (device, window) -> [start, end)
        self._drifts: dict[tuple[int, int], tuple[int, int, float] | None] = {}  # (point, cycle) -> start, end, rate
        self._registers: dict[int, float] = {}  # point -> register value at the epoch
        self._meter_salt = {m: _stable(m) & 0xFFFF for m in _CONSUMPTION}
        g = s["flue_gas"]
        self.flue = {k: (float(v["base"]), float(v["load"]), float(v["noise"])) for k, v in g.items() if k in _FLUE}
        self.episode_window = int(float(g["episode"]["window_h"]) * HOUR_MS)
        self.episode_share = float(g["episode"]["share"])
        self.episode_hours = [float(v) for v in g["episode"]["hours"]]
        self.episode_factor = [float(v) for v in g["episode"]["factor"]]
        self._episodes: dict[tuple[int, int], tuple[int, int, str, float] | None] = {}  # (device, window) -> episode

    # -- time --------------------------------------------------------------------------------------------
    def local_day(self, t_ms: int) -> int:
        return (t_ms + self.offset_ms) // DAY_MS

    def _shape(self, profile: str, day: int) -> Shape:
        weekday, weekend = _profiles()[profile]
        return weekend if (day + 3) % 7 >= 5 else weekday  # 1970-01-01 was a Thursday

    def load(self, device: SimDevice, t_ms: int) -> float:
        """The device's load share (0..1) at t from its profile's shape."""
        day = self.local_day(t_ms)
        hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
        return self._shape(device.profile, day).at(hour)

    # -- consumption -------------------------------------------------------------------------------------
    def _weather_factor(self, meter: str, day: int) -> float:
        mean = self.weather.day_mean(day)
        if meter == "electric_energy":
            return (
                1.0
                + self.cooling_per_c * max(0.0, mean - self.cooling_above)
                + self.heating_per_c * max(0.0, self.heating_below - mean)
            )
        if meter == "gas_volume":
            return 1.0 + 3 * self.heating_per_c * max(0.0, self.heating_below + 4 - mean)
        return 1.0

    def _day_total(self, device: SimDevice, meter: str, day: int) -> float:
        """Consumption of one local day (units of the meter)."""
        key = (device.device_id, meter, day)
        found = self._days.get(key)
        if found is None:
            shape = self._shape(device.profile, day)
            noise = 1.0 + self.day_noise * _signed(device.seed, self._meter_salt[meter], day)
            found = self._days[key] = device.size * 24 * shape.mean * self._weather_factor(meter, day) * noise
        return found

    def _total_before(self, device: SimDevice, meter: str, day: int) -> float:
        key = (device.device_id, meter)
        running = self._running.get(key)
        if running is None:
            running = self._running[key] = [0.0]
        index = day - self.epoch_day
        if index < 0:
            return 0.0
        while len(running) <= index:
            running.append(running[-1] + self._day_total(device, meter, self.epoch_day + len(running) - 1))
        return running[index]

    def consumed(self, device: SimDevice, meter: str, t_ms: int) -> float:
        """Cumulative consumption since the register epoch: the integral of `rate`."""
        day = self.local_day(t_ms)
        if day < self.epoch_day:
            return 0.0
        hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
        shape = self._shape(device.profile, day)
        today = self._day_total(device, meter, day) * shape.integral(hour) / (24 * shape.mean)
        return self._total_before(device, meter, day) + today

    def rate(self, device: SimDevice, meter: str, t_ms: int) -> float:
        """Consumption per hour at t (kW, m³/h, t/h)."""
        day = self.local_day(t_ms)
        hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
        shape = self._shape(device.profile, day)
        return self._day_total(device, meter, day) * shape.at(hour) / (24 * shape.mean)

    # -- faults ------------------------------------------------------------------------------------------
    def offline(self, device: SimDevice, t_ms: int) -> bool:
        """Whether the device is silent at t (at most one outage per window)."""
        window = t_ms // self.offline_window
        key = (device.device_id, window)
        if key not in self._outages:
            outage = None
            if _unit(device.seed, 3, window) < self.offline_share:
                length = int(_between(self.offline_minutes, _unit(device.seed, 4, window)) * 60_000)
                start = window * self.offline_window + int(
                    _unit(device.seed, 5, window) * (self.offline_window - length)
                )
                outage = (start, start + length)
            self._outages[key] = outage
        found = self._outages[key]
        return found is not None and found[0] <= t_ms < found[1]

    def drift(self, point: SimPoint, t_ms: int) -> float:
        per_day = self.drift_per_day.get(point.quantity)
        if per_day is None:
            return 0.0
        cycle = t_ms // self.drift_cycle
        key = (point.point_id, cycle)
        if key not in self._drifts:
            found = None
            if _unit(point.seed, 6, cycle) < self.drift_share:
                start = cycle * self.drift_cycle + int(_unit(point.seed, 7, cycle) * 15 * DAY_MS)
                end = start + int(_between(self.drift_days, _unit(point.seed, 8, cycle)) * DAY_MS)
                rate = (1.0 if _unit(point.seed, 9, cycle) < 0.7 else -1.0) * per_day / DAY_MS
                found = (start, end, rate)
            self._drifts[key] = found
        drift = self._drifts[key]
        if drift is None or not drift[0] <= t_ms < drift[1]:
            return 0.0
        return drift[2] * (t_ms - drift[0])

    def episode(self, device: SimDevice, t_ms: int) -> tuple[str, float] | None:
        """The flue gas point running high at t and its factor (at most one episode per window), or None."""
        window = t_ms // self.episode_window
        key = (device.device_id, window)
        if key not in self._episodes:
            found = None
            if _unit(device.seed, 20, window) < self.episode_share:
                length = int(_between(self.episode_hours, _unit(device.seed, 21, window)) * HOUR_MS)
                start = window * self.episode_window + int(
                    _unit(device.seed, 22, window) * (self.episode_window - length)
                )
                pollutant = _FLUE[int(_unit(device.seed, 23, window) * 3)]
                found = (
                    start,
                    start + length,
                    pollutant,
                    _between(self.episode_factor, _unit(device.seed, 24, window)),
                )
            self._episodes[key] = found
        episode = self._episodes[key]
        if episode is None or not episode[0] <= t_ms < episode[1]:
            return None
        return episode[2], episode[3]

    def _flue_gas(self, device: SimDevice, point: SimPoint, t_ms: int, n: float) -> float:
        load = self.load(device, t_ms)
        if point.key == "flow_m3h":
            return max(0.0, device.size * load * (1 + 0.05 * n))
        base, per_load, noise = self.flue.get(point.key, (0.0, 0.0, 0.0))
        value = max(0.0, base + per_load * load + noise * n)
        episode = self.episode(device, t_ms)
        if episode is not None and episode[0] == point.key:
            value *= episode[1]
        return value

    def _faulty(self, point: SimPoint, t_ms: int, value: float) -> float:
        second = t_ms // 1000
        if point.quantity in self.spike_quantities and _unit(point.seed, 10, second) < self.spike_share:
            value *= _between(self.spike_factor, _unit(point.seed, 11, second))
        if point.quantity in self.bad_quantities and _unit(point.seed, 12, second) < self.bad_share:
            top = point.valid_max if point.valid_max is not None else value
            value = top + 10 + 50 * _unit(point.seed, 13, second)  # a broken reading above the range
        return value

    # -- values ------------------------------------------------------------------------------------------
    def value(self, device: SimDevice, point: SimPoint, t_ms: int) -> float:
        """The point's reading at t (the device may be offline then: see `offline`)."""
        q = point.quantity
        if q in _CONSUMPTION:
            start = self._registers.get(point.point_id)
            if start is None:
                start = _between(self.register_start.get(q, [0.0, 0.0]), _unit(point.seed, 14))
                self._registers[point.point_id] = start
            return round(start + self.consumed(device, q, t_ms), 3)
        n = _signed(point.seed, 2, t_ms // 1000)  # per-sample noise
        w = self.weather
        if device.kind == "flue_gas_monitor":
            value = self._flue_gas(device, point, t_ms, n)
        elif q == "electric_power":
            value = self.rate(device, "electric_energy", t_ms) * (1 + self.sample_noise * n)
        elif q == "volume_flow_rate":
            value = max(0.0, self.rate(device, "water_volume", t_ms) * (1 + 0.06 * n))
        elif q == "voltage":
            base = _between(spec()["electricity"]["voltage_v"], _unit(point.seed, 15))
            value = base - 4.0 * self.load(device, t_ms) + 0.8 * n
        elif q == "power_factor":
            base = _between(spec()["electricity"]["power_factor"], _unit(point.seed, 15))
            value = min(0.995, base + 0.03 * self.load(device, t_ms) + 0.004 * n)
        elif q == "temperature":
            outdoor = w.temperature(t_ms)
            if device.kind == "vibration_sensor":
                value = 0.5 * outdoor + 14 + 28 * self.load(device, t_ms) + 0.6 * n
            else:
                occupied = self.load(device, t_ms) > 0.5
                if occupied and outdoor > 26:
                    value = 25.0 + 0.12 * (outdoor - 26)
                elif occupied and outdoor < 14:
                    value = 21.0 - 0.08 * (14 - outdoor)
                else:
                    value = 0.55 * outdoor + 0.45 * 22
                value += 0.25 * n
        elif q == "relative_humidity":
            value = 0.55 * w.humidity(t_ms) + 0.45 * 50 + 1.5 * n
        elif q == "combustible_gas":
            value = 0.4 + 0.35 * abs(n) + 0.3 * self.load(device, t_ms)
        elif q == "h2s_concentration":
            value = 0.08 + 0.08 * abs(n)
        elif q == "co_concentration":
            value = 1.2 + 3.0 * self.load(device, t_ms) + 0.6 * n
        elif q in ("pm25", "pm10"):
            days = (t_ms + self.offset_ms) / DAY_MS
            season = 36 + 18 * math.cos(2 * math.pi * ((days % 365.2425) - 15) / 365.2425)
            hour = (days % 1.0) * 24
            rush = 1 + 0.25 * math.exp(-(((hour - 8) / 1.5) ** 2)) + 0.2 * math.exp(-(((hour - 18) / 1.8) ** 2))
            weather = 1 + 0.35 * math.sin(2 * math.pi * days / 4.7 + _unit(self.seed, 17) * 6.28)
            value = max(3.0, season * rush * weather * (1 + 0.08 * n))
            if q == "pm10":
                value *= 1.55 + 0.1 * _unit(point.seed, 16)
        elif q == "co2_concentration":
            hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
            value = (
                425 + 25 * math.exp(-(((hour - 8.5) / 2.0) ** 2)) + 20 * math.exp(-(((hour - 18) / 2.0) ** 2)) + 4 * n
            )
        elif q == "cod_concentration":
            value = 55 + 45 * self.load(device, t_ms) + 6 * n
        elif q == "nh3n_concentration":
            value = 5 + 4 * self.load(device, t_ms) + 0.6 * n
        elif q == "ph":
            hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
            value = 7.2 + 0.15 * math.sin(2 * math.pi * hour / 24 + _unit(point.seed, 18) * 6.28) + 0.04 * n
        elif q == "occupancy":
            hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
            busy = _profiles()["office"][0].at(hour)
            value = 1.0 if _unit(point.seed, 19, t_ms // (20 * 60_000)) < 0.1 + 0.8 * busy else 0.0
        elif q == "vibration_velocity":
            load = self.load(device, t_ms)
            value = 2.0 + 1.6 * load + 0.25 * n if load > 0.5 else 0.3 + 0.08 * abs(n)
        else:  # alarm states and anything new: quiet
            value = 0.0
        value += self.drift(point, t_ms)
        return round(self._faulty(point, t_ms, value), 3)

    def sample(self, device: SimDevice, t_ms: int) -> dict[str, float] | None:
        """All points of a device at t, or None while it is offline."""
        if self.offline(device, t_ms) or (device.installed_ms is not None and t_ms < device.installed_ms):
            return None
        return {p.key: self.value(device, p, t_ms) for p in device.points}


# ----------------------------------------------------------------------------------------------------------
# progress shown on the overview page


def backfill_progress() -> tuple[str, int, int]:
    """(stage, done, total) of this process's back-fill: idle, checking, history, rollups, raw, done, failed."""
    return progress.progress(BACKFILL)


# ----------------------------------------------------------------------------------------------------------
# back-fill


@dataclasses.dataclass
class BackfillReport:
    history_rows: int = 0
    history_points: int = 0
    raw_readings: int = 0
    raw_points: int = 0
    seconds: float = 0.0
    skipped_history: int = 0  # points whose history was already there


@dataclasses.dataclass(frozen=True)
class Backfill:
    """What a back-fill covers: `now_ms` ends it; history days before the raw days."""

    now_ms: int
    days: int = 365
    raw_days: int = 7
    step_s: int = 3600
    raw_step_s: int = 3600
    raw_recent_hours: float = 24.0
    raw_recent_step_s: int = 900
    raw_native_hours: float = 0.25

    @classmethod
    def from_spec(cls, now_ms: int) -> Backfill:
        h = spec()["history"]
        return cls(
            now_ms=now_ms,
            days=int(h["days"]),
            raw_days=int(h["raw_days"]),
            step_s=int(h["step_s"]),
            raw_step_s=int(h["raw_step_s"]),
            raw_recent_hours=float(h["raw_recent_hours"]),
            raw_recent_step_s=int(h["raw_recent_step_s"]),
            raw_native_hours=float(h["raw_native_hours"]),
        )

    @property
    def anchor(self) -> int:
        return self.now_ms // HOUR_MS * HOUR_MS

    @property
    def raw_start(self) -> int:
        return self.anchor - self.raw_days * DAY_MS

    @property
    def history_start(self) -> int:
        return self.anchor - self.days * DAY_MS


def _history_wanted(device: SimDevice, point: SimPoint) -> bool:
    h = spec()["history"]
    return (
        point.state_class in set(h["state_classes"])
        or point.quantity in set(h["quantities"])
        or device.kind in set(h.get("device_kinds", ()))
    )


_ROLLUP_COLUMNS = "point_id, bucket, count, bad_count, min, max, sum, first_ts, first_value, last_ts, last_value, delta"
_HISTORY_TABLES = ("rollup_15m", "rollup_1h", "rollup_1d", "rollup_1mo")


def _insert_rollups(session: Session, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Bulk insert of rollup rows; rows already there (a restart, or buckets the raw days made) are kept."""
    if not rows:
        return
    if table not in _HISTORY_TABLES:
        raise ValueError(table)
    columns = _ROLLUP_COLUMNS
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:  # COPY into a scratch table, then one INSERT ... ON CONFLICT
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS _sim_rollup (LIKE rollup_15m INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
            with cursor.copy(f"COPY _sim_rollup ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _sim_rollup ON CONFLICT DO NOTHING")
            cursor.execute("DELETE FROM _sim_rollup")
        return
    marks = ", ".join("?" * 12)
    connection.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)


class _Bucket:
    """Statistics of the good readings of one point in one bucket, in time order (as telemetry.rollups keeps)."""

    __slots__ = ("bad", "bucket", "count", "delta", "first", "first_ts", "hi", "last", "last_ts", "lo", "total")

    def __init__(self, bucket: int) -> None:
        self.bucket = bucket
        self.count = 0
        self.bad = 0
        self.lo: float | None = None
        self.hi: float | None = None
        self.total: float | None = None
        self.first_ts: int | None = None
        self.first: float | None = None
        self.last_ts: int | None = None
        self.last: float | None = None
        self.delta: float | None = None

    def add(self, ts: int, value: float | None, delta: float | None) -> None:
        if value is None:
            self.bad += 1
            return
        if self.count == 0:
            self.lo = self.hi = self.total = value
            self.first_ts, self.first = ts, value
        else:
            assert self.lo is not None and self.hi is not None and self.total is not None
            self.lo, self.hi, self.total = min(self.lo, value), max(self.hi, value), self.total + value
        self.count += 1
        self.last_ts, self.last = ts, value
        if delta is not None:
            self.delta = delta if self.delta is None else self.delta + delta

    def row(self, point_id: int) -> tuple[Any, ...]:
        delta = None if self.delta is None else round(self.delta, 6)
        return (
            point_id,
            self.bucket,
            self.count,
            self.bad,
            self.lo,
            self.hi,
            self.total,
            self.first_ts,
            self.first,
            self.last_ts,
            self.last,
            delta,
        )


class _Calendar:
    """Local day and month bucket starts (as telemetry.rollups.bucket_start), cached per local day."""

    def __init__(self, offset_ms: int) -> None:
        self.offset_ms = offset_ms
        self._days: dict[int, tuple[int, int]] = {}

    def buckets(self, ts: int) -> tuple[int, int]:
        day = (ts + self.offset_ms) // DAY_MS
        found = self._days.get(day)
        if found is None:
            from digipark.telemetry.models import Resolution
            from digipark.telemetry.rollups import bucket_start

            found = self._days[day] = (bucket_start(Resolution.D1, ts), bucket_start(Resolution.MO1, ts))
        return found


def _history_rows(
    model: SimModel,
    device: SimDevice,
    point: SimPoint,
    start: int,
    end: int,
    step_ms: int,
    calendar: _Calendar,
) -> tuple[list[tuple[Any, ...]], ...]:
    """Rows of rollup_15m, _1h, _1d and _1mo from readings every `step_ms` in [start, end)."""
    out: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
    open_buckets: list[_Bucket | None] = [None, None, None, None]
    previous: float | None = None
    first = -(-start // step_ms) * step_ms
    if device.installed_ms is not None and device.installed_ms > first:
        first = -(-device.installed_ms // step_ms) * step_ms
    pid = point.point_id
    for ts in range(first, end, step_ms):
        if model.offline(device, ts):
            continue
        value: float | None = model.value(device, point, ts)
        assert value is not None
        delta = None
        if point.quality(value) != Quality.GOOD:
            value = None
        elif point.cumulative:
            delta = None if previous is None else max(0.0, value - previous)
            previous = value
        day, month = calendar.buckets(ts)
        starts = (ts - ts % M15_MS, ts - ts % HOUR_MS, day, month)
        for level in range(4):
            current = open_buckets[level]
            if current is None or current.bucket != starts[level]:
                if current is not None:
                    out[level].append(current.row(pid))
                current = open_buckets[level] = _Bucket(starts[level])
            current.add(ts, value, delta)
    for level in range(4):
        current = open_buckets[level]
        if current is not None:
            out[level].append(current.row(pid))
    return out


def _meter_history(
    model: SimModel,
    device: SimDevice,
    point: SimPoint,
    start: int,
    end: int,
    step_ms: int,
    calendar: _Calendar,
) -> tuple[list[tuple[Any, ...]], ...]:
    """`_history_rows` for a cumulative meter read on the hour: the register rises monotonically, so a bucket's
    min and max are its first and last reading; one reading per hour makes the 15-minute and the hourly row
    the same. A few times faster than the general path, which matters for a year of every meter."""
    if step_ms % HOUR_MS or start % HOUR_MS:
        return _history_rows(model, device, point, start, end, step_ms, calendar)
    rows: list[tuple[Any, ...]] = []
    days: list[tuple[Any, ...]] = []
    months: list[tuple[Any, ...]] = []
    pid = point.point_id
    first = start
    if device.installed_ms is not None and device.installed_ms > first:
        first = -(-device.installed_ms // step_ms) * step_ms
    previous: float | None = None
    month_acc: list[Any] | None = None  # [bucket, count, sum, first_ts, first, last_ts, last, delta]
    ts = first
    while ts < end:
        day_bucket, month_bucket = calendar.buckets(ts)
        day_end = min(end, day_bucket + DAY_MS)
        count, total, delta_sum = 0, 0.0, None
        first_ts = first_value = last_ts = last_value = None
        while ts < day_end:
            if not model.offline(device, ts):
                value = model.value(device, point, ts)
                delta = None if previous is None else max(0.0, round(value - previous, 6))
                previous = value
                rows.append((pid, ts, 1, 0, value, value, value, ts, value, ts, value, delta))
                if count == 0:
                    first_ts, first_value = ts, value
                count += 1
                total += value
                last_ts, last_value = ts, value
                if delta is not None:
                    delta_sum = delta if delta_sum is None else delta_sum + delta
            ts += step_ms
        if count:
            day_delta = None if delta_sum is None else round(delta_sum, 6)
            days.append(
                (
                    pid,
                    day_bucket,
                    count,
                    0,
                    first_value,
                    last_value,
                    total,
                    first_ts,
                    first_value,
                    last_ts,
                    last_value,
                    day_delta,
                )
            )
            if month_acc is None or month_acc[0] != month_bucket:
                if month_acc is not None:
                    months.append(_month_row(pid, month_acc))
                month_acc = [month_bucket, 0, 0.0, first_ts, first_value, None, None, None]
            month_acc[1] += count
            month_acc[2] += total
            month_acc[5], month_acc[6] = last_ts, last_value
            if day_delta is not None:
                month_acc[7] = day_delta if month_acc[7] is None else month_acc[7] + day_delta
    if month_acc is not None:
        months.append(_month_row(pid, month_acc))
    return rows, list(rows), days, months


def _month_row(pid: int, acc: list[Any]) -> tuple[Any, ...]:
    bucket, count, total, first_ts, first, last_ts, last, delta = acc
    delta = None if delta is None else round(delta, 6)
    return (pid, bucket, count, 0, first, last, total, first_ts, first, last_ts, last, delta)


def _raw_times(point: SimPoint, start: int, end: int, plan: Backfill) -> Iterator[int]:
    """Reading times of a point in [start, end): at its interval, but at most every raw_step_s, in the last
    raw_recent_hours at most every raw_recent_step_s, and in the last raw_native_hours at its own interval."""
    zones = (
        (end - int(plan.raw_recent_hours * HOUR_MS), max(point.interval_s, plan.raw_step_s) * 1000),
        (end - int(plan.raw_native_hours * HOUR_MS), max(point.interval_s, plan.raw_recent_step_s) * 1000),
        (end, point.interval_s * 1000),
    )
    t = start
    for zone_end, step in zones:
        t = -(-t // step) * step
        while t < min(zone_end, end):
            yield t
            t += step


def _existing_history(session: Session, point_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for i in range(0, len(point_ids), 500):
        chunk = point_ids[i : i + 500]
        rows = session.execute(
            select(Rollup15m.point_id, func.min(Rollup15m.bucket))
            .where(Rollup15m.point_id.in_(chunk))
            .group_by(Rollup15m.point_id)
        )
        found.update({int(pid): int(bucket) for pid, bucket in rows if bucket is not None})
    return found


def _existing_raw(session: Session, point_ids: list[int], start: int, end: int) -> dict[int, tuple[int, int]]:
    """point -> (readings in [start, end), newest of them)."""
    found: dict[int, tuple[int, int]] = {}
    for i in range(0, len(point_ids), 500):
        chunk = point_ids[i : i + 500]
        rows = session.execute(
            select(Reading.point_id, func.count(), func.max(Reading.ts))
            .where(Reading.point_id.in_(chunk), and_(Reading.ts >= start, Reading.ts < end))
            .group_by(Reading.point_id)
        )
        found.update({int(pid): (int(n), int(newest)) for pid, n, newest in rows})
    return found


def run_backfill(
    *,
    park_id: int,
    plan: Backfill,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str, int, int], None] | None = None,
    stop: _Stop | None = None,
    devices: Sequence[SimDevice] | None = None,
) -> BackfillReport:
    """Write the park's raw last days and its history, each chunk in its own transaction. Idempotent.

    Raw readings first (the device pages' last 24 hours fill soonest), through the store, from where each
    point's data stops; then the history of the chosen points as rollup_15m rows for the points that have none,
    then their coarser rollups; then the coarser buckets where history meets the raw days, and an audit entry."""
    from digipark.audit import service as audit
    from digipark.audit.service import Actor
    from digipark.core.db import transaction
    from digipark.telemetry import rollups_refresh, store

    started = time.perf_counter()
    report = BackfillReport()

    def tell(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    tell("checking", 0, 1)
    with transaction(write=True) as session:
        if devices is None:
            devices = load_devices(session, park_id=park_id, seed=seed)
        history_points = [(d, p) for d in devices for p in d.points if _history_wanted(d, p)]
        existing = _existing_history(session, [p.point_id for _, p in history_points])
        all_points = [(d, p) for d in devices for p in d.points]
        raw_existing = _existing_raw(session, [p.point_id for _, p in all_points], plan.raw_start, plan.now_ms)
    model = SimModel(seed)

    # 1. raw readings of the last days through the store
    raw_plan: list[tuple[SimDevice, SimPoint, int]] = []
    expected_total = 0
    for device, point in all_points:
        start = plan.raw_start
        count, newest = raw_existing.get(point.point_id, (0, 0))
        if count and count >= 0.5 * sum(1 for _ in _raw_times(point, plan.raw_start, newest + 1, plan)):
            start = newest + 1  # there already: only the gap since the last run
        raw_plan.append((device, point, start))
        expected_total += sum(1 for _ in _raw_times(point, start, plan.now_ms, plan))
    tell("raw", 0, expected_total)
    rows: list[store.ReadingRow] = []
    done = 0
    raw_points: set[int] = set()

    def write() -> None:
        nonlocal rows, done
        with transaction(write=True) as session:
            store.write_readings(session, rows)
        time.sleep(PAUSE_BETWEEN_CHUNKS_S)
        done += len(rows)
        report.raw_readings += len(rows)
        rows = []
        tell("raw", min(done, expected_total), expected_total)

    for device, point, start in raw_plan:
        if stopped():
            return report
        for ts in _raw_times(point, start, plan.now_ms, plan):
            if model.offline(device, ts) or (device.installed_ms is not None and ts < device.installed_ms):
                continue
            value = model.value(device, point, ts)
            rows.append(store.ReadingRow(point.point_id, ts, value, point.quality(value)))
            raw_points.add(point.point_id)
        if len(rows) >= RAW_ROWS_PER_CHUNK:
            write()
    if rows:
        write()
    report.raw_points = len(raw_points)

    # 2. history as rollup_15m rows, for points that have none yet
    step_ms = plan.step_s * 1000
    history_end = plan.raw_start
    todo: list[tuple[SimDevice, SimPoint, int]] = []
    for device, point in history_points:
        start = max(plan.history_start, device.installed_ms or plan.history_start)
        oldest = existing.get(point.point_id)
        if oldest is not None and oldest <= start + DAY_MS:
            report.skipped_history += 1
            continue
        if start < history_end:
            todo.append((device, point, start))
    total_rows = sum((history_end - start) // step_ms for _, _, start in todo)
    buffers: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
    calendar = _Calendar(model.offset_ms)
    tell("history", 0, total_rows)

    def flush() -> None:
        with transaction(write=True) as session:
            for table, level_rows in zip(_HISTORY_TABLES, buffers, strict=True):
                _insert_rollups(session, table, level_rows)
        time.sleep(PAUSE_BETWEEN_CHUNKS_S)
        report.history_rows += len(buffers[0])
        for level_rows in buffers:
            level_rows.clear()
        tell("history", min(report.history_rows, total_rows), total_rows)

    for device, point, start in todo:
        if stopped():
            return report
        for level_rows, more in zip(
            buffers,
            (_meter_history if point.cumulative else _history_rows)(
                model, device, point, start, history_end, step_ms, calendar
            ),
            strict=True,
        ):
            level_rows.extend(more)
        report.history_points += 1
        if len(buffers[0]) >= HISTORY_ROWS_PER_CHUNK:
            flush()
    if buffers[0]:
        flush()
    tell("history", total_rows, total_rows)

    # 3. where the history meets the raw days, the hour, day and month there hold both: recompute them
    refreshed = [p.point_id for _, p, _ in todo]
    tell("rollups", 0, len(refreshed))
    for i in range(0, len(refreshed), REFRESH_POINTS_PER_CHUNK):
        if stopped():
            return report
        chunk = refreshed[i : i + REFRESH_POINTS_PER_CHUNK]
        with transaction(write=True) as session:
            rollups_refresh.refresh_coarser(session, chunk, history_end - HOUR_MS, history_end + HOUR_MS)
        time.sleep(PAUSE_BETWEEN_CHUNKS_S)
        tell("rollups", min(i + len(chunk), len(refreshed)), len(refreshed))

    with transaction(write=True) as session:
        audit.set_actor(session, Actor("system:demo"))
        audit.record(
            session,
            action="seed",
            entity_type="telemetry",
            park_id=park_id,
            after={
                "history_rows": report.history_rows,
                "history_points": report.history_points,
                "raw_readings": report.raw_readings,
                "from_ms": plan.history_start,
                "to_ms": plan.now_ms,
            },
        )
    report.seconds = time.perf_counter() - started
    tell("done", 1, 1)
    return report


# ----------------------------------------------------------------------------------------------------------
# the live simulator


class LiveSimulator:
    """Publishes every device's readings over MQTT at its (compressed) interval, from a few connections."""

    def __init__(
        self, devices: Sequence[SimDevice], *, host: str, port: int, seed: int = DEFAULT_SEED, connections: int = 0
    ) -> None:
        s = spec()["live"]
        self.devices = list(devices)
        self.host, self.port = host, port
        self.model = SimModel(seed)
        self.qos = int(s["qos"])
        self.connections = connections or int(s["connections"])
        self.stop_event = threading.Event()
        self.published = 0
        self._clients: list[Any] = []
        self._thread: threading.Thread | None = None

    def _connect(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        for i in range(max(1, min(self.connections, len(self.devices)))):
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=f"digipark-demo-sim-{i}",
                protocol=mqtt.MQTTv311,
            )
            client.max_inflight_messages_set(200)
            client.reconnect_delay_set(min_delay=1, max_delay=10)
            client.connect_async(self.host, self.port, keepalive=30)
            client.loop_start()
            self._clients.append(client)

    def start(self) -> None:
        self._connect()
        self._thread = threading.Thread(target=self._run, name="digipark-demo-simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        now = time.time()
        queue: list[tuple[float, int]] = []
        for index, device in enumerate(self.devices):
            queue.append((now + _unit(device.seed, 20) * device.period_s, index))  # spread over the period
        heapq.heapify(queue)
        while not self.stop_event.is_set():
            due, index = queue[0]
            wait = due - time.time()
            if wait > 0:
                if self.stop_event.wait(min(wait, 0.5)):
                    break
                continue
            heapq.heapreplace(queue, (max(due + self.devices[index].period_s, time.time()), index))
            try:
                self.publish(self.devices[index], int(time.time() * 1000))
            except Exception:  # a bad sample must not end the simulator
                log.exception("demo simulator: publishing for %s failed", self.devices[index].code)

    def publish(self, device: SimDevice, t_ms: int) -> bool:
        values = self.model.sample(device, t_ms)
        if values is None:
            return False
        payload = orjson.dumps({"ts": t_ms, "values": values})
        client = self._clients[device.device_id % len(self._clients)]
        client.publish(TOPIC.format(token=device.token), payload, qos=self.qos)
        self.published += 1
        return True

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for client in self._clients:
            try:
                client.disconnect()
                client.loop_stop()
            except Exception:  # already gone
                log.debug("demo simulator: disconnect failed", exc_info=True)


def _demo_park_id(session: Session) -> int | None:
    from digipark.sim.demo import demo_park_code

    return session.scalar(select(Park.id).where(Park.code == demo_park_code()))


class _Stop(Protocol):
    def is_set(self) -> bool: ...


def _backfill_process(park_id: int, now_ms: int, progress: Any, stop: Any, database_url: str) -> None:
    """The back-fill in its own process (spawned): the web process keeps its interpreter to itself. It stops
    when the demo process ends, however it ends (a killed parent does not stop a daemon child by itself)."""
    import contextlib
    import multiprocessing
    import os

    parent = multiprocessing.parent_process()
    if parent is not None:

        def stop_with_parent() -> None:
            parent.join()
            stop.set()

        threading.Thread(target=stop_with_parent, name="digipark-backfill-parent", daemon=True).start()

    from digipark.core.db import make_engine, use_engine

    with contextlib.suppress(OSError):
        os.nice(10)  # the web and live ingestion first
    use_engine(make_engine(database_url))
    try:
        report = run_backfill(
            park_id=park_id,
            plan=Backfill.from_spec(now_ms),
            progress=lambda stage, done, total: progress.put((stage, done, total)),
            stop=stop,
        )
        progress.put(("report", report.history_rows, report.raw_readings))
    except Exception:
        log.exception("demo telemetry back-fill failed")
        progress.put(("failed", 0, 0))


def start_demo_telemetry(*, host: str, port: int) -> Callable[[], None]:
    """Start the live simulator (publishing over MQTT to host:port) and the history back-fill in background
    threads; return a function that stops both. `backfill_progress()` -> (stage, done, total) for the web.

    The back-fill itself runs in a child process (at a lower priority) that a background thread starts a few
    seconds after the demo answers and whose progress it relays: a year of history is CPU-bound Python, and
    in the web process it would hold the interpreter lock against every request."""
    import multiprocessing
    import queue as queue_module

    from digipark.core.db import get_engine, new_session

    with new_session() as session:
        park_id = _demo_park_id(session)
        devices = load_devices(session, park_id=park_id) if park_id is not None else []
    if park_id is None or not devices:
        log.warning("demo telemetry: no demo park with devices in the database; nothing to simulate")
        return lambda: None
    started = time.time()
    simulator = LiveSimulator(devices, host=host, port=port)
    simulator.start()
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    progress: Any = context.Queue()
    database_url = get_engine().url.render_as_string(hide_password=False)
    process = context.Process(
        target=_backfill_process,
        args=(park_id, int(started * 1000), progress, stop, database_url),
        name="digipark-demo-backfill",
        daemon=True,
    )

    def relay() -> None:
        if stop.wait(BACKFILL_DELAY_S):
            return
        process.start()
        while not stop.is_set():
            try:
                stage, done, total = progress.get(timeout=1.0)
            except queue_module.Empty:
                if not process.is_alive():
                    if backfill_progress()[0] not in ("done", "failed"):
                        progress.report(BACKFILL, "failed", 0, 0)
                    return
                continue
            if stage == "report":
                log.info(
                    "demo telemetry back-fill finished",
                    extra={"seconds": round(time.time() - started, 1), "history_rows": done, "raw_readings": total},
                )
                return
            progress.report(BACKFILL, stage, done, total)

    thread = threading.Thread(target=relay, name="digipark-demo-backfill", daemon=True)
    thread.start()
    log.info("demo telemetry: %d devices publishing to %s:%d", len(devices), host, port)

    def stop_all() -> None:
        stop.set()
        simulator.stop()
        thread.join(timeout=10)
        if process.pid is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)

    return stop_all
