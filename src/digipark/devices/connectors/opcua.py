"""The OPC UA connector (`digipark connect opcua`, asyncua): one client session per bound server, a subscription to
the node ids of the binding's node map (`data/opcua_maps.yaml`), data changes handed to the ingest path every
`flush_s` (same checks, dead letters, rollups); commands of channel opcua are method calls.

A server that cannot be reached, or that goes away, leaves its reason on the binding (`last_error`) and in the
connector's `Health`; the session is opened again (every `retry_s`) and its subscription made again when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import threading
import time
from functools import cache
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.uaerrors import UaStatusCodeError
from pydantic import BaseModel

from digipark.devices import commands as command_service
from digipark.devices.connectors.common import Health, Target, load_maps, message, store, targets
from digipark.devices.models import Channel, CommandState, DeviceCommand

log = logging.getLogger("digipark.devices.opcua")
SOURCE = "opcua"


class Node(BaseModel):
    key: str
    node: str
    scale: float = 1.0


class Method(BaseModel):
    object: str
    method: str
    params: list[str] = []


class NodeMap(BaseModel):
    name: str
    kind: str
    publishing_ms: int = 1000
    nodes: list[Node]
    commands: dict[str, Method] = {}


@cache
def node_maps() -> dict[str, NodeMap]:
    return {name: NodeMap(name=name, **value) for name, value in load_maps("opcua_maps.yaml").items()}


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


@dataclasses.dataclass(slots=True)
class Session:
    """One server's client session while it lasts."""

    target: Target
    node_map: NodeMap
    client: Client | None = None
    keys: dict[str, Node] = dataclasses.field(default_factory=dict)  # node id string -> node of the map


class OpcUaConnector:
    """Keeps a session and subscription per bound server; `flush()` stores what changed and calls due methods."""

    def __init__(self, *, flush_s: float = 1.0, retry_s: float = 5.0, watchdog_s: float = 1.0, timeout_s: float = 2.0):
        self.flush_s, self.retry_s, self.watchdog_s, self.timeout_s = flush_s, retry_s, watchdog_s, timeout_s
        self.health = Health()
        self.sessions: dict[int, Session] = {}  # binding id -> session
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.changes: dict[int, dict[str, float]] = {}  # binding id -> key -> newest value since the last flush
        self.outcomes: dict[int, str | None] = {}

    # -- the subscription handler (asyncua calls it on each data change)
    def handler(self, session: Session) -> Any:
        connector = self

        class Handler:
            def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
                spec = session.keys.get(node.nodeid.to_string())
                number = as_number(val)
                if spec is None or number is None:
                    return
                connector.health.values += 1
                connector.changes.setdefault(session.target.binding_id, {})[spec.key] = number * spec.scale

        return Handler()

    def _fail(self, target: Target, reason: str) -> None:
        self.health.failures += 1
        self.health.last_error[target.device_id] = reason[:500]
        self.outcomes[target.binding_id] = reason[:500]

    async def keep(self, target: Target) -> None:
        """Open the session, subscribe, watch the server; on any failure record why and open it again later."""
        node_map = node_maps().get(target.profile)
        if node_map is None:
            self._fail(target, f"no OPC UA node map {target.profile!r}")
            return
        session = Session(target, node_map)
        self.sessions[target.binding_id] = session
        while True:
            client = Client(target.address, timeout=self.timeout_s)
            try:
                await asyncio.wait_for(client.connect(), self.timeout_s * 2)
                session.client = client
                subscription = await client.create_subscription(node_map.publishing_ms, self.handler(session))
                nodes = [client.get_node(n.node) for n in node_map.nodes]
                session.keys = {node.nodeid.to_string(): spec for node, spec in zip(nodes, node_map.nodes, strict=True)}
                results = await subscription.subscribe_data_change(nodes)
                for spec, result in zip(node_map.nodes, results, strict=True):
                    if not isinstance(result, int):
                        raise ConnectionError(f"cannot subscribe to {spec.node}: {result}")
                self.health.last_error.pop(target.device_id, None)
                self.outcomes[target.binding_id] = None
                while True:  # the watchdog: the server's state, read every watchdog_s
                    await asyncio.sleep(self.watchdog_s)
                    await asyncio.wait_for(client.nodes.server_state.read_value(), self.timeout_s)
            except asyncio.CancelledError:
                await self._close(client)
                raise
            except Exception as exc:
                reason = f"{target.address}: {str(exc) or type(exc).__name__}"
                log.info("devices: OPC UA %s", reason)
                self._fail(target, reason)
            session.client = None
            await self._close(client)
            await asyncio.sleep(self.retry_s)

    async def _close(self, client: Client) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), self.timeout_s)

    async def sync_targets(self) -> dict[int, Target]:
        found = {t.binding_id: t for t in await asyncio.to_thread(targets, SOURCE)}
        for binding_id in set(self.tasks) - set(found):
            self.tasks.pop(binding_id).cancel()
            self.sessions.pop(binding_id, None)
        for binding_id, target in found.items():
            if binding_id not in self.tasks:
                self.tasks[binding_id] = asyncio.create_task(self.keep(target), name=f"opcua-{binding_id}")
        return found

    async def flush(self) -> None:
        """Store the changes since the last flush and the bindings' outcomes; call the due methods."""
        self.health.rounds += 1
        found = await self.sync_targets()
        changes, self.changes = self.changes, {}
        outcomes, self.outcomes = self.outcomes, {}
        for binding_id in changes:
            outcomes.setdefault(binding_id, None)
        messages = [message(SOURCE, found[b], values) for b, values in changes.items() if b in found]
        due: list[tuple[int, str, dict[str, Any]]] = []

        def after(session: Any, now: dt.datetime) -> None:
            for command in command_service.due(session, now=now, channels=[Channel.OPCUA.value]):
                command_service.mark_sent(command, now=now)
                due.append((command.id, command.name, dict(command.params or {})))
            command_service.expire(session, now=now)

        await asyncio.to_thread(store, SOURCE, self.health, messages, outcomes, after=after)
        if due:
            await self.call_methods(due, found)

    async def call_methods(self, due: list[tuple[int, str, dict[str, Any]]], found: dict[int, Target]) -> None:
        by_device = {t.device_id: self.sessions.get(t.binding_id) for t in found.values()}
        results: dict[int, tuple[str, Any]] = {}
        device_of = await asyncio.to_thread(_devices_of, [ident for ident, _, _ in due])
        for ident, name, params in due:
            session = by_device.get(device_of.get(ident, -1))
            if session is None or session.client is None:
                results[ident] = ("retry", "the OPC UA server of the device is not connected")
                continue
            method = session.node_map.commands.get(name)
            if method is None:
                results[ident] = ("failed", f"the node map {session.node_map.name!r} has no method for {name}")
                continue
            args = [ua.Variant(float(params[p]), ua.VariantType.Double) for p in method.params]
            try:
                out = await session.client.get_node(method.object).call_method(
                    ua.NodeId.from_string(method.method), *args
                )
            except UaStatusCodeError as exc:
                results[ident] = ("failed", str(exc))
            except Exception as exc:
                results[ident] = ("retry", str(exc) or type(exc).__name__)
            else:
                results[ident] = ("succeeded", as_number(out) if out is not None else None)
        await asyncio.to_thread(_record_results, results)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.flush()
                except Exception:
                    log.exception("devices: OPC UA round failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.flush_s)
            await self.flush()
        finally:
            for task in self.tasks.values():
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)


def _devices_of(idents: list[int]) -> dict[int, int]:
    from sqlalchemy import select

    from digipark.core.db import transaction

    with transaction(name="opcua commands") as session:
        rows = session.execute(select(DeviceCommand.id, DeviceCommand.device_id).where(DeviceCommand.id.in_(idents)))
        return {ident: device for ident, device in rows}


def _record_results(results: dict[int, tuple[str, Any]]) -> None:
    from digipark.audit.service import Actor, set_actor
    from digipark.core.db import transaction, utcnow

    with transaction(write=True, name="opcua command results") as session:
        set_actor(session, Actor("opcua connector"))
        now = utcnow()
        for ident, (outcome, detail) in results.items():
            command = session.get(DeviceCommand, ident)
            if command is None:
                continue
            if outcome == "succeeded":
                command.state = CommandState.SUCCEEDED.value
                command.delivered_at = command.finished_at = now
                command.result = {"output": detail}
                command.error = None
            elif outcome == "failed":
                command.state, command.finished_at, command.error = CommandState.FAILED.value, now, str(detail)[:500]
            else:  # sent again on a later round, until its attempts are used up
                command.error = str(detail)[:500]


class OpcUaThread:
    """The connector's event loop in a daemon thread (the `digipark connect opcua` process, tests)."""

    def __init__(self, connector: OpcUaConnector | None = None) -> None:
        self.connector = connector or OpcUaConnector()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="digipark-opcua", daemon=True)
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            self._ready.set()
            await self.connector.run(self._stop)

        self.loop.run_until_complete(main())

    def start(self) -> OpcUaThread:
        self.thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(20)


def wait_for(condition: Any, timeout_s: float = 20.0) -> bool:
    """Poll `condition()` until it is true (tests and the demo); False when it never was."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())
