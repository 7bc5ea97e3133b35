"""The demo park's equipment (declared in assets.module): the asset classes, about thirty assets in the park's
utility and office buildings with their maintenance plans, a year of daily condition features of the rotating
machines computed from synthetic vibration bursts, one bearing failure in spring that the predictions flagged
(evaluated, and the model re-trained on it), and three machines degrading now that today's predictions flag before
they fail — the most urgent with its work order opened.

The bursts follow a documented physical model: the running-speed vibration of the machine plus, once a bearing's
outer race is damaged, impacts at its ball-pass frequency BPFO = n/2 * fr * (1 - d/D cos(phi)) (the geometry of a
6205 deep-groove ball bearing), whose energy grows exponentially with the defect. History ends today (the user
sees live state)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from digipark.assets import monitoring, networks, parts, registry_sync, service
from digipark.assets.condition import batch_features
from digipark.assets.models import Asset, AssetClass, ConditionDay, LifecycleChange, MaintenancePlan, SparePart
from digipark.assets.schemas import FailureCreate, PartConsumption, PartCreate
from digipark.auth.scope import Scope, system_scope
from digipark.registry.models import Building
from digipark.workorders.provides import Category, OriginKind, Priority, State, complete_order, read_order

FS = 10_000.0
BURST = 1024  # 0.1 s at 10 kHz a day: enough for the time-domain features, and a demo of a few seconds
# a 6205 deep-groove ball bearing: 9 balls of 7.94 mm on a 39.04 mm pitch circle, contact angle 0
BALLS, BALL_D, PITCH_D = 9, 7.94, 39.04
HISTORY_DAYS = 365


@dataclasses.dataclass(frozen=True)
class Spec:
    code: str
    name: str
    klass: str
    building_use: str
    value: float  # yuan
    years_in_service: float
    model: str
    supplier: str
    rpm: float | None = None  # rotating machines: running speed
    healthy_rms: float = 1.0  # mm/s
    degrade: tuple[int, float] | None = None  # (onset days before today, growth of ln RMS per day)
    failed: tuple[int, int] | None = None  # (onset, failure) days before today: failed and repaired


SPECS: tuple[Spec, ...] = (
    Spec("EQ-CH-01", "1号离心式冷水机组", "chiller", "utility", 1_850_000, 4.2, "19XR-5050", "开利空调", 2950, 1.6),
    Spec(
        "EQ-CH-02",
        "2号离心式冷水机组",
        "chiller",
        "utility",
        1_850_000,
        4.2,
        "19XR-5050",
        "开利空调",
        2950,
        1.5,
        degrade=(50, 0.026),
    ),
    Spec(
        "EQ-PU-01",
        "1号冷却水泵",
        "pump",
        "utility",
        86_000,
        4.2,
        "KQW200/315-45/4",
        "凯泉泵业",
        1480,
        1.1,
        degrade=(40, 0.025),
    ),
    Spec("EQ-PU-02", "2号冷却水泵", "pump", "utility", 86_000, 4.2, "KQW200/315-45/4", "凯泉泵业", 1480, 1.0),
    Spec(
        "EQ-PU-03",
        "1号冷冻水泵",
        "pump",
        "utility",
        72_000,
        4.2,
        "KQW150/290-30/4",
        "凯泉泵业",
        1480,
        0.9,
        failed=(250, 200),
    ),
    Spec("EQ-PU-04", "2号冷冻水泵", "pump", "utility", 72_000, 4.2, "KQW150/290-30/4", "凯泉泵业", 1480, 1.0),
    Spec("EQ-PU-05", "生活给水变频泵组", "pump", "office", 128_000, 3.0, "CDMF32-6", "南方泵业", 2900, 0.8),
    Spec(
        "EQ-FA-01",
        "污水处理厂鼓风机",
        "fan",
        "utility",
        240_000,
        5.5,
        "GM25S",
        "章丘鼓风机",
        1480,
        1.8,
        degrade=(55, 0.012),
    ),
    Spec("EQ-FA-02", "地下车库排风机", "fan", "office", 32_000, 3.0, "HTF-II-10", "德通风机", 960, 1.2),
    Spec(
        "EQ-AH-01", "科创大厦组合式空调机组", "air_handler", "office", 210_000, 3.0, "39CQ-1520", "开利空调", 1450, 1.4
    ),
    Spec(
        "EQ-AH-02", "孵化中心组合式空调机组", "air_handler", "office", 180_000, 2.5, "39CQ-1218", "开利空调", 1450, 1.3
    ),
    Spec("EQ-EL-01", "科创大厦1号客梯", "elevator", "office", 420_000, 3.0, "GeN2-MR", "奥的斯电梯", 1450, 0.7),
    Spec("EQ-TR-01", "1号干式变压器", "transformer", "utility", 360_000, 4.2, "SCB13-2000/10", "顺特电气"),
    Spec("EQ-TR-02", "2号干式变压器", "transformer", "utility", 360_000, 4.2, "SCB13-2000/10", "顺特电气"),
    Spec("EQ-SG-01", "10kV高压开关柜", "switchgear", "utility", 540_000, 4.2, "KYN28A-12", "正泰电气"),
    Spec("EQ-BO-01", "燃气热水锅炉", "boiler", "utility", 680_000, 4.2, "WNS2.8-1.0/95/70-Q", "江苏四方锅炉"),
    Spec("EQ-FS-01", "科创大厦消防报警系统", "fire_system", "office", 380_000, 3.0, "JB-QB-GST200", "海湾安全"),
    Spec("EQ-CA-01", "园区周界监控摄像机组", "camera", "office", 260_000, 2.0, "DS-2CD3T47", "海康威视"),
    Spec("EQ-NW-01", "园区核心交换机", "network", "office", 450_000, 2.0, "S12700E-8", "华为技术"),
    Spec("RD-01", "园区主干道（星湖大道段）", "road", "utility", 12_600_000, 5.5, "沥青混凝土 双向四车道", "中建八局"),
    Spec("PN-WS-01", "园区给水管网（一期）", "pipe", "utility", 6_800_000, 5.5, "球墨铸铁 DN300", "中建八局"),
    Spec("PN-DR-01", "园区雨污水管网（一期）", "pipe", "utility", 9_400_000, 5.5, "HDPE DN600", "中建八局"),
    Spec("PN-GS-01", "园区中压燃气管网", "pipe", "utility", 3_200_000, 5.5, "聚乙烯管 dn160", "港华燃气"),
    Spec("PN-PW-01", "园区10kV电力排管", "pipe", "utility", 5_600_000, 5.5, "改性聚丙烯排管 φ200", "国网供电工程"),
    Spec("PN-HT-01", "园区供热管网", "pipe", "utility", 4_100_000, 4.2, "预制直埋保温钢管 DN250", "中建八局"),
)


# the assets' English names (English pages), by code
NAMES_EN: dict[str, str] = {
    "EQ-CH-01": "Centrifugal chiller No. 1",
    "EQ-CH-02": "Centrifugal chiller No. 2",
    "EQ-PU-01": "Cooling water pump No. 1",
    "EQ-PU-02": "Cooling water pump No. 2",
    "EQ-PU-03": "Chilled water pump No. 1",
    "EQ-PU-04": "Chilled water pump No. 2",
    "EQ-PU-05": "Domestic water booster pump set",
    "EQ-FA-01": "Wastewater plant blower",
    "EQ-FA-02": "Underground car park exhaust fan",
    "EQ-AH-01": "Innovation Tower air handling unit",
    "EQ-AH-02": "Incubation Centre air handling unit",
    "EQ-EL-01": "Innovation Tower passenger lift No. 1",
    "EQ-TR-01": "Dry-type transformer No. 1",
    "EQ-TR-02": "Dry-type transformer No. 2",
    "EQ-SG-01": "10 kV high-voltage switchgear",
    "EQ-BO-01": "Gas-fired hot water boiler",
    "EQ-FS-01": "Innovation Tower fire alarm system",
    "EQ-CA-01": "Perimeter surveillance cameras",
    "EQ-NW-01": "Park core switch",
    "RD-01": "Park main road (Xinghu Avenue section)",
    "PN-WS-01": "Park water supply network (phase I)",
    "PN-DR-01": "Park storm and sewer network (phase I)",
    "PN-GS-01": "Park medium-pressure gas network",
    "PN-PW-01": "Park 10 kV power duct bank",
    "PN-HT-01": "Park district heating network",
}


def bpfo(rpm: float) -> float:
    """The outer-race ball-pass frequency (Hz) of the demo's bearing at `rpm`."""
    return BALLS / 2 * rpm / 60 * (1 - BALL_D / PITCH_D)


_T = np.arange(BURST) / FS
_RING = np.exp(-np.arange(40) / 8.0) * np.sin(2 * np.pi * 3000 * np.arange(40) / FS)  # a 3 kHz resonance


def bursts(rng: np.random.Generator, *, rpm: float, levels: np.ndarray, defects: np.ndarray) -> np.ndarray:
    """One velocity burst (mm/s) per day, a row each: running-speed vibration of r.m.s. `levels[i]` and, where
    `defects[i]` > 0, decaying impacts at the ball-pass frequency carrying that share of the energy."""
    days = levels.size
    fr = rpm / 60
    phases = rng.uniform(0, 2 * np.pi, (days, 1))
    x = np.sin(2 * np.pi * fr * _T + phases) + 0.3 * np.sin(2 * np.pi * 2 * fr * _T + 2 * phases)
    x *= (np.sqrt(1 - defects) / np.sqrt(np.mean(x * x, axis=1)))[:, None]
    period = FS / bpfo(rpm)
    for i in np.flatnonzero(defects > 0):
        impacts = np.zeros(BURST)
        impacts[np.arange(rng.uniform(0, period), BURST, period).astype(int)] = 1.0
        shock = np.convolve(impacts, _RING)[:BURST]
        x[i] += shock * math.sqrt(defects[i]) / max(float(np.sqrt(np.mean(shock * shock))), 1e-12)
    result: np.ndarray = levels[:, None] * (x + 0.03 * rng.standard_normal((days, BURST)))
    return result


def _level(spec: Spec, days_before: int, noise: float) -> tuple[float, float]:
    """(RMS, defect share) of a machine `days_before` today."""
    growth = 0.0
    if spec.degrade is not None and days_before < spec.degrade[0]:
        growth = spec.degrade[1] * (spec.degrade[0] - days_before)
    if spec.failed is not None and spec.failed[1] <= days_before < spec.failed[0]:
        growth = math.log(5.2 / spec.healthy_rms) * (spec.failed[0] - days_before) / (spec.failed[0] - spec.failed[1])
    rms = spec.healthy_rms * math.exp(growth) * (1 + noise)
    return rms, min(0.9, 1 - math.exp(-growth)) if growth > 0 else 0.0


def build_assets_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """Classes, assets, plans, a year of condition features, a recorded failure, and today's predictions (none when
    the park has assets already)."""
    if session.scalar(select(func.count()).select_from(Asset).where(Asset.park_id == park_id)):
        return {"assets": 0}
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    scope = system_scope(park_id)
    today = service.today()
    classes = service.seed_classes(session, park_id=park_id)
    buildings: dict[str, list[Building]] = {}
    for building in session.scalars(select(Building).where(Building.park_id == park_id).order_by(Building.code)):
        buildings.setdefault(building.use, []).append(building)
    shapes = [f for f in (networks.footprint(b.use, b.footprint) for group in buildings.values() for b in group) if f]
    lines = networks.lay_out(shapes)
    assets: dict[str, Asset] = {}
    for spec in SPECS:
        klass: AssetClass = classes[spec.klass]
        in_use = buildings.get(spec.building_use)
        place = in_use[0] if in_use else None
        since = today - dt.timedelta(days=round(spec.years_in_service * 365))
        asset = Asset(
            park_id=park_id,
            class_id=klass.id,
            code=spec.code,
            name=spec.name,
            name_en=NAMES_EN.get(spec.code),
            model=spec.model,
            supplier=spec.supplier,
            building_id=place.id if place is not None else None,
            location=place.name if place is not None else None,
            state="in_service",
            acquired_on=since - dt.timedelta(days=30),
            in_service_on=since,
            warranty_until=since + dt.timedelta(days=3 * 365),
            purchase_value=spec.value,
            salvage_value=round(spec.value * klass.salvage_rate, 2),
            useful_life_months=klass.useful_life_years * 12,
            method=klass.method,
        )
        if spec.code in lines:
            layout = networks.LAYOUTS[spec.code]
            asset.network, asset.geometry, asset.material = layout.network, lines[spec.code], layout.material
            asset.diameter_mm, asset.install_year = layout.diameter_mm, since.year
        session.add(asset)
        session.flush()
        for state, on in (("acquired", asset.acquired_on), ("in_service", asset.in_service_on)):
            session.add(
                LifecycleChange(
                    park_id=park_id,
                    asset_id=asset.id,
                    from_state=None if state == "acquired" else "acquired",
                    to_state=state,
                    on=on,
                    by="system",
                )
            )
        for template in klass.templates:
            if "every_days" not in template:
                continue  # usage plans need a run-hours point
            every = int(template["every_days"])
            session.add(
                MaintenancePlan(
                    park_id=park_id,
                    asset_id=asset.id,
                    name=template["name"],
                    name_en=template.get("name_en"),
                    kind="calendar",
                    every_days=every,
                    last_done_on=today - dt.timedelta(days=rng.randint(1, max(2, round(every * 1.05)))),
                    active=True,
                )
            )
        assets[spec.code] = asset
    # a year of daily features of the rotating machines
    rows = []
    for spec in SPECS:
        if spec.rpm is None:
            continue
        before = np.arange(HISTORY_DAYS - 1, -1, -1)
        shape = [_level(spec, int(d), 0.04 * float(nrng.standard_normal())) for d in before]
        levels = np.array([level for level, _ in shape])
        found = batch_features(bursts(nrng, rpm=spec.rpm, levels=levels, defects=np.array([d for _, d in shape])))
        temperatures = 42 + 6 * np.log(levels / spec.healthy_rms + 1) + nrng.normal(0, 0.8, HISTORY_DAYS)
        hours = np.clip(nrng.normal(16, 3, HISTORY_DAYS), 0, 24)
        for d, f, temperature, run in zip(before, found, temperatures, hours, strict=True):
            rows.append(
                {
                    "park_id": park_id,
                    "asset_id": assets[spec.code].id,
                    "day": today - dt.timedelta(days=int(d)),
                    "vib_rms": f.rms,
                    "vib_peak": f.peak,
                    "crest_factor": f.crest_factor,
                    "kurtosis": f.kurtosis,
                    "temperature_c": round(float(temperature), 1),
                    "run_hours": round(float(run), 1),
                }
            )
    session.execute(insert(ConditionDay), rows)
    # spring: the chilled-water pump's bearing degraded, weekly predictions flagged it, it failed and was repaired
    evaluated = 0
    for spec in SPECS:
        if spec.failed is None:
            continue
        asset = assets[spec.code]
        failed_on = today - dt.timedelta(days=spec.failed[1])
        for weeks_before in range(9, 0, -1):
            monitoring.predict(session, scope=scope, asset=asset, on=failed_on - dt.timedelta(days=7 * weeks_before))
        repair_id = _repair(session, scope=scope, asset=asset, failed_on=failed_on)
        monitoring.record_failure(
            session,
            scope=scope,
            asset_id=asset.id,
            data=FailureCreate(
                failed_on=failed_on, description="驱动端轴承外圈剥落，更换轴承", repair_order_id=repair_id
            ),
        )
        monitoring.train_model(session, scope=scope, class_id=asset.class_id, on=failed_on)
        evaluated += 1
    # today's predictions of every rotating machine; the most urgent recommendation gets its work order
    predictions = []
    for spec in SPECS:
        if spec.rpm is None:
            continue
        row = monitoring.predict(session, scope=scope, asset=assets[spec.code], on=today)
        if row is not None:
            predictions.append(row)
    flagged = sorted((p for p in predictions if p.recommend), key=lambda p: p.rul_days or 0.0)
    store = _spare_parts(session, scope=scope, park_id=park_id, classes=classes)
    if flagged:
        order_id = monitoring.open_recommended_order(session, scope=scope, prediction_id=flagged[0].id)
        bearing = store["BRG-6205-2RS"]
        use = PartConsumption(order_id=order_id, asset_id=flagged[0].asset_id, quantity=2, on=today)
        parts.consume(session, scope=scope, part_id=bearing.id, data=use)
    opened = service.due_plans(session, scope=scope, park_id=park_id, on=today)
    synced = registry_sync.sync_registry(session, scope=scope, park_id=park_id)
    session.flush()
    return {
        "assets": len(assets),
        "asset_condition_days": len(rows),
        "asset_predictions_flagged": len(flagged),
        "asset_failures": evaluated,
        "asset_plan_orders": len(opened),
        "asset_spare_parts": len(store),
        "assets_from_registry": synced.created,
    }


def _repair(session: Session, *, scope: Scope, asset: Asset, failed_on: dt.date) -> int:
    """The failure's repair order: reported at 08:40 that day, started at 09:30, the bearing replaced by 15:10."""
    morning = dt.datetime.combine(failed_on, dt.time(8, 40), tzinfo=dt.UTC)
    order_id = service.open_asset_order(
        session,
        scope=scope,
        asset=asset,
        title=f"{asset.name}：驱动端轴承故障抢修",
        title_en=f"{asset.name_en or asset.name}: drive-end bearing failure repair",
        description="振动超限停机，更换驱动端轴承并复测振动",
        origin=OriginKind.ASSET,
        origin_ref=str(asset.id),
        category=Category.REPAIR,
        priority=Priority.URGENT,
        now=morning,
    )
    if read_order(session, scope=scope, ident=order_id).state == State.OPEN.value:
        return order_id  # the park has no team for repairs: the order stays open
    complete_order(
        session,
        scope=scope,
        ident=order_id,
        note="更换 6205-2RS 轴承两套，复测振动 2.1 mm/s",
        started_at=morning + dt.timedelta(minutes=50),
        now=morning + dt.timedelta(hours=6, minutes=30),
    )
    return order_id


# code, name, English name, unit, class, stock, reorder level, reorder quantity, unit cost (yuan)
PARTS = (
    ("BRG-6205-2RS", "深沟球轴承6205-2RS", "Deep-groove ball bearing 6205-2RS", "套", "pump", 8, 4, 10, 38.0),
    ("SEAL-M7N-35", "机械密封M7N-35", "Mechanical seal M7N-35", "套", "pump", 3, 2, 4, 420.0),
    ("BELT-SPB-2500", "窄V带SPB2500", "Narrow V-belt SPB2500", "根", "fan", 8, 4, 8, 65.0),
    ("FLT-G4-595", "G4初效过滤器595×595", "G4 pre-filter 595×595", "个", "air_handler", 12, 20, 40, 48.0),
    ("OIL-R134A-POE", "冷冻机油POE 5L", "POE refrigeration oil 5 L", "桶", "chiller", 2, 1, 2, 960.0),
)


def _spare_parts(
    session: Session, *, scope: Scope, park_id: int, classes: dict[str, AssetClass]
) -> dict[str, SparePart]:
    """The store of the park's maintenance team (the air-handler filters are below their reorder level)."""
    found = {}
    for code, name, name_en, unit, klass, stock, level, quantity, cost in PARTS:
        data = PartCreate(
            code=code,
            name=name,
            name_en=name_en,
            unit=unit,
            class_id=classes[klass].id if klass in classes else None,
            stock=stock,
            reorder_level=level,
            reorder_quantity=quantity,
            unit_cost=cost,
            park_id=park_id,
        )
        found[code] = parts.create_part(session, scope=scope, data=data)
    return found
