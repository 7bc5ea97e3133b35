"""What other domains may read of automation: the park admin's allow-list of networks inside the platform's own
that outgoing calls (webhooks, notification robots, the data space's NGSI-LD notifications and collection jobs) may
reach (`core.network` refuses every other inside address)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.automation.models import AutomationNetworkAllow


def allowed_networks(session: Session, park_id: int) -> tuple[str, ...]:
    """The park's allow-listed networks (the admin's exceptions to the inside-address refusal)."""
    return tuple(
        session.scalars(
            select(AutomationNetworkAllow.network)
            .where(AutomationNetworkAllow.park_id == park_id)
            .order_by(AutomationNetworkAllow.id)
        )
    )


__all__ = ["allowed_networks"]
