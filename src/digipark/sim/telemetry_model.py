"""The demo park's telemetry model: the value of every simulated point at any instant.

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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.registry.models import Building, Device, DeviceStatus, Enterprise, Point
from digipark.sim import telemetry_site
from digipark.telemetry.models import Quality

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
M15_MS = 900_000
_MASK52 = (1 << 52) - 1
DEFAULT_SEED = 20_260_601  # the demo park's seed (sim.demo.DEMO_SEED)


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


def unit_noise(*parts: int) -> float:
    """A number in [0, 1) fixed by the parts (integer tuple hashes are the same in every run; hashing twice
    decorrelates neighbouring inputs)."""
    return (hash((hash(parts), 1)) & _MASK52) / 4503599627370496.0


def _signed(*parts: int) -> float:
    """A number in [-1, 1) fixed by the parts."""
    return unit_noise(*parts) * 2.0 - 1.0


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
        self.phases = [unit_noise(seed, 101, i) * 2 * math.pi for i in range(len(self.periods))]
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
    token: str  # issued by the demo when it starts (`telemetry_demo.issue_demo_tokens`); "" until then
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
    u = unit_noise(seed, 1)
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
                token="",
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
_SWITCHED = {"lighting_controller": (4.0, 12.0), "hvac_unit": (15.0, 60.0)}  # rated power (kW) of the kinds
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
            if unit_noise(device.seed, 3, window) < self.offline_share:
                length = int(_between(self.offline_minutes, unit_noise(device.seed, 4, window)) * 60_000)
                start = window * self.offline_window + int(
                    unit_noise(device.seed, 5, window) * (self.offline_window - length)
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
            if unit_noise(point.seed, 6, cycle) < self.drift_share:
                start = cycle * self.drift_cycle + int(unit_noise(point.seed, 7, cycle) * 15 * DAY_MS)
                end = start + int(_between(self.drift_days, unit_noise(point.seed, 8, cycle)) * DAY_MS)
                rate = (1.0 if unit_noise(point.seed, 9, cycle) < 0.7 else -1.0) * per_day / DAY_MS
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
            if unit_noise(device.seed, 20, window) < self.episode_share:
                length = int(_between(self.episode_hours, unit_noise(device.seed, 21, window)) * HOUR_MS)
                start = window * self.episode_window + int(
                    unit_noise(device.seed, 22, window) * (self.episode_window - length)
                )
                pollutant = _FLUE[int(unit_noise(device.seed, 23, window) * 3)]
                found = (
                    start,
                    start + length,
                    pollutant,
                    _between(self.episode_factor, unit_noise(device.seed, 24, window)),
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
        if point.quantity in self.spike_quantities and unit_noise(point.seed, 10, second) < self.spike_share:
            value *= _between(self.spike_factor, unit_noise(point.seed, 11, second))
        if point.quantity in self.bad_quantities and unit_noise(point.seed, 12, second) < self.bad_share:
            top = point.valid_max if point.valid_max is not None else value
            value = top + 10 + 50 * unit_noise(point.seed, 13, second)  # a broken reading above the range
        return value

    # -- values ------------------------------------------------------------------------------------------
    def value(self, device: SimDevice, point: SimPoint, t_ms: int) -> float:
        """The point's reading at t (the device may be offline then: see `offline`)."""
        q = point.quantity
        if device.kind in telemetry_site.SITE_KINDS:  # automation/site.py's year (sim/telemetry_site.py)
            return telemetry_site.value(device.code, device.kind, point.key, t_ms, self.offset_ms)
        if q in _CONSUMPTION:
            start = self._registers.get(point.point_id)
            if start is None:
                start = _between(self.register_start.get(q, [0.0, 0.0]), unit_noise(point.seed, 14))
                self._registers[point.point_id] = start
            return round(start + self.consumed(device, q, t_ms), 3)
        n = _signed(point.seed, 2, t_ms // 1000)  # per-sample noise
        w = self.weather
        if device.kind in _SWITCHED:
            return self._switched(device, point, t_ms, n)
        if device.kind == "flue_gas_monitor":
            value = self._flue_gas(device, point, t_ms, n)
        elif q == "electric_power":
            value = self.rate(device, "electric_energy", t_ms) * (1 + self.sample_noise * n)
        elif q == "volume_flow_rate":
            value = max(0.0, self.rate(device, "water_volume", t_ms) * (1 + 0.06 * n))
        elif q == "voltage":
            base = _between(spec()["electricity"]["voltage_v"], unit_noise(point.seed, 15))
            value = base - 4.0 * self.load(device, t_ms) + 0.8 * n
        elif q == "power_factor":
            base = _between(spec()["electricity"]["power_factor"], unit_noise(point.seed, 15))
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
            weather = 1 + 0.35 * math.sin(2 * math.pi * days / 4.7 + unit_noise(self.seed, 17) * 6.28)
            value = max(3.0, season * rush * weather * (1 + 0.08 * n))
            if q == "pm10":
                value *= 1.55 + 0.1 * unit_noise(point.seed, 16)
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
            value = 7.2 + 0.15 * math.sin(2 * math.pi * hour / 24 + unit_noise(point.seed, 18) * 6.28) + 0.04 * n
        elif q == "occupancy":
            hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
            busy = _profiles()["office"][0].at(hour)
            value = 1.0 if unit_noise(point.seed, 19, t_ms // (20 * 60_000)) < 0.1 + 0.8 * busy else 0.0
        elif q == "vibration_velocity":
            load = self.load(device, t_ms)
            value = 2.0 + 1.6 * load + 0.25 * n if load > 0.5 else 0.3 + 0.08 * abs(n)
        else:  # alarm states and anything new: quiet
            value = 0.0
        value += self.drift(point, t_ms)
        return round(self._faulty(point, t_ms, value), 3)

    def switched_on(self, device: SimDevice, t_ms: int) -> bool:
        """A lighting controller or air-conditioning unit: on while its building is busy; on some days (30 %,
        by device) left on after hours until 23:00 — what the automation's "after hours" scene switches off."""
        if self.load(device, t_ms) > 0.4:
            return True
        hour = ((t_ms + self.offset_ms) % DAY_MS) / HOUR_MS
        left_on = unit_noise(device.seed, 21, self.local_day(t_ms)) < 0.3
        return left_on and 12 <= hour < 23

    def _switched(self, device: SimDevice, point: SimPoint, t_ms: int, n: float) -> float:
        on = self.switched_on(device, t_ms)
        if point.quantity == "switch_state":
            return 1.0 if on else 0.0
        if point.quantity == "temperature":  # the set-point: cooling in warm weather, heating in cold
            return 26.0 if self.weather.temperature(t_ms) > 18 else 20.0
        low, high = _SWITCHED[device.kind]
        rated = low + (high - low) * unit_noise(device.seed, 22)
        return round(rated * (0.9 + 0.08 * n) if on else 0.02 * rated, 3)

    def sample(self, device: SimDevice, t_ms: int) -> dict[str, float] | None:
        """All points of a device at t, or None while it is offline."""
        if self.offline(device, t_ms) or (device.installed_ms is not None and t_ms < device.installed_ms):
            return None
        return {p.key: self.value(device, p, t_ms) for p in device.points}
