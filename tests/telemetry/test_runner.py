"""The ingest runner's look at messages as they arrive (`on_receive`, used by the rules engine)."""

from __future__ import annotations

import asyncio
from typing import Any

from digipark.telemetry.ingest import InboundMessage
from digipark.telemetry.runner import BatchResult, IngestRunner


class Source:
    def __init__(self) -> None:
        self.acked: list[Any] = []

    def ack(self, tokens: list[Any]) -> None:
        self.acked.extend(tokens)


def _messages(n: int) -> list[InboundMessage]:
    return [InboundMessage("mqtt", f"digipark/v1/t{i}/telemetry", None, b"{}", 0) for i in range(n)]


def test_on_receive_sees_messages_before_the_sink_and_its_failure_stores_them_anyway() -> None:
    seen: list[str] = []

    async def sink(messages: list[InboundMessage]) -> BatchResult:
        seen.extend(f"stored {m.topic}" for m in messages)
        return BatchResult(messages=len(messages), stored=len(messages))

    def on_receive(messages: list[InboundMessage]) -> None:
        seen.extend(f"received {m.topic}" for m in messages)
        if len(seen) > 2:
            raise RuntimeError("a consumer failing")

    async def run() -> Source:
        runner = IngestRunner(sink, batch_size=10)
        runner.on_receive = on_receive
        task = asyncio.create_task(runner.run())
        source = Source()
        first, second = _messages(2)
        assert runner.submit(first, source, 1)
        await runner.wait_idle()
        assert runner.submit(second, source, 2)
        await runner.stop()
        await task
        return source

    source = asyncio.run(run())
    assert seen == [
        "received digipark/v1/t0/telemetry",
        "stored digipark/v1/t0/telemetry",
        "received digipark/v1/t1/telemetry",
        "stored digipark/v1/t1/telemetry",
    ]
    assert source.acked == [1, 2]
