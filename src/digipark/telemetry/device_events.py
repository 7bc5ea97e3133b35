"""Devices' events (a gate's pass or plate, a vehicle's progress, a camera's alarm) over MQTT, beside their
telemetry: the topic, who may publish there, and where the platform's consumers subscribe.

A device publishes its events to `digipark/v1/<its token>/events` — the telemetry ACL lets it exactly as its
telemetry topic (the embedded broker's `telemetry.broker_access`, and `digipark mqtt acl` with the Mosquitto plugin
`deploy/mosquitto/digipark_topics.c`): nobody else may publish under its token. Telemetry does not read these
messages; a domain's consumer subscribes to `DEVICE_EVENTS_FILTER` with the platform's account
(`event_broker()`), takes the token from the topic (`token_of_events_topic`) and resolves it to the device.
Answers to the device go to its downlink (`EventBroker.downlink_topic`): on the embedded broker under the
platform's name (`digipark/d/<token digest>/downlink/...`, delivered as `digipark/v1/<token>/downlink/...`), on an
external broker under the device's own name (the ACL lets the platform's user write there).
"""

from __future__ import annotations

import dataclasses
import threading

from digipark.registry.device_tokens import token_digest

DEVICE_EVENTS_FILTER = "digipark/v1/+/events"
_PREFIX, _SUFFIX = "digipark/v1/", "/events"
PLATFORM_DOWNLINK_WRITE = "digipark/v1/+/downlink/#"  # an external broker: the platform answers devices there


def device_events_topic(token: str) -> str:
    return f"{_PREFIX}{token}{_SUFFIX}"


def token_of_events_topic(topic: str) -> str | None:
    """The device token an events topic names (None: not an events topic)."""
    if not (topic.startswith(_PREFIX) and topic.endswith(_SUFFIX)):
        return None
    token = topic[len(_PREFIX) : -len(_SUFFIX)]
    return token if token and not any(c in token for c in "/+#") else None


@dataclasses.dataclass(frozen=True, slots=True)
class EventBroker:
    """Where a consumer of devices' events connects, as whom, and how it names a device's downlink."""

    host: str
    port: int
    username: str | None
    password: str | None
    embedded: bool  # this process's embedded broker (maps the platform's downlink names to the device's)

    def downlink_topic(self, token: str, suffix: str) -> str:
        if self.embedded:
            return f"digipark/d/{token_digest(token)}/downlink/{suffix}"
        return f"digipark/v1/{token}/downlink/{suffix}"


_embedded: tuple[str, int] | None = None
_lock = threading.Lock()


def embedded_broker_started(host: str, port: int) -> None:
    global _embedded
    with _lock:
        _embedded = (host, port)


def embedded_broker_stopped() -> None:
    global _embedded
    with _lock:
        _embedded = None


def event_broker() -> EventBroker | None:
    """The broker devices publish their events to: DIGIPARK_MQTT_URL (with its user and password), else the embedded
    broker of this process once it listens (with the service account), else None (not yet, or none here)."""
    from digipark.core.config import get_settings
    from digipark.telemetry.broker_access import service_credentials
    from digipark.telemetry.mqtt import BrokerAddress

    settings = get_settings()
    if settings.mqtt_url:
        address = BrokerAddress.parse(settings.mqtt_url)
        return EventBroker(address.host, address.port, address.username, address.password, embedded=False)
    with _lock:
        running = _embedded
    if running is None:
        return None
    user, password = service_credentials()
    host = "127.0.0.1" if running[0] in ("", "0.0.0.0") else running[0]
    return EventBroker(host, running[1], user, password, embedded=True)
