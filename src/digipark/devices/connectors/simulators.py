"""Simulated field devices for the OPC UA, BACnet/IP and DL/T 645 connectors (tests, the demo): an asyncua server
with an air-conditioning unit's nodes and methods, and a DL/T 645-2007 meter behind a TCP serial gateway."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asyncua import Server, ua
from asyncua.common.methods import uamethod

from digipark.devices.simulators import free_port


class OpcUaSimulator:
    """An OPC UA server (asyncua) in its own thread: object AHU1 with variables Running and Setpoint
    (ns=2;s=AHU1.Running, ns=2;s=AHU1.Setpoint) and methods Start, Stop, SetSetpoint(double)."""

    def __init__(self, port: int | None = None, *, setpoint: float = 24.0) -> None:
        self.port = port or free_port()
        self.url = f"opc.tcp://127.0.0.1:{self.port}/digipark/"
        self.initial_setpoint = setpoint
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="opcua-simulator", daemon=True)
        self.server: Server | None = None
        self.nodes: dict[str, Any] = {}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def _start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace("urn:digipark:simulator")
        ahu = await server.nodes.objects.add_object(ua.NodeId("AHU1", idx), "AHU1")
        running = await ahu.add_variable(ua.NodeId("AHU1.Running", idx), "Running", False)
        setpoint = await ahu.add_variable(ua.NodeId("AHU1.Setpoint", idx), "Setpoint", self.initial_setpoint)
        self.nodes = {"running": running, "setpoint": setpoint}

        @uamethod  # type: ignore[misc]
        async def start(parent: Any) -> bool:
            self.calls.append(("Start", ()))
            await running.write_value(True)
            return True

        @uamethod  # type: ignore[misc]
        async def stop(parent: Any) -> bool:
            self.calls.append(("Stop", ()))
            await running.write_value(False)
            return True

        @uamethod  # type: ignore[misc]
        async def set_setpoint(parent: Any, value: float) -> bool:
            self.calls.append(("SetSetpoint", (value,)))
            if not 5 <= value <= 35:
                raise ua.UaStatusCodeError(ua.StatusCodes.BadOutOfRange)
            await setpoint.write_value(float(value))
            return True

        boolean = [ua.VariantType.Boolean]
        await ahu.add_method(ua.NodeId("AHU1.Start", idx), "Start", start, [], boolean)
        await ahu.add_method(ua.NodeId("AHU1.Stop", idx), "Stop", stop, [], boolean)
        await ahu.add_method(
            ua.NodeId("AHU1.SetSetpoint", idx), "SetSetpoint", set_setpoint, [ua.VariantType.Double], boolean
        )
        await server.start()
        self.server = server

    def start(self) -> OpcUaSimulator:
        if not self.thread.is_alive():
            self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)
        return self

    def set(self, name: str, value: Any) -> None:
        asyncio.run_coroutine_threadsafe(self.nodes[name].write_value(value), self.loop).result(10)

    def get(self, name: str) -> Any:
        return asyncio.run_coroutine_threadsafe(self.nodes[name].read_value(), self.loop).result(10)

    def stop(self) -> None:
        """Stop the server (the thread stays, so `start()` brings the same endpoint back)."""
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(30)
            self.server = None

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
