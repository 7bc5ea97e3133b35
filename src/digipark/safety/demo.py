"""The demo park's safety and emergency data: risk points at the enterprises with gas detectors (linked to their
sensors, assessed by LEC or LS, every colour), a few major hazard sources with their substances (GB 18218-2018
grades from 一级 to 四级 and one below the threshold), hidden dangers in every state (some past their deadline), the
park's emergency plans, teams, supplies and shelters placed on the site plan, a past drill and a closed incident.
Written through the safety service (validated and audited); deterministic for a seed (dates follow the demo's
as-of day; deadlines that should be overdue lie before it)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.registry.models import Building, Device, Point, Zone
from digipark.safety import service
from digipark.safety.models import EmergencyResource, Incident, IncidentEvent, RiskPoint
from digipark.safety.schemas import (
    Assign,
    Close,
    HazardSourceCreate,
    HiddenDangerCreate,
    IncidentCreate,
    PlanCreate,
    PlanLevel,
    PlanRole,
    PlanStep,
    Rectify,
    ResourceCreate,
    RiskPointCreate,
    SubstanceIn,
    TaskCreate,
    TaskStatusChange,
    Verify,
)

# (name, category, hazards, controls, method, (L, E, C) or (L, S))
RISK_POINTS: list[tuple[str, str, list[str], list[str], str, tuple[float, ...]]] = [
    (
        "可燃气体储罐区",
        "危化品储存",
        ["泄漏", "火灾", "爆炸"],
        ["可燃气体检测报警", "紧急切断阀", "防火堤"],
        "LEC",
        (6, 6, 15),
    ),
    ("涂装车间", "易燃液体使用", ["溶剂挥发", "火灾"], ["局部排风", "防爆电气", "静电接地"], "LEC", (3, 6, 15)),
    ("有限空间（污水池）", "有限空间", ["中毒窒息"], ["作业审批", "先通风再检测后作业"], "LS", (3, 5)),
    ("配电室", "电气", ["触电", "电气火灾"], ["持证上岗", "定期巡检"], "LS", (2, 4)),
    ("危废暂存间", "危废贮存", ["泄漏", "中毒"], ["防渗漏托盘", "双人双锁"], "LEC", (1, 6, 7)),
    ("锅炉房", "特种设备", ["超压", "烫伤"], ["安全阀定期校验", "水位报警"], "LS", (2, 3)),
]
HAZARDS: list[tuple[str, str, int, list[tuple[str, float, list[str]]]]] = [
    ("液氯库", "storage", 150, [("液氯", 62.5, [])]),  # R = 2 × 4 × 12.5 = 100 → 一级
    ("氨制冷站", "production", 60, [("液氨", 50, [])]),  # R = 1.5 × 2 × 5 = 15 → 三级
    ("溶剂罐区", "storage", 120, [("甲醇", 600, ["W5.3"]), ("甲苯", 400, ["W5.3"])]),  # R = 2 × 2 = 4 → 四级
    ("氢气站", "production", 20, [("氢", 2, ["W2"])]),  # S = 0.4 < 1: not a major hazard source
]
DANGERS = [
    ("消防通道堆放杂物", "general", "verified"),
    ("可燃气体探头未按期标定", "major", "assigned_overdue"),
    ("应急照明损坏", "general", "assigned_overdue"),
    ("危废暂存间标识缺失", "general", "rectified"),
    ("配电柜门未上锁", "general", "found"),
    ("储罐呼吸阀堵塞", "major", "assigned"),
]


def _centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    if not geometry or not geometry.get("coordinates"):
        return None
    ring = geometry["coordinates"][0][:-1]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def build_safety_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    if session.scalar(select(func.count()).select_from(RiskPoint).where(RiskPoint.park_id == park_id)):
        return {"risk_points": 0}
    rng = random.Random(seed + 5)
    scope = system_scope(park_id)
    detectors = session.execute(
        select(Device.id, Device.enterprise_id, Device.building_id, Point.id)
        .join(Point, Point.device_id == Device.id)
        .where(
            Device.park_id == park_id,
            Device.kind.in_(["gas_detector", "toxic_gas_detector"]),
            Device.enterprise_id.is_not(None),
        )
        .order_by(Device.id, Point.id)
    ).all()
    by_enterprise: dict[int, tuple[int | None, list[int]]] = {}
    for _, enterprise_id, building_id, point_id in detectors:
        if enterprise_id is not None:
            by_enterprise.setdefault(enterprise_id, (building_id, []))[1].append(point_id)
    enterprises = list(by_enterprise.items())[:8]
    counts = {"risk_points": 0, "hazard_sources": 0, "hidden_dangers": 0, "plans": 0, "resources": 0, "incidents": 0}
    risk_ids: list[int] = []
    for i, (enterprise_id, (building_id, points)) in enumerate(enterprises):
        name, category, hazards, controls, method, values = RISK_POINTS[i % len(RISK_POINTS)]
        factors: dict[str, Any] = (
            {"l_value": values[0], "e_value": values[1], "c_value": values[2]}
            if method == "LEC"
            else {"l_value": values[0], "s_value": values[1]}
        )
        row = service.create_risk_point(
            session,
            scope=scope,
            data=RiskPointCreate(
                enterprise_id=enterprise_id,
                code=f"RP-{i + 1:03d}",
                name=name,
                category=category,
                responsible_person=rng.choice(["张伟", "王芳", "李强", "刘洋", "陈静"]),
                responsible_phone="0512-6500" + f"{i:04d}",
                hazards=hazards,
                controls=controls,
                method=method,
                point_ids=points[:2],
                building_id=building_id,
                **factors,
            ),
        )
        risk_ids.append(row.id)
        counts["risk_points"] += 1
    for i, (name, unit_kind, people, substances) in enumerate(HAZARDS):
        if i >= len(enterprises):
            break
        enterprise_id, (building_id, points) = enterprises[i]
        service.create_hazard_source(
            session,
            scope=scope,
            data=HazardSourceCreate(
                enterprise_id=enterprise_id,
                code=f"HS-{i + 1:03d}",
                name=name,
                unit_kind=unit_kind,
                exposed_people=people,
                building_id=building_id,
                point_ids=points[:1],
                substances=[SubstanceIn(name=n, quantity_t=q, categories=c) for n, q, c in substances],
            ),
        )
        counts["hazard_sources"] += 1
    today = service.today()
    park_buildings = [
        *session.scalars(
            select(Building.id)
            .where(Building.park_id == park_id, Building.use.in_(["office", "utility", "warehouse"]))
            .order_by(Building.id)
        )
    ]
    for i, (title, grade, state) in enumerate(DANGERS):
        enterprise_id, (building_id, _) = enterprises[i % len(enterprises)]
        if i in (2, 4) and park_buildings:  # the park's own public areas, elsewhere on the site plan
            enterprise_id, building_id = None, park_buildings[(i * 7) % len(park_buildings)]
        found_on = min(as_of, today) - dt.timedelta(days=3 + 4 * i)
        danger = service.create_hidden_danger(
            session,
            scope=scope,
            data=HiddenDangerCreate(
                enterprise_id=enterprise_id,
                title=title,
                grade=grade,
                building_id=building_id,
                risk_point_id=risk_ids[i % len(risk_ids)] if enterprise_id is not None else None,
                found_on=found_on,
            ),
        )
        counts["hidden_dangers"] += 1
        if state == "found":
            continue
        overdue = state == "assigned_overdue"
        deadline = found_on + dt.timedelta(days=2) if overdue else today + dt.timedelta(days=14)
        service.assign_hidden_danger(
            session, scope=scope, ident=danger.id, data=Assign(assignee="企业安全员", deadline=max(deadline, found_on))
        )
        if state in ("rectified", "verified"):
            service.rectify_hidden_danger(
                session, scope=scope, ident=danger.id, data=Rectify(rectification="已整改并拍照留档")
            )
        if state == "verified":
            service.verify_hidden_danger(
                session, scope=scope, ident=danger.id, data=Verify(passed=True, note="现场复查合格")
            )
    plans = [
        PlanCreate(
            code="YA-01",
            title="园区生产安全事故综合应急预案",
            plan_type="comprehensive",
            incident_kinds=["fire", "explosion", "injury", "other"],
            levels=[
                PlanLevel(level="I", criteria="可能造成3人以上死亡或需市级响应"),
                PlanLevel(level="II", criteria="跨企业影响或需园区全面响应"),
                PlanLevel(level="III", criteria="单个企业范围内，园区支援"),
                PlanLevel(level="IV", criteria="企业自行处置"),
            ],
            roles=[
                PlanRole(role="总指挥", duty="管委会分管主任"),
                PlanRole(role="现场指挥", duty="安监局值班长"),
                PlanRole(role="抢险救援组", duty="园区专职消防队"),
            ],
            steps=[
                PlanStep(title="接警并核实", role="值班员", within_minutes=5),
                PlanStep(title="启动响应，通知相关单位", role="总指挥", within_minutes=10),
                PlanStep(title="警戒疏散与抢险", role="现场指挥", within_minutes=30),
                PlanStep(title="信息报送区域应急指挥中心", role="值班员", within_minutes=60),
            ],
            version="2026",
            approved_on=as_of - dt.timedelta(days=200),
        ),
        PlanCreate(
            code="YA-02",
            title="危险化学品泄漏专项应急预案",
            plan_type="special",
            incident_kinds=["leak", "poisoning"],
            levels=[
                PlanLevel(level="II", criteria="有毒气体扩散出厂界"),
                PlanLevel(level="III", criteria="厂区内泄漏"),
            ],
            roles=[PlanRole(role="侦检组", duty="气体检测"), PlanRole(role="堵漏组", duty="关阀堵漏")],
            steps=[
                PlanStep(title="关闭紧急切断阀", role="堵漏组", within_minutes=5),
                PlanStep(title="设置警戒区，下风向疏散", role="侦检组", within_minutes=15),
            ],
            auto_open_severity="critical",
            version="2026",
            approved_on=as_of - dt.timedelta(days=150),
        ),
    ]
    for plan in plans:
        service.create_plan(session, scope=scope, data=plan)
        counts["plans"] += 1
    zones = {z.code: z for z in session.scalars(select(Zone).where(Zone.park_id == park_id))}
    resources = [
        ("team", "园区专职消防站", "fire", 32, "人", "Z07", (0.0, 0.0), "119"),
        ("team", "危化品应急救援队", "hazmat", 18, "人", "Z03", (0.0006, 0.0004), "0512-65001119"),
        ("team", "园区医疗急救点", "medical", 6, "人", "Z06", (-0.0004, 0.0003), "120"),
        ("supply", "应急物资库（吸附棉、堵漏工具）", "hazmat", 500, "件", "Z07", (0.0005, -0.0004), None),
        ("supply", "泡沫灭火剂储备", "foam", 20, "t", "Z02", (-0.0005, -0.0003), None),
        ("shelter", "中央公园避难场所", "open_space", 3000, "人", "Z06", (0.0008, -0.0006), None),
        ("shelter", "科创中心地下避难场所", "indoor", 1200, "人", "Z05", (0.0, 0.0005), None),
    ]
    for kind, name, category, qty, unit, zone_code, (dx, dy), phone in resources:
        zone = zones.get(zone_code)
        centre = _centre(zone.geometry) if zone else None
        service.create_resource(
            session,
            scope=scope,
            data=ResourceCreate(
                kind=kind,
                name=name,
                category=category,
                quantity=qty,
                unit=unit,
                zone_id=zone.id if zone else None,
                phone=phone,
                contact="值班室",
                lon=centre[0] + dx if centre else None,
                lat=centre[1] + dy if centre else None,
            ),
        )
        counts["resources"] += 1
    teams = [
        r
        for (r,) in session.execute(
            select(EmergencyResource.id)
            .where(EmergencyResource.park_id == park_id, EmergencyResource.kind == "team")
            .order_by(EmergencyResource.id)
        )
    ]
    now = dt.datetime.now(dt.UTC)
    for drill, days, title, title_en, kind in (
        (True, 40, "危化品泄漏综合应急演练", "Hazardous chemical leak: full-scale emergency drill", "leak"),
        (False, 12, "涂装车间小型火情", "Small fire in the paint shop", "fire"),
    ):
        enterprise_id, (building_id, _) = enterprises[1 if drill else 0]
        occurred = now - dt.timedelta(days=days)
        incident = service.create_incident(
            session,
            scope=scope,
            data=IncidentCreate(
                enterprise_id=enterprise_id,
                title=title,
                title_en=title_en,
                kind=kind,
                level="III",
                building_id=building_id,
                occurred_at=occurred,
                drill=drill,
                description="演练脚本：储罐法兰泄漏" if drill else "员工发现烟雾并报警",
            ),
        )
        task = service.add_task(
            session,
            scope=scope,
            ident=incident.id,
            data=TaskCreate(
                title="现场处置",
                team_id=teams[0] if teams else None,
                assignee=None if teams else "值班长",
                deadline=occurred + dt.timedelta(minutes=30),
            ),
        )
        service.change_task(session, scope=scope, ident=task.id, data=TaskStatusChange(status="done", note="处置完毕"))
        service.close_incident(
            session,
            scope=scope,
            ident=incident.id,
            data=Close(summary="演练达到预期目标，疏散用时8分钟" if drill else "电机过热引燃油污，已扑灭，无人员伤亡"),
        )
        closed = session.get(Incident, incident.id)
        assert closed is not None
        closed.closed_at = occurred + dt.timedelta(hours=2)
        events = session.scalars(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident.id).order_by(IncidentEvent.id)
        )
        for step, event in enumerate(events):  # the timeline as it happened, not as the demo wrote it
            event.at = occurred + dt.timedelta(minutes=25 * step)
        counts["incidents"] += 1
    session.flush()
    return counts
