"""What other domains may use of assets (their only door): the enterprise archive's section on an enterprise's
assets."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.assets.models import Asset
from digipark.assets.service import VIEW, net_book_value, today
from digipark.auth.scope import Scope

__all__ = ["archive_section"]


def archive_section(session: Session, scope: Scope, enterprise: Any) -> dict[str, Any]:
    """The enterprise's registered assets the caller may read: how many, by state, and their purchase and net
    book values."""
    if not scope.can(VIEW):
        return {"count": 0, "purchase_value": 0.0, "net_book_value": 0.0, "by_state": {}}
    rows = list(session.scalars(scope.readable(Asset).where(Asset.enterprise_id == enterprise.id)))
    on = today()
    by_state: dict[str, int] = {}
    for row in rows:
        by_state[row.state] = by_state.get(row.state, 0) + 1
    return {
        "count": len(rows),
        "purchase_value": round(sum(r.purchase_value for r in rows), 2),
        "net_book_value": round(sum(net_book_value(r, on) for r in rows), 2),
        "by_state": by_state,
    }
