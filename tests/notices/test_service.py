"""Notices: who reads which (audience, drafts, expiry), who writes and publishes, and read receipts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core.errors import Conflict, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.notices import service
from digipark.notices.demo import build_notices_demo
from digipark.notices.models import Notice, NoticeReceipt
from digipark.notices.schemas import NoticeCreate, NoticeUpdate
from tests.conftest import World
from tests.notices.helpers import notice, scope_of

ALL = ListQuery(page_size=500)


def _visible(db: Session, account: str, park: str = "TA") -> set[int]:
    rows, _ = service.NOTICES.list(db, scope=scope_of(db, park, account), query=ALL)
    return {r.id for r in rows}


def test_each_member_reads_the_published_notices_for_its_audience(db: Session, world: World) -> None:
    everyone = notice(db, audience="everyone").id
    enterprises = notice(db, audience="enterprises").id
    staff = notice(db, audience="staff").id
    ours = {everyone, enterprises, staff}
    assert _visible(db, "resident") & ours == {everyone}
    assert _visible(db, "enterprise") & ours == {everyone, enterprises}
    assert _visible(db, "enterprise2") & ours == {everyone, enterprises}
    assert _visible(db, "reviewer") & ours == ours
    assert _visible(db, "operator") & ours == ours
    assert not _visible(db, "park_admin", "TB") & ours  # another park's staff
    with pytest.raises(NotFound):
        service.NOTICES.get(db, scope=scope_of(db, "TA", "resident"), ident=staff)


def test_drafts_and_expired_notices_only_for_the_writers(db: Session, world: World) -> None:
    draft = notice(db, publish=False).id
    yesterday = service.today() - dt.timedelta(days=1)
    expired = notice(db, expires_on=yesterday).id
    today = notice(db, expires_on=service.today()).id
    for account in ("resident", "enterprise", "reviewer"):
        assert _visible(db, account) & {draft, expired, today} == {today}, account
        with pytest.raises(NotFound):
            service.NOTICES.get(db, scope=scope_of(db, "TA", account), ident=draft)
    assert _visible(db, "operator") >= {draft, expired, today}


def test_only_park_staff_write_and_publish(db: Session, world: World) -> None:
    data = NoticeCreate(title="活动", body="周五篮球赛。", category="event")
    for account in ("enterprise", "resident", "reviewer"):
        with pytest.raises(PermissionDenied):
            service.NOTICES.create(db, scope=scope_of(db, "TA", account), data=data)
    row = service.NOTICES.create(db, scope=scope_of(db, "TA", "operator"), data=data)
    assert (row.park_id, row.published_at, row.category) == (world.a.park_id, None, "event")
    with pytest.raises(NotFound):  # park B's admin does not see park A's draft
        service.publish(db, scope=scope_of(db, "TB", "park_admin"), ident=row.id)
    published = service.publish(db, scope=scope_of(db, "TA", "park_admin"), ident=row.id)
    assert published.published_at is not None and published.published_by == "TA-park_admin"
    with pytest.raises(Conflict):
        service.publish(db, scope=scope_of(db, "TA", "park_admin"), ident=row.id)
    with pytest.raises(PermissionDenied):  # the enterprise reads it now, but may not change it
        service.NOTICES.update(db, scope=scope_of(db, "TA", "enterprise"), ident=row.id, data=NoticeUpdate(title="x"))
    with pytest.raises(NotFound):  # park B's admin names park A
        service.NOTICES.create(
            db, scope=scope_of(db, "TB", "park_admin"), data=data.model_copy(update={"park_id": world.a.park_id})
        )


def test_opening_a_notice_records_one_receipt_per_user(db: Session, world: World) -> None:
    row = notice(db)
    first = service.mark_read(db, scope=scope_of(db, "TA", "enterprise"), ident=row.id)
    assert first is not None
    again = service.mark_read(db, scope=scope_of(db, "TA", "enterprise"), ident=row.id)
    assert again is not None and again.id == first.id
    count = db.scalar(select(func.count()).where(NoticeReceipt.notice_id == row.id))
    assert count == 1
    receipt = db.scalar(select(NoticeReceipt).where(NoticeReceipt.notice_id == row.id))
    assert receipt is not None and receipt.first_read_at == first.first_read_at
    assert receipt.enterprise_id == world.a.enterprise_ids[0]


def test_drafts_and_the_writers_leave_no_receipt(db: Session, world: World) -> None:
    draft, published = notice(db, publish=False), notice(db)
    assert service.mark_read(db, scope=scope_of(db, "TA", "operator"), ident=draft.id) is None
    assert service.mark_read(db, scope=scope_of(db, "TA", "park_admin"), ident=published.id) is None
    assert service.mark_read(db, scope=scope_of(db, "TA", "reviewer"), ident=published.id) is not None
    counts = db.execute(
        select(NoticeReceipt.notice_id, func.count())
        .group_by(NoticeReceipt.notice_id)
        .where(NoticeReceipt.notice_id.in_([draft.id, published.id]))
    ).all()
    assert dict(counts) == {published.id: 1}


def test_staff_see_how_many_and_which_enterprises_read_it(db: Session, world: World) -> None:
    row = notice(db)
    for account in ("enterprise", "enterprise2", "resident", "enterprise", "operator"):
        service.mark_read(db, scope=scope_of(db, "TA", account), ident=row.id)
    summary = service.receipts(db, scope=scope_of(db, "TA", "operator"), ident=row.id)
    assert summary.readers == 3 and summary.other_readers == 1
    assert {(e.enterprise_id, e.name, e.readers) for e in summary.enterprises} == {
        (world.a.enterprise_ids[0], "TA企业0", 1),
        (world.a.enterprise_ids[1], "TA企业1", 1),
    }
    assert all(e.first_read_at.tzinfo is not None for e in summary.enterprises)
    for account in ("enterprise", "reviewer", "resident"):
        with pytest.raises(PermissionDenied):
            service.receipts(db, scope=scope_of(db, "TA", account), ident=row.id)
    with pytest.raises(NotFound):
        service.receipts(db, scope=scope_of(db, "TB", "park_admin"), ident=row.id)


def test_unread_lists_what_the_reader_has_not_opened(db: Session, world: World) -> None:
    first, second = notice(db), notice(db, title="第二条")
    draft = notice(db, publish=False)
    staff_only = notice(db, audience="staff")
    reader = scope_of(db, "TA", "enterprise")
    before = service.unread(db, scope=reader)
    assert {first.id, second.id} <= set(before) and not {draft.id, staff_only.id} & set(before)
    service.mark_read(db, scope=reader, ident=first.id)
    after = service.unread(db, scope=reader)
    assert first.id not in after and second.id in after
    assert service.unread_among(db, scope=reader, rows=[first, second, draft]) == {second.id}
    assert first.id in service.unread(db, scope=scope_of(db, "TA", "enterprise2"))  # receipts are per user
    writer = scope_of(db, "TA", "operator")  # the writers leave no receipts: nothing is unread for them
    assert service.unread(db, scope=writer) == [] and service.unread_among(db, scope=writer, rows=[second]) == set()


def test_deleting_a_notice_removes_its_receipts(db: Session, world: World) -> None:
    row = notice(db)
    service.mark_read(db, scope=scope_of(db, "TA", "resident"), ident=row.id)
    service.NOTICES.delete(db, scope=scope_of(db, "TA", "park_admin"), ident=row.id)
    assert db.scalar(select(func.count()).where(NoticeReceipt.notice_id == row.id)) == 0


def test_the_demo_notices_are_published_pinned_targeted_and_one_draft(db: Session, world: World) -> None:
    park_id = world.a.park_id
    counts = build_notices_demo(db, park_id=park_id, as_of=dt.date(2026, 10, 31), seed=1)
    assert counts == {"notices": 6}
    rows = db.scalars(select(Notice).where(Notice.park_id == park_id)).all()
    assert sum(r.pinned for r in rows) == 1 and sum(r.published_at is None for r in rows) == 1
    assert {r.audience for r in rows} == {"everyone", "enterprises", "staff"}
    assert build_notices_demo(db, park_id=park_id, as_of=dt.date(2026, 10, 31), seed=1) == {"notices": 0}
