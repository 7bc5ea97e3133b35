"""Prometheus metrics (prometheus_client) with the conventional names, and request ids for the logs.

Every process keeps its own metrics: `digipark serve` shows them at `GET /metrics`, an ingest process on
`DIGIPARK_METRICS_PORT` when set (`digipark ingest`). Behind a proxy, Prometheus scrapes each process (not the
proxy), so that a counter is never summed over processes by chance. With `DIGIPARK_METRICS_TOKEN` set, /metrics
asks for `Authorization: Bearer <token>`.

| metric | type | labels |
|---|---|---|
| `digipark_http_requests_total` | counter | method, route (the route's template, not the path), status |
| `digipark_http_request_duration_seconds` | histogram | method, route |
| `digipark_ingest_messages_total`, `_readings_stored_total`, `_duplicates_total`, `_rejected_total` | counter | |
| `digipark_ingest_batches_total`, `digipark_ingest_batch_failures_total` | counter | |
| `digipark_ingest_batch_duration_seconds` | histogram | |
| `digipark_ingest_lag_seconds` | gauge | receipt to commit of the newest batch's oldest message |
| `digipark_ingest_dead_letters_total` | counter | reason |
| `digipark_stream_pending_messages`, `digipark_stream_ack_pending_messages` | gauge | partition (a worker's own) |
| `digipark_rule_evaluation_seconds` | histogram | |
| `digipark_db_pool_size`, `_checked_out`, `_overflow` | gauge | |
| `digipark_<name>` of `register_state_counts` (e.g. `digipark_device_commands`) | gauge | state |

Request ids: each request gets `X-Request-ID` (the client's when it is a short token, else a new one), answered in
the response's header and added as `request_id` to every log line written while the request is served.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "exposition"]

log = logging.getLogger("digipark.metrics")
disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside each counter

HTTP_REQUESTS = Counter("digipark_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "digipark_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INGEST_MESSAGES = Counter("digipark_ingest_messages", "Telemetry messages committed by the ingest")
INGEST_STORED = Counter("digipark_ingest_readings_stored", "Readings stored by the ingest")
INGEST_DUPLICATES = Counter("digipark_ingest_duplicates", "Readings ignored as repeats of a stored (point, ts)")
INGEST_REJECTED = Counter("digipark_ingest_rejected", "Messages (or a device's share of one) dead-lettered")
INGEST_BATCHES = Counter("digipark_ingest_batches", "Ingest batches committed")
INGEST_FAILURES = Counter("digipark_ingest_batch_failures", "Ingest batches that failed and were retried")
INGEST_BATCH_SECONDS = Histogram(
    "digipark_ingest_batch_duration_seconds",
    "Time to store and commit one ingest batch",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INGEST_LAG = Gauge("digipark_ingest_lag_seconds", "Receipt to commit of the oldest message of the latest batch")
DEAD_LETTERS = Counter("digipark_ingest_dead_letters", "Dead letters by reason", ["reason"])
STREAM_PENDING = Gauge(
    "digipark_stream_pending_messages", "Messages of a partition not yet delivered to a worker", ["partition"]
)
STREAM_ACK_PENDING = Gauge(
    "digipark_stream_ack_pending_messages", "Messages of a partition delivered and not yet acknowledged", ["partition"]
)
RULE_SECONDS = Histogram("digipark_rule_evaluation_seconds", "Time to evaluate the alarm rules on one message batch")

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("digipark_request_id", default=None)
_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id(given: str | None) -> str:
    """The request's id: the client's X-Request-ID when it is a short token, else a new one."""
    if given and _REQUEST_ID_SHAPE.match(given):
        return given
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = REQUEST_ID.get()
        if current is not None and not hasattr(record, "request_id"):
            record.request_id = current
        return True


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def observe_batch(*, messages: int, stored: int, duplicates: int, rejected: int, seconds: float, lag_s: float) -> None:
    INGEST_BATCHES.inc()
    INGEST_MESSAGES.inc(messages)
    INGEST_STORED.inc(stored)
    INGEST_DUPLICATES.inc(duplicates)
    INGEST_REJECTED.inc(rejected)
    INGEST_BATCH_SECONDS.observe(seconds)
    INGEST_LAG.set(max(lag_s, 0.0))


class _Pool(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from digipark.core import db as core_db

        engine = core_db._engine
        pool = getattr(engine, "pool", None) if engine is not None else None
        for name, method, text in (
            ("digipark_db_pool_size", "size", "Connections the pool keeps"),
            ("digipark_db_pool_checked_out", "checkedout", "Connections in use"),
            ("digipark_db_pool_overflow", "overflow", "Connections beyond the pool's size"),
        ):
            value = getattr(pool, method, None) if pool is not None else None
            if callable(value):
                yield GaugeMetricFamily(name, text, value=float(value()))


StateCounts = Callable[[Any], Iterable[tuple[str, int]]]
_state_counts: dict[str, tuple[str, StateCounts]] = {}


def register_state_counts(name: str, documentation: str, counts: StateCounts) -> None:
    """A gauge `digipark_<name>{state}` read from the database at each scrape: `counts(session)` gives
    (state, rows) pairs (a domain registers its own, e.g. device commands by state)."""
    _state_counts[name] = (documentation, counts)


class _States(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not _state_counts:
            return
        from digipark.core import db as core_db

        if core_db._engine is None:
            return
        try:
            with core_db.transaction() as session:
                for name, (documentation, counts) in sorted(_state_counts.items()):
                    family = GaugeMetricFamily(f"digipark_{name}", documentation, labels=["state"])
                    for state, rows in counts(session):
                        family.add_metric([state], float(rows))
                    yield family
        except Exception as exc:  # a scrape reports what it can; the database may be failing over
            log.warning("metrics: state counts unavailable: %s", exc)


_installed = False


def install() -> None:
    """Register the collectors that read the process's state (once per process)."""
    global _installed
    if _installed:
        return
    REGISTRY.register(_Pool())
    REGISTRY.register(_States())
    _installed = True


def exposition() -> bytes:
    install()
    return generate_latest(REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose this process's metrics on HOST:PORT (an ingest process has no web server of its own)."""
    from prometheus_client import start_http_server

    install()
    start_http_server(port, addr=host)
