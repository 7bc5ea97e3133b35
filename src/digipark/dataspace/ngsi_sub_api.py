"""The NGSI-LD subscription routes under /ngsi-ld/v1/subscriptions (ETSI GS CIM 009 §5.8): create (201 with its
Location), query (limit, offset, count), retrieve, update (PATCH, a fragment: 204), delete (204), and the platform's
list of a subscription's notifications not delivered (pending or failed, with the reason). Same media types,
callers and ProblemDetails as the entity routes (ngsi_api); the service is `ngsi_subs`, notifications `ngsi_notify`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from digipark.auth.dependencies import DbSession
from digipark.core.bounds import INT64_MAX, INT64_MIN
from digipark.dataspace import ngsi_delivery, ngsi_subs
from digipark.dataspace.ngsi_api import TAGS, Caller, NgsiRoute, Payload, _base, _request_context, _respond
from digipark.dataspace.ngsi_context import bad, spec

router = APIRouter(prefix="/ngsi-ld/v1", route_class=NgsiRoute)
_PATH = "/subscriptions/{subscription_id:path}"


@router.post("/subscriptions", status_code=201, tags=TAGS)
def create_subscription(request: Request, db: DbSession, scope: Caller, payload: Payload) -> Response:
    """Create Subscription: 201 with its Location; 409 AlreadyExists when its id is taken; 400 BadRequestData."""
    context = _request_context(request, payload)
    row = ngsi_subs.create(db, scope=scope, payload=payload, context=context, base=_base(request))
    return Response(status_code=201, headers={"Location": f"/ngsi-ld/v1/subscriptions/{row.subscription_id}"})


@router.get("/subscriptions", tags=TAGS)
def query_subscriptions(
    request: Request,
    db: DbSession,
    scope: Caller,
    limit: Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)] = None,
    offset: Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)] = 0,
    count: bool = False,
) -> Response:
    """Query Subscriptions: the ones you may read (an enterprise its own, staff the park's)."""
    context = _request_context(request)
    bounds = spec()["limit"]
    size = bounds["default"] if limit is None else limit
    if not 0 <= size <= bounds["max"] or offset < 0:
        raise bad("limit between 0 and %(bounds)s, offset from 0", bounds=bounds["max"])
    rows, total = ngsi_subs.listing(db, scope=scope, limit=size, offset=offset)
    headers = {spec()["results_count_header"]: str(total)} if count else None
    return _respond(request, [ngsi_subs.to_json(r, context) for r in rows], context, headers)


@router.get(f"{_PATH}/notifications", tags=TAGS)
def subscription_notifications(subscription_id: str, request: Request, db: DbSession, scope: Caller) -> Response:
    """The platform's own (not NGSI-LD's): the subscription's notifications not delivered — waiting for their next
    attempt, or failed after the last one with the reason — for whoever may read the subscription."""
    _request_context(request)
    row = ngsi_subs.get(db, scope=scope, subscription_id=subscription_id)
    return JSONResponse(ngsi_delivery.notifications(db, row))


@router.get(_PATH, tags=TAGS)
def retrieve_subscription(subscription_id: str, request: Request, db: DbSession, scope: Caller) -> Response:
    """Retrieve Subscription (404 ResourceNotFound when it does not exist or is not yours to read)."""
    context = _request_context(request)
    row = ngsi_subs.get(db, scope=scope, subscription_id=subscription_id)
    return _respond(request, ngsi_subs.to_json(row, context), context)


@router.patch(_PATH, status_code=204, tags=TAGS)
def update_subscription(
    subscription_id: str, request: Request, db: DbSession, scope: Caller, payload: Payload
) -> Response:
    """Update Subscription: the members given replace the subscription's (e.g. isActive, throttling)."""
    context = _request_context(request, payload)
    ngsi_subs.update(db, scope=scope, subscription_id=subscription_id, payload=payload, context=context)
    return Response(status_code=204)


@router.delete(_PATH, status_code=204, tags=TAGS)
def delete_subscription(subscription_id: str, request: Request, db: DbSession, scope: Caller) -> Response:
    _request_context(request)
    ngsi_subs.delete(db, scope=scope, subscription_id=subscription_id)
    return Response(status_code=204)
