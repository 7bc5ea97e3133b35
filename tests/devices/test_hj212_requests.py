"""HJ 212-2017 requests of the platform and the data collector's answers (9011 请求应答, 9012 执行结果), over a
real socket: a command of a device bound to HJ 212 is sent on its collector's connection, its 9011/9012 move the
command's state (refusals and failures with the code's meaning), an answer to no request changes nothing, a
command waits while its collector is away, and a collector's time calibration request (1013) is answered with the
platform's time (1012) and recorded as a command whose answers are kept."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from digipark.devices import hj212
from digipark.devices.hj212_requests import NOT_CONNECTED
from digipark.devices.hj212_server import Hj212Thread
from digipark.devices.models import DeviceCommand
from digipark.registry.models import Device
from tests.conftest import World
from tests.devices.test_commands import send, state_of, wait_state
from tests.devices.test_hj212 import monitor, read_answer, upload

__all__ = ["monitor"]  # the fixture, used by name


@pytest.fixture
def server() -> Iterator[Hj212Thread]:
    thread = Hj212Thread()
    thread.server.command_poll_s = 0.05
    thread.start()
    yield thread
    thread.stop()


def connect(server: Hj212Thread, mn: str, pw: str) -> socket.socket:
    """A collector connected and known to the connector (one data upload, no answer wanted)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    qn = time.strftime("%Y%m%d%H%M%S", time.localtime(time.time() - 30)) + "000"
    sock.sendall(upload(mn, pw, qn=qn, values="a21026-Rtd=20,a21026-Flag=N", flag=4))
    deadline = time.monotonic() + 10
    while mn not in server.server.connector.requests.links and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mn in server.server.connector.requests.links
    return sock


def received(sock: socket.socket) -> hj212.Segment:
    items, _used = hj212.split_frames(bytearray(read_answer(sock)))
    assert len(items) == 1 and isinstance(items[0], bytes), items
    return hj212.parse_segment(items[0])


def reply(sock: socket.socket, mn: str, pw: str, qn: str, cn: str, cp: str) -> None:
    sock.sendall(hj212.frame(f"QN={qn};ST=91;CN={cn};PW={pw};MN={mn};Flag=4;CP=&&{cp}&&"))


def test_a_command_is_an_hj212_request_and_the_collector_s_answers_move_its_state(
    engine: Engine, world: World, monitor: tuple[Device, str, str], server: Hj212Thread
) -> None:
    device, mn, pw = monitor
    sock = connect(server, mn, pw)
    try:
        ident = send(engine, world, device.id, "set_upload_interval", {"interval_s": 60})
        assert state_of(engine, ident).channel == "hj212"
        request = received(sock)
        assert (request.cn, request.st, request.mn, request.pw, request.flag) == ("1062", "31", mn, pw, 5)
        assert hj212.cp_fields(request.cp) == {"RtdInterval": "60"}
        assert request.qn is not None and len(request.qn) == 17
        assert wait_state(engine, ident, {"sent"}).state == "sent"
        reply(sock, mn, pw, "20200101000000000", "9012", "ExeRtn=1")  # answers no request: nothing changes
        reply(sock, mn, pw, request.qn, "9011", "QnRtn=1")
        assert wait_state(engine, ident, {"delivered"}).state == "delivered"
        reply(sock, mn, pw, request.qn, "9012", "ExeRtn=1")
        done = wait_state(engine, ident, {"succeeded", "failed"})
        assert (done.state, done.result, done.error) == ("succeeded", {"ExeRtn": "1"}, None)
        assert server.server.connector.stats.request_answers.get("unmatched") == 1

        refused = send(engine, world, device.id, "set_upload_interval", {"interval_s": 120})
        request = received(sock)
        reply(sock, mn, pw, request.qn or "", "9011", "QnRtn=2")
        row = wait_state(engine, refused, {"failed", "succeeded"})
        assert (row.state, row.error) == ("failed", "QnRtn 2: request refused")

        failed = send(engine, world, device.id, "set_upload_interval", {"interval_s": 300})
        request = received(sock)
        reply(sock, mn, pw, request.qn or "", "9011", "QnRtn=1")
        reply(sock, mn, pw, request.qn or "", "9012", "ExeRtn=5")
        row = wait_state(engine, failed, {"failed", "succeeded"})
        assert (row.state, row.error) == ("failed", "ExeRtn 5: system busy")
    finally:
        sock.close()
    deadline = time.monotonic() + 10
    while mn in server.server.connector.requests.links and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mn not in server.server.connector.requests.links  # the connection is gone: so is the collector's link
    waiting = send(engine, world, device.id, "set_time", {})
    deadline = time.monotonic() + 10
    while state_of(engine, waiting).error != NOT_CONNECTED and time.monotonic() < deadline:
        time.sleep(0.05)
    row = state_of(engine, waiting)
    assert (row.state, row.error) == ("queued", NOT_CONNECTED)


def test_a_time_calibration_request_is_answered_with_the_platform_s_time_and_recorded(
    engine: Engine, world: World, monitor: tuple[Device, str, str], server: Hj212Thread
) -> None:
    device, mn, pw = monitor
    sock = connect(server, mn, pw)
    try:
        qn = time.strftime("%Y%m%d%H%M%S", time.localtime()) + "123"
        sock.sendall(hj212.frame(f"QN={qn};ST=31;CN=1013;PW={pw};MN={mn};Flag=5;CP=&&PolId=a21026&&"))
        request = received(sock)
        assert (request.cn, request.mn, request.pw) == ("1012", mn, pw)
        sent = dt.datetime.strptime(hj212.cp_fields(request.cp)["SystemTime"], "%Y%m%d%H%M%S")
        now = dt.datetime.now(hj212.SHANGHAI).replace(tzinfo=None)
        assert abs((now - sent).total_seconds()) < 60  # the platform's clock, in the collector's local time
        reply(sock, mn, pw, request.qn or "", "9011", "QnRtn=1")
        reply(sock, mn, pw, request.qn or "", "9012", "ExeRtn=1")
        factory = sessionmaker(bind=engine)
        deadline = time.monotonic() + 10
        while True:
            with factory() as session:
                row = session.scalar(select(DeviceCommand).where(DeviceCommand.device_id == device.id))
            if (row is not None and row.state == "succeeded") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert row is not None
        assert (row.name, row.state, row.channel, row.requested_by) == (
            "set_time",
            "succeeded",
            "hj212",
            "hj212 connector",
        )
        assert "1013" in row.reason
    finally:
        sock.close()
