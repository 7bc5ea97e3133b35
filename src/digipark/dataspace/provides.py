"""What the data space offers other domains: how many products the park publishes and how many enterprises
exchange data under agreed contracts; identifier statistics."""

from __future__ import annotations

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from digipark.dataspace.models import Contract, ContractState, DataProduct, Identifier


def sharing_figures(session: Session, *, park_id: int) -> dict[str, int]:
    """Products in the catalogue, contracts agreed, enterprises exchanging data under them, identifiers and their
    resolutions (plain park id: the caller checks its scope)."""
    products = session.scalar(select(func.count()).where(DataProduct.park_id == park_id, DataProduct.active.is_(True)))
    agreed = Contract.park_id == park_id, Contract.state.in_([ContractState.AGREED.value, ContractState.REVOKED.value])
    contracts = session.scalar(select(func.count()).select_from(Contract).where(*agreed))
    parties = union(
        select(Contract.provider_enterprise_id.label("e")).where(*agreed, Contract.provider_enterprise_id.is_not(None)),
        select(Contract.consumer_enterprise_id.label("e")).where(*agreed),
    ).subquery()
    enterprises = session.scalar(select(func.count()).select_from(parties))
    identifiers = session.execute(
        select(func.count(), func.coalesce(func.sum(Identifier.resolutions), 0)).where(Identifier.park_id == park_id)
    ).one()
    return {
        "products": int(products or 0),
        "contracts": int(contracts or 0),
        "enterprises": int(enterprises or 0),
        "identifiers": int(identifiers[0]),
        "resolutions": int(identifiers[1]),
    }
