"""NGSI-LD subscriptions and notifications (ETSI GS CIM 009 §5.8, §5.11) driven as a client from the spec would:
create, retrieve, query, update and delete; a notification POSTed to a local HTTP server when a watched attribute
of a matching device changes; an inside address refused; throttling; a park's subscriptions its own; bad input
answered with ProblemDetails and nothing stored."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.automation.models import AutomationNetworkAllow
from digipark.dataspace import ngsi_notify
from digipark.dataspace.models import NgsiChange, NgsiSubscription
from digipark.registry.models import Point
from digipark.telemetry.models import PointLatest
from digipark.telemetry.provides import ReadingsStored
from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
REL = 'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], Any]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append((dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def allow_loopback(db: Session, park_id: int) -> AutomationNetworkAllow:
    """Loopback on the park admin's allow-list (the one automation's outgoing calls use)."""
    row = AutomationNetworkAllow(park_id=park_id, network="127.0.0.0/8", note="test receiver")
    db.add(row)
    db.flush()
    return row


@pytest.fixture
def receiver(db: Session, world: World) -> Iterator[tuple[str, list[tuple[dict[str, str], Any]]]]:
    """A local HTTP server recording the notifications it receives; loopback allow-listed in park A."""
    allow_loopback(db, world.a.park_id)
    received: list[tuple[dict[str, str], Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    finally:
        server.shutdown()
        server.server_close()


def _h(world: World, who: str = "enterprise", park: str = "a") -> dict[str, str]:
    """A caller's headers, with the park's @context in the Link header (where `Device` is Smart Data Models')."""
    side = world.a if park == "a" else world.b
    link = f"<http://testserver{BASE}/context.jsonld>; {REL}"
    return {**bearer(side.tokens[who]), "Link": link}


def _problem(response: Any, kind: str, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == ERRORS + kind and body["title"] and body["detail"], body


def _meter(db: Session, world: World) -> tuple[Point, str]:
    """Enterprise 0's meter (device 0) and one of its points."""
    point = db.scalar(select(Point).where(Point.device_id == world.a.device_ids[0]).order_by(Point.id))
    assert point is not None
    return point, point.key


def _read(db: Session, point: Point, value: float, ts: int) -> None:
    found = db.get(PointLatest, point.id)
    if found is None:
        db.add(PointLatest(point_id=point.id, ts=ts, value=value, quality=0))
    else:
        found.ts, found.value = ts, value
    db.flush()


def _subscription(uri: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "urn:ngsi-ld:Subscription:meter",
        "type": "Subscription",
        "entities": [{"type": "Device"}],
        "watchedAttributes": [key],
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}},
        **extra,
    }


def _row(db: Session, ident: str = "urn:ngsi-ld:Subscription:meter") -> NgsiSubscription:
    db.expire_all()
    row = db.scalar(select(NgsiSubscription).where(NgsiSubscription.subscription_id == ident))
    assert row is not None
    return row


def test_a_watched_reading_is_notified_to_the_endpoint_and_recorded(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    uri, received = receiver
    point, key = _meter(db, world)
    created = client.post(f"{BASE}/subscriptions", json=_subscription(uri, key, q=f"{key}>40"), headers=_h(world))
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:meter"
    _read(db, point, 30.0, 1_780_000_000_000)
    assert ngsi_notify.notify_points([point.id]) == 0 and received == []  # q not met: no notification
    _read(db, point, 42.5, 1_780_000_060_000)
    ngsi_notify.NgsiNotifier(sync=True).on_event(ReadingsStored(latest={point.id: (1_780_000_060_000, 42.5, 0)}))
    assert len(received) == 1
    headers, body = received[0]
    assert body["type"] == "Notification" and body["subscriptionId"] == "urn:ngsi-ld:Subscription:meter"
    assert body["notifiedAt"].endswith("Z") and body["id"].startswith("urn:ngsi-ld:Notification:")
    assert [e["id"] for e in body["data"]] == [f"urn:ngsi-ld:Device:digipark-{world.a.device_ids[0]}"]
    assert body["data"][0][key]["value"] == 42.5
    assert headers["Content-Type"] == "application/json" and "rel=" in headers["Link"]
    row = _row(db)
    assert row.times_sent == 1 and row.last_success is not None and row.last_failure is None
    got = client.get(f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:meter", headers=_h(world)).json()
    assert got["notification"]["timesSent"] == 1 and got["notification"]["lastSuccess"].endswith("Z")
    assert got["watchedAttributes"] == [key] and got["entities"] == [{"type": "Device"}] and got["isActive"]
    # another device's reading (not the enterprise's, not watched) notifies nothing
    other = db.scalar(select(Point).where(Point.device_id == world.a.device_ids[1]).order_by(Point.id))
    assert other is not None
    _read(db, other, 99.0, 1_780_000_060_000)
    assert ngsi_notify.notify_points([other.id]) == 0 and len(received) == 1


def test_ld_json_notifications_carry_their_context_and_paused_or_expired_ones_are_not_sent(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    uri, received = receiver
    point, key = _meter(db, world)
    body = _subscription(uri, key)
    body["notification"]["endpoint"]["accept"] = "application/ld+json"
    assert client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)).status_code == 201
    _read(db, point, 1.0, 1_780_000_000_000)
    assert ngsi_notify.notify_points([point.id]) == 1
    assert received[-1][0]["Content-Type"] == "application/ld+json" and "@context" in received[-1][1]
    url = f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:meter"
    assert client.patch(url, json={"isActive": False}, headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_points([point.id]) == 0 and len(received) == 1
    assert client.get(url, headers=_h(world)).json()["status"] == "paused"
    assert client.patch(url, json={"isActive": True}, headers=_h(world)).status_code == 204
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert ngsi_notify.notify_points([point.id], now=later) == 1
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert client.patch(url, json={"expiresAt": future}, headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_points([point.id], now=later + dt.timedelta(days=1)) == 0 and len(received) == 2


def test_throttling_holds_notifications_back_until_its_period_passed(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    uri, received = receiver
    point, key = _meter(db, world)
    assert client.post(f"{BASE}/subscriptions", json=_subscription(uri, key, throttling=60), headers=_h(world))
    _read(db, point, 1.0, 1_780_000_000_000)
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert ngsi_notify.notify_points([point.id], now=start) == 1
    assert ngsi_notify.notify_points([point.id], now=start + dt.timedelta(seconds=30)) == 0
    assert ngsi_notify.notify_points([point.id], now=start + dt.timedelta(seconds=61)) == 1
    assert len(received) == 2 and _row(db).times_sent == 2


def test_an_endpoint_inside_the_platforms_network_is_refused(client: TestClient, world: World, db: Session) -> None:
    point, key = _meter(db, world)
    for uri in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://localhost/"):
        refused = client.post(f"{BASE}/subscriptions", json=_subscription(uri, key), headers=_h(world))
        _problem(refused, "BadRequestData", 400)
        assert "inside" in refused.json()["detail"]
    assert db.scalar(select(NgsiSubscription.id)) is None
    # a name that resolves inside is refused when the notification is about to be sent, and recorded as a failure
    allowed = allow_loopback(db, world.a.park_id)
    assert client.post(f"{BASE}/subscriptions", json=_subscription("http://127.0.0.1:9/x", key), headers=_h(world))
    db.delete(allowed)
    db.flush()
    _read(db, point, 1.0, 1_780_000_000_000)
    sent: list[str] = []
    assert ngsi_notify.notify_points([point.id], post=lambda url, body, headers: sent.append(url) or 204) == 0
    row = _row(db)
    assert sent == [] and row.last_failure is not None and "inside" in (row.last_error or "")
    got = client.get(f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:meter", headers=_h(world)).json()
    assert got["notification"]["status"] == "failed" and got["notification"]["timesSent"] == 1


def test_a_parks_subscriptions_are_its_own(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    uri, _ = receiver
    _, key = _meter(db, world)
    assert client.post(f"{BASE}/subscriptions", json=_subscription(uri, key), headers=_h(world)).status_code == 201
    url = f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:meter"
    for who, park in (("park_admin", "b"), ("enterprise", "b"), ("enterprise2", "a")):
        assert client.get(f"{BASE}/subscriptions", headers=_h(world, who, park)).json() == [], (who, park)
        _problem(client.get(url, headers=_h(world, who, park)), "ResourceNotFound", 404)
        _problem(client.patch(url, json={"isActive": False}, headers=_h(world, who, park)), "ResourceNotFound", 404)
        _problem(client.delete(url, headers=_h(world, who, park)), "ResourceNotFound", 404)
    assert _row(db).active
    staff = client.get(f"{BASE}/subscriptions?count=true", headers=_h(world, "park_admin"))
    assert [s["id"] for s in staff.json()] == ["urn:ngsi-ld:Subscription:meter"]
    assert staff.headers["NGSILD-Results-Count"] == "1"
    reviewer = client.post(f"{BASE}/subscriptions", json=_subscription(uri, key), headers=_h(world, "reviewer"))
    assert reviewer.status_code == 403
    assert client.delete(url, headers=_h(world)).status_code == 204
    _problem(client.get(url, headers=_h(world)), "ResourceNotFound", 404)


@pytest.mark.parametrize(
    "change",
    [
        {"type": "Entity"},
        {"entities": [], "watchedAttributes": None},
        {"entities": [{"id": "urn:x:1"}]},
        {"watchedAttributes": []},
        {"q": "speed>>"},
        {"throttling": -5},
        {"throttling": "often"},
        {"expiresAt": "2001-01-01T00:00:00Z"},
        {"expiresAt": "tomorrow"},
        {"isActive": "yes"},
        {"notification": {"endpoint": {"uri": "ftp://example.org/x"}}},
        {"notification": {"endpoint": {"uri": "https://example.org/x", "accept": "text/plain"}}},
        {"notification": {}},
        {"surprise": 1},
    ],
)
def test_bad_subscriptions_answer_bad_request_data_and_store_nothing(
    client: TestClient, world: World, db: Session, change: dict[str, Any]
) -> None:
    body = _subscription("https://example.org/notify", "power")
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    _problem(client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)), "BadRequestData", 400)
    assert db.scalar(select(NgsiSubscription.id)) is None


def test_a_bad_update_changes_nothing_and_a_taken_id_is_already_exists(
    client: TestClient, world: World, db: Session
) -> None:
    body = _subscription("https://example.org/notify", "power", throttling=10)
    assert client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)).status_code == 201
    _problem(client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)), "AlreadyExists", 409)
    url = f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:meter"
    _problem(client.patch(url, json={"throttling": 20, "q": "a>>"}, headers=_h(world)), "BadRequestData", 400)
    assert _row(db).throttling == 10
    assert client.patch(url, json={"throttling": 20}, headers=_h(world)).status_code == 204
    assert client.get(url, headers=_h(world)).json()["throttling"] == 20


def test_readings_ingested_through_telemetry_reach_the_subscriber_through_its_event(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    """End to end: a device's message is ingested; telemetry publishes ReadingsStored after the commit; the
    notifier (started as the module record's background service would start it, handling in this thread) sends.
    The test's session is never committed (rolled back after the test), so the commit's publishing is done here."""
    from digipark.core.events import publish_pending
    from digipark.telemetry.provides import InboundMessage, Ingestor
    from tests.device_tokens import issue_token

    uri, received = receiver
    _, key = _meter(db, world)
    assert client.post(f"{BASE}/subscriptions", json=_subscription(uri, key), headers=_h(world)).status_code == 201
    notifier = ngsi_notify.NgsiNotifier(sync=True)
    notifier.start()
    try:
        token = issue_token(db, world.a.device_ids[0])
        body = json.dumps({"ts": 1_780_000_000_000, "values": {key: 77.0}}).encode()
        message = InboundMessage("mqtt", f"digipark/v1/{token}/telemetry", None, body, 1_780_000_000_500)
        Ingestor(clock=lambda: 1_780_000_000_500, refresh_interval_s=0.0).ingest(db, [message])
        assert received == []  # nothing before the commit: the event is queued on the session
        publish_pending(db)  # what the unit of work does after its commit (core.db.transaction)
    finally:
        notifier.stop()
    assert len(received) == 1 and received[0][1]["data"][0][key]["value"] == 77.0


def test_changes_through_the_entity_api_notify_matching_subscriptions(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    """Create, append, update, partial update and delete of attributes (and the batch upsert) through the entity API
    notify the subscriptions watching them; a change not watched, of another type, or refused notifies nothing."""
    uri, received = receiver
    vehicle = {"id": "urn:ngsi-ld:Vehicle:A4567", "type": "Vehicle", "speed": {"type": "Property", "value": 55}}
    body = {
        "id": "urn:ngsi-ld:Subscription:fast",
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "watchedAttributes": ["speed"],
        "q": "speed>50",
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}},
    }
    assert client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)).status_code == 201
    assert client.post(f"{BASE}/entities", json=vehicle, headers=_h(world)).status_code == 201
    assert received == []  # nothing before the notifier takes the change
    assert ngsi_notify.notify_changes() == 1
    assert [e["id"] for e in received[-1][1]["data"]] == ["urn:ngsi-ld:Vehicle:A4567"]
    assert received[-1][1]["data"][0]["speed"]["value"] == 55
    assert ngsi_notify.notify_changes() == 0  # each change is notified once
    url = f"{BASE}/entities/urn:ngsi-ld:Vehicle:A4567/attrs"
    # an attribute not watched: no notification
    color = {"color": {"type": "Property", "value": "red"}}
    assert client.post(url, json=color, headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_changes() == 0 and len(received) == 1
    # the watched one, below the q: none; above it, by partial update: one
    assert client.patch(url, json={"speed": {"type": "Property", "value": 20}}, headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_changes() == 0
    assert client.patch(f"{url}/speed", json={"value": 81}, headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_changes() == 1 and received[-1][1]["data"][0]["speed"]["value"] == 81
    # a batch upsert (replace) notifies too
    batch = [{**vehicle, "speed": {"type": "Property", "value": 90}}]
    upsert = client.post(f"{BASE}/entityOperations/upsert", json=batch, headers=_h(world))
    assert upsert.status_code == 204, upsert.text
    assert ngsi_notify.notify_changes() == 1 and received[-1][1]["data"][0]["speed"]["value"] == 90
    # deleting the watched attribute notifies the entity without it (no q then, and triggers that include
    # attributeDeleted: the spec's default, attributeCreated and attributeUpdated, does not)
    assert (
        client.patch(
            f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:fast",
            json={"q": None, "notificationTrigger": ["entityUpdated"]},
            headers=_h(world),
        ).status_code
        == 204
    )
    assert client.delete(f"{url}/speed", headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_changes() == 1 and "speed" not in received[-1][1]["data"][0]
    # a refused change (another enterprise's entity) records nothing; another park's subscription hears nothing
    other = client.post(url, json={"speed": {"type": "Property", "value": 99}}, headers=_h(world, "enterprise2"))
    assert other.status_code == 404
    assert ngsi_notify.notify_changes() == 0 and len(received) == 4
    assert _row(db, "urn:ngsi-ld:Subscription:fast").times_sent == 4


def test_the_change_notifier_runs_as_the_module_records_background_service(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any]]
) -> None:
    uri, received = receiver
    unheard = {"id": "urn:ngsi-ld:Vehicle:B0", "type": "Vehicle", "speed": {"type": "Property", "value": 1}}
    assert client.post(f"{BASE}/entities", json=unheard, headers=_h(world)).status_code == 201
    assert db.scalar(select(func.count()).select_from(NgsiChange)) == 0  # nobody subscribed: nothing kept
    body = {
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "notification": {"endpoint": {"uri": uri}},
    }
    assert client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)).status_code == 201
    vehicle = {"id": "urn:ngsi-ld:Vehicle:B1", "type": "Vehicle", "speed": {"type": "Property", "value": 5}}
    assert client.post(f"{BASE}/entities", json=vehicle, headers=_h(world)).status_code == 201
    assert ngsi_notify.ChangeNotifier().run_once() == 1 and len(received) == 1
