"""Benchmark: what an attacker gets from the platform (issue 14, "Figures"), one function per figure.

Figures:
- `broker_anonymous_messages_received`: telemetry messages an anonymous MQTT client receives from the embedded
  broker while it subscribes to `digipark/+/+/telemetry` and `#` and a device publishes (expected 0: its CONNECT is
  refused, so no token in a topic reaches it);
- `broker_foreign_publish_stored`: readings stored for another park's meter when an authenticated device publishes
  to that meter's native topic and, as if it were a gateway, to `v1/gateway/telemetry` naming it (expected 0);
  the same device's publishes to its own topic are stored (`own_stored`, the control);
- `export_5xx_under_ingest` and `login_5xx_at_first_start`: requests that write while the SQLite demo writes on its
  own (`bench/hardening_load.py`, run after the broker figures; `--broker-only` skips them).

Method: a fresh SQLite database (migrated) with two parks and one meter each, the ingest pipeline of `digipark
ingest --listen` (`telemetry.runtime.start_plan`, the embedded broker on a free port) in this process, paho-mqtt
clients as the attacker and the device.

    .venv/bin/python bench/hardening.py
    .venv/bin/python bench/hardening.py --messages 500
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DIGIPARK_LOG_LEVEL", "ERROR")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, progress

PUBLISH_TOPIC = "digipark/v1/{token}/telemetry"


@dataclasses.dataclass
class Meter:
    device_id: int
    code: str
    token: str
    point_id: int


@dataclasses.dataclass
class Platform:
    """The database, the two parks' meters and the running ingest (embedded broker on `port`)."""

    database_url: str
    own: Meter
    foreign: Meter
    runtime: Any
    port: int

    def readings(self, point_id: int) -> int:
        from sqlalchemy import func, select

        from digipark.core.db import transaction
        from digipark.telemetry.models import Reading

        with transaction() as session:
            return int(session.scalar(select(func.count()).where(Reading.point_id == point_id)) or 0)


def _meter(session: Any, park_id: int, code: str) -> Meter:
    from digipark.registry.device_tokens import token_digest
    from digipark.registry.models import Device, Point

    token = f"bench-{uuid.uuid4().hex}"
    device = Device(park_id=park_id, code=code, name=code, kind="electricity_meter", token_hash=token_digest(token))
    session.add(device)
    session.flush()
    point = Point(
        park_id=park_id,
        device_id=device.id,
        key="power_kw",
        name="power",
        quantity="electric_power",
        unit="kW",
        device_class="power",
        state_class="measurement",
        expected_interval_s=60,
    )
    session.add(point)
    session.flush()
    return Meter(device.id, device.code, token, point.id)


def prepare(directory: Path) -> Platform:
    import digipark.modules  # noqa: F401 - the module records
    from digipark.audit.service import Actor, set_actor
    from digipark.core import db as core_db
    from digipark.core import migrate
    from digipark.registry import service as registry
    from digipark.telemetry.runtime import IngestPlan, start_plan

    url = f"sqlite:///{directory / 'hardening.db'}"
    migrate.upgrade(url)
    core_db.use_engine(core_db.make_engine(url))
    with core_db.transaction(write=True) as session:
        set_actor(session, Actor("bench-hardening"))
        park_a = registry.create_park(session, code="HA", name="加固测试园区A", region_code="320506")
        park_b = registry.create_park(session, code="HB", name="加固测试园区B", region_code="320507")
        own, foreign = _meter(session, park_a.id, "HA-M1"), _meter(session, park_b.id, "HB-M1")
    runtime = start_plan(IngestPlan(listen=("127.0.0.1", 0), batch_size=100))
    assert runtime.port is not None
    return Platform(url, own, foreign, runtime, runtime.port)


def _client(port: int, username: str | None, on_message: Callable[[str], None] | None = None) -> tuple[Any, int]:
    """A connected (or refused) paho client and its CONNACK reason code."""
    import paho.mqtt.client as paho

    answered = threading.Event()
    codes: list[int] = []
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}")
    client.reconnect_delay_set(min_delay=60, max_delay=60)  # one attempt within the measurement
    if username is not None:
        client.username_pw_set(username)

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        codes.append(int(reason.value))
        answered.set()

    client.on_connect = on_connect
    if on_message is not None:
        client.on_message = lambda c, u, m: on_message(m.topic)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    answered.wait(5)
    return client, codes[0] if codes else -1


def _stop(*clients: Any) -> None:
    for client in clients:
        client.disconnect()
        client.loop_stop()


def _publish(client: Any, messages: list[tuple[str, bytes]]) -> None:
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(timeout=20)


def _wait_stored(platform: Platform, point_id: int, expected: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and platform.readings(point_id) < expected:
        time.sleep(0.1)
    return platform.readings(point_id)


def broker_anonymous_messages_received(platform: Platform, messages: int) -> None:
    import orjson

    received: list[str] = []
    spy, code = _client(platform.port, None, received.append)
    spy.subscribe([("digipark/+/+/telemetry", 0), ("#", 0)])
    device, device_code = _client(platform.port, platform.own.token)
    now = int(time.time() * 1000)
    topic = PUBLISH_TOPIC.format(token=platform.own.token)
    _publish(device, [(topic, orjson.dumps({"ts": now - i, "values": {"power_kw": i}})) for i in range(messages)])
    stored = _wait_stored(platform, platform.own.point_id, messages)
    time.sleep(0.5)  # what the spy could still get
    _stop(spy, device)
    emit(
        "broker_anonymous_messages_received",
        len(received),
        "messages",
        published=messages,
        stored=stored,
        anonymous_connack=code,
        device_connack=device_code,
    )


def broker_foreign_publish_stored(platform: Platform, messages: int) -> None:
    import orjson

    device, code = _client(platform.port, platform.own.token)
    before_own = platform.readings(platform.own.point_id)
    start = int(time.time() * 1000) - 3_600_000
    foreign_topic = PUBLISH_TOPIC.format(token=platform.foreign.token)
    attack = [(foreign_topic, orjson.dumps({"ts": start + i, "values": {"power_kw": i}})) for i in range(messages)]
    attack += [
        ("v1/gateway/telemetry", orjson.dumps({platform.foreign.code: [{"ts": start + i, "values": {"power_kw": i}}]}))
        for i in range(messages)
    ]
    own_topic = PUBLISH_TOPIC.format(token=platform.own.token)
    control = [(own_topic, orjson.dumps({"ts": start + i, "values": {"power_kw": i}})) for i in range(messages)]
    _publish(device, attack + control)  # the control comes last: once it is stored, the attack was handled
    own_stored = _wait_stored(platform, platform.own.point_id, before_own + messages) - before_own
    _stop(device)
    emit(
        "broker_foreign_publish_stored",
        platform.readings(platform.foreign.point_id),
        "readings",
        attempted=len(attack),
        own_stored=own_stored,
        device_connack=code,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200, help="messages per attempt")
    parser.add_argument("--broker-only", action="store_true", help="skip the demo's export and login figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digipark-bench-hardening-") as directory:
        progress("preparing a database and the ingest with its embedded broker")
        platform = prepare(Path(directory))
        try:
            broker_anonymous_messages_received(platform, args.messages)
            broker_foreign_publish_stored(platform, args.messages)
        finally:
            platform.runtime.stop()
    if not args.broker_only:
        import hardening_load

        hardening_load.main()


if __name__ == "__main__":
    main()
