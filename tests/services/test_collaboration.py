"""Group purchasing (aggregation, RFQ, award, split, delivery, savings), the demand board's matching, supplier
shares with consent and shortages ahead, and finance applications whose credit profile needs consent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.core.errors import Conflict, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.services import catalogue, finance, purchasing, supply_chain
from digipark.services.schemas import (
    ApplicationCreate,
    DemandCreate,
    OfferingCreate,
    PostCreate,
    ShareCreate,
    ShareUpdate,
    SupplierCreate,
)
from tests.conftest import World
from tests.services.helpers import admin, enterprise, new_enterprise, scope

MONTH = dt.date(2026, 3, 1)


def test_demands_are_aggregated_quoted_awarded_and_split(db: Session, world: World) -> None:
    e0, e1 = enterprise(world.a, 0), enterprise(world.a, 1)
    mine = [
        purchasing.DEMANDS.create(
            db,
            scope=e0,
            data=DemandCreate(
                category="steel", item="Q235 热轧卷板", quantity=30, unit="t", period=MONTH, last_unit_price_yuan=4200
            ),
        ),
        purchasing.DEMANDS.create(
            db,
            scope=e1,
            data=DemandCreate(
                category="steel",
                item="q235  热轧卷板",
                quantity=50,
                unit="t",
                period=dt.date(2026, 3, 17),
                last_unit_price_yuan=4100,
            ),
        ),
        purchasing.DEMANDS.create(
            db, scope=e1, data=DemandCreate(category="steel", item="304 不锈钢板", quantity=5, unit="t", period=MONTH)
        ),
    ]
    rounds = purchasing.aggregate(db, scope=admin(world.a), category="steel", period=MONTH)
    by_item = {r.item.casefold(): r for r in rounds}
    q235 = by_item["q235 热轧卷板"]
    assert (q235.total_quantity, q235.demand_count, len(rounds)) == (80, 2, 2)
    cheap = purchasing.SUPPLIERS.create(
        db, scope=admin(world.a), data=SupplierCreate(name="沙钢", categories=["steel"])
    )
    dear = purchasing.SUPPLIERS.create(db, scope=admin(world.a), data=SupplierCreate(name="宝钢", categories=["steel"]))
    purchasing.add_quote(db, scope=admin(world.a), round_id=q235.id, supplier_id=dear.id, unit_price_yuan=3990)
    purchasing.add_quote(db, scope=admin(world.a), round_id=q235.id, supplier_id=cheap.id, unit_price_yuan=3950)
    with pytest.raises(PermissionDenied):
        purchasing.award(db, scope=e0, round_id=q235.id)
    awarded = purchasing.award(db, scope=admin(world.a), round_id=q235.id)
    assert (awarded.supplier_id, awarded.awarded_unit_price_yuan) == (cheap.id, 3950)
    split = {
        d.id: d
        for d in purchasing.DEMANDS.list(db, scope=admin(world.a), query=ListQuery(filters={"round_id": q235.id}))[0]
    }
    assert set(split) == {mine[0].id, mine[1].id}
    assert all(d.status == "awarded" and d.awarded_unit_price_yuan == 3950 for d in split.values())
    purchasing.deliver(db, scope=admin(world.a), demand_id=mine[0].id, delivered_quantity=30)
    saved = {s.enterprise_id: s for s in purchasing.savings(db, scope=admin(world.a))}
    assert saved[world.a.enterprise_ids[0]].saved_yuan == pytest.approx(30 * 250)
    assert saved[world.a.enterprise_ids[1]].saved_yuan == pytest.approx(50 * 150)
    # an enterprise sees its own demands and savings only
    own = purchasing.DEMANDS.list(db, scope=e0, query=ListQuery(page_size=500))[0]
    assert {d.enterprise_id for d in own} == {world.a.enterprise_ids[0]}
    assert [s.enterprise_id for s in purchasing.savings(db, scope=e0)] == [world.a.enterprise_ids[0]]
    with pytest.raises(Conflict):  # an awarded demand no longer changes
        purchasing.DEMANDS.delete(db, scope=e0, ident=mine[0].id)


def test_the_demand_board_matches_capable_enterprises(db: Session, world: World) -> None:
    machining = new_enterprise(db, world.a, "精密机加工企业", "3484", serial=11)
    plastics = new_enterprise(db, world.a, "注塑件企业", "2927", serial=12)
    spare = scope(world.a, enterprise(world.a, 0).role, plastics)
    supply_chain.POSTS.create(
        db,
        scope=spare,
        data=PostCreate(kind="capacity", title="注塑机空闲产能", products=["注塑", "外壳"], quantity=20000, unit="件"),
    )
    need = supply_chain.POSTS.create(
        db,
        scope=enterprise(world.a, 0),
        data=PostCreate(
            kind="need",
            title="求购塑料外壳与精密轴",
            industry_codes=["348"],
            products=["外壳"],
            quantity=5000,
            unit="件",
        ),
    )
    found = supply_chain.match(db, scope=enterprise(world.a, 1), post_id=need.id)
    names = [m.enterprise_id for m in found]
    assert set(names) >= {machining, plastics}
    assert world.a.enterprise_ids[0] not in names  # not the poster itself
    plastic = next(m for m in found if m.enterprise_id == plastics)
    assert plastic.score == 3 and plastic.offer_ids  # keyword 2 + enough capacity 1
    assert next(m for m in found if m.enterprise_id == machining).score == 3  # industry 348x
    with pytest.raises(NotFound):
        supply_chain.match(db, scope=enterprise(world.b, 0), post_id=need.id)


def test_a_lead_enterprise_sees_shortages_only_of_shares_consented(db: Session, world: World) -> None:
    lead = world.a.enterprise_ids[0]
    supplier = enterprise(world.a, 1)
    future = (dt.date.today() + dt.timedelta(days=62)).replace(day=1)
    share = supply_chain.SHARES.create(
        db,
        scope=supplier,
        data=ShareCreate(
            lead_enterprise_id=lead,
            item="电机壳体",
            unit="件",
            period=future,
            forecast_order_qty=1000,
            capacity_qty=600,
            stock_qty=100,
        ),
    )
    assert supply_chain.shortages(db, scope=enterprise(world.a, 0)) == []
    with pytest.raises(NotFound):  # not shared yet: the lead does not see it
        supply_chain.SHARES.get(db, scope=enterprise(world.a, 0), ident=share.id)
    supply_chain.SHARES.update(db, scope=supplier, ident=share.id, data=ShareUpdate(shared=True))
    [shortage] = supply_chain.shortages(db, scope=enterprise(world.a, 0))
    assert (shortage.share_id, shortage.shortage_qty) == (share.id, 300)
    with pytest.raises(PermissionDenied):  # the lead reads, but does not change, the supplier's figures
        supply_chain.SHARES.update(db, scope=enterprise(world.a, 0), ident=share.id, data=ShareUpdate(stock_qty=1))


def test_a_credit_profile_is_shared_only_after_consent(db: Session, world: World) -> None:
    loan = catalogue.OFFERINGS.create(
        db,
        scope=admin(world.a),
        data=OfferingCreate(
            kind="finance", name="科技贷", provider_name="苏州银行", capacity=500, capacity_unit="万元"
        ),
    )
    applicant = enterprise(world.a, 0)
    row = finance.apply(
        db,
        scope=applicant,
        data=ApplicationCreate(offering_id=loan.id, amount_wan_yuan=300, term_months=12, purpose="设备更新"),
    )
    with pytest.raises(Conflict):  # no profile before consent
        finance.shared_profile(db, scope=admin(world.a), ident=row.id)
    with pytest.raises(Conflict):  # and no approval without it
        finance.decide(db, scope=admin(world.a), ident=row.id, status="approved", note=None)
    with pytest.raises(PermissionDenied):  # staff cannot consent for the enterprise
        finance.consent(db, scope=admin(world.a), ident=row.id)
    with pytest.raises(NotFound):  # another enterprise does not see the application
        finance.consent(db, scope=enterprise(world.a, 1), ident=row.id)
    finance.consent(db, scope=applicant, ident=row.id)
    profile = finance.shared_profile(db, scope=admin(world.a), ident=row.id)
    assert profile["enterprise"]["uscc"] and "safety" in profile and "digital_level" in profile
    assert finance.profile_pdf(profile).startswith(b"%PDF")
    assert (
        finance.decide(db, scope=admin(world.a), ident=row.id, status="approved", note="授信300万").status == "approved"
    )
