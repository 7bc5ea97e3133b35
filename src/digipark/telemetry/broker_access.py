"""Who may connect to the embedded MQTT broker and what each client may do: the rules `digipark mqtt acl` gives
Mosquitto (`telemetry.acl`), applied by the broker itself.

- CONNECT: a device connects with its token as user name (no password, or the token again as Mosquitto's password
  file has it); a service account (`DIGIPARK_MQTT_SERVICE_USER`) with its password
  (`DIGIPARK_MQTT_SERVICE_PASSWORD`; unset: a random one per process, known only to this process's own clients).
  Anonymous clients, unknown user names, wrong passwords and retired devices are refused.
- PUBLISH: a device only to its own topics (`acl.device_publish_topics`); a service account anywhere.
- SUBSCRIBE: a device only to its own downlink topics `digipark/v1/<its token>/downlink/...` and to ThingsBoard's
  `v1/devices/me/rpc/request/+`, `v1/devices/me/attributes` and `v1/devices/me/attributes/response/+`; wildcards
  above them and every other filter only for service accounts. A token
  therefore reaches only its device and the service accounts: no third party can subscribe to a topic that
  carries it.
- DOWNLINK (commands): the platform knows a device only by its token's digest, so it publishes to
  `digipark/d/<digest>/downlink/...` and `digipark/d/<digest>/rpc/request/<id>`; the broker delivers these to the
  device under the names the device subscribed to (`digipark/v1/<token>/downlink/...`,
  `v1/devices/me/rpc/request/<id>`), and a device's replies (`digipark/v1/<token>/reply/<id>`,
  `v1/devices/me/rpc/response/<id>`) reach the service accounts as `digipark/d/<digest>/reply/<id>` and
  `digipark/d/<digest>/rpc/response/<id>` (`device_views`, `uplink_topic`). Shared attributes likewise:
  `digipark/d/<digest>/attributes` reaches the device as `v1/devices/me/attributes`, its request on
  `v1/devices/me/attributes/request/<id>` the platform as `digipark/d/<digest>/attributes/request/<id>`, answered on
  `.../attributes/response/<id>` (devices/attributes.py). A device's claim secret (ThingsBoard's device-side
  claiming, `v1/devices/me/claim`) reaches the platform as `digipark/d/<digest>/claim` (the embedded broker only;
  with Mosquitto devices claim over HTTP). The Mosquitto plugin (deploy/mosquitto/digipark_topics.c) maps the
  downlink names by handing each downlink message to the connected device it names. When a device
  subscribes to a topic its shared attributes come on, the broker tells the platform on
  `digipark/d/<digest>/attributes/wanted`, and the dispatcher sends it all of them (so a device that reconnects
  gets them again, not only on change).
- PROVISIONING (ThingsBoard's, over MQTT): a client connecting with the user name `provision` (any password) may
  only publish to `/provision/request` and subscribe to `/provision/response`. Each such connection has its own
  random name: its request reaches the platform as `digipark/provision/<name>/request`, and the answer the
  platform publishes on `digipark/provision/<name>/response` reaches that connection only, as
  `/provision/response` — another provisioning client never sees a token that is not its own.
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

from digipark.registry.device_tokens import token_digest
from digipark.telemetry.acl import DEVICE_DOWNLINK_PREFIX, device_publish_topics
from digipark.telemetry.mqtt import topic_matches

PLATFORM_DOWNLINK_ROOT = "digipark/d/"  # digipark/d/<token digest>/...: the platform's side of a device's downlink
DEVICE_REPLY_PREFIX = "digipark/v1/{token}/reply/"
TB_RPC_REQUEST = "v1/devices/me/rpc/request/"
TB_RPC_RESPONSE = "v1/devices/me/rpc/response/"
TB_ATTRIBUTES = "v1/devices/me/attributes"  # shared attributes the platform sends (devices/attributes.py)
TB_ATTRIBUTES_REQUEST = "v1/devices/me/attributes/request/"
TB_ATTRIBUTES_RESPONSE = "v1/devices/me/attributes/response/"
TB_CLAIM = "v1/devices/me/claim"  # device-side claiming: the device's own claim secret (devices/claims.py)
ATTRIBUTES_WANTED = "/attributes/wanted"  # digipark/d/<digest>/attributes/wanted: a device subscribed to them
PROVISION_USER = "provision"
PROVISION_REQUEST = "/provision/request"
PROVISION_RESPONSE = "/provision/response"
PLATFORM_PROVISION_ROOT = "digipark/provision/"  # digipark/provision/<connection>/request and .../response

log = logging.getLogger("digipark.telemetry.broker")

LOG_EVERY_S = 1.0


class PrincipalKind(enum.StrEnum):
    DEVICE = "device"
    SERVICE = "service"
    PROVISION = "provision"  # a device asking for its credentials with a provisioning key


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated client: a device (name = its token) or a service account."""

    kind: PrincipalKind
    name: str
    publish_topics: frozenset[str] = frozenset()  # a device's own topics (worked out once, at CONNECT)
    digest: str = ""  # a device's token digest (a provisioning connection's random name): its platform topics


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
        if username == PROVISION_USER:
            return Principal(PrincipalKind.PROVISION, username, digest=secrets.token_hex(12))
        if password is not None and not hmac.compare_digest(password, username.encode("utf-8")):
            return None
        identity = self._lookup_device(username)
        if identity is None:
            return None
        topics = frozenset(device_publish_topics(username, gateway=identity.gateway))
        return Principal(PrincipalKind.DEVICE, username, topics, token_digest(username))

    @staticmethod
    def may_publish(principal: Principal, topic: str) -> bool:
        return (
            principal.kind is PrincipalKind.SERVICE
            or topic in principal.publish_topics
            or uplink_topic(principal, topic) is not None
        )

    @staticmethod
    def may_subscribe(principal: Principal, pattern: str) -> bool:
        if principal.kind is PrincipalKind.SERVICE:
            return True
        if principal.kind is PrincipalKind.PROVISION:
            return pattern == PROVISION_RESPONSE
        if pattern in (TB_RPC_REQUEST + "+", TB_ATTRIBUTES, TB_ATTRIBUTES_RESPONSE + "+"):
            return True
        prefix = DEVICE_DOWNLINK_PREFIX.format(token=principal.name)
        return (pattern == prefix.rstrip("/") or pattern.startswith(prefix)) and "+" not in pattern[: len(prefix)]


def device_views(principal: Principal) -> tuple[tuple[str, str], ...]:
    """(the device's own topic prefix, the platform's topic prefix) of a device's downlink topics."""
    if principal.kind is PrincipalKind.PROVISION:
        return ((PROVISION_RESPONSE, PLATFORM_PROVISION_ROOT + principal.digest + "/response"),)
    if principal.kind is not PrincipalKind.DEVICE:
        return ()
    platform = PLATFORM_DOWNLINK_ROOT + principal.digest
    return (
        (DEVICE_DOWNLINK_PREFIX.format(token=principal.name), platform + "/downlink/"),
        (TB_RPC_REQUEST, platform + "/rpc/request/"),
        (TB_ATTRIBUTES_RESPONSE, platform + "/attributes/response/"),  # before the shorter name it starts with
        (TB_ATTRIBUTES, platform + "/attributes"),
    )


def platform_filter(principal: Principal, pattern: str) -> tuple[str, tuple[str, str] | None]:
    """The filter the broker matches a device's subscription with, and the view that renames what it delivers."""
    for own, platform in device_views(principal):
        if pattern.startswith(own) or pattern == own.rstrip("/"):
            return platform + pattern[len(own) :], (platform, own)
    return pattern, None


def attributes_wanted(principal: Principal, patterns: list[str]) -> str | None:
    """The notice to the platform that a device subscribed (with one of these platform-side filters) to the topic
    its shared attributes come on; None when none of them covers it."""
    if principal.kind is not PrincipalKind.DEVICE:
        return None
    platform = PLATFORM_DOWNLINK_ROOT + principal.digest
    carriers = (platform + "/attributes", platform + "/downlink/attributes")
    if any(topic_matches(p, t) for p in patterns for t in carriers):
        return platform + ATTRIBUTES_WANTED
    return None


def uplink_topic(principal: Principal, topic: str) -> str | None:
    """A device's reply topic as the platform reads it (None: not a reply topic of this device)."""
    if principal.kind is PrincipalKind.PROVISION:
        return PLATFORM_PROVISION_ROOT + principal.digest + "/request" if topic == PROVISION_REQUEST else None
    if principal.kind is not PrincipalKind.DEVICE:
        return None
    if topic == TB_CLAIM:
        return PLATFORM_DOWNLINK_ROOT + principal.digest + "/claim"
    native = DEVICE_REPLY_PREFIX.format(token=principal.name)
    for own, suffix in (
        (native, "/reply/"),
        (TB_RPC_RESPONSE, "/rpc/response/"),
        (TB_ATTRIBUTES_REQUEST, "/attributes/request/"),
    ):
        if topic.startswith(own):
            rest = topic[len(own) :]
            if rest and "/" not in rest and "+" not in rest and "#" not in rest:
                return PLATFORM_DOWNLINK_ROOT + principal.digest + suffix + rest
    return None
