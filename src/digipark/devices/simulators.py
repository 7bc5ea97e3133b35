"""Simulated field devices speaking their real protocols (tests, the benchmark, the demo): a Modbus TCP device on
pymodbus' own server, and an HJ 212 data collector (数采仪) that connects to the HJ 212 connector and uploads."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from digipark.devices.modbus import encode
from digipark.devices.register_map import RegisterMap


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def holding_values(register_map: RegisterMap, values: dict[str, float], size: int = 200) -> list[int]:
    words = [0] * size
    for register in register_map.registers:
        encoded = encode(register, values[register.key])
        words[register.address : register.address + len(encoded)] = encoded
    return words


MAX_WRITE_REGISTERS = 123
"""The most registers one Write Multiple Registers request carries (Modbus application protocol, function 16)."""


class ModbusSimulator:
    def __init__(self, words: list[int], port: int | None = None) -> None:
        self.port = port or free_port()
        self.block = ModbusSequentialDataBlock(1, words)  # type: ignore[no-untyped-call]  # block address 1 = register 0
        self.context = ModbusServerContext(devices=ModbusDeviceContext(hr=self.block), single=True)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: ModbusTcpServer | None = None

    def start(self) -> ModbusSimulator:
        self.thread.start()

        async def serve() -> None:
            self.server = ModbusTcpServer(self.context, address=("127.0.0.1", self.port))
            await self.server.serve_forever()

        asyncio.run_coroutine_threadsafe(serve(), self.loop)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the Modbus simulator did not start")

    def set_words(self, words: list[int], address: int = 0) -> None:
        """Change holding registers from address on (a meter's values moving)."""
        from pymodbus.client import ModbusTcpClient

        client = ModbusTcpClient("127.0.0.1", port=self.port, timeout=3)
        try:
            client.connect()  # type: ignore[no-untyped-call]
            for start in range(0, len(words), MAX_WRITE_REGISTERS):
                client.write_registers(address + start, words[start : start + MAX_WRITE_REGISTERS], device_id=1)
        finally:
            client.close()  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(10)  # type: ignore[no-untyped-call]
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Hj212Collector:
    """A data collector: connects to host:port and sends 2011 uploads of its MN (Flag 5: an answer wanted),
    reading the answers; `upload(values)` sends one frame of {pollutant code: value} now."""

    def __init__(self, host: str, port: int, *, mn: str, pw: str, st: str = "31") -> None:
        self.host, self.port, self.mn, self.pw, self.st = host, port, mn, pw, st
        self.sock: socket.socket | None = None
        self.answers = 0

    def upload(self, values: dict[str, float], *, cn: str = "2011", at: float | None = None) -> bool:
        from digipark.devices import hj212

        data_time = time.strftime("%Y%m%d%H%M%S", hj212_local(at))
        qn = data_time + f"{int((at or time.time()) * 1000) % 1000:03d}"
        field = "Rtd" if cn == "2011" else "Avg"
        cp = ";".join(f"{code}-{field}={value:.3f},{code}-Flag=N" for code, value in values.items())
        segment = f"QN={qn};ST={self.st};CN={cn};PW={self.pw};MN={self.mn};Flag=5;CP=&&DataTime={data_time};{cp}&&"
        try:
            if self.sock is None:
                self.sock = socket.create_connection((self.host, self.port), timeout=10)
            self.sock.sendall(hj212.frame(segment))
            answer = b""
            while not answer.endswith(b"\r\n"):
                chunk = self.sock.recv(1024)
                if not chunk:
                    raise ConnectionError("closed")
                answer += chunk
        except OSError:
            self.close()
            return False
        self.answers += 1
        return True

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def hj212_local(at: float | None) -> time.struct_time:
    """The moment as Asia/Shanghai wall time (HJ 212's DataTime is the collector's local time)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromtimestamp(at if at is not None else time.time(), ZoneInfo("Asia/Shanghai"))
    return moment.timetuple()
