"""Who may connect to the embedded MQTT broker and what each client may do: the rules `digipark mqtt acl` gives
Mosquitto (`telemetry.acl`), applied by the broker itself.

- CONNECT: a device connects with its token as user name (no password, or the token again as Mosquitto's password
  file has it); a service account (`DIGIPARK_MQTT_SERVICE_USER`) with its password
  (`DIGIPARK_MQTT_SERVICE_PASSWORD`; unset: a random one per process, known only to this process's own clients).
  Anonymous clients, unknown user names, wrong passwords and retired devices are refused.
- PUBLISH: a device only to its own topics (`acl.device_publish_topics`); a service account anywhere.
- SUBSCRIBE: a device only to its own downlink topics `digipark/v1/<its token>/downlink/...`; wildcards above them
  and every other filter only for service accounts. A token therefore reaches only its device and the service
  accounts: no third party can subscribe to a topic that carries it.
Refusals are counted per kind (`refusals`) and logged, at most one line per kind and second.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable

from digipark.telemetry.acl import DEVICE_DOWNLINK_PREFIX, device_publish_topics

log = logging.getLogger("digipark.telemetry.broker")

LOG_EVERY_S = 1.0


class PrincipalKind(enum.StrEnum):
    DEVICE = "device"
    SERVICE = "service"


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated client: a device (name = its token) or a service account."""

    kind: PrincipalKind
    name: str
    publish_topics: frozenset[str] = frozenset()  # a device's own topics (worked out once, at CONNECT)


@dataclasses.dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What the broker needs to know of a device token: whether it may connect and whether it is a gateway."""

    device_id: int
    gateway: bool


class Refusal(enum.StrEnum):
    CONNECT = "connect"
    PUBLISH = "publish"
    SUBSCRIBE = "subscribe"
    PACKET_SIZE = "packet_size"
    CLIENT_ID = "client_id"


DeviceLookup = Callable[[str], DeviceIdentity | None]

_process_password: str | None = None
_password_lock = threading.Lock()


def service_credentials() -> tuple[str, str]:
    """(user, password) of the embedded broker's service account in this process."""
    global _process_password
    from digipark.core.config import get_settings

    settings = get_settings()
    if settings.mqtt_service_password:
        return settings.mqtt_service_user, settings.mqtt_service_password
    with _password_lock:
        if _process_password is None:
            _process_password = secrets.token_urlsafe(24)
        return settings.mqtt_service_user, _process_password


def database_device_lookup(token: str) -> DeviceIdentity | None:
    """The device holding this token (found by its digest), unless it is retired (one indexed query, in a read
    transaction)."""
    from sqlalchemy import select

    from digipark.core.db import transaction
    from digipark.registry.device_tokens import token_digest
    from digipark.registry.models import Device, DeviceStatus
    from digipark.telemetry.acl import GATEWAY_PROTOCOL

    with transaction() as session:
        stmt = select(Device.id, Device.status, Device.protocol).where(Device.token_hash == token_digest(token))
        row = session.execute(stmt).first()
    if row is None or row[1] == DeviceStatus.RETIRED.value:
        return None
    return DeviceIdentity(int(row[0]), row[2] == GATEWAY_PROTOCOL)


class BrokerAccess:
    """Authentication and authorisation of the embedded broker's clients (see the module docstring)."""

    def __init__(
        self,
        *,
        service_user: str,
        service_password: str,
        lookup_device: DeviceLookup = database_device_lookup,
    ) -> None:
        self.service_user = service_user
        self._service_password = service_password.encode("utf-8")
        self._lookup_device = lookup_device
        self.refusals: collections.Counter[str] = collections.Counter()
        self._logged_at: dict[str, float] = {}
        self._unlogged: collections.Counter[str] = collections.Counter()

    @classmethod
    def from_settings(cls, lookup_device: DeviceLookup = database_device_lookup) -> BrokerAccess:
        user, password = service_credentials()
        return cls(service_user=user, service_password=password, lookup_device=lookup_device)

    def refuse(self, kind: Refusal, who: str, detail: str) -> None:
        """Count a refusal and log it (at most one line per kind and LOG_EVERY_S; the skipped ones are counted)."""
        self.refusals[kind.value] += 1
        now = time.monotonic()
        if now - self._logged_at.get(kind.value, -LOG_EVERY_S) < LOG_EVERY_S:
            self._unlogged[kind.value] += 1
            return
        self._logged_at[kind.value] = now
        skipped = self._unlogged.pop(kind.value, 0)
        more = f" (and {skipped} more refused since the last line)" if skipped else ""
        log.warning("MQTT %s refused for %s: %s%s", kind.value, who, detail, more)

    def authenticate(self, username: str | None, password: bytes | None) -> Principal | None:
        if not username:
            return None
        if username == self.service_user:
            if password is not None and hmac.compare_digest(password, self._service_password):
                return Principal(PrincipalKind.SERVICE, username)
            return None
        if password is not None and not hmac.compare_digest(password, username.encode("utf-8")):
            return None
        identity = self._lookup_device(username)
        if identity is None:
            return None
        topics = frozenset(device_publish_topics(username, gateway=identity.gateway))
        return Principal(PrincipalKind.DEVICE, username, topics)

    @staticmethod
    def may_publish(principal: Principal, topic: str) -> bool:
        return principal.kind is PrincipalKind.SERVICE or topic in principal.publish_topics

    @staticmethod
    def may_subscribe(principal: Principal, pattern: str) -> bool:
        if principal.kind is PrincipalKind.SERVICE:
            return True
        prefix = DEVICE_DOWNLINK_PREFIX.format(token=principal.name)
        return (pattern == prefix.rstrip("/") or pattern.startswith(prefix)) and "+" not in pattern[: len(prefix)]
