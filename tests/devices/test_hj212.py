"""HJ 212-2017: the CRC against published frames, and the TCP connector end to end against a data collector
simulated by the test (a socket speaking HJ 212): readings through the ingest path and the API, answers after the
commit, a retransmitted frame stored once, and dead letters for a bad CRC, an unknown MN and a wrong PW."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.devices import hj212
from digipark.devices.hj212_server import Hj212Thread, pw_digest
from digipark.devices.models import DeviceBinding
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Device, Point
from digipark.telemetry.models import DeadLetter, Reading
from tests.conftest import World, bearer

PUBLISHED = [  # frames published with HJ 212 implementations (data segment, CRC as sent)
    (
        "ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91;011-Rtd=231.0,"
        "011-Flag=N;060-Rtd=1.803,060-Flag=N&&",
        0x4980,
    ),
    (
        "QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime="
        "20231008123340;w01008-SampleTime=20231008123340,w01008-Rtd=123.456&&",
        0xF441,
    ),
    (
        "QN=20220814021304000;ST=22;CN=2011;PW=123456;MN=;Flag=5;CP=&&DataTime=20220814021304;a50001-Rtd=0.00,"
        "a50001-Flag=B&&",
        0x06C0,
    ),
]


@pytest.mark.parametrize(("segment", "crc"), PUBLISHED)
def test_the_crc_is_hj212s(segment: str, crc: int) -> None:
    assert hj212.crc16(segment.encode()) == crc
    items, used = hj212.split_frames(bytearray(hj212.frame(segment)))
    assert items == [segment.encode()] and used == len(hj212.frame(segment))


def test_a_stream_is_split_into_frames_and_a_broken_one_is_named() -> None:
    good = hj212.frame("ST=31;CN=2011;PW=1;MN=M;Flag=4;CP=&&DataTime=20261031120000;a21026-Rtd=1&&")
    bad = bytearray(good)
    bad[-6:-2] = b"0000" if good[-6:-2] != b"0000" else b"1111"
    items, used = hj212.split_frames(bytearray(good + bytes(bad) + good[:10]))
    assert used == 2 * len(good)  # the partial third frame waits for its rest
    assert items[0] == good[6:-6]
    assert isinstance(items[1], hj212.FrameError) and items[1].detail.startswith("bad CRC")


@pytest.fixture
def monitor(engine: Engine, world: World) -> Iterator[tuple[Device, str, str]]:
    """A committed flue-gas monitor with its points and an HJ 212 binding (MN, PW)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    suffix = uuid.uuid4().hex[:8]
    mn, pw = f"MN{suffix.upper()}0000000000000000"[:24], f"pw{suffix}"
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        scope = system_scope(world.a.park_id)
        device = registry.create(
            session,
            scope=scope,
            kind=registry.KINDS["device"],
            data=registry_schemas.DeviceCreate(code=f"CEMS-{suffix}", name="锅炉烟气监测", kind="flue_gas_monitor"),
        )
        session.add(
            DeviceBinding(
                park_id=device.park_id, device_id=device.id, protocol="hj212", address=mn, secret_hash=pw_digest(pw)
            )
        )
    yield device, mn, pw
    with factory() as session, session.begin():
        set_actor(session, Actor("test"))
        ids = list(session.scalars(select(Point.id).where(Point.device_id == device.id)))
        session.execute(delete(Reading).where(Reading.point_id.in_(ids)))
        session.execute(delete(DeadLetter).where(DeadLetter.source == "hj212"))
        session.execute(delete(Device).where(Device.id == device.id))


def upload(mn: str, pw: str, *, qn: str, values: str, cn: str = "2011", flag: int = 5) -> bytes:
    return hj212.frame(f"QN={qn};ST=31;CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&DataTime={qn[:14]};{values}&&")


def read_answer(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def test_a_data_collector_s_frames_are_stored_answered_and_the_bad_ones_dead_lettered(
    engine: Engine, world: World, monitor: tuple[Device, str, str], app_instance: Any
) -> None:
    device, mn, pw = monitor
    server = Hj212Thread().start()
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        qn = time.strftime("%Y%m%d%H%M%S", time.localtime(time.time() - 60)) + "000"
        frame = upload(
            mn, pw, qn=qn, values="a21026-Rtd=35.2,a21026-Flag=N;a00000-Rtd=10,a00000-Flag=N;a34013-Rtd=9,a34013-Flag=D"
        )
        sock.sendall(frame)
        answer = read_answer(sock)
        assert answer == hj212.frame(f"QN={qn};ST=91;CN=9014;PW={pw};MN={mn};Flag=4;CP=&&&&")
        sock.sendall(frame)  # the collector did not see the answer and sends it again
        assert read_answer(sock) == answer
        # a bad CRC, an unknown MN and a wrong PW: no answer, a dead letter each
        broken = bytearray(frame)
        broken[-6:-2] = b"0000" if frame[-6:-2] != b"0000" else b"1111"
        sock.sendall(bytes(broken))
        sock.sendall(upload("NOSUCHMN0000000000000000", pw, qn=qn, values="a21026-Rtd=1,a21026-Flag=N"))
        sock.sendall(upload(mn, "wrong", qn=qn, values="a21026-Rtd=1,a21026-Flag=N"))
        sock.sendall(upload(mn, pw, qn=qn, values="a21002-Rtd=12.5,a21002-Flag=N", flag=4))  # no answer wanted
        stats = server.server.connector.stats
        deadline = time.monotonic() + 10
        while stats.frames < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(1024)  # nothing was answered after the retransmission
        sock.close()
    finally:
        server.stop()
    factory = sessionmaker(bind=engine)
    with factory() as session:
        points = {p.key: p.id for p in session.scalars(select(Point).where(Point.device_id == device.id))}
        stored = {
            key: [v for (v,) in session.execute(select(Reading.value).where(Reading.point_id == pid))]
            for key, pid in points.items()
        }
        dead = session.execute(select(DeadLetter.reason, DeadLetter.detail).where(DeadLetter.source == "hj212")).all()
    assert stored["so2_mgm3"] == [35.2]  # the retransmission is stored once
    assert stored["flow_m3h"] == [36000.0]  # m3/s → m3/h
    assert stored["pm_mgm3"] == []  # flagged D (fault): not a measurement
    assert stored["nox_mgm3"] == [12.5]
    reasons = sorted((reason, detail.split(":")[1].strip().split(" ")[0]) for reason, detail in dead)
    assert reasons == [("malformed", "bad"), ("unknown_token", "unknown"), ("unknown_token", "wrong")]
    with TestClient(app_instance, base_url="http://testserver") as client:  # committed data: not the rolled-back db
        latest = client.get(f"/api/v1/devices/{device.id}/latest", headers=bearer(world.a.tokens["park_admin"]))
        assert latest.status_code == 200
        assert {item["key"]: item["value"] for item in latest.json()["items"]}["so2_mgm3"] == 35.2
