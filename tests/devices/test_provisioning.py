"""Device provisioning by key over HTTP (ThingsBoard's body): park staff make a key (its secret shown once), a
device presenting the key, the secret and its name is created with the key's kind and gets a token that works for
the ingest; a wrong secret, a repeated name and a used-up key are refused and change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.devices.models import ProvisioningKey
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, Point
from tests.conftest import World, bearer

KEYS = "/api/v1/provisioning-keys"


def test_a_device_provisions_itself_with_a_key_and_gets_its_token_once(
    client: TestClient, db: Session, world: World
) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    made = client.post(KEYS, json={"name": "烟气监测批次", "kind": "flue_gas_monitor", "max_devices": 2}, headers=admin)
    assert made.status_code == 201, made.text
    key, secret = made.json()["key"], made.json()["secret"]
    listed = client.get(KEYS, headers=admin).json()
    assert [row["key"] for row in listed if row["id"] == made.json()["id"]] == [key]
    assert all("secret" not in row for row in listed)  # shown once
    stored = db.get(ProvisioningKey, made.json()["id"])
    assert stored is not None and secret not in stored.secret_hash

    body = {"deviceName": "CEMS-P1", "provisionDeviceKey": key, "provisionDeviceSecret": secret}
    answer = client.post("/api/v1/provision", json=body)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["credentialsType"]) == ("SUCCESS", "ACCESS_TOKEN")
    device = db.get(Device, answer.json()["deviceId"])
    assert device is not None
    assert (device.park_id, device.kind, device.code) == (world.a.park_id, "flue_gas_monitor", "CEMS-P1")
    assert device.token_hash == token_digest(answer.json()["credentialsValue"])
    assert db.scalar(select(func.count()).select_from(Point).where(Point.device_id == device.id))  # the kind's points
    ingest = client.post(f"/api/v1/devices/{answer.json()['credentialsValue']}/telemetry", json={"so2_mgm3": 12.5})
    assert ingest.status_code in (200, 202), ingest.text  # the token works for telemetry

    devices = db.scalar(select(func.count()).select_from(Device))
    assert client.post("/api/v1/provision", json=body).status_code == 409  # the same name again
    wrong = {**body, "deviceName": "CEMS-P2", "provisionDeviceSecret": secret + "x"}
    assert client.post("/api/v1/provision", json=wrong).status_code == 404
    unknown = {**body, "deviceName": "CEMS-P2", "provisionDeviceKey": "nosuchkey"}
    assert client.post("/api/v1/provision", json=unknown).status_code == 404
    assert db.scalar(select(func.count()).select_from(Device)) == devices  # nothing written
    second = {**body, "deviceName": "CEMS-P2"}
    assert client.post("/api/v1/provision", json=second).status_code == 200
    third = {**body, "deviceName": "CEMS-P3"}
    refused = client.post("/api/v1/provision", json=third)
    assert refused.status_code == 409 and "all the devices" in refused.text  # max_devices 2


def test_only_park_staff_make_keys_and_a_kind_must_exist(client: TestClient, world: World) -> None:
    body = {"name": "k", "kind": "flue_gas_monitor"}
    assert client.post(KEYS, json=body, headers=bearer(world.a.tokens["enterprise"])).status_code == 403
    assert client.post(KEYS, json=body, headers=bearer(world.a.tokens["reviewer"])).status_code == 403
    bad = client.post(KEYS, json={**body, "kind": "toaster"}, headers=bearer(world.a.tokens["park_admin"]))
    assert bad.status_code == 422
