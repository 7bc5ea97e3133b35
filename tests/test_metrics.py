"""Prometheus metrics at /metrics (requests by route template, latencies, ingest, dead letters, DB pool, command
states) and request ids in the response and in every log line of the request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from digipark.core import metrics
from digipark.core.config import get_settings
from digipark.core.logs import JsonFormatter
from digipark.telemetry.ingest import InboundMessage
from digipark.telemetry.runner import BatchResult, IngestRunner


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_metrics_count_requests_by_route_template_with_conventional_names(client: TestClient) -> None:
    before = _samples(client.get("/metrics").text)
    key = ("digipark_http_requests_total", (("method", "GET"), ("route", "/healthz"), ("status", "200")))
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no/such/page/12345")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)
    assert after[key] - before.get(key, 0) == 3
    assert not any("12345" in dict(labels).get("route", "") for _, labels in after)  # templates, not paths
    assert after[("digipark_http_request_duration_seconds_count", (("method", "GET"), ("route", "/healthz")))] >= 3
    assert ("digipark_db_pool_checked_out", ()) in after
    for family in (
        "digipark_ingest_readings_stored_total",
        "digipark_ingest_dead_letters_total",
        "digipark_device_commands",
    ):
        assert f"# TYPE {family} " in response.text


def test_metrics_ask_for_the_token_when_one_is_set(client: TestClient, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("DIGIPARK_METRICS_TOKEN", "scrape-secret")
    get_settings.cache_clear()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200


def test_a_request_id_is_answered_and_logged_on_each_line(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    handler_filter = metrics.RequestIdFilter()
    logger = logging.getLogger("digipark.http")
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="digipark.http"):
            given = client.get("/healthz", headers={"X-Request-ID": "trace-abc.1"})
            made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces <script>"})
    finally:
        logger.removeFilter(handler_filter)
    assert given.headers["X-Request-ID"] == "trace-abc.1"
    new_id = made.headers["X-Request-ID"]
    assert new_id != "bad id with spaces <script>" and len(new_id) == 32
    lines = [record for record in caplog.records if record.getMessage() == "request"]
    ids = [getattr(record, "request_id", None) for record in lines]
    assert "trace-abc.1" in ids and new_id in ids
    assert '"request_id": "trace-abc.1"' in JsonFormatter().format(lines[ids.index("trace-abc.1")])


def test_the_ingest_runner_counts_batches_readings_and_failures() -> None:
    stored_before = metrics.INGEST_STORED._value.get()
    failures_before = metrics.INGEST_FAILURES._value.get()
    calls = {"n": 0}

    async def sink(messages: list[InboundMessage]) -> BatchResult:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the database is failing over")
        return BatchResult(messages=len(messages), stored=len(messages) * 3)

    class Source:
        def ack(self, tokens: list[object]) -> None:
            return None

    async def run() -> None:
        runner = IngestRunner(sink, batch_size=10)
        task = asyncio.create_task(runner.run())
        message = InboundMessage("nats", "digipark/v1/x/telemetry", None, b"{}", 0)
        runner.submit_many([message, message], Source(), [1, 2])
        await asyncio.wait_for(runner.wait_idle(), 10)
        await runner.stop()
        await asyncio.wait_for(task, 10)

    asyncio.run(run())
    assert metrics.INGEST_STORED._value.get() - stored_before == 6
    assert metrics.INGEST_FAILURES._value.get() - failures_before == 1


def test_the_grafana_dashboard_uses_only_metrics_the_platform_exposes(client: TestClient) -> None:
    import json
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).parents[1] / "deploy" / "grafana" / "digipark.json").read_text())
    exposed = client.get("/metrics").text
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bdigipark_[a-z_]+", target["expr"])
    }
    assert len(used) >= 10
    families = {re.sub(r"_(bucket|count|sum)$", "", name) for name in used}
    missing = sorted(name for name in families if f"# TYPE {name} " not in exposed)
    assert not missing, missing
