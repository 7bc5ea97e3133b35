"""HTTP ingestion (`POST /api/v1/devices/{token}/telemetry`) and the traffic counters it leaves behind."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.registry.models import Device
from digipark.telemetry.ingest import get_ingestor, now_ms
from digipark.telemetry.ingest_api import MAX_BODY_BYTES
from digipark.telemetry.models import Quality
from tests.conftest import World, bearer
from tests.telemetry.test_ingest import letters, point_of, readings, token_of

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def fresh_ingestor() -> Iterator[None]:
    """The process's Ingestor caches the registry; these tests change it in transactions that are rolled back."""
    get_ingestor().invalidate()
    yield
    get_ingestor().invalidate()


def post(client: TestClient, token: str, body: object) -> dict[str, object]:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    response = client.post(f"{API}/devices/{token}/telemetry", content=content)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_native_body(client: TestClient, db: Session, world: World) -> None:
    device_id = world.a.device_ids[0]
    ts = now_ms() - 60_000
    result = post(client, token_of(db, device_id), {"ts": ts, "values": {"power_kw": 5, "voltage_v": 231.5}})
    assert result == {
        "messages": 1,
        "stored": 2,
        "duplicates": 0,
        "bad_quality": 0,
        "rejected": 0,
        "rejected_by_reason": {},
    }
    assert readings(db, point_of(db, device_id, "voltage_v")) == [(ts, 231.5, Quality.GOOD)]


def test_list_and_flat_bodies(client: TestClient, db: Session, world: World) -> None:
    device_id = world.a.device_ids[1]
    token = token_of(db, device_id)
    ts = now_ms() - 60_000
    assert (
        post(client, token, [{"ts": ts, "values": {"lel_pct": 1}}, {"ts": ts + 1, "values": {"lel_pct": 2}}])["stored"]
        == 2
    )
    before = now_ms()
    assert post(client, token, {"lel_pct": 3})["stored"] == 1
    stored = readings(db, point_of(db, device_id, "lel_pct"))
    assert len(stored) == 3 and stored[-1][0] >= before and stored[-1][1] == 3.0  # no ts: received now


def test_unknown_token_is_404_and_dead_lettered(client: TestClient, db: Session) -> None:
    response = client.post(f"{API}/devices/not-a-device/telemetry", json={"power_kw": 1})
    assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 404 and body["type"].endswith("/not-found")
    assert body["result"]["rejected_by_reason"] == {"unknown_token": 1}
    (letter,) = letters(db, token="not-a-device")
    assert (letter.reason, letter.source, letter.park_id, letter.topic) == ("unknown_token", "http", None, None)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{oops", "malformed"),
        (b"[1]", "malformed"),
        (b'{"ts": 1700000000, "values": {"power_kw": 1}}', "bad_timestamp"),
    ],
)
def test_unreadable_body_is_422_and_dead_lettered(
    client: TestClient, db: Session, world: World, body: bytes, reason: str
) -> None:
    device_id = world.a.device_ids[0]
    response = client.post(f"{API}/devices/{token_of(db, device_id)}/telemetry", content=body)
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["result"]["rejected_by_reason"] == {reason: 1}
    (letter,) = letters(db, device_id=device_id)
    assert letter.reason == reason and letter.payload == body.decode()


def test_every_value_rejection_through_http(client: TestClient, db: Session, world: World) -> None:
    device_id = world.a.device_ids[0]
    token = token_of(db, device_id)
    now = now_ms()
    body = (
        b'[{"ts": %d, "values": {"power_kw": 1, "nope": 1, "voltage_v": "x", "energy_kwh": NaN, "power_factor": 7}},'
        b' {"ts": %d, "values": {"power_kw": 2}}]'
    ) % (now - 1000, now + 3_600_000)
    result = post(client, token, body)
    assert result["stored"] == 2 and result["bad_quality"] == 1  # power_factor 7 is outside [-1, 1]
    assert result["rejected_by_reason"] == {
        "unknown_point": 1,
        "not_numeric": 1,
        "not_finite": 1,
        "future_timestamp": 1,
    }
    assert sorted(letter.reason for letter in letters(db, device_id=device_id)) == [
        "future_timestamp",
        "not_finite",
        "not_numeric",
        "unknown_point",
    ]
    traffic = client.get(f"{API}/devices/{device_id}/traffic", headers=bearer(world.a.tokens["park_admin"])).json()
    assert traffic["messages"] == 1 and traffic["readings"] == 2 and traffic["bad_quality"] == 1
    assert traffic["rejected"] == 4
    assert traffic["rejections"] == {"future_timestamp": 1, "not_finite": 1, "not_numeric": 1, "unknown_point": 1}
    assert traffic["last_seen_ms"] >= now and traffic["last_seen"] is not None


def test_disabled_device_through_http(client: TestClient, db: Session, world: World) -> None:
    device_id = world.a.device_ids[1]
    device = db.get(Device, device_id)
    assert device is not None
    device.status = "retired"
    db.flush()
    result = post(client, token_of(db, device_id), {"lel_pct": 1})
    assert result["rejected_by_reason"] == {"device_disabled": 1} and result["stored"] == 0


def test_repeats_are_idempotent(client: TestClient, db: Session, world: World) -> None:
    device_id = world.a.device_ids[0]
    token = token_of(db, device_id)
    body = {"ts": now_ms() - 5000, "values": {"power_kw": 1}}
    assert post(client, token, body)["stored"] == 1
    again = post(client, token, body)
    assert (again["stored"], again["duplicates"]) == (0, 1)
    traffic = client.get(f"{API}/devices/{device_id}/traffic", headers=bearer(world.a.tokens["operator"])).json()
    assert (traffic["messages"], traffic["readings"], traffic["duplicates"]) == (2, 1, 1)


def test_body_size_limit(client: TestClient, db: Session, world: World) -> None:
    token = token_of(db, world.a.device_ids[0])
    response = client.post(f"{API}/devices/{token}/telemetry", content=b" " * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413 and response.headers["content-type"].startswith(PROBLEM)
    assert letters(db, device_id=world.a.device_ids[0]) == []


def test_park_traffic_lists_every_device_of_the_park(client: TestClient, db: Session, world: World) -> None:
    meter, detector = world.a.device_ids
    post(client, token_of(db, meter), {"power_kw": 1, "nope": 2})
    response = client.get(f"{API}/parks/{world.a.park_id}/traffic", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200, response.text
    rows = {row["device_id"]: row for row in response.json()["items"]}
    assert set(rows) == {meter, detector}
    assert rows[meter]["messages"] == 1 and rows[meter]["rejections"] == {"unknown_point": 1}
    assert rows[detector]["messages"] == 0 and rows[detector]["last_seen"] is None
    by_rejected = client.get(
        f"{API}/parks/{world.a.park_id}/traffic",
        headers=bearer(world.a.tokens["park_admin"]),
        params={"sort": "-rejected", "page_size": 1},
    ).json()
    assert by_rejected["total"] == 2 and [row["device_id"] for row in by_rejected["items"]] == [meter]


def test_enterprise_sees_only_its_own_devices_traffic(client: TestClient, db: Session, world: World) -> None:
    meter, detector = world.a.device_ids  # the meter is enterprise 0's, the detector the park's
    post(client, token_of(db, meter), {"power_kw": 1})
    own = bearer(world.a.tokens["enterprise"])
    other = bearer(world.a.tokens["enterprise2"])
    assert client.get(f"{API}/devices/{meter}/traffic", headers=own).json()["messages"] == 1
    assert client.get(f"{API}/devices/{detector}/traffic", headers=own).status_code == 404
    assert client.get(f"{API}/devices/{meter}/traffic", headers=other).status_code == 404
    listed = client.get(f"{API}/parks/{world.a.park_id}/traffic", headers=own).json()
    assert [row["device_id"] for row in listed["items"]] == [meter]
    assert client.get(f"{API}/parks/{world.a.park_id}/traffic", headers=other).json()["items"] == []
    b_admin = bearer(world.b.tokens["park_admin"])
    assert client.get(f"{API}/devices/{meter}/traffic", headers=b_admin).status_code == 404
    assert client.get(f"{API}/parks/{world.a.park_id}/traffic", headers=b_admin).status_code == 404
