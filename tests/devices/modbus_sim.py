"""A Modbus TCP device simulated with pymodbus' own server, on an event loop of its own thread (tests, bench)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from digipark.devices.modbus import RegisterMap, encode


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


class ModbusSimulator:
    def __init__(self, words: list[int], port: int | None = None) -> None:
        self.port = port or free_port()
        self.block = ModbusSequentialDataBlock(1, words)  # pymodbus 3.10+: block address 1 is register 0
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

    def stop(self) -> None:
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
