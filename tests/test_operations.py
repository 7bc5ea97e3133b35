"""Liveness, readiness (database and MQTT broker) and structured logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from digipark.core.broker import probe_mqtt
from digipark.core.config import get_settings
from digipark.core.logs import JsonFormatter
from tests.conftest import TEST_MQTT_URL, service_unavailable


@pytest.fixture
def mqtt_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_without_broker_reports_database(client: TestClient, mqtt_setting: pytest.MonkeyPatch) -> None:
    mqtt_setting.delenv("DIGIPARK_MQTT_URL", raising=False)
    body = client.get("/readyz").json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("not configured")
    assert body["status"] == "ready"


def test_readyz_with_real_broker(client: TestClient, mqtt_setting: pytest.MonkeyPatch) -> None:
    if not TEST_MQTT_URL:
        service_unavailable("MQTT broker (DIGIPARK_TEST_MQTT_URL not set)")
    if probe_mqtt(TEST_MQTT_URL) != "ok":
        service_unavailable(f"MQTT broker at {TEST_MQTT_URL}")
    mqtt_setting.setenv("DIGIPARK_MQTT_URL", TEST_MQTT_URL)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_broker_down_is_503(client: TestClient, mqtt_setting: pytest.MonkeyPatch) -> None:
    mqtt_setting.setenv("DIGIPARK_MQTT_URL", "mqtt://127.0.0.1:1")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("unreachable")


def test_logs_are_json_lines_with_extra_fields() -> None:
    record = logging.LogRecord("digipark.http", logging.INFO, __file__, 1, "request", (), None)
    record.path = "/api/v1/zones"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "request"
    assert line["path"] == "/api/v1/zones"
    assert line["level"] == "info"
