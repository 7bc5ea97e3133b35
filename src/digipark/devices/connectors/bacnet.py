"""The BACnet/IP connector (`digipark connect bacnet`, bacpypes3): every `every_s`, a ReadProperty of each mapped
object's present value (`data/bacnet_maps.yaml`) of each bound device, handed to the ingest path.

The connector is a BACnet device of its own (instance `DEVICE_INSTANCE`) on a local UDP address (`--local`,
e.g. 192.168.1.20/24 or 127.0.0.1/32:47810). A device that does not answer, or answers an error, leaves its reason
on its binding (`last_error`) and in the connector's `Health`, and is read again on the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from functools import cache
from typing import Any

from pydantic import BaseModel

from digipark.devices.connectors.common import Health, Target, load_maps, message, store, targets

log = logging.getLogger("digipark.devices.bacnet")
SOURCE = "bacnet"
DEVICE_INSTANCE = 4194300  # the connector's own device instance (the highest usable is 4194302)


class BacnetObject(BaseModel):
    key: str
    object: str
    property: str = "present-value"
    scale: float = 1.0


class ObjectMap(BaseModel):
    name: str
    kind: str
    objects: list[BacnetObject]


@cache
def object_maps() -> dict[str, ObjectMap]:
    return {name: ObjectMap(name=name, **value) for name, value in load_maps("bacnet_maps.yaml").items()}


def number(value: Any) -> float:
    """A present value as a number: Real/Unsigned as they are, BinaryPV active 1 / inactive 0, enumerations by
    their value."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float(int(value))


def application(local: str, instance: int = DEVICE_INSTANCE) -> Any:
    """A bacpypes3 application on `local` (created inside the running event loop)."""
    from bacpypes3.app import Application
    from bacpypes3.local.device import DeviceObject
    from bacpypes3.local.networkport import NetworkPortObject

    device = DeviceObject(objectIdentifier=("device", instance), objectName="digipark-connector", vendorIdentifier=999)
    port = NetworkPortObject(local, objectIdentifier=("network-port", 1), objectName="NetworkPort-1")
    return Application.from_object_list([device, port])


class BacnetConnector:
    def __init__(self, *, local: str = "host", timeout_s: float = 2.0) -> None:
        self.local, self.timeout_s = local, timeout_s
        self.health = Health()
        self.app: Any = None

    async def read_device(self, target: Target) -> dict[str, float]:
        from bacpypes3.apdu import ErrorRejectAbortNack
        from bacpypes3.pdu import Address

        object_map = object_maps().get(target.profile)
        if object_map is None:
            raise ConnectionError(f"no BACnet object map {target.profile!r}")
        address = Address(target.address)
        values: dict[str, float] = {}
        for spec in object_map.objects:
            try:
                raw = await asyncio.wait_for(
                    self.app.read_property(address, spec.object, spec.property), self.timeout_s
                )
            except TimeoutError as exc:
                raise ConnectionError(f"{target.address}: no answer to a read of {spec.object}") from exc
            except ErrorRejectAbortNack as exc:  # an Error, Reject or Abort PDU of the device (a BaseException)
                raise ConnectionError(f"{target.address}: {spec.object} {spec.property}: {exc}") from exc
            values[spec.key] = number(raw) * spec.scale
        return values

    async def run_once(self) -> None:
        if self.app is None:
            self.app = application(self.local)
        self.health.rounds += 1
        found = await asyncio.to_thread(targets, SOURCE)
        messages: list[Any] = []
        outcomes: dict[int, str | None] = {}
        for target in found:
            try:
                values = await self.read_device(target)
            except ConnectionError as exc:
                self.health.failures += 1
                self.health.last_error[target.device_id] = str(exc)[:500]
                outcomes[target.binding_id] = str(exc)[:500]
                continue
            self.health.values += len(values)
            self.health.last_error.pop(target.device_id, None)
            outcomes[target.binding_id] = None
            messages.append(message(SOURCE, target, values))
        await asyncio.to_thread(store, SOURCE, self.health, messages, outcomes)

    def close(self) -> None:
        if self.app is not None:
            self.app.close()
            self.app = None


class BacnetPoller:
    """`BacnetConnector.run_once` every `every_s` in its own event loop and thread."""

    def __init__(self, connector: BacnetConnector | None = None, *, every_s: float = 30.0) -> None:
        self.connector = connector or BacnetConnector()
        self.every_s = every_s
        self.loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._main, name="digipark-bacnet", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            try:
                while not self._stop.is_set():
                    try:
                        await self.connector.run_once()
                    except Exception:
                        log.exception("devices: BACnet round failed")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.every_s)
            finally:
                self.connector.close()

        self.loop.run_until_complete(main())

    def start(self) -> BacnetPoller:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
