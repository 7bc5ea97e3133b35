"""The syslog listener of `digipark ingest`: real datagrams (UDP) and a TCP stream to a running listener; a message
is stored for the park whose allow-list holds its sender, or whose log source's token it carries; others are refused.

These tests commit (the listener writes in transactions of its own), so they make and remove their own rows."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.cybersec import listener, syslog
from digipark.cybersec.models import CyberEvent, LogSource
from digipark.modules import MODULES
from tests.conftest import World

TOKEN = "tok-" + uuid.uuid4().hex


def test_the_listener_is_a_background_service_of_the_module_record_idle_without_an_address() -> None:
    (record,) = [m for m in MODULES if m.name == "cybersec"]
    assert "digipark.cybersec.listener:start_syslog_listener" in record.background
    handle = listener.start_syslog_listener()  # DIGIPARK_SYSLOG_LISTEN is unset in the tests
    try:
        assert listener.running_listener() is None
    finally:
        handle.stop()


def test_tokens_in_structured_data() -> None:
    line = f'<134>1 2026-10-31T02:00:00Z fw app - - [digipark@32473 token="{TOKEN}"] action=deny src=1.2.3.4'
    assert syslog.token_of(line) == TOKEN
    assert syslog.token_of("<13>Oct  1 00:00:00 host app: [digipark] no token") is None


@pytest.fixture
def sources(engine: Engine, world: World) -> Iterator[str]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    tag = uuid.uuid4().hex[:8]
    with factory() as session, session.begin():
        set_actor(session, Actor("test-syslog"))
        session.add_all(
            [
                LogSource(
                    park_id=world.a.park_id,
                    enterprise_id=world.a.enterprise_ids[0],
                    name=f"loopback-{tag}",
                    network="127.0.0.1/32",
                ),
                LogSource(park_id=world.b.park_id, name=f"token-{tag}", token_hash=listener.token_digest(TOKEN)),
            ]
        )
    try:
        yield tag
    finally:
        with factory() as session, session.begin():
            set_actor(session, Actor("test-syslog"))
            session.execute(delete(CyberEvent).where(CyberEvent.sensor.like(f"%{tag}%")))
            session.execute(delete(LogSource).where(LogSource.name.like(f"%{tag}")))


def _events(engine: Engine, tag: str) -> list[tuple[int, int | None, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(CyberEvent.park_id, CyberEvent.enterprise_id, CyberEvent.sensor, CyberEvent.kind).where(
                CyberEvent.sensor.like(f"%{tag}%")
            )
        ).all()
    return sorted((p, e, s, k) for p, e, s, k in rows)


def _wait_for(engine: Engine, tag: str, count: int) -> list[tuple[int, int | None, str, str]]:
    deadline = time.monotonic() + 15
    found = _events(engine, tag)
    while len(found) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        found = _events(engine, tag)
    return found


def test_datagrams_and_a_tcp_stream_are_stored_for_their_park_and_strangers_refused(
    engine: Engine, world: World, sources: str
) -> None:
    tag = sources
    service = listener.SyslogService("127.0.0.1", 0, flush_s=0.02)
    service.start()
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.sendto(
            f"<38>Oct 30 22:14:15 gw-{tag} sshd[4]: Failed password for root from 203.0.113.7 port 1 ssh2".encode(),
            ("127.0.0.1", service.port),
        )
        udp.sendto(  # allow-listed address, but a token of no source: refused
            f'<134>1 2026-10-31T02:00:00Z bad-{tag} fw - - [digipark token="wrong-token-000000"] action=deny'.encode(),
            ("127.0.0.1", service.port),
        )
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stranger.bind(("127.0.0.2", 0))  # an address no park lists
        stranger.sendto(f"<38>Oct 30 22:14:15 far-{tag} sshd[4]: hello".encode(), ("127.0.0.1", service.port))
        token_line = (
            f'<134>1 2026-10-31T02:00:00Z tok-{tag} fw - - [digipark token="{TOKEN}"] '
            "action=deny src=198.51.100.4 dst=10.0.0.5 dport=22"
        )
        stranger.sendto(token_line.encode(), ("127.0.0.1", service.port))  # a token: accepted from anywhere
        with socket.create_connection(("127.0.0.1", service.port)) as tcp:
            framed = f"<13>Oct  1 00:00:00 tcp-{tag} app: first".encode()
            tcp.sendall(str(len(framed)).encode() + b" " + framed)  # octet counting
            tcp.sendall(f"<13>Oct  1 00:00:00 tcp-{tag} app: second\n".encode())  # one message a line
        found = _wait_for(engine, tag, 4)
    finally:
        service.stop()
    a, e0, b = world.a.park_id, world.a.enterprise_ids[0], world.b.park_id
    assert found == sorted(
        [
            (a, e0, f"gw-{tag}", "auth_failure"),
            (b, None, f"tok-{tag}", "connection_denied"),
            (a, e0, f"tcp-{tag}", "other"),
            (a, e0, f"tcp-{tag}", "other"),
        ]
    )
    assert service.batcher is not None and service.batcher.refused == 2
