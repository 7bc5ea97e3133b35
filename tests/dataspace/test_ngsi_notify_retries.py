"""NGSI-LD notification triggers (entityDeleted, the attribute triggers, the spec's default) and the delivery of
notifications with retries: a failed notification is tried again with back-off (frozen time), counted on the
subscription (status, timesSent, timesFailed, lastFailure, lastSuccess), kept as failed with its reason after the
last attempt and shown to the subscription's owner."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.dataspace import ngsi, ngsi_delivery, ngsi_notify
from digipark.dataspace.models import NgsiChange, NgsiNotification
from tests.conftest import World
from tests.dataspace.test_ngsi_subscriptions import BASE, _h, _problem, allow_loopback

DAY = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)  # tokens stay valid
T0 = DAY + dt.timedelta(hours=8)
VEHICLE = {"id": "urn:ngsi-ld:Vehicle:D1", "type": "Vehicle", "speed": {"type": "Property", "value": 55}}


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Answers the first `failures[0]` POSTs with 500, then 204; records every body."""

    received: list[Any]
    failures: list[int]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append(json.loads(self.rfile.read(length)))
        failing = self.failures[0] > 0
        self.failures[0] -= 1 if failing else 0
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(db: Session, world: World) -> Iterator[tuple[str, list[Any], list[int]]]:
    """A local HTTP server (loopback allow-listed in park A): its address, the bodies received, failures to answer."""
    allow_loopback(db, world.a.park_id)
    received: list[Any] = []
    failures = [0]
    handler = type("Receiver", (_Receiver,), {"received": received, "failures": failures})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/notify", received, failures
    finally:
        server.shutdown()
        server.server_close()


def _z(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _subscribe(client: TestClient, world: World, ident: str, uri: str, who: str = "enterprise", **extra: Any) -> None:
    body = {
        "id": f"urn:ngsi-ld:Subscription:{ident}",
        "type": "Subscription",
        "entities": [{"type": "Vehicle"}],
        "notification": {"endpoint": {"uri": uri, "accept": "application/json"}},
        **extra,
    }
    response = client.post(f"{BASE}/subscriptions", json=body, headers=_h(world, who))
    assert response.status_code == 201, response.text


def _subscription(client: TestClient, world: World, ident: str, who: str = "enterprise") -> Any:
    return client.get(f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:{ident}", headers=_h(world, who))


def _by_subscription(received: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for body in received:
        out.setdefault(body["subscriptionId"].rsplit(":", 1)[-1], []).append(body["data"])
    return out


def test_deleting_an_entity_notifies_the_subscriptions_with_entity_deleted(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any], list[int]]
) -> None:
    uri, received, _ = receiver
    _subscribe(client, world, "gone", uri, notificationTrigger=["entityDeleted"])
    _subscribe(client, world, "fastgone", uri, notificationTrigger=["entityDeleted"], q="speed>50")
    _subscribe(client, world, "slowgone", uri, notificationTrigger=["entityDeleted"], q="speed<10")
    _subscribe(client, world, "plain", uri)  # the spec's default: attributeCreated, attributeUpdated
    _subscribe(client, world, "other", uri, notificationTrigger=["entityDeleted"], who="enterprise2")
    got = _subscription(client, world, "plain").json()
    assert got["notificationTrigger"] == ["attributeCreated", "attributeUpdated"]
    assert _subscription(client, world, "gone").json()["notificationTrigger"] == ["entityDeleted"]
    # a created entity creates its attributes: the default hears it, entityDeleted alone does not
    assert client.post(f"{BASE}/entities", json=VEHICLE, headers=_h(world)).status_code == 201
    assert ngsi_notify.notify_changes() == 1 and list(_by_subscription(received)) == ["plain"]
    received.clear()
    # deleted: the id and type only, to the subscriptions whose q the entity met as it was, and its reader's only
    deleted = client.delete(f"{BASE}/entities/{VEHICLE['id']}", headers=_h(world))
    assert deleted.status_code == 204
    assert ngsi_notify.notify_changes() == 2
    assert _by_subscription(received) == {
        "gone": [[{"id": VEHICLE["id"], "type": "Vehicle"}]],
        "fastgone": [[{"id": VEHICLE["id"], "type": "Vehicle"}]],
    }
    received.clear()
    # a refused delete (another enterprise's entity) and a rolled-back one notify nothing
    assert client.post(f"{BASE}/entities", json=VEHICLE, headers=_h(world)).status_code == 201
    assert ngsi_notify.notify_changes() == 1
    received.clear()
    refused = client.delete(f"{BASE}/entities/{VEHICLE['id']}", headers=_h(world, "enterprise2"))
    assert refused.status_code == 404
    scope = Scope.for_user(
        role=Role.ENTERPRISE,
        username="rolled-back",
        user_id=None,
        park_id=world.a.park_id,
        enterprise_id=world.a.enterprise_ids[0],
    )
    with pytest.raises(RuntimeError), db.begin_nested():
        ngsi.delete(db, scope=scope, entity_id=VEHICLE["id"])
        raise RuntimeError("rolled back")
    assert db.scalar(select(func.count()).select_from(NgsiChange)) == 0
    assert ngsi_notify.notify_changes() == 0 and received == []
    # a batch delete notifies each entity deleted; an id not found is an error and notifies nothing
    batch = [VEHICLE["id"], "urn:ngsi-ld:Vehicle:none"]
    answer = client.post(f"{BASE}/entityOperations/delete", json=batch, headers=_h(world))
    assert answer.status_code == 207 and answer.json()["success"] == [VEHICLE["id"]], answer.text
    assert ngsi_notify.notify_changes() == 2
    assert sorted(_by_subscription(received)) == ["fastgone", "gone"]


def test_attribute_triggers_select_the_changes_notified(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any], list[int]]
) -> None:
    uri, received, _ = receiver
    _subscribe(client, world, "plain", uri, watchedAttributes=["speed"])
    _subscribe(client, world, "removed", uri, watchedAttributes=["speed"], notificationTrigger=["attributeDeleted"])
    _subscribe(client, world, "any", uri, notificationTrigger=["entityUpdated"])
    _subscribe(client, world, "born", uri, notificationTrigger=["entityCreated"])
    assert client.post(f"{BASE}/entities", json=VEHICLE, headers=_h(world)).status_code == 201
    assert ngsi_notify.notify_changes() == 3
    assert sorted(_by_subscription(received)) == ["any", "born", "plain"]
    received.clear()
    url = f"{BASE}/entities/{VEHICLE['id']}/attrs"
    assert client.patch(f"{url}/speed", json={"value": 60}, headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_changes() == 2 and sorted(_by_subscription(received)) == ["any", "plain"]
    received.clear()
    assert client.delete(f"{url}/speed", headers=_h(world)).status_code == 204
    assert ngsi_notify.notify_changes() == 2 and sorted(_by_subscription(received)) == ["any", "removed"]
    bad = {"id": "urn:ngsi-ld:Subscription:bad", "type": "Subscription", "entities": [{"type": "Vehicle"}]}
    for trigger in (["entityVanished"], [], "entityDeleted"):
        body = {**bad, "notificationTrigger": trigger, "notification": {"endpoint": {"uri": uri}}}
        _problem(client.post(f"{BASE}/subscriptions", json=body, headers=_h(world)), "BadRequestData", 400)


def test_a_failed_notification_is_retried_with_back_off_until_it_is_delivered(
    client: TestClient, world: World, db: Session, receiver: tuple[str, list[Any], list[int]]
) -> None:
    uri, received, failures = receiver
    failures[0] = 2
    with time_machine.travel(T0, tick=False) as clock:
        _subscribe(client, world, "flaky", uri)
        assert client.post(f"{BASE}/entities", json=VEHICLE, headers=_h(world)).status_code == 201
        assert ngsi_notify.notify_changes() == 0 and len(received) == 1
        notification = _subscription(client, world, "flaky").json()["notification"]
        assert notification["status"] == "failed" and notification["timesSent"] == 1
        assert notification["timesFailed"] == 1 and notification["lastFailure"] == _z(T0)
        assert "lastSuccess" not in notification
        waiting = client.get(f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:flaky/notifications", headers=_h(world))
        assert waiting.status_code == 200
        [item] = waiting.json()
        assert item["status"] == "pending" and item["attempts"] == 1 and item["reason"] == "HTTP 500"
        assert item["nextAttempt"] == _z(T0 + dt.timedelta(seconds=10)) and item["entities"] == [VEHICLE["id"]]
        # not again before its back-off has passed
        clock.shift(dt.timedelta(seconds=9))
        assert ngsi_notify.notify_changes() == 0 and len(received) == 1
        clock.shift(dt.timedelta(seconds=1))
        assert ngsi_notify.notify_changes() == 0 and len(received) == 2  # the 2nd attempt fails too
        clock.shift(dt.timedelta(seconds=59))
        assert ngsi_notify.notify_changes() == 0 and len(received) == 2
        clock.shift(dt.timedelta(seconds=1))
        # the queue is in the database: a new notifier (a restarted process) delivers it
        assert ngsi_notify.ChangeNotifier().run_once() == 1 and len(received) == 3
        assert received[0] == received[2]  # the same notification, sent again
        notification = _subscription(client, world, "flaky").json()["notification"]
        assert notification["status"] == "ok" and notification["timesSent"] == 3
        assert notification["timesFailed"] == 2 and notification["lastSuccess"] == _z(T0 + dt.timedelta(seconds=70))
        assert notification["lastNotification"] == _z(T0 + dt.timedelta(seconds=70))
        assert db.scalar(select(func.count()).select_from(NgsiNotification)) == 0


def test_after_its_last_attempt_a_notification_is_kept_as_failed_with_its_reason(
    client: TestClient, world: World, db: Session
) -> None:
    allow_loopback(db, world.a.park_id)
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        uri = f"http://127.0.0.1:{closed.getsockname()[1]}/notify"
    with time_machine.travel(T0, tick=False) as clock:
        _subscribe(client, world, "dead", uri)
        assert client.post(f"{BASE}/entities", json=VEHICLE, headers=_h(world)).status_code == 201
        assert ngsi_notify.notify_changes() == 0
        for wait in ngsi_delivery.RETRY_AFTER_S:
            clock.shift(dt.timedelta(seconds=wait))
            assert ngsi_notify.notify_changes() == 0
        clock.shift(dt.timedelta(days=1))
        assert ngsi_notify.notify_changes() == 0  # no attempt after the last
        url = f"{BASE}/subscriptions/urn:ngsi-ld:Subscription:dead"
        notification = client.get(url, headers=_h(world)).json()["notification"]
        attempts = ngsi_delivery.MAX_ATTEMPTS
        assert notification["status"] == "failed" and notification["timesFailed"] == attempts
        assert notification["timesSent"] == attempts
        [failed] = client.get(f"{url}/notifications", headers=_h(world)).json()
        assert failed["status"] == "failed" and failed["attempts"] == attempts and "nextAttempt" not in failed
        assert failed["reason"].startswith("ConnectError")
        # the owner's; another enterprise of the park does not see it
        assert client.get(f"{url}/notifications", headers=_h(world, "enterprise2")).status_code == 404
        # deleting the subscription deletes its notifications
        assert client.delete(url, headers=_h(world)).status_code == 204
        assert db.scalar(select(func.count()).select_from(NgsiNotification)) == 0
