"""telemetry.runner.DatabaseSink: concurrent batches write in the order they were taken."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from digipark.telemetry.ingest import InboundMessage, IngestSummary, WriteOptions
from digipark.telemetry.runner import DatabaseSink


class SlowFirstIngestor:
    """Parses the first batch slowly, so the second one is ready to write first; records the write order."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.lock = threading.Lock()

    def ingest(self, session: Session, messages: Sequence[InboundMessage], *, options: WriteOptions) -> IngestSummary:
        name = messages[0].topic or ""
        if name == "first":
            time.sleep(0.3)  # parsing
        assert options.before_write is not None
        options.before_write()
        with self.lock:
            self.order.append(name)
        return IngestSummary(messages=len(messages))


# Two batches at a time is the PostgreSQL sink's (`DatabaseSink` takes one at a time on SQLite): on SQLite the
# second batch's write transaction can hold the database lock while it waits for the first, which then times out.


def message(topic: str) -> InboundMessage:
    return InboundMessage("mqtt", topic, None, b"{}", 0)


def test_a_later_batch_waits_for_the_earlier_one_to_write(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("two batches at a time: PostgreSQL's sink")
    ingestor = SlowFirstIngestor()
    sink = DatabaseSink(ingestor, concurrency=2, refresh_interval_s=0)  # type: ignore[arg-type]

    async def both() -> list[Any]:
        return await asyncio.gather(sink([message("first")]), sink([message("second")]))

    try:
        results = asyncio.run(both())
    finally:
        sink.close()
    assert [r.messages for r in results] == [1, 1]
    assert ingestor.order == ["first", "second"]


def test_a_failed_batch_does_not_hold_up_the_next(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("two batches at a time: PostgreSQL's sink")

    class Failing(SlowFirstIngestor):
        def ingest(
            self, session: Session, messages: Sequence[InboundMessage], *, options: WriteOptions
        ) -> IngestSummary:
            if messages[0].topic == "first":
                raise RuntimeError("database went away")
            return super().ingest(session, messages, options=options)

    ingestor = Failing()
    sink = DatabaseSink(ingestor, concurrency=2, refresh_interval_s=0)  # type: ignore[arg-type]

    async def both() -> list[Any]:
        return await asyncio.gather(sink([message("first")]), sink([message("second")]), return_exceptions=True)

    try:
        first, second = asyncio.run(both())
    finally:
        sink.close()
    assert isinstance(first, RuntimeError) and second.messages == 1
    assert ingestor.order == ["second"]
