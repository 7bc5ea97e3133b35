"""Shared helpers of the notices tests: the scopes of a park's accounts, and notices made as its admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from digipark.notices import service
from digipark.notices.models import Notice
from digipark.notices.schemas import NoticeCreate


def scope_of(db: Session, park_code: str, account: str) -> Scope:
    """The scope of a test account ("TA", "enterprise" -> user TA-enterprise), with its user id."""
    user = db.scalar(select(User).where(User.username == f"{park_code}-{account}"))
    assert user is not None
    return scope_for(db, user)


def notice(
    db: Session, park_code: str = "TA", *, publish: bool = True, expires_on: dt.date | None = None, **fields: Any
) -> Notice:
    admin = scope_of(db, park_code, "park_admin")
    values: dict[str, Any] = {"title": "停电通知", "body": "明日 9:00-12:00 二区停电检修。", **fields}
    row = service.NOTICES.create(db, scope=admin, data=NoticeCreate(**values, expires_on=expires_on))
    if publish:
        service.publish(db, scope=admin, ident=row.id)
    return row
