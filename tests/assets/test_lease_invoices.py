"""Monthly rent invoices of in-force leases: pro-rated by the days of each month on a hand-computed case (a lease
starting mid-month), issued once per month, paid; only a lease in force is invoiced; audited; on the asset page
(staff issue and mark paid); the leasing enterprise reads its own and no other enterprise does."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import lease_invoices, leases
from digipark.assets.models import Lease, LeaseInvoice
from digipark.assets.schemas import LeaseCreate, LeaseStateChange
from digipark.audit.models import AuditEntry
from digipark.core.errors import Conflict
from tests.assets.test_service import _asset
from tests.conftest import World, bearer
from tests.web.helpers import login, visible_text
from tests.workorders.helpers import scope_of


def _lease(db: Session, world: World, *, active: bool = True) -> Lease:
    admin = scope_of(db, "TA", "park_admin")
    asset = _asset(db, world, code="CHILLER-L", enterprise_id=None)
    data = LeaseCreate(
        enterprise_id=world.a.enterprise_ids[0],
        starts_on=dt.date(2026, 1, 17),
        ends_on=dt.date(2026, 4, 10),
        monthly_rent=3100.0,
    )
    lease = leases.create_lease(db, scope=admin, asset_id=asset.id, data=data)
    if active:
        leases.change_state(db, scope=admin, ident=lease.id, data=LeaseStateChange(state="active"))
    return lease


def test_rent_is_pro_rated_by_days_on_a_lease_starting_mid_month(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    lease = _lease(db, world)
    # by hand: January 17..31 = 15 of 31 days -> 3100 x 15/31 = 1500.00; February 28/28 -> 3100.00;
    # March 31/31 -> 3100.00; April 1..10 = 10 of 30 days -> 3100 x 10/30 = 1033.33
    made = lease_invoices.issue(db, scope=admin, lease_id=lease.id, on=dt.date(2026, 3, 2))
    assert [(i.month, i.days, i.amount, i.state) for i in made] == [
        (dt.date(2026, 1, 1), 15, 1500.00, "issued"),
        (dt.date(2026, 2, 1), 28, 3100.00, "issued"),
        (dt.date(2026, 3, 1), 31, 3100.00, "issued"),
    ]
    assert lease_invoices.issue(db, scope=admin, lease_id=lease.id, on=dt.date(2026, 3, 30)) == []  # once a month
    later = lease_invoices.issue(db, scope=admin, lease_id=lease.id, on=dt.date(2026, 12, 31))  # not past its end
    assert [(i.month, i.days, i.amount) for i in later] == [(dt.date(2026, 4, 1), 10, 1033.33)]
    total = sum(i.amount for i in lease_invoices.list_invoices(db, scope=admin, lease_id=lease.id))
    assert round(total, 2) == leases.income(lease, until=dt.date(2026, 12, 31))  # the same accrual as the income
    paid = lease_invoices.mark_paid(db, scope=admin, ident=made[0].id, on=dt.date(2026, 2, 5))
    assert (paid.state, paid.paid_on) == ("paid", dt.date(2026, 2, 5))
    with pytest.raises(Conflict):
        lease_invoices.mark_paid(db, scope=admin, ident=made[0].id, on=dt.date(2026, 2, 6))
    db.flush()
    audited = db.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == LeaseInvoice.__tablename__)).all()
    assert audited.count("create") == 4 and "update" in audited


def test_only_a_lease_in_force_is_invoiced(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    draft = _lease(db, world, active=False)
    with pytest.raises(Conflict):
        lease_invoices.issue(db, scope=admin, lease_id=draft.id, on=dt.date(2026, 3, 2))


def test_invoices_on_the_asset_page_and_only_the_lessee_reads_them(
    client: TestClient, world: World, db: Session
) -> None:
    lease = _lease(db, world)
    db.commit()
    csrf = login(client, "TA-park_admin")
    issued = client.post(
        f"/assets/{lease.asset_id}",
        data={"csrf_token": csrf, "action": "invoice", "lease_id": str(lease.id)},
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    rows = db.scalars(select(LeaseInvoice).where(LeaseInvoice.lease_id == lease.id)).all()
    assert min(r.month for r in rows) == dt.date(2026, 1, 1)
    text = visible_text(client.get(f"/assets/{lease.asset_id}").text)
    assert "租金账单" in text and "1,500.00" in text and "已开具" in text
    first = min(rows, key=lambda r: r.month)
    paid = client.post(
        f"/assets/{lease.asset_id}",
        data={"csrf_token": csrf, "action": "invoice_paid", "invoice_id": str(first.id)},
        follow_redirects=False,
    )
    assert paid.status_code == 303
    assert "已付" in visible_text(client.get(f"/assets/{lease.asset_id}").text)
    assert "Rent invoices" in visible_text(client.get(f"/assets/{lease.asset_id}?lang=en").text)
    own = client.get("/api/v1/assets/lease-invoices", headers=bearer(world.a.tokens["enterprise"]))
    assert own.status_code == 200 and {r["id"] for r in own.json()} == {r.id for r in rows}
    other = client.get("/api/v1/assets/lease-invoices", headers=bearer(world.a.tokens["enterprise2"]))
    assert other.status_code == 200 and other.json() == []
    # on the register page: the lessee sees its invoices, another enterprise does not
    client.cookies.clear()
    login(client, "TA-enterprise")
    mine = visible_text(client.get("/assets").text)
    assert "租金账单" in mine and "1,500.00" in mine and "CHILLER-L号循环水泵" in mine
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert "1,500.00" not in visible_text(client.get("/assets").text)
