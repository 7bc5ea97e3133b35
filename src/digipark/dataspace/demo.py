"""The demo park's data space (declared in dataspace.module): an enterprise's monthly energy offered for
benchmarking, another's inspection data cleaned into a dataset and offered for maintenance, the park's building
electricity; contracts in each state (agreed and used, requested, revoked) with their ledgers; identifiers of
products, batches and equipment (equipment linked to the registry's devices). Contracts run from the real "now":
what a user sees live (periods, downloads left) must be current."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.auth.scope import Scope, system_scope
from digipark.dataspace import datasets, identifiers, jobs, service
from digipark.dataspace.models import CollectionSource, DataProduct, IdentifierKind, Source
from digipark.dataspace.schemas import ContractRequest, JobCreate, ProductCreate
from digipark.registry.models import Device, Enterprise

PREFIX = "88.131.20261"  # the demo park's (fictional) prefix in the format of data/terms.yaml

INSPECTION_RULES: list[dict[str, Any]] = [
    {"rule": "type", "column": "vibration", "type": "number"},
    {"rule": "type", "column": "day", "type": "date"},
    {"rule": "required", "column": "machine"},
    {"rule": "dedup", "keys": ["machine", "day"]},
    {"rule": "range", "column": "vibration", "min": 0, "max": 50},
    {"rule": "gap_fill", "column": "vibration", "order_by": "day", "method": "linear"},
]


def _enterprise_scope(park_id: int, enterprise: Enterprise) -> Scope:
    return Scope(
        role=Role.ENTERPRISE,
        username=f"demo-{enterprise.id}",
        park_id=park_id,
        read_parks=frozenset({park_id}),
        enterprise_id=enterprise.id,
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
    )


def _inspection_rows(rng: random.Random, as_of: dt.date) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for machine in ("IM-01", "IM-02", "IM-03"):
        for back in range(30, 0, -1):
            day = (as_of - dt.timedelta(days=back)).isoformat()
            value: Any = round(rng.uniform(2.0, 7.5), 2)
            if rng.random() < 0.05:
                value = ""  # a reading the collector missed: filled, with the method recorded
            elif rng.random() < 0.03:
                value = "ERR"  # a sensor fault: refused as not a number
            rows.append({"machine": machine, "day": day, "vibration": value, "unit": "mm/s"})
    rows.append(dict(rows[5]))  # a row sent twice: refused as a duplicate
    return rows


def build_dataspace_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo's data products, contracts and identifiers (none when the park has products already)."""
    if session.scalar(select(func.count()).select_from(DataProduct).where(DataProduct.park_id == park_id)):
        return {"products": 0}
    rng = random.Random(seed + 21)
    enterprises = list(
        session.scalars(select(Enterprise).where(Enterprise.park_id == park_id).order_by(Enterprise.id).limit(4))
    )
    if len(enterprises) < 4:
        return {"products": 0}
    e1, e2, e3, e4 = (_enterprise_scope(park_id, e) for e in enterprises)
    staff = system_scope(park_id)

    provider_en = enterprises[0].name_en or enterprises[0].name
    energy = service.create_product(
        session,
        scope=e1,
        data=ProductCreate(
            title=f"{enterprises[0].name} {as_of.year}年月度能耗与碳排放",
            title_en=f"{provider_en}: monthly energy use and CO2 emissions, {as_of.year}",
            description="按月的综合能耗（当量值、等价值）、二氧化碳排放和用电量，用于园区内能效对标。",
            source=Source.ENERGY_MONTHLY,
            year=as_of.year,
            columns=list(service.ENERGY_COLUMNS),
            purposes=["energy_benchmarking", "carbon_accounting"],
            max_accesses=12,
            max_days=365,
        ),
    )
    inspection = datasets.import_rows(
        session, scope=e2, name="注塑机振动巡检（近30天）", rows=_inspection_rows(rng, as_of), rules=INSPECTION_RULES
    )
    vibration = service.create_product(
        session,
        scope=e2,
        data=ProductCreate(
            title="注塑机振动巡检数据",
            title_en="Injection moulding machines: vibration inspection data",
            description="三台注塑机近30天的日振动速度有效值（mm/s），已清洗：去重、异常值剔除、缺测线性补齐。",
            source=Source.DATASET,
            dataset_id=inspection.id,
            columns=["machine", "day", "vibration", "unit"],
            purposes=["maintenance", "research"],
            max_accesses=5,
            max_days=90,
        ),
    )
    jobs.create_job(
        session,
        scope=e2,
        data=JobCreate(
            name="注塑机振动巡检（每日汇总）",
            source=CollectionSource.TABLE,
            dataset_id=inspection.id,
            rules=[{"rule": "dedup", "keys": ["machine", "day"]}],
            cron="0 2 * * *",
        ),
    )
    building_rows = [
        {"building": b, "month": f"{as_of.year}-{m:02d}", "kwh": round(rng.uniform(80_000, 160_000))}
        for b in ("A1", "A2", "B1")
        for m in range(1, as_of.month + 1)
    ]
    park_data = datasets.import_rows(
        session,
        scope=staff,
        name="公共楼宇月度用电",
        rows=building_rows,
        rules=[{"rule": "type", "column": "kwh", "type": "number"}, {"rule": "range", "column": "kwh", "min": 0}],
    )
    park_product = service.create_product(
        session,
        scope=staff,
        data=ProductCreate(
            title="园区公共楼宇月度用电",
            title_en="Park public buildings: monthly electricity use",
            description="园区公共楼宇逐月用电量，供入园企业研究和能效对标。",
            source=Source.DATASET,
            dataset_id=park_data.id,
            columns=["building", "month", "kwh"],
            purposes=["energy_benchmarking", "research"],
            max_accesses=10,
            max_days=180,
        ),
    )
    used = service.request_contract(
        session,
        scope=e3,
        product_id=energy.id,
        data=ContractRequest(purposes=["energy_benchmarking"], days=180, max_accesses=6),
    )
    service.agree(session, scope=e1, ident=used.id)
    service.access(session, scope=e3, ident=used.id, purpose="energy_benchmarking")
    service.access(session, scope=e3, ident=used.id, purpose="carbon_accounting")  # refused: not agreed for it
    service.request_contract(
        session,
        scope=e4,
        product_id=vibration.id,
        data=ContractRequest(purposes=["maintenance"], days=30, max_accesses=2),
    )
    ended = service.request_contract(
        session,
        scope=e2,
        product_id=park_product.id,
        data=ContractRequest(purposes=["research"], days=60, max_accesses=3),
    )
    service.agree(session, scope=staff, ident=ended.id)
    service.access(session, scope=e2, ident=ended.id, purpose="research")
    service.revoke(session, scope=staff, ident=ended.id)

    devices = list(
        session.scalars(
            select(Device)
            .where(Device.park_id == park_id, Device.enterprise_id == enterprises[0].id)
            .order_by(Device.id)
            .limit(2)
        )
    )
    registered = 0
    for n, device in enumerate(devices, start=1):
        identifiers.register(
            session,
            scope=e1,
            handle=f"{PREFIX}/EQ-{device.code}",
            kind=IdentifierKind.EQUIPMENT.value,
            name=device.name,
            attributes={"序号": n},
            device_id=device.id,
        )
        registered += 1
    for handle, kind, name, attributes in (
        (f"{PREFIX}/P-2026-0001", IdentifierKind.PRODUCT, "精密注塑件 A 型", {"规格": "Φ32", "材料": "PA66"}),
        (
            f"{PREFIX}/B-20261015-07",
            IdentifierKind.BATCH,
            "精密注塑件 A 型 第07批",
            {"数量": 1200, "日期": "2026-10-15"},
        ),
    ):
        identifiers.register(
            session,
            scope=e2,
            handle=handle,
            kind=kind.value,
            name=name,
            attributes=attributes,
            target_url="https://mes.example.com/trace",
        )
        registered += 1
    return {"products": 3, "contracts": 3, "identifiers": registered, "jobs": 1}
