"""Assembling the ingest pipeline: which sources, which sink, for `digipark ingest` and inside `digipark demo`.

| configuration                       | sources                                  | sink                      |
|-------------------------------------|------------------------------------------|---------------------------|
| (none)                              | embedded broker (`--listen`)             | database                  |
| DIGIPARK_MQTT_URL                   | subscription there (+ `--listen`)        | database                  |
| DIGIPARK_STREAM_URL (bridge)        | subscription and/or embedded broker      | JetStream stream          |
| DIGIPARK_STREAM_URL + `--worker`    | JetStream durable pull consumer          | database                  |

`start_ingest_runtime` runs the first two rows in a background thread of the web process (`digipark demo`):
with DIGIPARK_MQTT_URL it subscribes there, otherwise it starts the embedded broker on 127.0.0.1:1883 or,
where that port is taken, on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from digipark.core import modules
from digipark.core.modules import resolve
from digipark.telemetry import device_events
from digipark.telemetry.runner import BrokerSource, DatabaseSink, IngestRunner, MqttSource, Sink

if TYPE_CHECKING:
    from digipark.telemetry.broker_access import BrokerAccess
    from digipark.telemetry.ingest import InboundMessage

log = logging.getLogger("digipark.telemetry.runtime")


def parse_listen(value: str) -> tuple[str, int]:
    """ "HOST:PORT" (or ":PORT", "[::1]:PORT") -> (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _fan_out(receivers: list[Callable[[list[InboundMessage]], None]]) -> Callable[[list[InboundMessage]], None]:
    if len(receivers) == 1:
        return receivers[0]

    def receive(messages: list[InboundMessage]) -> None:
        for receiver in receivers:
            receiver(messages)

    return receive


async def _forget_embedded_broker() -> None:
    device_events.embedded_broker_stopped()


@dataclass
class IngestPlan:
    """What one ingest process runs."""

    database_url: str | None = None  # None: the process's configured engine
    mqtt_url: str | None = None
    listen: tuple[str, int] | None = None
    listen_fallback: bool = False  # take a free port when `listen` is taken
    stream_url: str | None = None
    worker: bool = False
    batch_size: int = 30_000
    max_pending: int = 50_000
    client_id: str = "digipark-ingest"
    linger_s: float = 0.0  # how long a batch below batch_size waits for more messages (fewer, larger transactions)


@dataclass
class IngestInfo:
    """Where the running pipeline listens and what it does (for printing)."""

    mode: str
    mqtt_url: str | None = None
    listen: tuple[str, int] | None = None
    stream_url: str | None = None
    runner: IngestRunner | None = field(default=None, repr=False)
    broker_access: BrokerAccess | None = field(default=None, repr=False)  # the embedded broker's (refusals)

    def describe(self) -> str:
        parts = [self.mode]
        if self.listen:
            parts.append(f"MQTT broker listening on {self.listen[0]}:{self.listen[1]}")
        if self.mqtt_url:
            parts.append(f"subscribed at {self.mqtt_url}")
        if self.stream_url:
            parts.append(f"stream {self.stream_url}")
        return "; ".join(parts)


async def run_ingest(
    plan: IngestPlan, stop: asyncio.Event, on_ready: Callable[[IngestInfo], None] | None = None
) -> IngestInfo:
    """Run the pipeline of `plan` until `stop` is set; then commit and acknowledge what was received."""
    from digipark.telemetry import stream as streams

    if plan.worker and not plan.stream_url:
        raise ValueError("--worker needs a stream: set DIGIPARK_STREAM_URL=nats://host:port")
    if not plan.worker and not plan.mqtt_url and plan.listen is None:
        raise ValueError("nothing to ingest from: set DIGIPARK_MQTT_URL or give --listen HOST:PORT")

    nc: Any = None
    pausers: list[Callable[[], None]] = []  # stop taking new messages
    stoppers: list[Callable[[], Awaitable[None]]] = []  # disconnect
    tasks: list[asyncio.Task[Any]] = []
    database_sink: DatabaseSink | None = None
    on_receive: Callable[[list[InboundMessage]], None] | None = None
    stream_settings = streams.StreamSettings.from_settings(plan.stream_url) if plan.stream_url else None
    sink: Sink
    if stream_settings is not None:
        nc, js = await streams.connect(stream_settings)
    if plan.worker or stream_settings is None:
        database_sink = DatabaseSink()
        sink = database_sink
        # the installed modules' consumers run where readings arrive and are stored (rules, automatic incidents,
        # scheduled scans), stopped in the same order: a later consumer (automatic incidents) drains what an
        # earlier one (the rules engine) produced last
        for module in modules.installed():
            for ref in module.background:
                stoppers.append(resolve(ref)().astop)
        receivers = [resolve(ref) for module in modules.installed() for ref in module.on_receive]
        on_receive = _fan_out(receivers) if receivers else None
    else:
        sink = streams.JetStreamSink(js, stream_settings)

    max_pending = min(plan.max_pending, 2 * plan.batch_size) if plan.worker else plan.max_pending
    runner = IngestRunner(
        sink, batch_size=plan.batch_size, max_pending=max_pending, linger_s=plan.linger_s, name="ingest"
    )
    runner.on_receive = on_receive
    runner_task = asyncio.create_task(runner.run(), name="digipark-ingest-runner")
    info = IngestInfo(mode="worker" if plan.worker else ("bridge" if stream_settings else "ingest"), runner=runner)
    info.stream_url = plan.stream_url
    try:
        if plan.worker:
            assert stream_settings is not None
            source = streams.JetStreamSource(runner, nc, js, stream_settings, fetch=plan.batch_size)
            tasks.append(asyncio.create_task(source.run(), name="digipark-jetstream-fetch"))
            pausers.append(source.stop)
        else:
            if plan.listen is not None:
                host, port = plan.listen
                if plan.listen_fallback and port and not port_is_free(host, port):
                    log.info("port %d on %s is taken; the embedded MQTT broker takes a free port", port, host)
                    port = 0
                broker = BrokerSource(runner)
                await broker.start(host, port)
                info.listen = (broker.broker.host, broker.broker.port)
                device_events.embedded_broker_started(*info.listen)
                stoppers.append(_forget_embedded_broker)
                info.broker_access = broker.broker.access
                pausers.append(broker.pause)
                stoppers.append(broker.stop)
            if plan.mqtt_url:
                subscription = MqttSource(runner, plan.mqtt_url, client_id=plan.client_id)
                tasks.append(asyncio.create_task(subscription.run(), name="digipark-mqtt-subscriber"))
                pausers.append(subscription.pause)
                stoppers.append(subscription.stop)
                info.mqtt_url = str(subscription.subscriber.address)
                with contextlib.suppress(TimeoutError):  # ready once subscribed, or go on (it keeps retrying)
                    await asyncio.wait_for(subscription.subscriber.subscribed.wait(), timeout=5)
        if on_ready is not None:
            on_ready(info)
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([stopper, runner_task, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        for task in [runner_task, *tasks]:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        # stop taking messages, commit and acknowledge what was taken, then disconnect
        for pause in pausers:
            pause()
        await runner.stop()
        for stopper_ in stoppers:
            with contextlib.suppress(Exception):
                await stopper_()
        for task in [runner_task, *tasks]:
            task.cancel()
        await asyncio.gather(runner_task, *tasks, return_exceptions=True)
        if nc is not None:
            await streams.close(nc)
        if database_sink is not None:
            database_sink.close()
    return info


@dataclass
class IngestRuntime:
    """The ingest pipeline running in a background thread of this process."""

    info: IngestInfo
    _loop: asyncio.AbstractEventLoop = field(repr=False)
    _stop: asyncio.Event = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def host(self) -> str | None:
        return self.info.listen[0] if self.info.listen else None

    @property
    def port(self) -> int | None:
        return self.info.listen[1] if self.info.listen else None

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)


def start_ingest_runtime(
    *,
    host: str | None = None,
    port: int | None = None,
    mqtt_url: str | None = None,
    timeout: float = 60.0,  # a loaded machine starting the demo (its modules' consumers first) takes its time
    linger_s: float = 0.0,
) -> IngestRuntime:
    """Start ingesting in a background thread: from DIGIPARK_MQTT_URL (or `mqtt_url`) if set, otherwise from
    an embedded broker on host:port (default settings.mqtt_listen, 127.0.0.1:1883), or a free port if that one
    is taken. Returns once it listens/subscribes; `runtime.stop()` commits what was received and stops."""
    from digipark.core.config import get_settings

    settings = get_settings()
    url = mqtt_url or settings.mqtt_url
    plan = IngestPlan(
        mqtt_url=url,
        batch_size=settings.ingest_batch_size,
        max_pending=settings.ingest_max_pending,
        client_id=settings.mqtt_client_id,
        linger_s=linger_s,
    )
    if not url:
        default_host, default_port = parse_listen(settings.mqtt_listen)
        plan.listen = (host or default_host, default_port if port is None else port)
        plan.listen_fallback = True
    return start_plan(plan, timeout=timeout)


def start_plan(plan: IngestPlan, *, timeout: float = 15.0) -> IngestRuntime:
    """Run `plan` in a background thread with its own event loop; returns once it is listening/subscribed."""
    ready = threading.Event()
    state: dict[str, Any] = {}

    def main() -> None:
        async def go() -> None:
            stop = asyncio.Event()
            state["loop"] = asyncio.get_running_loop()
            state["stop"] = stop

            def on_ready(info: IngestInfo) -> None:
                state["info"] = info
                ready.set()

            try:
                await run_ingest(plan, stop, on_ready)
            except BaseException as exc:
                state["error"] = exc
                ready.set()
                if not isinstance(exc, Exception):
                    raise
                log.exception("the ingest runtime stopped")

        asyncio.run(go())

    thread = threading.Thread(target=main, name="digipark-ingest-runtime", daemon=True)
    thread.start()
    if not ready.wait(timeout):
        raise TimeoutError("the ingest runtime did not start in time")
    if "info" not in state:
        raise RuntimeError(f"the ingest runtime failed to start: {state.get('error')}")
    return IngestRuntime(state["info"], state["loop"], state["stop"], thread)
