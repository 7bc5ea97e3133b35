"""What the notices module offers other domains: a published notice for the park's staff raised by the platform
itself (`post_staff_notice`) — e.g. a scheduled report that could not be delivered, addressed to its subscriber."""

from __future__ import annotations

from sqlalchemy.orm import Session

from digipark.core.db import utcnow
from digipark.notices.models import Audience, Category, Notice

__all__ = ["post_staff_notice"]


def post_staff_notice(session: Session, *, park_id: int, title: str, body: str, author: str) -> int:
    """Publish a notice meant for the park's staff now (pinned, so it is seen); answers its id."""
    row = Notice(
        park_id=park_id,
        title=title[:200],
        body=body,
        category=Category.NOTICE.value,
        audience=Audience.STAFF.value,
        pinned=True,
        published_at=utcnow(),
        published_by=author[:80],
    )
    session.add(row)
    session.flush()
    return row.id
