"""The memory tracer (DIGIPARK_MEMTRACE_INTERVAL_S) names the source line whose allocations grew, and logs it."""

from __future__ import annotations

import logging
import threading
import tracemalloc
from collections.abc import Iterator

import pytest

from digipark.core import memtrace

KEPT: list[bytes] = []


def _grow() -> None:
    KEPT.extend(bytes(1000) + bytes([i % 256]) for i in range(2000))  # the line that grows: about 2 MB


@pytest.fixture
def tracing() -> Iterator[None]:
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start(1)
    yield
    KEPT.clear()
    if not was_tracing:
        tracemalloc.stop()


@pytest.mark.usefixtures("tracing")
def test_growth_names_the_line_that_grew() -> None:
    before = tracemalloc.take_snapshot()
    _grow()
    after = tracemalloc.take_snapshot()
    top = memtrace.growth(before, after)[0]
    assert top["where"].endswith(f"test_memtrace.py:{_grow.__code__.co_firstlineno + 1}")
    assert top["grew_kb"] > 1500
    assert top["blocks_grew"] >= 2000


def test_start_logs_the_growth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memtrace, "_thread", None)
    logged = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if any("test_memtrace.py" in g["where"] for g in getattr(record, "memtrace_growth", [])):
                logged.set()

    handler = Seen()
    memtrace.log.addHandler(handler)
    was_tracing = tracemalloc.is_tracing()
    stop = memtrace.start(0.2)
    assert stop is not None
    assert memtrace.start(0.2) is None  # once per process
    try:
        for _ in range(20):  # growing until a report after the first snapshot shows it
            _grow()
            if logged.wait(1):
                break
        assert logged.is_set()
    finally:
        stop.set()
        memtrace.log.removeHandler(handler)
        KEPT.clear()
        if not was_tracing:
            tracemalloc.stop()
