"""The demo park's production services (declared in services.module): the park's catalogue — shared machines, a
clean room and a test lab, warehouse space, design, logistics docks, a bank's loans, and the transformation
catalogue's services — and a year of their use up to the demo's day: bookings approved and used (with their usage
and bills), warehouse and test usage, monthly group purchases of steel and packaging with their savings, finance
applications, demand-board posts, supplier shares and shipments. About seven in ten 规上 industrial enterprises use
a service in the year, so the coverage indicator (S2.2) has gaps to show."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import system_scope
from digipark.core.errors import Conflict
from digipark.core.listing import ListQuery
from digipark.registry.models import Enterprise
from digipark.services import booking, catalogue, finance, logistics, purchasing, supply_chain
from digipark.services.common import today, zone
from digipark.services.models import Booking, FinanceApplication, ServiceOffering
from digipark.services.schemas import (
    BookingCreate,
    DemandCreate,
    GateEventCreate,
    OfferingCreate,
    PostCreate,
    RelationCreate,
    ShareCreate,
    ShipmentCreate,
    SupplierCreate,
    UsageCreate,
)

# name, kind, provider, capacity, capacity unit, price, price unit, bookable units (0: no calendar), rules
CATALOGUE: tuple[tuple[str, str, str, float, str, float | None, str, int, str], ...] = (
    (
        "五轴联动加工中心 DMU 65",
        "shared_equipment",
        "园区共享制造中心",
        2,
        "台",
        260,
        "hour",
        2,
        "须经操作培训；提前24小时取消",
    ),
    ("激光切割机 6kW", "shared_equipment", "园区共享制造中心", 1, "台", 180, "hour", 1, "板厚不超过20mm"),
    ("三坐标测量机", "testing", "园区检验检测中心", 1, "台", 220, "hour", 1, "CNAS认可实验室出具报告另计"),
    ("万级洁净车间 300m²", "shared_equipment", "园区共享制造中心", 1, "间", 1200, "day", 1, "按天预约，含基础耗材"),
    ("材料理化检测", "testing", "园区检验检测中心", 40, "样/周", 650, "sample", 0, "出具报告5个工作日"),
    ("共享仓储（常温库）", "shared_warehouse", "园区物流公司", 12000, "m²", 28, "m2_month", 0, "按月结算，最短一个月"),
    ("工业设计与结构仿真", "rnd_design", "园区创新服务中心", 6, "项目/月", 18000, "project", 0, "按项目报价"),
    ("1号装卸月台", "logistics", "园区物流公司", 1, "个", 60, "hour", 1, "车辆须提前预约入园"),
)
LOAN = ("科技型企业信用贷", "苏州银行园区支行", 1000, "万元")
# the English of the catalogue's names, providers and capacity units, for English pages
ENGLISH = {
    "五轴联动加工中心 DMU 65": "5-axis machining centre DMU 65",
    "激光切割机 6kW": "Laser cutter 6 kW",
    "三坐标测量机": "Coordinate measuring machine",
    "万级洁净车间 300m²": "ISO 7 clean room, 300 m²",
    "材料理化检测": "Physical and chemical testing of materials",
    "共享仓储（常温库）": "Shared warehouse (ambient)",
    "工业设计与结构仿真": "Industrial design and structural simulation",
    "1号装卸月台": "Loading dock 1",
    "科技型企业信用贷": "Credit loan for technology enterprises",
    "园区共享制造中心": "Park shared manufacturing centre",
    "园区检验检测中心": "Park testing and inspection centre",
    "园区物流公司": "Park logistics company",
    "园区创新服务中心": "Park innovation service centre",
    "苏州银行园区支行": "Bank of Suzhou, park branch",
    "台": "machines",
    "间": "rooms",
    "样/周": "samples a week",
    "m²": "m²",
    "项目/月": "projects a month",
    "个": "docks",
    "万元": "10k yuan",
}


def build_services_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The demo's services and a year of their use (none when the park has services already)."""
    if session.scalar(select(func.count()).select_from(ServiceOffering).where(ServiceOffering.park_id == park_id)):
        return {"services": 0}
    rng = random.Random(seed + 17)
    scope = system_scope(park_id)
    offerings = [
        catalogue.OFFERINGS.create(
            session,
            scope=scope,
            data=OfferingCreate(
                kind=kind,
                name=name,
                name_en=ENGLISH[name],
                provider_name=provider,
                provider_name_en=ENGLISH[provider],
                capacity=capacity,
                capacity_unit=unit,
                capacity_unit_en=ENGLISH[unit],
                unit_price_yuan=price,
                price_unit=price_unit,
                bookable=units > 0,
                units=max(units, 1),
                rules=rules,
            ),
        )
        for name, kind, provider, capacity, unit, price, price_unit, units, rules in CATALOGUE
    ]
    loan = catalogue.OFFERINGS.create(
        session,
        scope=scope,
        data=OfferingCreate(
            kind="finance",
            name=LOAN[0],
            name_en=ENGLISH[LOAN[0]],
            provider_name=LOAN[1],
            provider_name_en=ENGLISH[LOAN[1]],
            capacity=LOAN[2],
            capacity_unit=LOAN[3],
            capacity_unit_en=ENGLISH[LOAN[3]],
            rules="年化利率3.45%起，最长3年，凭平台信用画像授信",
        ),
    )
    imported = catalogue.import_transformation_services(session, scope=scope, park_id=park_id)
    enterprises = _industrial(session, park_id)
    users = _users(rng, enterprises)
    counts = {"services": len(offerings) + 1 + len(imported)}
    if not users:
        return counts
    counts["service_usage"] = _usage(session, scope, rng, offerings, users, as_of)
    counts["group_purchases"] = _purchases(session, scope, rng, enterprises, as_of)
    counts["finance_applications"] = _finance(session, scope, rng, loan, users)
    counts["board_posts"] = _board(session, scope, rng, enterprises, as_of)
    counts["open_demands"] = _open_demands(session, scope, rng, enterprises)
    counts["shipments"] = _shipments(session, scope, rng, users)
    return counts


def _industrial(session: Session, park_id: int) -> list[Enterprise]:
    return list(
        session.scalars(
            select(Enterprise)
            .where(Enterprise.park_id == park_id, Enterprise.status == "active", Enterprise.industrial.is_(True))
            .order_by(Enterprise.id)
        )
    )


def _users(rng: random.Random, enterprises: list[Enterprise]) -> list[Enterprise]:
    """The enterprises using the park's services in the year: about seven in ten 规上, three in ten others."""
    above = [e for e in enterprises if e.above_scale]
    return [e for e in above if rng.random() < 0.7] + [
        e for e in enterprises if not e.above_scale and rng.random() < 0.3
    ]


def build_services_bookings_demo(session: Session, *, park_id: int, as_of: dt.date, seed: int) -> dict[str, int]:
    """The year's bookings of the shared machines (a part of its own, after the catalogue: the served demo writes
    each part in its own transaction, and this one is the longest)."""
    if session.scalar(select(func.count()).select_from(Booking).where(Booking.park_id == park_id)):
        return {"service_bookings": 0}
    rng = random.Random(seed + 17)
    users = _users(rng, _industrial(session, park_id))
    offerings = list(
        session.scalars(
            select(ServiceOffering)
            .where(ServiceOffering.park_id == park_id, ServiceOffering.bookable.is_(True))
            .order_by(ServiceOffering.id)
        )
    )
    if not users or not offerings:
        return {"service_bookings": 0}
    return {"service_bookings": _bookings(session, system_scope(park_id), rng, offerings, users, as_of)}


def _open_demands(session: Session, scope: Any, rng: random.Random, enterprises: list[Enterprise]) -> int:
    """Next month's packaging demands not yet gathered into a round (what the staff's aggregation shows)."""
    period = (today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    buyers = rng.sample(enterprises, k=min(len(enterprises), 5))
    for enterprise in buyers:
        purchasing.DEMANDS.create(
            session,
            scope=scope,
            data=DemandCreate(
                category="packaging",
                item="五层瓦楞纸箱 600×400×400",
                quantity=rng.randint(20, 120) * 100,
                unit="个",
                period=period,
                last_unit_price_yuan=round(6.8 * rng.uniform(0.99, 1.08), 2),
                enterprise_id=enterprise.id,
            ),
        )
    return len(buyers)


SHIPMENTS = (  # direction, goods, consignee, carrier, plate, weight (t), days from today, hour, gate events
    (
        "out",
        "伺服电机 120 台",
        "上海电气集团采购部",
        "德邦物流",
        "苏E3K512",
        3.6,
        -1,
        10,
        ("arrived", "loading", "departed"),
    ),
    ("in", "Q235B 热轧卷板", "本企业仓库", "沙钢物流", "苏B7G208", 28.0, -1, 14, ("arrived", "departed")),
    ("in", "五层瓦楞纸箱", "本企业仓库", "合兴包装", "苏E9M061", 2.2, 0, 9, ("arrived",)),
    ("out", "注塑外壳 8000 件", "宁波某家电厂", "顺丰快运", "苏E5Q733", 4.1, 0, 15, ()),
    ("out", "传动轴 1500 件", "常州某减速机厂", "园区物流公司", "苏E2H419", 6.5, 1, 9, ()),
    ("in", "ABS 颗粒", "本企业仓库", "中通快运", "浙B8L320", 12.0, 1, 13, ()),
)


def _shipments(session: Session, scope: Any, rng: random.Random, users: list[Enterprise]) -> int:
    """Shipments of yesterday, today and tomorrow (dated from the real day, since the gate is live state)."""
    for direction, goods, consignee, carrier, plate, weight, days, hour, events in SHIPMENTS:
        shipper = rng.choice(users)
        day = today() + dt.timedelta(days=days)
        row = logistics.SHIPMENTS.create(
            session,
            scope=scope,
            data=ShipmentCreate(
                direction=direction,
                consignee=consignee,
                carrier=carrier,
                plate=plate,
                goods=goods,
                weight_t=weight,
                expected_at=dt.datetime.combine(day, dt.time(hour), zone()),
                enterprise_id=shipper.id,
            ),
        )
        for kind in events:
            data = GateEventCreate(kind=kind, gate="2" if direction == "in" else "1")
            logistics.gate_event(session, scope=scope, ident=row.id, kind=data.kind, gate=data.gate)
    return len(SHIPMENTS)


def _bookings(
    session: Session,
    scope: Any,
    rng: random.Random,
    offerings: list[ServiceOffering],
    users: list[Enterprise],
    as_of: dt.date,
) -> int:
    """Working-day bookings of the bookable services over the year: mostly used, some declined or cancelled."""
    bookable = [o for o in offerings if o.bookable]
    made = 0
    day = as_of - dt.timedelta(days=364)
    while day <= as_of + dt.timedelta(days=14):
        if day.weekday() < 5:
            for offering in bookable:
                if rng.random() > 0.45:
                    continue
                hours = 24 if offering.price_unit == "day" else rng.choice((2, 3, 4, 4, 6, 8))
                start_hour = 0 if hours == 24 else rng.choice((8, 9, 10, 13, 14))
                start = dt.datetime.combine(day, dt.time(start_hour), zone())
                enterprise = rng.choice(users)
                try:
                    with session.begin_nested():
                        row = booking.create_booking(
                            session,
                            scope=scope,
                            data=BookingCreate(
                                offering_id=offering.id,
                                starts_at=start,
                                ends_at=start + dt.timedelta(hours=hours),
                                purpose=rng.choice(("试制样件", "小批量加工", "来料检测", "客户验货", "出货装车")),
                                enterprise_id=enterprise.id,
                            ),
                        )
                except Conflict:  # the slot is taken that day: the enterprise books another time
                    continue
                made += 1
                fate = rng.random()
                if day > as_of:
                    if fate < 0.6:
                        booking.decide(session, scope=scope, ident=row.id, approve=True)
                    continue
                if fate < 0.05:
                    booking.decide(session, scope=scope, ident=row.id, approve=False, note="设备已安排检修")
                    continue
                booking.decide(session, scope=scope, ident=row.id, approve=True)
                if fate < 0.1:
                    booking.cancel(session, scope=scope, ident=row.id)
                    continue
                begin = start.astimezone(dt.UTC)
                booking.check_in(session, scope=scope, ident=row.id, at=begin)
                booking.check_out(session, scope=scope, ident=row.id, at=begin + dt.timedelta(hours=hours))
        day += dt.timedelta(days=1)
    return made


def _usage(
    session: Session,
    scope: Any,
    rng: random.Random,
    offerings: list[ServiceOffering],
    users: list[Enterprise],
    as_of: dt.date,
) -> int:
    """Monthly warehouse space, tests and design projects of some users."""
    plain = [o for o in offerings if not o.bookable]
    tenants = rng.sample(users, k=min(len(users), 6))
    made = 0
    for months_back in range(12):
        month = (as_of.replace(day=1) - dt.timedelta(days=30 * months_back)).replace(day=1)
        for offering in plain:
            takers = tenants if offering.kind == "shared_warehouse" else rng.sample(users, k=min(len(users), 3))
            for enterprise in takers:
                if offering.kind != "shared_warehouse" and rng.random() < 0.5:
                    continue
                quantity = {"shared_warehouse": rng.choice((300, 500, 800, 1200)), "testing": rng.randint(2, 12)}.get(
                    offering.kind, 1
                )
                booking.record_usage(
                    session,
                    scope=scope,
                    data=UsageCreate(
                        offering_id=offering.id,
                        enterprise_id=enterprise.id,
                        used_on=min(month + dt.timedelta(days=rng.randint(0, 25)), as_of),
                        quantity=quantity,
                    ),
                )
                made += 1
    return made


def _purchases(session: Session, scope: Any, rng: random.Random, enterprises: list[Enterprise], as_of: dt.date) -> int:
    """Six months of group purchases of steel and packaging: awarded to the lowest of three quotes, delivered
    (except the current month's), a few per cent below each enterprise's own last price."""
    suppliers = {
        "steel": [
            purchasing.SUPPLIERS.create(session, scope=scope, data=SupplierCreate(name=n, categories=["steel"])).id
            for n in ("沙钢集团", "永钢集团", "华菱钢铁")
        ],
        "packaging": [
            purchasing.SUPPLIERS.create(session, scope=scope, data=SupplierCreate(name=n, categories=["packaging"])).id
            for n in ("合兴包装", "裕同科技")
        ],
    }
    items = {"steel": ("Q235B 热轧卷板 4mm", "t", 4150.0), "packaging": ("五层瓦楞纸箱 600×400×400", "个", 6.8)}
    buyers = rng.sample(enterprises, k=min(len(enterprises), 14))
    demands = 0
    for months_back in range(5, -1, -1):
        period = (as_of.replace(day=1) - dt.timedelta(days=30 * months_back)).replace(day=1)
        for category, (item, unit, price) in items.items():
            for enterprise in rng.sample(buyers, k=min(len(buyers), rng.randint(5, 10))):
                quantity = rng.randint(20, 120) if unit == "t" else rng.randint(2000, 20000)
                purchasing.DEMANDS.create(
                    session,
                    scope=scope,
                    data=DemandCreate(
                        category=category,
                        item=item,
                        quantity=quantity,
                        unit=unit,
                        period=period,
                        last_unit_price_yuan=round(price * rng.uniform(0.99, 1.08), 2),
                        enterprise_id=enterprise.id,
                    ),
                )
                demands += 1
            for round_row in purchasing.aggregate(session, scope=scope, category=category, period=period):
                for supplier in suppliers[category]:
                    quote = round(price * rng.uniform(0.93, 0.99), 2)
                    purchasing.add_quote(
                        session, scope=scope, round_id=round_row.id, supplier_id=supplier, unit_price_yuan=quote
                    )
                purchasing.award(session, scope=scope, round_id=round_row.id)
                if months_back == 0:
                    continue
                for demand in purchasing.DEMANDS.list(session, scope=scope, query=_query({"round_id": round_row.id}))[
                    0
                ]:
                    purchasing.deliver(session, scope=scope, demand_id=demand.id, delivered_quantity=demand.quantity)
    return demands


def _query(filters: dict[str, Any]) -> ListQuery:
    return ListQuery(filters=filters, page_size=1000)


def _finance(session: Session, scope: Any, rng: random.Random, loan: ServiceOffering, users: list[Enterprise]) -> int:
    """Three loan applications: one approved after the enterprise's consent, one under review, one just filed."""
    applicants = rng.sample(users, k=min(len(users), 3))
    for n, enterprise in enumerate(applicants):
        row = FinanceApplication(
            park_id=loan.park_id,
            enterprise_id=enterprise.id,
            offering_id=loan.id,
            provider_enterprise_id=None,
            amount_wan_yuan=(300, 500, 200)[n],
            term_months=(12, 24, 12)[n],
            purpose=("购置五轴加工设备", "智能化产线改造", "流动资金周转")[n],
            status="submitted",
            history=[],
        )
        session.add(row)
        session.flush()
        if n < 2:
            row.consent_at = row.profile_shared_at = row.created_at
            row.consent_by = "demo"
            row.profile = finance.credit_profile(session, park_id=loan.park_id, enterprise_id=enterprise.id)
            finance.decide(session, scope=scope, ident=row.id, status="reviewing", note=None)
        if n == 0:
            finance.decide(session, scope=scope, ident=row.id, status="approved", note="授信300万元，年化3.45%")
    return len(applicants)


def _board(session: Session, scope: Any, rng: random.Random, enterprises: list[Enterprise], as_of: dt.date) -> int:
    """Needs, capacity offers, a lead enterprise's scenario and capability, and its suppliers' shared figures."""
    if len(enterprises) < 4:
        return 0
    lead, *others = sorted(enterprises, key=lambda e: (not e.above_scale, e.id))
    posts: tuple[tuple[Enterprise, str, str, list[str], list[str], int | None, str | None], ...] = (
        (others[0], "need", "求购铝合金压铸件（电机端盖）", ["33", "34"], ["压铸", "端盖"], 5000, "件"),
        (others[1], "capacity", "注塑机夜班空闲产能", [], ["注塑", "外壳"], 30000, "件/月"),
        (others[2], "capacity", "数控车床空闲产能", [], ["车削", "轴", "端盖"], 8000, "件/月"),
        (lead, "scenario", "开放场景：供应商来料质量数据直连", [], ["质量追溯"], None, None),
        (lead, "capability", "共享能力：机器视觉缺陷检测模型", [], ["视觉检测"], None, None),
    )
    for enterprise, kind, title, codes, products, quantity, unit in posts:
        supply_chain.POSTS.create(
            session,
            scope=scope,
            data=PostCreate(
                kind=kind,
                title=title,
                industry_codes=codes,
                products=products,
                quantity=quantity,
                unit=unit,
                needed_by=as_of + dt.timedelta(days=45) if kind == "need" else None,
                enterprise_id=enterprise.id,
            ),
        )
    start = max(as_of, today()).replace(day=1)  # shortages ahead are live: from the real month on
    for n, supplier in enumerate(others[:3]):
        supply_chain.RELATIONS.create(
            session,
            scope=scope,
            data=RelationCreate(
                customer_enterprise_id=lead.id, goods=("电机端盖", "塑料外壳", "传动轴")[n], enterprise_id=supplier.id
            ),
        )
        for months_ahead in range(3):
            period = (start + dt.timedelta(days=32 * months_ahead)).replace(day=1)
            forecast = rng.randint(800, 1500)
            supply_chain.SHARES.create(
                session,
                scope=scope,
                data=ShareCreate(
                    lead_enterprise_id=lead.id,
                    item=("电机端盖", "塑料外壳", "传动轴")[n],
                    unit="件",
                    period=period,
                    forecast_order_qty=forecast,
                    capacity_qty=round(forecast * rng.uniform(0.7, 1.1)),
                    stock_qty=rng.randint(0, 200),
                    shared=n < 2,
                    enterprise_id=supplier.id,
                ),
            )
    return len(posts)
