"""Park notices: staff write and publish; every member of the park reads the published notices meant for them;
opening one leaves a read receipt. The plain create/read/update/delete is derived (`NOTICES`); publishing, receipts
and the unread list are below."""

from __future__ import annotations

import builtins
import datetime as dt
import zoneinfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.notices.models import Audience, Notice, NoticeReceipt
from digipark.notices.schemas import EnterpriseReaders, NoticeCreate, NoticeRead, NoticeUpdate, ReceiptSummary
from digipark.registry.models import Enterprise

VIEW = "notices.view"
WRITE = "notices.write"


def today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def audiences(scope: Scope) -> builtins.list[Audience]:
    """The audiences whose published notices `scope` reads: everyone's, enterprises' for enterprise users, staff's
    for park staff and reviewers."""
    found = [Audience.EVERYONE]
    if scope.can("notices.audience.enterprises"):
        found.append(Audience.ENTERPRISES)
    if scope.can("notices.audience.staff"):
        found.append(Audience.STAFF)
    return found


def read_condition(scope: Scope) -> ColumnElement[bool]:
    """Writers read every notice of their park, drafts and expired ones included; the other members only
    published, unexpired notices for their audience."""
    if scope.can(WRITE):
        return true()
    if not scope.can(VIEW):
        return false()
    return and_(
        Notice.published_at.is_not(None),
        Notice.audience.in_([a.value for a in audiences(scope)]),
        or_(Notice.expires_on.is_(None), Notice.expires_on >= today()),
    )


NOTICES: RecordType[Notice] = RecordType(
    name="notice",
    model=Notice,
    create_schema=NoticeCreate,
    update_schema=NoticeUpdate,
    read_schema=NoticeRead,
    list_spec=ListSpec(
        filters={
            "park_id": Notice.park_id,
            "category": Notice.category,
            "audience": Notice.audience,
            "pinned": Notice.pinned,
        },
        search=[Notice.title, Notice.body],
        sort={
            "id": Notice.id,
            "pinned": Notice.pinned,
            "published_at": Notice.published_at,
            "expires_on": Notice.expires_on,
            "title": Notice.title,
        },
        default_sort="-pinned,-published_at,-id",
    ),
    write_permission=WRITE,
    read_condition=read_condition,
)


def publish(session: Session, *, scope: Scope, ident: int) -> Notice:
    """Publish a draft now (409 when it is already published)."""
    row = NOTICES.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    if row.published_at is not None:
        raise Conflict(f"notice {ident} is already published")
    row.published_at = utcnow()
    row.published_by = scope.username
    session.flush()
    return row


def mark_read(session: Session, *, scope: Scope, ident: int) -> NoticeReceipt | None:
    """Record that the caller opened a notice it may read (once; the first time is kept). Receipts measure how far
    a notice reached its readers: drafts, the staff who write notices, and callers without a user account (jobs)
    leave none."""
    row = NOTICES.get(session, scope=scope, ident=ident)
    reader = _reader_id(scope)
    if row.published_at is None or reader is None:
        return None
    existing = _receipt(session, row.id, reader)
    if existing is not None:
        return existing
    receipt = NoticeReceipt(park_id=row.park_id, notice_id=row.id, user_id=reader, enterprise_id=scope.enterprise_id)
    try:
        with session.begin_nested():
            session.add(receipt)
    except IntegrityError:  # the same user opened it at the same moment elsewhere
        return _receipt(session, row.id, reader)
    return receipt


def _receipt(session: Session, notice_id: int, user_id: int) -> NoticeReceipt | None:
    stmt = select(NoticeReceipt).where(NoticeReceipt.notice_id == notice_id, NoticeReceipt.user_id == user_id)
    return session.scalar(stmt)


def receipts(session: Session, *, scope: Scope, ident: int) -> ReceiptSummary:
    """How many users have opened a notice, and which enterprises' users (writers only)."""
    row = NOTICES.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    total = session.scalar(select(func.count()).where(NoticeReceipt.notice_id == row.id)) or 0
    by_enterprise = session.execute(
        select(Enterprise.id, Enterprise.name, func.count(NoticeReceipt.id), func.min(NoticeReceipt.first_read_at))
        .join(Enterprise, Enterprise.id == NoticeReceipt.enterprise_id)
        .where(NoticeReceipt.notice_id == row.id)
        .group_by(Enterprise.id, Enterprise.name)
        .order_by(func.min(NoticeReceipt.first_read_at), Enterprise.id)
    ).all()
    enterprises = [
        EnterpriseReaders(enterprise_id=e_id, name=name, readers=count, first_read_at=_utc(first))
        for e_id, name, count, first in by_enterprise
    ]
    return ReceiptSummary(
        notice_id=row.id,
        readers=total,
        enterprises=enterprises,
        other_readers=total - sum(e.readers for e in enterprises),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    """An aggregate bypasses the column type: SQLite gives the stored naive UTC value (or its text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _reader_id(scope: Scope) -> int | None:
    """The user whose receipts count: none for the writers of notices and for jobs (they leave no receipts)."""
    return None if scope.can(WRITE) else scope.user_id


def unread_among(session: Session, *, scope: Scope, rows: builtins.list[Notice]) -> set[int]:
    """Which of `rows` are published and not yet opened by the caller (none for writers)."""
    reader = _reader_id(scope)
    published = [r.id for r in rows if r.published_at is not None]
    if reader is None or not published:
        return set()
    opened = select(NoticeReceipt.notice_id).where(
        NoticeReceipt.user_id == reader, NoticeReceipt.notice_id.in_(published)
    )
    return set(published) - set(session.scalars(opened))


def unread(session: Session, *, scope: Scope) -> builtins.list[int]:
    """The published notices the caller may read and has not opened, newest first (none for writers)."""
    reader = _reader_id(scope)
    if reader is None:
        return []
    opened = select(NoticeReceipt.notice_id).where(NoticeReceipt.user_id == reader)
    stmt = (
        NOTICES.readable(scope, select(Notice.id))
        .where(Notice.published_at.is_not(None), Notice.id.not_in(opened))
        .order_by(Notice.published_at.desc(), Notice.id.desc())
    )
    return builtins.list(session.scalars(stmt))
