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
    """The enterprise's registered assets the caller may read: each with its state, purchase and net book values,
    and the totals."""
    if not scope.can(VIEW):
        return {"count": 0, "purchase_value": 0.0, "net_book_value": 0.0, "assets": []}
    rows = list(session.scalars(scope.readable(Asset).where(Asset.enterprise_id == enterprise.id).order_by(Asset.code)))
    on = today()
    assets = [
        {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "state": r.state,
            "purchase_value": r.purchase_value,
            "net_book_value": round(net_book_value(r, on), 2),
        }
        for r in rows
    ]
    return {
        "count": len(assets),
        "purchase_value": round(sum(a["purchase_value"] for a in assets), 2),
        "net_book_value": round(sum(a["net_book_value"] for a in assets), 2),
        "assets": assets,
    }
