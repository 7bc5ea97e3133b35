"""NGSI-LD subscriptions (ETSI GS CIM 009 §5.8 create, retrieve, query, update, delete; the data types of §5.2.12):
which entities (type, and id or idPattern), which attributes' changes (`watchedAttributes`), a `q`, and where a
notification goes (`notification.endpoint.uri`, `accept`), which kinds of change notify (`notificationTrigger`, the
spec's default when absent), with `throttling`, `expiresAt` and `isActive`.

A subscription is its park's (and, made by an enterprise, its enterprise's): created, changed and deleted with the
right to write NGSI-LD entities (`dataspace.publish`), read with the right to read them (`dataspace.view`); an
enterprise sees its own, staff the park's. An endpoint inside the platform's network is refused unless the park's
admin allow-listed its network — the one allow-list of the park's outgoing calls, kept on the automation page
(`automation.provides.allowed_networks`, guard `core.network`); the address is checked again, resolved, just before
each notification (ngsi_notify)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.automation.provides import allowed_networks
from digipark.core import network
from digipark.dataspace.models import NgsiSubscription
from digipark.dataspace.ngsi import VIEW, WRITE
from digipark.dataspace.ngsi_context import Context, NgsiError, bad, core_context, parse_q, spec, user_pattern

ACCEPTS = ("application/json", "application/ld+json")
MAX_SUBSCRIPTIONS = 1000  # a page of the list
MAX_ENTITIES, MAX_WATCHED = 100, 200
MAX_THROTTLING = 86_400 * 365
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_MEMBERS = {
    "id",
    "type",
    "subscriptionName",
    "description",
    "entities",
    "watchedAttributes",
    "q",
    "notification",
    "notificationTrigger",
    "throttling",
    "expiresAt",
    "isActive",
    "@context",
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any, name: str, limit: int = 255) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise bad("%(name)s: a non-empty string of at most %(limit)s characters", name=name, limit=limit)
    return value


def _entities(value: Any, context: Context) -> list[dict[str, str]]:
    if not isinstance(value, list) or not value or len(value) > MAX_ENTITIES:
        raise bad("entities: a list of 1 to %(value)s entity selectors", value=MAX_ENTITIES)
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"type", "id", "idPattern"} or "type" not in item:
            raise bad("entities: each selector is {type, id?, idPattern?}")
        selector = {"type": context.expand(_text(item["type"], "entities.type"))}
        if "id" in item:
            if not _URI.match(_text(item["id"], "entities.id")):
                raise bad("entities.id: a URI")
            selector["id"] = item["id"]
        if "idPattern" in item:
            user_pattern(_text(item["idPattern"], "entities.idPattern", 500), "idPattern")
            selector["idPattern"] = item["idPattern"]
        out.append(selector)
    return out


def _terms(value: Any, name: str, context: Context) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_WATCHED:
        raise bad("%(name)s: a list of 1 to %(value)s attribute names", name=name, value=MAX_WATCHED)
    return [context.expand(_text(v, name)) for v in value]


def _notification(value: Any, context: Context, allowed: tuple[str, ...]) -> tuple[str, str, list[str]]:
    if not isinstance(value, dict) or set(value) - {"endpoint", "attributes", "format"}:
        raise bad("notification: {endpoint: {uri, accept?}, attributes?, format?}")
    endpoint = value.get("endpoint")
    if not isinstance(endpoint, dict) or set(endpoint) - {"uri", "accept"} or "uri" not in endpoint:
        raise bad("notification.endpoint: {uri, accept?}")
    uri = _text(endpoint["uri"], "notification.endpoint.uri", 2000)
    if not uri.lower().startswith(("http://", "https://")):
        raise bad("notification.endpoint.uri: an http or https address")
    refused = network.literal_refusal(uri, allowed)
    if refused is not None:
        raise bad("notification.endpoint.uri: %(refused)s", refused=refused)
    accept = endpoint.get("accept", ACCEPTS[0])
    if accept not in ACCEPTS:
        raise bad("notification.endpoint.accept: %(accepted)s", accepted=" or ".join(ACCEPTS))
    if value.get("format", "normalized") != "normalized":
        raise bad("notification.format: normalized (keyValues is not offered)")
    attrs = _terms(value["attributes"], "notification.attributes", context) if "attributes" in value else []
    return uri, accept, attrs


def triggers(row: NgsiSubscription) -> list[str]:
    """The subscription's notificationTrigger as given, or the spec's default."""
    return list(row.triggers) if row.triggers else list(spec()["notification_trigger_default"])


def listened(row: NgsiSubscription) -> set[str]:
    """The triggers the subscription listens to, entityUpdated read as its three attribute triggers."""
    given = set(triggers(row))
    if "entityUpdated" in given:
        given |= set(spec()["entity_updated_means"])
    return given


def _triggers(value: Any) -> list[str] | None:
    if value is None:
        return None
    known = spec()["notification_triggers"]
    if not isinstance(value, list) or not value or any(not isinstance(v, str) or v not in known for v in value):
        raise bad("notificationTrigger: a non-empty list of %(value)s", value=", ".join(known))
    return list(dict.fromkeys(value))


def _expires(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(_text(value, "expiresAt", 40).replace("Z", "+00:00"))
    except ValueError:
        raise bad("expiresAt: an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if moment <= _utcnow():
        raise bad("expiresAt: a moment in the future")
    return moment


def _apply(
    row: NgsiSubscription, payload: dict[str, Any], context: Context, *, creating: bool, allowed: tuple[str, ...]
) -> None:
    """Validate the members given and set them on the row (nothing is set when one is bad)."""
    unknown = set(payload) - _MEMBERS
    if unknown:
        raise bad("unknown members: %(unknown)s", unknown=", ".join(sorted(unknown))[:200])
    if "type" in payload and payload["type"] != "Subscription":
        raise bad("type: Subscription")
    if creating and "type" not in payload:
        raise bad("type: Subscription")
    if not creating and "id" in payload and payload["id"] != row.subscription_id:
        raise bad("id: a subscription's id cannot change")
    values: dict[str, Any] = {}
    if "entities" in payload:
        values["entities"] = _entities(payload["entities"], context)
    if "watchedAttributes" in payload:
        values["watched"] = _terms(payload["watchedAttributes"], "watchedAttributes", context)
    if "q" in payload:
        if payload["q"] is not None:
            parse_q(_text(payload["q"], "q", 2000))
        values["q"] = payload["q"]
    if "notification" in payload:
        values["endpoint"], values["accept"], values["attrs"] = _notification(payload["notification"], context, allowed)
    elif creating:
        raise bad("notification: needed")
    if "notificationTrigger" in payload:
        values["triggers"] = _triggers(payload["notificationTrigger"])
    if "throttling" in payload:
        throttling = payload["throttling"]
        if isinstance(throttling, bool) or not isinstance(throttling, int) or not 0 < throttling <= MAX_THROTTLING:
            raise bad("throttling: whole seconds, 1 to %(value)s", value=MAX_THROTTLING)
        values["throttling"] = throttling
    if "expiresAt" in payload:
        values["expires_at"] = _expires(payload["expiresAt"])
    if "isActive" in payload:
        if not isinstance(payload["isActive"], bool):
            raise bad("isActive: true or false")
        values["active"] = payload["isActive"]
    for member in ("subscriptionName", "description"):
        if member in payload and payload[member] is not None:
            _text(payload[member], member, 200)
    if "subscriptionName" in payload:
        values["name"] = payload["subscriptionName"]
    entities = values.get("entities", row.entities if not creating else [])
    watched = values.get("watched", row.watched if not creating else [])
    if not entities and not watched:
        raise bad("a subscription needs entities or watchedAttributes")
    for key, value in values.items():
        setattr(row, key, value)


def create(session: Session, *, scope: Scope, payload: Any, context: Context, base: str) -> NgsiSubscription:
    if not isinstance(payload, dict):
        raise bad("a subscription is a JSON object")
    park_id = scope.acting_write_park()
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=scope.enterprise_id)
    ident = payload.get("id") or f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"
    if not _URI.match(_text(ident, "id")):
        raise bad("id: a URI")
    row = NgsiSubscription(
        park_id=park_id,
        enterprise_id=scope.enterprise_id,
        subscription_id=ident,
        entities=[],
        watched=[],
        attrs=[],
        accept=ACCEPTS[0],
        throttling=0,
        active=True,
        context=None if context.document == context_default() else context.document,
        base=base[:500],
        role=str(scope.role),
        created_by=scope.username[:80],
        times_sent=0,
        times_failed=0,
    )
    _apply(row, payload, context, creating=True, allowed=allowed_networks(session, park_id))
    taken = session.scalar(
        select(NgsiSubscription.id).where(
            NgsiSubscription.park_id == park_id, NgsiSubscription.subscription_id == ident
        )
    )
    if taken is not None:
        raise NgsiError("AlreadyExists", "subscription %(ident)s exists", ident=ident)
    session.add(row)
    session.flush()
    return row


def context_default() -> Any:
    return core_context().document


def listing(session: Session, *, scope: Scope, limit: int, offset: int) -> tuple[list[NgsiSubscription], int]:
    scope.require(VIEW)
    stmt = scope.readable(NgsiSubscription).order_by(NgsiSubscription.id)
    rows = list(session.scalars(stmt))
    return rows[offset : offset + limit], len(rows)


def get(session: Session, *, scope: Scope, subscription_id: str) -> NgsiSubscription:
    scope.require(VIEW)
    row: NgsiSubscription | None = session.scalar(
        scope.readable(NgsiSubscription).where(NgsiSubscription.subscription_id == subscription_id)
    )
    if row is None:
        raise NgsiError(
            "ResourceNotFound", "subscription %(subscription_id)s not found", subscription_id=subscription_id
        )
    return row


def update(session: Session, *, scope: Scope, subscription_id: str, payload: Any, context: Context) -> None:
    row = get(session, scope=scope, subscription_id=subscription_id)
    scope.authorize_write_row(WRITE, row)
    if not isinstance(payload, dict) or not payload:
        raise bad("a subscription fragment is a non-empty JSON object")
    _apply(row, payload, context, creating=False, allowed=allowed_networks(session, row.park_id))
    session.flush()


def delete(session: Session, *, scope: Scope, subscription_id: str) -> None:
    row = get(session, scope=scope, subscription_id=subscription_id)
    scope.authorize_write_row(WRITE, row)
    session.delete(row)
    session.flush()


def status(row: NgsiSubscription, now: dt.datetime | None = None) -> str:
    expires = row.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    if expires is not None and expires <= (now or _utcnow()):
        return "expired"
    return "active" if row.active else "paused"


def to_json(row: NgsiSubscription, context: Context) -> dict[str, Any]:
    """The subscription as the spec's Subscription data type, its terms compacted with `context`."""
    entities = []
    for selector in row.entities:
        item = {"type": context.compact(selector["type"])}
        item.update({k: v for k, v in selector.items() if k != "type"})
        entities.append(item)
    notification: dict[str, Any] = {
        "endpoint": {"uri": row.endpoint, "accept": row.accept},
        "format": "normalized",
        "status": "failed"
        if row.last_failure and (not row.last_success or row.last_failure > row.last_success)
        else "ok",
        "timesSent": row.times_sent,
    }
    if row.times_failed:  # the spec's minimum is 1: absent until a notification failed
        notification["timesFailed"] = row.times_failed
    if row.attrs:
        notification["attributes"] = [context.compact(a) for a in row.attrs]
    for key, moment in (
        ("lastNotification", row.last_notification),
        ("lastSuccess", row.last_success),
        ("lastFailure", row.last_failure),
    ):
        if moment is not None:
            notification[key] = _iso(moment)
    body: dict[str, Any] = {"id": row.subscription_id, "type": "Subscription"}
    if row.name:
        body["subscriptionName"] = row.name
    if entities:
        body["entities"] = entities
    if row.watched:
        body["watchedAttributes"] = [context.compact(a) for a in row.watched]
    if row.q:
        body["q"] = row.q
    body["notificationTrigger"] = triggers(row)
    body["notification"] = notification
    if row.throttling:
        body["throttling"] = row.throttling
    if row.expires_at is not None:
        body["expiresAt"] = _iso(row.expires_at)
    body["isActive"] = row.active
    body["status"] = status(row)
    return body
