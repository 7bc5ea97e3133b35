"""The platform's requests to HJ 212 data collectors and the collectors' answers (HJ 212-2017 §6: 请求应答 9011,
执行结果 9012), on the connection the collector keeps with the connector.

A command of channel `hj212` (a device with an active HJ 212 binding) whose collector is connected is sent as the
request of `data/hj212.yaml: requests` (set_upload_interval → CN 1062 RtdInterval, set_time → CN 1012 SystemTime)
with a QN of the platform's making; the command is then `sent`. The collector's 9011 with QnRtn 1 (ready to
execute) makes it `delivered`, another QnRtn `failed` with the code's meaning; its 9012 with ExeRtn 1 makes it
`succeeded`, another ExeRtn `failed`. An answer is matched by MN and QN to the request sent on this connector, and
only to a command of the device the MN is bound to. A command whose collector is not connected waits (its error
says so) and expires after its timeout like any other. A collector's time calibration request (CN 1013) is
answered with a set_time request (1012, the platform's clock) recorded as a command, so its 9011/9012 are kept too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.core.db import transaction, utcnow
from digipark.devices import commands as command_service
from digipark.devices import hj212
from digipark.devices.catalog import command_spec
from digipark.devices.models import Channel, CommandState, DeviceCommand

log = logging.getLogger("digipark.devices.hj212")
ACTOR = "hj212 connector"
NOT_CONNECTED = "the data collector is not connected"


@dataclasses.dataclass(frozen=True, slots=True)
class Link:
    """A collector seen on a connection: what a request to it needs (its PW is known only from its own frames)."""

    mn: str
    device_id: int
    kind: str
    st: str
    pw: str
    write: Any  # bytes -> None, on the event loop


class Requests:
    """Requests sent and waiting for their answers ((MN, QN) → command id), and the connected collectors."""

    def __init__(self) -> None:
        self.links: dict[str, Link] = {}
        self.pending: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._last_qn = ""

    def next_qn(self, now: dt.datetime) -> str:
        """yyyyMMddHHmmssSSS of the platform's clock (local time), one millisecond on when it would repeat."""
        with self._lock:
            moment = now.astimezone(hj212.SHANGHAI)
            qn = moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"
            while qn <= self._last_qn:
                moment += dt.timedelta(milliseconds=1)
                qn = moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"
            self._last_qn = qn
            return qn

    def frame_for(self, command: DeviceCommand, link: Link, now: dt.datetime) -> bytes | None:
        spec = hj212.facts()["requests"].get(command.name)
        if spec is None:
            return None
        params = dict(command.params or {})
        cp = {
            key: hj212.local_time_text(now) if source == "now" else str(params[source])
            for key, source in dict(spec.get("cp", {})).items()
        }
        qn = self.next_qn(now)
        self.pending[(link.mn, qn)] = command.id
        if len(self.pending) > 100_000:  # answers that never came: the commands expired long ago
            self.pending.pop(next(iter(self.pending)))
        return hj212.request_frame(qn=qn, st=link.st, cn=str(spec["cn"]), pw=link.pw, mn=link.mn, cp=cp)

    def send_due(self) -> list[tuple[Link, bytes]]:
        """Due commands of channel hj212 whose collector is connected, as frames to write; marks them sent (one
        transaction, committed before the frames are written) and expires overdue commands."""
        out: list[tuple[Link, bytes]] = []
        by_device = {link.device_id: link for link in list(self.links.values())}
        with transaction(name="hj212 requests waiting") as session:  # a read: a writing transaction only for work
            if not command_service.work_waiting(session, now=utcnow(), channels=[Channel.HJ212.value]):
                return out
        with transaction(write=True, name="hj212 requests") as session:
            set_actor(session, Actor(ACTOR))
            now = utcnow()
            for command in command_service.due(session, now=now, channels=[Channel.HJ212.value]):
                link = by_device.get(command.device_id)
                if link is None:  # looked at again after its retry interval (or when it expires)
                    command.error = NOT_CONNECTED
                    command.next_attempt_at = now + dt.timedelta(seconds=command.retry_after_s)
                    continue
                frame = self.frame_for(command, link, now)
                if frame is None:
                    command.state, command.finished_at = CommandState.FAILED.value, now
                    command.error = f"HJ 212 has no request for {command.name}"
                    continue
                command_service.mark_sent(command, now=now)
                command.error = None
                out.append((link, frame))
            command_service.expire(session, now=now)
        return out

    def answer(self, session: Session, device_id: int, segment: hj212.Segment) -> str | None:
        """Record a 9011 or 9012 of a collector on the command it answers; what happened, for the connector's
        statistics (None: no request of this connector has that QN for that collector)."""
        fields = hj212.cp_fields(segment.cp)
        qn = segment.qn or fields.get("QN") or ""
        ident = self.pending.get((segment.mn, qn))
        command = session.get(DeviceCommand, ident) if ident is not None else None
        if command is None or command.device_id != device_id:
            return None
        facts = hj212.facts()
        now = utcnow()
        if segment.cn == facts["answer_commands"]["request_answer"]:
            code = fields.get("QnRtn", "")
            if code == "1":
                changed = command_service.apply_answer(command, {"state": "delivered"}, thingsboard=False, now=now)
                return "delivered" if changed else "repeat"
            meaning = facts["qn_rtn"].get(code, "unknown code")
            answer = {"state": "failed", "result": {"QnRtn": code}, "error": f"QnRtn {code}: {meaning}"}
        else:
            code = fields.get("ExeRtn", "")
            meaning = facts["exe_rtn"].get(code, "unknown code")
            if code == "1":
                answer = {"state": "succeeded", "result": {"ExeRtn": code}}
            else:
                answer = {"state": "failed", "result": {"ExeRtn": code}, "error": f"ExeRtn {code}: {meaning}"}
        changed = command_service.apply_answer(command, answer, thingsboard=False, now=now)
        if changed and command.state in (CommandState.SUCCEEDED.value, CommandState.FAILED.value):
            self.pending.pop((segment.mn, qn), None)
        return str(answer["state"]) if changed else "repeat"

    def calibrate(self, session: Session, link: Link, park_id: int, enterprise_id: int | None) -> bytes | None:
        """A collector's time calibration request (1013): a set_time command, recorded as sent, and its frame."""
        spec = command_spec(link.kind, "set_time")
        if spec is None:
            return None
        now = utcnow()
        command = DeviceCommand(
            park_id=park_id,
            enterprise_id=enterprise_id,
            device_id=link.device_id,
            name=spec.name,
            params={},
            channel=Channel.HJ212.value,
            state=CommandState.QUEUED.value,
            reason="time calibration requested by the data collector (HJ 212 CN 1013)",
            requested_by=ACTOR,
            max_attempts=1,
            retry_after_s=spec.timeout_s,
            expires_at=now + dt.timedelta(seconds=spec.timeout_s),
            next_attempt_at=now,
        )
        session.add(command)
        session.flush()
        command_service.mark_sent(command, now=now)
        return self.frame_for(command, link, now)
