"""Pushes each raised alarm to the duty app: subscribes to `AlarmRaised` (published after the alarm is stored) and
sends the Web Push messages from a thread of its own, so the alarm path never waits for a push service."""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading

from digipark.alarms.provides import AlarmRaised
from digipark.audit.service import Actor, set_actor
from digipark.core.background import Handle, SharedService
from digipark.core.events import bus
from digipark.dashboards import push

log = logging.getLogger("digipark.dashboards.push")
ACTOR = Actor("duty-push", role="system")


@dataclasses.dataclass(frozen=True)
class _Job:
    park_id: int
    alarm_id: int
    severity: str
    message: str


class AlarmPush:
    def __init__(self) -> None:
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def on_raised(self, event: AlarmRaised) -> None:
        if event.park_id is not None:
            self._queue.put(_Job(event.park_id, event.alarm_id, event.severity, event.message))

    def _loop(self) -> None:
        from digipark.core.db import transaction

        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                with transaction(write=True) as session:
                    set_actor(session, ACTOR)
                    push.push_alarm(
                        session, park_id=job.park_id, alarm_id=job.alarm_id, severity=job.severity, message=job.message
                    )
            except Exception:
                log.exception("duty push of alarm %s failed", job.alarm_id)

    def start(self) -> None:
        bus.subscribe(AlarmRaised, self.on_raised)
        self._thread = threading.Thread(target=self._loop, name="digipark-duty-push", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        bus.unsubscribe(AlarmRaised, self.on_raised)
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None


_pusher: SharedService[AlarmPush] = SharedService(AlarmPush)


def start_alarm_push() -> Handle[AlarmPush]:
    return _pusher.acquire()
