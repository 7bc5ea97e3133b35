"""Simulated field devices for the OPC UA, BACnet/IP and DL/T 645 connectors (tests, the demo): an asyncua server
with an air-conditioning unit's nodes and methods, and a DL/T 645-2007 meter behind a TCP serial gateway."""

from __future__ import annotations

import asyncio
import socketserver
import threading
from typing import Any

from asyncua import ua
from asyncua.common.methods import uamethod
from asyncua.server.server import Server
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaStatusCodeError

from digipark.devices.simulators import free_port


def node_id(name: str, namespace: int) -> ua.NodeId:
    return ua.NodeId.from_string(f"ns={namespace};s={name}")


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
        ahu = await server.nodes.objects.add_object(node_id("AHU1", idx), "AHU1")
        running = await ahu.add_variable(node_id("AHU1.Running", idx), "Running", False)
        setpoint = await ahu.add_variable(node_id("AHU1.Setpoint", idx), "Setpoint", self.initial_setpoint)
        self.nodes = {"running": running, "setpoint": setpoint}

        @uamethod
        async def start(parent: Any) -> bool:
            self.calls.append(("Start", ()))
            await running.write_value(True)
            return True

        @uamethod
        async def stop(parent: Any) -> bool:
            self.calls.append(("Stop", ()))
            await running.write_value(False)
            return True

        @uamethod
        async def set_setpoint(parent: Any, value: float) -> bool:
            self.calls.append(("SetSetpoint", (value,)))
            if not 5 <= value <= 35:
                raise UaStatusCodeError(StatusCodes.BadOutOfRange)  # type: ignore[no-untyped-call]
            await setpoint.write_value(float(value))
            return True

        boolean = [ua.VariantType.Boolean]
        await ahu.add_method(node_id("AHU1.Start", idx), "Start", start, [], boolean)
        await ahu.add_method(node_id("AHU1.Stop", idx), "Stop", stop, [], boolean)
        await ahu.add_method(
            node_id("AHU1.SetSetpoint", idx), "SetSetpoint", set_setpoint, [ua.VariantType.Double], boolean
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


class Dlt645Gateway:
    """A TCP serial gateway with DL/T 645-2007 meters behind it: each request frame is answered by the meter of its
    address (0x91 with the value, 0xD1 "no data requested" for an identifier it lacks; a frame for another address
    is not answered, as on a bus). `corrupt` holds identifiers answered with a wrong checksum."""

    def __init__(self, meters: dict[str, dict[str, float]], port: int | None = None) -> None:
        self.meters = meters  # meter address -> identifier name -> value
        self.port = port or free_port()
        self.corrupt: set[str] = set()
        self.requests = 0
        self.server: socketserver.ThreadingTCPServer | None = None
        self.thread: threading.Thread | None = None

    def answer(self, request: bytes) -> bytes | None:
        from digipark.devices.connectors import dlt645

        frame = dlt645.parse(request)
        values = self.meters.get(frame.address)
        if values is None or frame.control != dlt645.READ:
            return None
        di = frame.data[:4][::-1].hex().upper()
        found = {spec.di.upper(): (name, spec) for name, spec in dlt645.identifiers().items()}.get(di)
        if found is None or found[0] not in values:
            return dlt645.build(frame.address, dlt645.READ_ERROR, bytes([0x02]))
        name, spec = found
        out = dlt645.build(frame.address, dlt645.READ_ANSWER, frame.data[:4] + dlt645.encode_value(spec, values[name]))
        if di in self.corrupt or name in self.corrupt:
            out = out[:-2] + bytes([(out[-2] + 1) & 0xFF, out[-1]])
        return out

    def start(self) -> Dlt645Gateway:
        from digipark.devices.connectors import dlt645

        gateway = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                buffer = b""
                while chunk := self.request.recv(512):
                    buffer += chunk
                    while (span := dlt645.frame_length(buffer)) is not None:
                        request, buffer = buffer[: span[1]], buffer[span[1] :]
                        gateway.requests += 1
                        answer = gateway.answer(request)
                        if answer is not None:
                            self.request.sendall(answer)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="dlt645-gateway", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class BacnetSimulator:
    """A BACnet/IP device (bacpypes3) on a loopback UDP port, in its own thread: an air-conditioning unit with
    binary-value,1 (running) and analog-value,1 (set-point, °C)."""

    def __init__(self, port: int | None = None, *, instance: int = 1001, setpoint: float = 24.0) -> None:
        self.port = port or free_udp_port()
        self.address = f"127.0.0.1:{self.port}"
        self.instance, self.initial_setpoint = instance, setpoint
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bacnet-simulator", daemon=True)
        self.app: Any = None
        self.objects: dict[str, Any] = {}

    async def _start(self) -> None:
        from bacpypes3.local.analog import AnalogValueObject
        from bacpypes3.local.binary import BinaryValueObject

        from digipark.devices.connectors.bacnet import application

        common = {"statusFlags": [0, 0, 0, 0], "eventState": "normal", "outOfService": False}
        running = BinaryValueObject(objectIdentifier=("binary-value", 1), objectName="Running",
                                    presentValue="inactive", **common)  # fmt: skip
        setpoint = AnalogValueObject(objectIdentifier=("analog-value", 1), objectName="Setpoint",
                                     presentValue=self.initial_setpoint, units="degrees-celsius", **common)  # fmt: skip
        self.objects = {"running": running, "setpoint": setpoint}
        self.app = application(f"127.0.0.1/32:{self.port}", self.instance)
        self.app.add_object(running)
        self.app.add_object(setpoint)

    def start(self) -> BacnetSimulator:
        if not self.thread.is_alive():
            self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def set(self, name: str, value: Any) -> None:
        async def write() -> None:
            self.objects[name].presentValue = value

        asyncio.run_coroutine_threadsafe(write(), self.loop).result(10)

    def stop(self) -> None:
        async def close() -> None:
            if self.app is not None:
                self.app.close()
                self.app = None

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
