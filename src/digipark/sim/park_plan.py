"""The demo park's plan: zones, parcels, buildings, units, enterprises, leases and devices, decided in memory from
a seeded random generator before anything is written (same seed, same park).

The park, its layout and its industries are described in ``sim/data/demo_park.yaml``, the words its names are
made of in ``sim/data/names.yaml``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from functools import cache
from importlib import resources
from typing import Any

import yaml

from digipark.automation.site import site_data
from digipark.core.codes import make_uscc, section_of
from digipark.registry.catalog import device_kinds
from digipark.sim import layout
from digipark.sim.layout import Frame, Rect

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_INDUSTRIAL_SECTIONS = frozenset({"B", "C", "D"})
_UNIT_SHARE = 0.85  # leasable share of a floor


# ----------------------------------------------------------------------------------------------------------
# data files


@cache
def demo_data(name: str) -> dict[str, Any]:
    text = resources.files("digipark.sim").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when available
    if not isinstance(raw, dict):
        raise RuntimeError(f"malformed demo data: {name}")
    return raw


def _pair(value: Any) -> tuple[int, int]:
    low, high = value
    return int(low), int(high)


def _share(value: Any) -> tuple[float, float]:
    low, high = value
    return float(low), float(high)


def _rect(value: Any) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in value)
    return x0, y0, x1, y1


@dataclasses.dataclass(frozen=True)
class _BuildingType:
    key: str
    use: str
    name: str
    name_en: str
    floors: tuple[int, int]
    footprint: tuple[float, float]
    units: int
    unit_use: str | None
    single_tenant: bool
    tenant_group: str | None


@dataclasses.dataclass(frozen=True)
class _ZoneSpec:
    code: str
    name: str
    name_en: str
    short: str
    short_en: str
    function: str
    land_use: str
    rect: Rect
    grid: tuple[int, int]
    parcels: list[list[str]]


@dataclasses.dataclass(frozen=True)
class _GroupSpec:
    key: str
    division: str
    count: int
    zone: str
    above_scale: float
    lines: list[tuple[str, str, str]]
    devices: dict[str, tuple[int, int, bool]]  # kind -> (min, max, only above scale)


def _building_types(spec: dict[str, Any]) -> dict[str, _BuildingType]:
    return {
        str(key): _BuildingType(
            key=str(key),
            use=str(raw["use"]),
            name=str(raw["name"]),
            name_en=str(raw["name_en"]),
            floors=_pair(raw["floors"]),
            footprint=_share(raw["footprint"]),
            units=int(raw["units"]),
            unit_use=None if raw.get("unit_use") is None else str(raw["unit_use"]),
            single_tenant=bool(raw.get("single_tenant", False)),
            tenant_group=None if raw.get("tenant_group") is None else str(raw["tenant_group"]),
        )
        for key, raw in spec["building_types"].items()
    }


def _zones(spec: dict[str, Any]) -> list[_ZoneSpec]:
    return [
        _ZoneSpec(
            code=str(z["code"]),
            name=str(z["name"]),
            name_en=str(z["name_en"]),
            short=str(z["short"]),
            short_en=str(z["short_en"]),
            function=str(z["function"]),
            land_use=str(z["land_use"]),
            rect=_rect(z["rect"]),
            grid=_pair(z["grid"]),
            parcels=[[str(t) for t in p] for p in z["parcels"]],
        )
        for z in spec["zones"]
    ]


def _groups(spec: dict[str, Any]) -> list[_GroupSpec]:
    groups: list[_GroupSpec] = []
    for g in spec["enterprise_groups"]:
        devices: dict[str, tuple[int, int, bool]] = {}
        for kind, rule in (g.get("devices") or {}).items():
            devices[str(kind)] = (int(rule[0]), int(rule[1]), len(rule) > 2 and rule[2] == "above_scale")
        groups.append(
            _GroupSpec(
                key=str(g["key"]),
                division=str(g["division"]),
                count=int(g["count"]),
                zone=str(g["zone"]),
                above_scale=float(g["above_scale"]),
                lines=[(str(c), str(zh), str(en)) for c, zh, en in g["lines"]],
                devices=devices,
            )
        )
    return groups


def _words(name: str) -> list[tuple[str, str]]:
    return [(str(zh), str(py)) for zh, py in demo_data("names.yaml")[name].items()]


def demo_park_code() -> str:
    return str(demo_data("demo_park.yaml")["park"]["code"])


# ----------------------------------------------------------------------------------------------------------
# the plan: everything decided in memory, before any write


@dataclasses.dataclass
class _Unit:
    level: int
    code: str
    area_m2: float
    use: str | None
    tenant: int | None = None
    lease_from: dt.date | None = None
    lease_to: dt.date | None = None


@dataclasses.dataclass
class _Building:
    code: str
    name: str
    name_en: str
    type: _BuildingType
    zone: str
    rect: Rect
    floors: int
    floor_area_m2: float
    year_built: int
    gigabit_fibre: bool
    coverage_5g: bool
    units: list[_Unit] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Parcel:
    code: str
    zone: str
    rect: Rect
    land_use: str
    lease_start: dt.date
    lease_end: dt.date
    buildings: list[_Building]
    owner: str | None = None
    owner_en: str | None = None


@dataclasses.dataclass
class _Zone:
    spec: _ZoneSpec
    parcels: list[_Parcel]

    @property
    def buildings(self) -> list[_Building]:
        return [b for p in self.parcels for b in p.buildings]


@dataclasses.dataclass
class _Enterprise:
    index: int
    group: _GroupSpec
    trade: str
    trade_en: str
    name: str
    name_en: str
    uscc: str
    industry_code: str
    above_scale: bool
    industrial: bool
    capital_wan_yuan: float
    employees: int
    established_on: dt.date
    contact_name: str
    contact_phone: str
    contact_email: str
    premises: list[tuple[_Building, _Unit]] = dataclasses.field(default_factory=list)
    address: str | None = None


@dataclasses.dataclass
class _Device:
    code: str
    name: str
    name_en: str
    kind: str
    manufacturer: str
    model: str
    enterprise: int | None
    building: str | None
    location: str
    lon: float
    lat: float
    installed_on: dt.date
    status: str


@dataclasses.dataclass
class ParkPlan:
    park: dict[str, Any]
    zones: list[_Zone]
    enterprises: list[_Enterprise]
    devices: list[_Device]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _random_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _plan_zones(rng: random.Random, spec: dict[str, Any], as_of: dt.date) -> list[_Zone]:
    types = _building_types(spec)
    road = float(spec["park"]["road_m"])
    lane = float(spec["park"]["lane_m"])
    zones: list[_Zone] = []
    for zone_spec in _zones(spec):
        columns, rows = zone_spec.grid
        cells = layout.grid(layout.shrink(zone_spec.rect, road / 2), columns, rows, lane)
        counters: dict[str, int] = {}
        parcels: list[_Parcel] = []
        building_no = 0
        for index, cell in enumerate(cells):
            type_keys = zone_spec.parcels[index % len(zone_spec.parcels)]
            slots = layout.split(cell, len(type_keys), lane)
            buildings: list[_Building] = []
            for type_key, slot in zip(type_keys, slots, strict=True):
                btype = types[type_key]
                building_no += 1
                counters[btype.name] = counters.get(btype.name, 0) + 1
                n = counters[btype.name]
                name = btype.name.format(short=zone_spec.short, n=n, letter=chr(ord("A") + n - 1))
                name_en = btype.name_en.format(short_en=zone_spec.short_en, n=n, letter=chr(ord("A") + n - 1))
                rect = layout.place(rng, slot, btype.footprint)
                floors = rng.randint(*btype.floors)
                year = rng.randint(2008, 2022)
                building = _Building(
                    code=f"{zone_spec.code}-B{building_no:02d}",
                    name=name,
                    name_en=name_en,
                    type=btype,
                    zone=zone_spec.code,
                    rect=rect,
                    floors=floors,
                    floor_area_m2=round(layout.area(rect)),
                    year_built=year,
                    gigabit_fibre=rng.random() < (0.95 if year >= 2014 else 0.6),
                    coverage_5g=rng.random() < 0.85,
                )
                unit_area = max(10.0, round(building.floor_area_m2 * _UNIT_SHARE / max(btype.units, 1), -1))
                building.units = [
                    _Unit(level=level, code=f"{level}{j:02d}", area_m2=unit_area, use=btype.unit_use)
                    for level in range(1, floors + 1)
                    for j in range(1, btype.units + 1)
                ]
                buildings.append(building)
            first_year = min(b.year_built for b in buildings)
            lease_start = dt.date(first_year - rng.randint(1, 2), rng.randint(1, 12), 1)
            term = {"R": 70, "B": 40}.get(zone_spec.land_use[0], 50)
            parcels.append(
                _Parcel(
                    code=f"{zone_spec.code}-P{index + 1:02d}",
                    zone=zone_spec.code,
                    rect=cell,
                    land_use=zone_spec.land_use,
                    lease_start=min(lease_start, as_of),
                    lease_end=_add_years(lease_start, term),
                    buildings=buildings,
                )
            )
        zones.append(_Zone(zone_spec, parcels))
    return zones


def _org_code_body(rng: random.Random, established: dt.date) -> str:
    if established.year >= 2016:  # codes issued with the USCC reform start with MA
        return "MA" + "".join(rng.choice(_USCC_CHARS) for _ in range(6))
    return "".join(rng.choice("0123456789") for _ in range(8))


def _plan_enterprises(rng: random.Random, spec: dict[str, Any], as_of: dt.date) -> list[_Enterprise]:
    region = str(spec["park"]["region_code"])
    firsts, seconds = _words("trade_name_first"), _words("trade_name_second")
    foreign = _words("foreign_trade_names")
    surnames, given = _words("surnames"), _words("given_names")
    used_trades: set[str] = set()
    used_names: set[str] = set()
    used_usccs: set[str] = set()
    enterprises: list[_Enterprise] = []
    for group in _groups(spec):
        above_count = round(group.count * group.above_scale)
        for i in range(group.count):
            above = i < above_count
            code, word, word_en = rng.choice(group.lines)
            while True:
                if rng.random() < 0.08 and len(used_trades & {zh for zh, _ in foreign}) < len(foreign):
                    trade, trade_en = rng.choice(foreign)
                    name, name_en = f"{trade}（苏州）{word}有限公司", f"{trade_en} (Suzhou) {word_en} Co., Ltd."
                else:
                    (first, first_py), (second, second_py) = rng.choice(firsts), rng.choice(seconds)
                    if first == second:
                        continue
                    trade, trade_en = first + second, first_py + second_py
                    form, form_en = (
                        ("股份有限公司", "Co., Ltd.") if above and rng.random() < 0.25 else ("有限公司", "Co., Ltd.")
                    )
                    name, name_en = f"苏州{trade}{word}{form}", f"Suzhou {trade_en} {word_en} {form_en}"
                if trade not in used_trades and name not in used_names:
                    break
            used_trades.add(trade)
            used_names.add(name)
            if above:
                employees = int(math.exp(rng.uniform(math.log(120), math.log(2500))))
                capital = float(rng.choice([2000, 3000, 5000, 8000, 10000, 15000, 20000, 30000, 50000]))
                established = _random_day(rng, dt.date(2003, 1, 1), dt.date(2019, 12, 31))
            else:
                employees = int(math.exp(rng.uniform(math.log(8), math.log(150))))
                capital = float(rng.choice([50, 100, 200, 300, 500, 1000, 2000]))
                established = _random_day(rng, dt.date(2008, 1, 1), min(as_of, dt.date(2024, 6, 30)))
            while True:
                uscc = make_uscc("9", "1", region, _org_code_body(rng, established))
                if uscc not in used_usccs:
                    used_usccs.add(uscc)
                    break
            (surname, surname_py), (given_name, given_py) = rng.choice(surnames), rng.choice(given)
            domain = trade_en.lower().replace(" ", "")
            enterprises.append(
                _Enterprise(
                    index=len(enterprises),
                    group=group,
                    trade=trade,
                    trade_en=trade_en,
                    name=name,
                    name_en=name_en,
                    uscc=uscc,
                    industry_code=code,
                    above_scale=above,
                    industrial=section_of(code) in _INDUSTRIAL_SECTIONS,
                    capital_wan_yuan=capital,
                    employees=employees,
                    established_on=established,
                    contact_name=surname + given_name,
                    contact_phone=f"0512-{rng.randint(6500, 6999)}{rng.randint(0, 9999):04d}",
                    contact_email=f"{given_py}.{surname_py}@{domain}.example",
                )
            )
    return enterprises


def _lease(rng: random.Random, tenant: _Enterprise, building: _Building, as_of: dt.date) -> tuple[dt.date, dt.date]:
    earliest = max(tenant.established_on, dt.date(building.year_built + 1, 1, 1))
    start = earliest + dt.timedelta(days=rng.randint(0, 540))
    term = rng.choice([3, 5])
    end = _add_years(start, term) - dt.timedelta(days=1)
    while end < as_of:  # renewed until the current contract
        start = end + dt.timedelta(days=1)
        end = _add_years(start, term) - dt.timedelta(days=1)
    if start > as_of:
        start = as_of - dt.timedelta(days=rng.randint(30, 300))
    return start, end


def _let(rng: random.Random, tenant: _Enterprise, taken: list[tuple[_Building, _Unit]], as_of: dt.date) -> None:
    dates: dict[str, tuple[dt.date, dt.date]] = {}
    for building, unit in taken:
        if building.code not in dates:
            dates[building.code] = _lease(rng, tenant, building, as_of)
        unit.tenant = tenant.index
        unit.lease_from, unit.lease_to = dates[building.code]
        tenant.premises.append((building, unit))


def _units_wanted(enterprise: _Enterprise) -> int:
    return 1 + (enterprise.employees >= 150) + (enterprise.employees >= 600)


def _plan_leases(
    rng: random.Random, zones: list[_Zone], enterprises: list[_Enterprise], as_of: dt.date, overflow_zone: str
) -> None:
    """Single-tenant buildings to the largest enterprises of their zone, units of the others in turn."""
    pools: dict[str, list[tuple[_Building, _Unit]]] = {}
    unplaced: list[_Enterprise] = []
    for zone in zones:
        members = [e for e in enterprises if e.group.zone == zone.spec.code]
        singles = [b for b in zone.buildings if b.type.single_tenant]
        largest = sorted(members, key=lambda e: (not e.above_scale, -e.employees, e.index))
        for building in sorted(singles, key=lambda b: b.type.tenant_group is None):  # reserved ones first
            group = building.type.tenant_group
            tenant = next((e for e in largest if not e.premises and group in (None, e.group.key)), None)
            if tenant is not None:
                _let(rng, tenant, [(building, u) for u in building.units], as_of)
        floors = [
            [(b, u) for u in b.units if u.level == level]
            for b in zone.buildings
            if not b.type.single_tenant and b.units
            for level in range(1, b.floors + 1)
        ]
        rng.shuffle(floors)
        pool = [slot for floor in floors for slot in floor]
        for tenant in sorted((e for e in members if not e.premises), key=lambda e: (-e.employees, e.index)):
            wanted = _units_wanted(tenant)
            if not pool:
                unplaced.append(tenant)
                continue
            taken, pool = pool[:wanted], pool[wanted:]
            _let(rng, tenant, taken, as_of)
        pools[zone.spec.code] = pool
    spare = pools.get(overflow_zone, [])
    for tenant in unplaced:
        taken, spare = spare[:1], spare[1:]
        if taken:
            _let(rng, tenant, taken, as_of)
    # manufacturers keep R&D and sales offices in the office towers
    manufacturers = [e for e in enterprises if e.industrial and e.above_scale]
    for slot in spare:
        if manufacturers and rng.random() < 0.5:
            _let(rng, rng.choice(manufacturers), [slot], as_of)


def _plan_devices(
    rng: random.Random,
    spec: dict[str, Any],
    frame: Frame,
    zones: list[_Zone],
    enterprises: list[_Enterprise],
    as_of: dt.date,
) -> list[_Device]:
    names = demo_data("names.yaml")
    kinds = device_kinds()
    abbreviations = {str(k): str(v) for k, v in names["device_codes"].items()}
    places = {str(k): [str(p) for p in v] for k, v in names["device_places"].items()}
    places_en = {str(k): [str(p) for p in v] for k, v in names["device_places_en"].items()}
    models = {str(k): [(str(m), str(n)) for m, n in v] for k, v in names["device_models"].items()}
    devices: list[_Device] = []

    def point_in(rect: Rect) -> tuple[float, float]:
        x0, y0, x1, y1 = rect
        return frame.lonlat(rng.uniform(x0, x1), rng.uniform(y0, y1))

    def add(
        code: str,
        kind: str,
        n: int,
        count: int,
        label: tuple[str, str],
        where: str,
        enterprise: int | None,
        building: _Building | None,
        rect: Rect,
        earliest: dt.date,
    ) -> None:
        place = places[kind][(n - 1) % len(places[kind])]
        place_en = places_en[kind][(n - 1) % len(places[kind])]
        suffix = f"{n}#" if count > 1 and n > len(places[kind]) else ""
        manufacturer, model = rng.choice(models[kind])
        lon, lat = point_in(rect)
        devices.append(
            _Device(
                code=f"{code}-{abbreviations[kind]}{n:02d}",
                name=f"{label[0]}{place}{suffix}{kinds[kind].name_zh}",
                name_en=f"{label[1]} {place_en} {kinds[kind].name_en}" + (f" #{n}" if suffix else ""),
                kind=kind,
                manufacturer=manufacturer,
                model=model,
                enterprise=enterprise,
                building=building.code if building else None,
                location=f"{where} {place}",
                lon=lon,
                lat=lat,
                installed_on=_random_day(rng, min(earliest, as_of), as_of),
                status="maintenance" if rng.random() < 0.03 else "active",
            )
        )

    for enterprise in enterprises:
        if not enterprise.premises:
            continue
        building, unit = enterprise.premises[0]
        wanted: dict[str, int] = {"electricity_meter": 1}
        if enterprise.industrial and enterprise.employees >= 1000:
            wanted["electricity_meter"] += 1  # a production sub-meter
        for kind, (low, high, above_only) in enterprise.group.devices.items():
            if not above_only or enterprise.above_scale:
                wanted[kind] = wanted.get(kind, 0) + rng.randint(low, high)
        for kind, count in wanted.items():
            for n in range(1, count + 1):
                add(
                    f"E{enterprise.index + 1:03d}",
                    kind,
                    n,
                    count,
                    (enterprise.trade, enterprise.trade_en),
                    f"{building.name}{unit.code}室",
                    enterprise.index,
                    building,
                    building.rect,
                    unit.lease_from or as_of,
                )

    park_devices = spec["park_devices"]
    per_building = {
        str(k): {str(kind): int(n) for kind, n in v.items()} for k, v in park_devices["per_building"].items()
    }
    for zone in zones:
        for building in zone.buildings:
            wanted = dict(per_building["all"])
            for kind, n in per_building.get(building.type.use, {}).items():
                wanted[kind] = wanted.get(kind, 0) + n
            for kind, count in wanted.items():
                for n in range(1, count + 1):
                    add(
                        building.code,
                        kind,
                        n,
                        count,
                        (building.name, building.name_en),
                        building.name,
                        None,
                        building,
                        building.rect,
                        dt.date(building.year_built + 1, 1, 1),
                    )
        for kind, count in park_devices["per_zone"].items():
            for n in range(1, int(count) + 1):
                add(
                    zone.spec.code,
                    str(kind),
                    n,
                    int(count),
                    (zone.spec.name, zone.spec.name_en),
                    zone.spec.name,
                    None,
                    None,
                    layout.shrink(zone.spec.rect, 5),
                    dt.date(2020, 1, 1),
                )
    zone_by_code = {z.spec.code: z for z in zones}
    for lot in park_devices["parking"]:
        zone = zone_by_code[str(lot["zone"])]
        x0, y0, _, _ = zone.spec.rect
        spaces = int(lot["spaces"])
        for n in range(1, spaces + 1):
            x = x0 + 40 + (n - 1) * 3.0  # 3 m per space along the zone's southern road
            manufacturer, model = rng.choice(models["parking_sensor"])
            lon, lat = frame.lonlat(x, y0 + 12)
            devices.append(
                _Device(
                    code=f"{zone.spec.code}-PK{n:03d}",
                    name=f"{lot['lot']}{n:02d}号车位检测器",
                    name_en=f"{lot['lot_en']} Space {n:02d} {kinds['parking_sensor'].name_en}",
                    kind="parking_sensor",
                    manufacturer=manufacturer,
                    model=model,
                    enterprise=None,
                    building=None,
                    location=f"{lot['lot']} {n:02d}号车位",
                    lon=lon,
                    lat=lat,
                    installed_on=_random_day(rng, dt.date(2022, 3, 1), as_of),
                    status="active",
                )
            )
    devices.extend(_site_devices(spec["park_devices"]["site"], frame, zones))
    return devices


def _site_devices(spec: dict[str, Any], frame: Frame, zones: list[_Zone]) -> list[_Device]:
    """The PV inverter, battery and charging piles of automation/data/site.yaml, in its names, at one building."""
    data = site_data()
    building = next(b for z in zones for b in z.buildings if b.code == spec["building"])
    x0, y0, x1, _ = building.rect
    models = {str(k): (str(v[0]), str(v[1])) for k, v in spec["models"].items()}
    installed = dt.date.fromisoformat(str(spec["installed_on"]))
    units = [
        ("PV01", data["pv"], "pv_inverter", f"{building.name} 屋顶"),
        ("ESS01", data["battery"], "battery_storage", f"{building.name} 东侧"),
        *((str(p["code"]), p, "ev_charger", f"{building.name} 停车位") for p in data["charging"]["piles"]),
    ]
    out = []
    for n, (code, named, kind, where) in enumerate(units):
        lon, lat = frame.lonlat(x0 + (x1 - x0) * (n + 1) / (len(units) + 1), y0 - 6)
        out.append(
            _Device(
                code=f"SITE-{code}",
                name=str(named["name"]),
                name_en=str(named["name_en"]),
                kind=kind,
                manufacturer=models[kind][0],
                model=models[kind][1],
                enterprise=None,
                building=building.code,
                location=where,
                lon=lon,
                lat=lat,
                installed_on=installed,
                status="active",
            )
        )
    return out


def plan_park(seed: int) -> ParkPlan:
    spec = demo_data("demo_park.yaml")
    as_of = dt.date.fromisoformat(str(spec["park"]["as_of"]))
    park = spec["park"]
    frame = Frame(float(park["origin"][0]), float(park["origin"][1]))
    zones = _plan_zones(random.Random(f"{seed}:zones"), spec, as_of)
    enterprises = _plan_enterprises(random.Random(f"{seed}:enterprises"), spec, as_of)
    overflow = next(z.spec.code for z in zones if z.spec.function == "office")
    _plan_leases(random.Random(f"{seed}:leases"), zones, enterprises, as_of, overflow)
    address = str(park["address"])
    for enterprise in enterprises:
        if enterprise.premises:
            building, unit = enterprise.premises[0]
            room = "" if building.type.single_tenant else f"{unit.code}室"
            enterprise.address = f"{address}{building.name}{room}"
    for zone in zones:
        for parcel in zone.parcels:
            tenants = {u.tenant for b in parcel.buildings if b.type.single_tenant for u in b.units}
            owner = tenants.pop() if len(tenants) == 1 else None
            parcel.owner = enterprises[owner].name if owner is not None else str(park["developer"])
            parcel.owner_en = enterprises[owner].name_en if owner is not None else str(park["developer_en"])
    devices = _plan_devices(random.Random(f"{seed}:devices"), spec, frame, zones, enterprises, as_of)
    return ParkPlan(park=park, zones=zones, enterprises=enterprises, devices=devices)
