"""Live telemetry for the demo park: a simulator publishing the model's readings over MQTT, and the back-fill of
history started beside it (`sim.telemetry_model`, `sim.telemetry_backfill`).

`start_demo_telemetry(host=, port=)` starts the live simulator (devices share a few MQTT connections and publish
to their native topic `digipark/v1/{token}/telemetry`, every `live.max_period_s` at most) and, a few seconds
later, the back-fill in background threads.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from paho.mqtt.enums import MQTTErrorCode
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digipark.audit.service import record
from digipark.core import progress as work_progress
from digipark.registry.device_tokens import new_device_token, token_digest
from digipark.registry.models import Device, Park
from digipark.sim.telemetry_backfill import BACKFILL, Backfill, backfill_progress, run_backfill
from digipark.sim.telemetry_model import DEFAULT_SEED, SimDevice, SimModel, load_devices, spec, unit_noise

log = logging.getLogger("digipark.sim.telemetry")

TOPIC = "digipark/v1/{token}/telemetry"
BACKFILL_DELAY_S = 3.0  # the web answers first
DROPPED_LOG_EVERY_S = 60.0


# ----------------------------------------------------------------------------------------------------------
# the live simulator


class LiveSimulator:
    """Publishes every device's readings over MQTT at its (compressed) interval, from a few connections."""

    def __init__(
        self,
        devices: Sequence[SimDevice],
        *,
        host: str,
        port: int,
        seed: int = DEFAULT_SEED,
        connections: int = 0,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        s = spec()["live"]
        self.devices = list(devices)
        self.host, self.port = host, port
        self.credentials = credentials  # the broker's service account: publishes for every device
        self.model = SimModel(seed)
        self.qos = int(s["qos"])
        self.max_queued = int(s["max_queued"])
        self.connections = connections or int(s["connections"])
        self.stop_event = threading.Event()
        # DIGIPARK_DEMO_TELEMETRY_SPEEDUP=10: every device publishes ten times as often (bench/screen.py's heap run)
        self.speedup = max(1.0, float(os.environ.get("DIGIPARK_DEMO_TELEMETRY_SPEEDUP", "1") or 1))
        self.published = 0
        self.dropped = 0  # readings not published: their connection held `max_queued` unacknowledged ones
        self._dropped_logged_at = -DROPPED_LOG_EVERY_S
        self._clients: list[Any] = []
        self._thread: threading.Thread | None = None

    def _connect(self) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        for i in range(max(1, min(self.connections, len(self.devices)))):
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=f"digipark-demo-sim-{i}",
                protocol=mqtt.MQTTv311,
            )
            if self.credentials is not None:
                client.username_pw_set(*self.credentials)
            client.max_inflight_messages_set(200)
            client.max_queued_messages_set(self.max_queued)
            client.reconnect_delay_set(min_delay=1, max_delay=10)
            client.connect_async(self.host, self.port, keepalive=30)
            client.loop_start()
            self._clients.append(client)

    def start(self) -> None:
        self._connect()
        self._thread = threading.Thread(target=self._run, name="digipark-demo-simulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        now = time.time()
        queue: list[tuple[float, int]] = []
        for index, device in enumerate(self.devices):
            queue.append((now + unit_noise(device.seed, 20) * device.period_s, index))  # spread over the period
        heapq.heapify(queue)
        while not self.stop_event.is_set():
            due, index = queue[0]
            wait = due - time.time()
            if wait > 0:
                if self.stop_event.wait(min(wait, 0.5)):
                    break
                continue
            heapq.heapreplace(queue, (max(due + self.devices[index].period_s / self.speedup, time.time()), index))
            try:
                self.publish(self.devices[index], int(time.time() * 1000))
            except Exception:  # a bad sample must not end the simulator
                log.exception("demo simulator: publishing for %s failed", self.devices[index].code)

    def publish(self, device: SimDevice, t_ms: int) -> bool:
        values = self.model.sample(device, t_ms)
        if values is None:
            return False
        payload = orjson.dumps({"ts": t_ms, "values": values})
        client = self._clients[device.device_id % len(self._clients)]
        sent = client.publish(TOPIC.format(token=device.token), payload, qos=self.qos)
        if sent.rc == MQTTErrorCode.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            now = time.monotonic()
            if now - self._dropped_logged_at >= DROPPED_LOG_EVERY_S:
                self._dropped_logged_at = now
                log.warning("demo simulator: the ingest lags; %d readings dropped so far", self.dropped)
            return False
        self.published += 1
        return True

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for client in self._clients:
            try:
                client.disconnect()
                client.loop_stop()
            except Exception:  # already gone
                log.debug("demo simulator: disconnect failed", exc_info=True)


def _demo_park_id(session: Session) -> int | None:
    from digipark.sim.park_plan import demo_park_code

    return session.scalar(select(Park.id).where(Park.code == demo_park_code()))


def _backfill_process(park_id: int, now_ms: int, progress: Any, stop: Any, database_url: str) -> None:
    """The back-fill in its own process (spawned): the web process keeps its interpreter to itself. It stops
    when the demo process ends, however it ends (a killed parent does not stop a daemon child by itself)."""
    import contextlib
    import multiprocessing
    import os

    parent = multiprocessing.parent_process()
    if parent is not None:

        def stop_with_parent() -> None:
            parent.join()
            stop.set()

        threading.Thread(target=stop_with_parent, name="digipark-backfill-parent", daemon=True).start()

    from digipark.core.db import make_engine, use_engine

    with contextlib.suppress(OSError):
        os.nice(10)  # the web and live ingestion first
    use_engine(make_engine(database_url))
    try:
        report = run_backfill(
            park_id=park_id,
            plan=Backfill.from_spec(now_ms),
            progress=lambda stage, done, total: progress.put((stage, done, total)),
            stop=stop,
        )
        progress.put(("report", report.history_rows, report.raw_readings))
    except Exception:
        log.exception("demo telemetry back-fill failed")
        progress.put(("failed", 0, 0))


def issue_demo_tokens(session: Session, park_id: int, devices: Sequence[SimDevice]) -> list[SimDevice]:
    """New tokens for the simulated devices, kept in this process only; the database gets their digests (one
    statement and one audit entry). The demo re-issues them at every start, so no plain token is ever stored."""
    issued = [dataclasses.replace(device, token=new_device_token()) for device in devices]
    if issued:
        session.execute(update(Device), [{"id": d.device_id, "token_hash": token_digest(d.token)} for d in issued])
        record(
            session,
            action="demo_device_tokens_issued",
            entity_type="park",
            entity_id=park_id,
            park_id=park_id,
            after={"devices": len(issued)},
        )
    return issued


def start_demo_telemetry(*, host: str, port: int, credentials: tuple[str, str] | None = None) -> Callable[[], None]:
    """Start the live simulator (publishing over MQTT to host:port, as `credentials` (user, password) when given)
    and the history back-fill in background
    threads; return a function that stops both. `backfill_progress()` -> (stage, done, total) for the web.

    The back-fill itself runs in a child process (at a lower priority) that a background thread starts a few
    seconds after the demo answers and whose progress it relays: a year of history is CPU-bound Python, and
    in the web process it would hold the interpreter lock against every request."""
    import multiprocessing
    import queue as queue_module

    from digipark.core.db import get_engine, transaction

    with transaction(write=True) as session:  # one short write: the simulated devices' tokens
        park_id = _demo_park_id(session)
        devices = load_devices(session, park_id=park_id) if park_id is not None else []
        if park_id is not None:
            devices = issue_demo_tokens(session, park_id, devices)
        # devices the demo runs as their own protocols (HJ 212, Modbus: digipark.devices.demo) are not sent as JSON
        from digipark.devices.models import DeviceBinding

        bound = set(session.scalars(select(DeviceBinding.device_id).where(DeviceBinding.active.is_(True))))
        devices = [d for d in devices if d.device_id not in bound]
    if park_id is None or not devices:
        log.warning("demo telemetry: no demo park with devices in the database; nothing to simulate")
        return lambda: None
    started = time.time()
    simulator = LiveSimulator(devices, host=host, port=port, credentials=credentials)
    simulator.start()
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    stages: Any = context.Queue()
    database_url = get_engine().url.render_as_string(hide_password=False)
    process = context.Process(
        target=_backfill_process,
        args=(park_id, int(started * 1000), stages, stop, database_url),
        name="digipark-demo-backfill",
        daemon=True,
    )

    def relay() -> None:
        if stop.wait(BACKFILL_DELAY_S):
            return
        process.start()
        while not stop.is_set():
            try:
                stage, done, total = stages.get(timeout=1.0)
            except queue_module.Empty:
                if not process.is_alive():
                    if backfill_progress()[0] not in ("done", "failed"):
                        work_progress.report(BACKFILL, "failed", 0, 0)
                    return
                continue
            if stage == "report":
                log.info(
                    "demo telemetry back-fill finished",
                    extra={"seconds": round(time.time() - started, 1), "history_rows": done, "raw_readings": total},
                )
                return
            work_progress.report(BACKFILL, stage, done, total)

    thread = threading.Thread(target=relay, name="digipark-demo-backfill", daemon=True)
    thread.start()
    log.info("demo telemetry: %d devices publishing to %s:%d", len(devices), host, port)

    def stop_all() -> None:
        stop.set()
        simulator.stop()
        thread.join(timeout=10)
        if process.pid is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)

    return stop_all
