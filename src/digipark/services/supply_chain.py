"""Supply-chain collaboration between park enterprises: supplier/customer relations (declared, or made by orders
through the platform), the demand board (needs, capacity offers, a lead enterprise's open scenarios and shared
capabilities) with matching of capable park enterprises, and suppliers sharing forecast orders, capacity and stock
with their lead enterprise — once the supplier consents — so that the lead enterprise sees shortages ahead."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.registry.models import Enterprise
from digipark.services.common import (
    READ_ALL,
    VIEW,
    any_park_enterprise,
    park_enterprise,
    required_enterprise_owner,
    today,
    two_party,
    viewers,
    write_permission,
)
from digipark.services.models import BoardPost, PartnerRelation, PostKind, SalesListing, SupplierShare
from digipark.services.schemas import (
    Match,
    MatchReason,
    PostCreate,
    PostRead,
    PostUpdate,
    RelationCreate,
    RelationRead,
    RelationUpdate,
    ShareCreate,
    ShareRead,
    ShareUpdate,
    Shortage,
)
from digipark.web.i18n import N_

# why an enterprise matches a need: msgids with parameters, translated where they are shown
INDUSTRY_REASON = N_("industry %(code)s")
CAPACITY_REASON = N_("capacity offer: %(products)s")
ENOUGH_REASON = N_("enough capacity")
LISTED_REASON = N_("product listed: %(products)s")


def _relation_validate(
    session: Session, scope: Scope, values: dict[str, Any], row: PartnerRelation | None
) -> dict[str, Any]:
    customer = values.get("customer_enterprise_id")
    if customer is not None:
        any_park_enterprise(session, scope.acting_write_park(), customer, "customer_enterprise_id")
    return values


RELATIONS: RecordType[PartnerRelation] = RecordType(
    name="partner_relation",
    model=PartnerRelation,
    create_schema=RelationCreate,
    update_schema=RelationUpdate,
    read_schema=RelationRead,
    list_spec=ListSpec(
        filters={
            "park_id": PartnerRelation.park_id,
            "enterprise_id": PartnerRelation.enterprise_id,
            "customer_enterprise_id": PartnerRelation.customer_enterprise_id,
            "source": PartnerRelation.source,
        },
        search=[PartnerRelation.goods],
        sort={"id": PartnerRelation.id},
    ),
    write_permission=write_permission,
    owner=required_enterprise_owner,
    read_condition=two_party(PartnerRelation.enterprise_id, PartnerRelation.customer_enterprise_id),
    validate=_relation_validate,
    owner_fields=frozenset({"park_id", "enterprise_id"}),
)

POSTS: RecordType[BoardPost] = RecordType(
    name="board_post",
    model=BoardPost,
    create_schema=PostCreate,
    update_schema=PostUpdate,
    read_schema=PostRead,
    list_spec=ListSpec(
        filters={
            "park_id": BoardPost.park_id,
            "enterprise_id": BoardPost.enterprise_id,
            "kind": BoardPost.kind,
            "open": BoardPost.open,
        },
        search=[BoardPost.title, BoardPost.description],
        sort={"id": BoardPost.id, "needed_by": BoardPost.needed_by},
        default_sort="-id",
    ),
    write_permission=write_permission,
    owner=required_enterprise_owner,
    read_condition=viewers,
)


def share_read_condition(scope: Scope) -> ColumnElement[bool]:
    """Staff and reviewers read every share; a supplier its own; a lead enterprise those shared with it."""
    if scope.can(READ_ALL):
        return true()
    if scope.own_enterprise_only and scope.enterprise_id is not None and scope.can(VIEW):
        return or_(
            SupplierShare.enterprise_id == scope.enterprise_id,
            (SupplierShare.lead_enterprise_id == scope.enterprise_id) & SupplierShare.shared.is_(True),
        )
    return false()


def _share_validate(
    session: Session, scope: Scope, values: dict[str, Any], row: SupplierShare | None
) -> dict[str, Any]:
    lead = values.get("lead_enterprise_id")
    if lead is not None:
        any_park_enterprise(session, scope.acting_write_park(), lead, "lead_enterprise_id")
    if values.get("period") is not None:
        values["period"] = values["period"].replace(day=1)
    return values


SHARES: RecordType[SupplierShare] = RecordType(
    name="supplier_share",
    model=SupplierShare,
    create_schema=ShareCreate,
    update_schema=ShareUpdate,
    read_schema=ShareRead,
    list_spec=ListSpec(
        filters={
            "park_id": SupplierShare.park_id,
            "enterprise_id": SupplierShare.enterprise_id,
            "lead_enterprise_id": SupplierShare.lead_enterprise_id,
            "period": SupplierShare.period,
        },
        search=[SupplierShare.item],
        sort={"id": SupplierShare.id, "period": SupplierShare.period},
        default_sort="period,id",
    ),
    write_permission=write_permission,
    owner=required_enterprise_owner,
    read_condition=share_read_condition,
    validate=_share_validate,
)


def match(session: Session, *, scope: Scope, post_id: int, limit: int = 20) -> builtins.list[Match]:
    """Park enterprises able to meet a need: industry code under one of the post's codes (3 points), an open
    capacity offer naming one of its products (2 each) or with enough quantity (1), a listing of such a product
    (1). The poster itself is left out; best first."""
    post = POSTS.get(session, scope=scope, ident=post_id)
    if post.kind != PostKind.NEED:
        raise field_error("post_id", "only a need is matched")
    keywords = [k.casefold() for k in post.products]
    scores: dict[int, int] = {}
    reasons: dict[int, list[MatchReason]] = {}
    offers: dict[int, list[int]] = {}

    def add(enterprise_id: int | None, points: int, message: str, **params: str) -> None:
        if enterprise_id is None or enterprise_id == post.enterprise_id:
            return
        scores[enterprise_id] = scores.get(enterprise_id, 0) + points
        reason = MatchReason(message=message, params=params)
        if reason not in reasons.setdefault(enterprise_id, []):
            reasons[enterprise_id].append(reason)

    enterprises = {
        e.id: e
        for e in session.scalars(
            select(Enterprise).where(Enterprise.park_id == post.park_id, Enterprise.status == "active")
        )
    }
    for e in enterprises.values():
        if any(e.industry_code.startswith(code) for code in post.industry_codes):
            add(e.id, 3, INDUSTRY_REASON, code=e.industry_code)
    capacity = session.scalars(
        select(BoardPost).where(
            BoardPost.park_id == post.park_id, BoardPost.kind == PostKind.CAPACITY.value, BoardPost.open.is_(True)
        )
    )
    for offer in capacity:
        text = " ".join([offer.title, offer.description or "", *offer.products]).casefold()
        hits = [k for k in keywords if k in text]
        if not hits:
            continue
        add(offer.enterprise_id, 2 * len(hits), CAPACITY_REASON, products="、".join(hits))
        if post.quantity is not None and offer.quantity is not None and offer.quantity >= post.quantity:
            add(offer.enterprise_id, 1, ENOUGH_REASON)
        if offer.enterprise_id is not None:
            offers.setdefault(offer.enterprise_id, []).append(offer.id)
    listings = session.scalars(
        select(SalesListing).where(SalesListing.park_id == post.park_id, SalesListing.active.is_(True))
    )
    for listing in listings:
        text = f"{listing.product} {listing.description or ''}".casefold()
        hits = [k for k in keywords if k in text]
        if hits:
            add(listing.enterprise_id, 1, LISTED_REASON, products="、".join(hits))
    ranked = sorted((e for e in scores if e in enterprises), key=lambda e: (-scores[e], enterprises[e].name, e))
    return [
        Match(
            enterprise_id=e,
            name=enterprises[e].name,
            industry_code=enterprises[e].industry_code,
            score=scores[e],
            reasons=[r.text() for r in reasons[e]],
            reason_codes=reasons[e],
            offer_ids=offers.get(e, []),
        )
        for e in ranked[:limit]
    ]


def shortages(session: Session, *, scope: Scope, lead_enterprise_id: int | None = None) -> builtins.list[Shortage]:
    """For a lead enterprise (an enterprise user: itself): the shared months from now on where a supplier's
    forecast orders exceed its capacity plus stock, biggest shortage first."""
    scope.require(VIEW)
    lead = scope.acting_enterprise(lead_enterprise_id)
    if lead is None:
        raise field_error("lead_enterprise_id", "required: the lead enterprise")
    park_enterprise(session, scope, scope.acting_park(), lead, "lead_enterprise_id")
    stmt = SHARES.readable(scope).where(
        SupplierShare.lead_enterprise_id == lead,
        SupplierShare.shared.is_(True),
        SupplierShare.period >= today().replace(day=1),
        SupplierShare.forecast_order_qty > SupplierShare.capacity_qty + SupplierShare.stock_qty,
    )
    rows = session.scalars(stmt).all()
    names = dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_({r.enterprise_id for r in rows}))
        ).all()
    )
    found = [
        Shortage(
            share_id=r.id,
            supplier_enterprise_id=r.enterprise_id or 0,
            supplier=names.get(r.enterprise_id, ""),
            item=r.item,
            unit=r.unit,
            period=r.period,
            shortage_qty=r.forecast_order_qty - r.capacity_qty - r.stock_qty,
        )
        for r in rows
    ]
    return sorted(found, key=lambda s: (s.period, -s.shortage_qty, s.share_id))
