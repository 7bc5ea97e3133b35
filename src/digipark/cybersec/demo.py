"""The demo park's infrastructure and security: network elements following the buildings' declared coverage (fibre
where the registry says gigabit fibre, 5G or 5G-A where it says 5G; 万兆光网 in the newer buildings), an AI compute
pool and a general cloud pool with enterprises' allocations, gradings and data catalogues of part of the
industrial enterprises, ICS self-assessments of three of them with a rectification task each, the park firewall's
network as a syslog source, ICS assets with one advisory that matches, and a brute-force burst of the last hour
correlated into an incident."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core.db import utcnow
from digipark.cybersec import events, ics
from digipark.cybersec.correlate import Event
from digipark.cybersec.models import (
    Advisory,
    ComputeAllocation,
    ComputeResource,
    DataItem,
    IcsAssessment,
    IcsAsset,
    IcsTask,
    LogSource,
    NetworkElement,
    SecurityGrading,
)
from digipark.cybersec.security import checklist_for
from digipark.registry.models import Building, Enterprise

DATA = (
    ("工艺参数库", "important"),
    ("设备运行数据", "general"),
    ("客户订单数据", "important"),
    ("产品图册", "general"),
)


def build_cybersec_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    if session.scalar(select(func.count(NetworkElement.id)).where(NetworkElement.park_id == park_id)):
        return {}
    rng = random.Random(seed + 22)
    buildings = list(session.scalars(select(Building).where(Building.park_id == park_id).order_by(Building.code)))
    elements = 0
    for b in buildings:
        if b.gigabit_fibre:
            tech = "fibre_10g" if rng.random() < 0.3 else "fibre_gigabit"
            session.add(
                NetworkElement(
                    park_id=park_id,
                    code=f"F-{b.code}",
                    name=f"{b.name}光纤入楼",
                    kind="fibre_access",
                    technology=tech,
                    building_id=b.id,
                    operator_name="中国电信",
                    bandwidth_mbps=10000 if tech == "fibre_10g" else 1000,
                    status="in_service",
                )
            )
            elements += 1
        if b.coverage_5g:
            tech = "5g_a" if rng.random() < 0.2 else "5g"
            session.add(
                NetworkElement(
                    park_id=park_id,
                    code=f"R-{b.code}",
                    name=f"{b.name}5G室分",
                    kind="base_station",
                    technology=tech,
                    building_id=b.id,
                    floor_level=1,
                    operator_name="中国移动",
                    status="in_service",
                )
            )
            elements += 1
    pools = [
        ComputeResource(
            park_id=park_id,
            code="AI-01",
            name="园区智算中心",
            name_en="Park AI Computing Centre",
            kind="ai",
            capacity=300,
            accelerators=512,
        ),
        ComputeResource(
            park_id=park_id,
            code="CL-01",
            name="园区工业云通用算力",
            name_en="Park industrial cloud, general compute",
            kind="general",
            capacity=20000,
            racks=40,
        ),
    ]
    session.add_all(pools)
    session.flush()
    industrial = list(
        session.scalars(
            select(Enterprise)
            .where(Enterprise.park_id == park_id, Enterprise.industrial.is_(True))
            .order_by(Enterprise.id)
        )
    )
    allocations = 0
    for e in industrial[:14]:
        pool = pools[allocations % 2]
        session.add(
            ComputeAllocation(
                park_id=park_id,
                enterprise_id=e.id,
                resource_id=pool.id,
                amount=round(pool.capacity * rng.uniform(0.01, 0.05), 1),
                starts_on=as_of - dt.timedelta(days=rng.randint(30, 400)),
            )
        )
        allocations += 1
    graded = 0
    for e in industrial[: max(1, len(industrial) * 3 // 5)]:
        level = rng.choice((2, 2, 3))
        statuses = {a: rng.choice(("met", "met", "partial", "todo")) for a in checklist_for(level, None)}
        session.add(
            SecurityGrading(
                park_id=park_id,
                enterprise_id=e.id,
                category="connected_industrial",
                grade=rng.choice((1, 2, 2, 3)),
                protection_level=level,
                system_name="生产管理系统（MES）",
                graded_on=as_of - dt.timedelta(days=rng.randint(20, 300)),
                evidence="企业分类分级自评报告及主管部门确认意见",
                checklist=statuses,
            )
        )
        for name, level_key in DATA:
            filed = level_key == "important" and rng.random() < 0.8
            session.add(
                DataItem(
                    park_id=park_id,
                    enterprise_id=e.id,
                    name=name,
                    level=level_key,
                    filing_status="not_required" if level_key == "general" else "filed" if filed else "to_file",
                    filed_on=as_of - dt.timedelta(days=10) if filed else None,
                )
            )
        graded += 1
    for i, e in enumerate(industrial[:6]):
        session.add(
            IcsAsset(
                park_id=park_id,
                enterprise_id=e.id,
                name=f"产线PLC-{i + 1}",
                name_en=f"Production line PLC {i + 1}",
                kind="plc",
                vendor="Siemens",
                model="S7-1200 CPU1214C",
                firmware=("V4.4.0", "V4.6.1")[i % 2],
                ip_address=f"10.20.{i}.10",
            )
        )
    session.add(
        Advisory(
            park_id=park_id,
            ident="CNVD-DEMO-0001",
            title="S7-1200 拒绝服务漏洞（演示）",
            title_en="S7-1200 denial-of-service vulnerability (demo)",
            vendor="Siemens",
            model_pattern="S7-1200*",
            affected="<4.5.2",
            fixed_version="4.5.2",
            severity="major",
            source="演示数据",
        )
    )
    assessed = 0
    for e in industrial[:3]:  # ICS self-assessments against 《工业控制系统网络安全防护指南》 with a task per first gap
        answers = {
            key: {"status": rng.choice(("met", "met", "met", "partial", "not_met")), "evidence": "自评记录"}
            for key in ics.items()
        }
        assessment = IcsAssessment(
            park_id=park_id,
            enterprise_id=e.id,
            title=f"{as_of.year} 年度工控安全防护自评估",
            assessed_on=as_of - dt.timedelta(days=rng.randint(5, 60)),
            assessor="企业安全负责人",
            answers=answers,
        )
        session.add(assessment)
        session.flush()
        gaps = ics.score(answers)[2]
        if gaps:
            session.add(
                IcsTask(
                    park_id=park_id,
                    enterprise_id=e.id,
                    assessment_id=assessment.id,
                    item=gaps[0].item,
                    title=f"整改：{gaps[0].name}"[:300],
                    owner="设备部 工程师",
                    due_on=as_of + dt.timedelta(days=45),
                )
            )
        assessed += 1
    session.add(LogSource(park_id=park_id, name="园区核心防火墙", network="10.0.0.0/8"))
    session.flush()
    now = utcnow().timestamp() - 3600
    burst = [Event(now + i * 3, "auth_failure", "fw-core", "203.0.113.45", "10.0.0.10", 22, "root") for i in range(8)]
    result = events.ingest(session, park_id=park_id, events=burst)
    return {
        "network_elements": elements,
        "allocations": allocations,
        "gradings": graded,
        "ics_assessments": assessed,
        "incidents": result.incidents_opened,
    }
