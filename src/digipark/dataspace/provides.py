"""What the data space offers other domains: how many products the park publishes and how many enterprises
exchange data under agreed contracts; identifier statistics; the section of the enterprise archive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.dataspace.models import Contract, ContractState, DataProduct, Identifier
from digipark.dataspace.service import contract_condition
from digipark.registry.models import Enterprise


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


def archive_section(session: Session, scope: Scope, enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise in the data space, as the caller may read it: the products it offers, the contracts it
    provides or consumes by state, the identifiers it registered."""
    products = list(
        session.scalars(
            scope.readable(DataProduct)
            .where(DataProduct.enterprise_id == enterprise.id)
            .order_by(DataProduct.id.desc())
            .limit(20)
        )
    )
    columns: Any = select(Contract.provider_enterprise_id, Contract.state, func.count(Contract.id))
    contracts = session.execute(
        scope.readable(Contract, columns)
        .where(
            contract_condition(scope),
            or_(Contract.provider_enterprise_id == enterprise.id, Contract.consumer_enterprise_id == enterprise.id),
        )
        .group_by(Contract.provider_enterprise_id, Contract.state)
    ).all()
    provided: dict[str, int] = {}
    consumed: dict[str, int] = {}
    for provider, state, count in contracts:
        target = provided if provider == enterprise.id else consumed
        target[state] = target.get(state, 0) + int(count)
    identifiers = session.scalar(
        scope.readable(Identifier, select(func.count(Identifier.id))).where(Identifier.enterprise_id == enterprise.id)
    )
    return {
        "products": [{"id": p.id, "title": p.title, "active": p.active} for p in products],
        "provided": provided,
        "consumed": consumed,
        "identifiers": int(identifiers or 0),
        "link": "/dataspace",
    }
