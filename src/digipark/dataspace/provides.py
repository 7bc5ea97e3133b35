"""What the data space offers other domains: how many products the park publishes and how many enterprises
exchange data under agreed contracts; identifier statistics; the section of the enterprise archive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, union
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.dataspace import service
from digipark.dataspace.models import Contract, ContractState, DataProduct, Identifier
from digipark.dataspace.service import contract_condition
from digipark.evaluation.provides import Computed, IndicatorContext, NoSource, Part
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


# -- indicator S4.3 -------------------------------------------------------------------------------------------------
def data_sharing(ctx: IndicatorContext) -> Computed:
    """S4.3: data products in the park's trusted data space on the assessment's day (published by then and not
    withdrawn), each with its provider and the contracts agreed over it; identifier registrations and
    resolutions are a part of the figure's evidence. NoSource while the park has never published a product."""
    session, park = ctx.session, ctx.park_id
    if not session.scalar(select(func.count(DataProduct.id)).where(DataProduct.park_id == park)):
        raise NoSource("no data source yet")  # no data space in use: the park declares the value
    end = dt.datetime.combine(ctx.as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    products = list(
        session.scalars(
            select(DataProduct)
            .where(DataProduct.park_id == park, DataProduct.active.is_(True), DataProduct.created_at < end)
            .order_by(DataProduct.id)
        )
    )
    agreed: dict[int, int] = {
        product_id: int(n)
        for product_id, n in session.execute(
            select(Contract.product_id, func.count(Contract.id))
            .where(
                Contract.park_id == park,
                Contract.state.in_([ContractState.AGREED.value, ContractState.REVOKED.value]),
                Contract.decided_at < end,
            )
            .group_by(Contract.product_id)
        )
    }
    names = service.enterprise_names(session, {p.enterprise_id for p in products})
    rows = [
        {
            "product": p.title,
            "provider": names.get(p.enterprise_id, "") if p.enterprise_id is not None else "",
            "contracts": int(agreed.get(p.id, 0)),
            "ok": True,
            "link": f"/dataspace/products/{p.id}",
        }
        for p in products
    ]
    figures = sharing_figures(session, park_id=park)
    shared = sum(1 for r in rows if r["contracts"])
    return Computed(
        float(len(products)),
        columns=["product", "provider", "contracts", "ok"],
        rows=rows,
        parts=[
            Part("products_under_contract", shared, len(products)),
            Part("identifiers_resolved", _resolved(session, park), figures["identifiers"]),
        ],
    )


def _resolved(session: Session, park_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Identifier.id)).where(Identifier.park_id == park_id, Identifier.resolutions > 0)
        )
        or 0
    )
