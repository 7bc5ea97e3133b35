"""Work orders from condition alarms: subscribes to `alarms.provides.AlarmRaised` (published after the alarm
writer commits) and, in a thread of its own, opens a repair order for the asset whose linked point raised the alarm
(`service.order_for_alarm`, once per alarm), audited as the system actor `assets-automation`.

Started through the module record's `background` next to the rules engine; tests call `order_for_alarm` in their
own session, or build `AlarmOrders(sync=True)` and call `on_raised`."""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading

from digipark.alarms.provides import AlarmRaised
from digipark.assets.service import order_for_alarm
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.core.background import Handle, SharedService
from digipark.core.events import bus

log = logging.getLogger("digipark.assets.alarm_orders")
ACTOR = Actor("assets-automation", role="system")


class AlarmOrders:
    def __init__(self, *, sync: bool = False) -> None:
        self.sync = sync
        self._queue: queue.Queue[AlarmRaised | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.opened: list[int] = []

    def on_raised(self, event: AlarmRaised) -> None:
        if event.park_id is None or event.point_id is None:
            return
        if self.sync:
            self._handle(event)
        else:
            self._queue.put(event)

    def _handle(self, event: AlarmRaised) -> None:
        from digipark.core.db import transaction

        assert event.park_id is not None
        with self._lock:
            try:
                with transaction(write=True) as session:
                    set_actor(session, ACTOR)
                    scope = dataclasses.replace(system_scope(event.park_id), username=ACTOR.name)
                    ident = order_for_alarm(
                        session,
                        scope=scope,
                        alarm_id=event.alarm_id,
                        point_id=event.point_id,
                        severity=event.severity,
                        message=event.message,
                    )
                if ident is not None:
                    self.opened.append(ident)
                    log.info("assets: work order %s opened from alarm %s", ident, event.alarm_id)
            except Exception:
                log.exception("assets: opening a work order from alarm %s failed", event.alarm_id)

    def _loop(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                self._handle(event)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        if not self.sync:
            self._queue.join()

    def start(self) -> None:
        bus.subscribe(AlarmRaised, self.on_raised)
        if not self.sync:
            self._thread = threading.Thread(target=self._loop, name="digipark-assets-alarm-orders", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        bus.unsubscribe(AlarmRaised, self.on_raised)
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None


_subscriber: SharedService[AlarmOrders] = SharedService(AlarmOrders)


def start_alarm_orders() -> Handle[AlarmOrders]:
    return _subscriber.acquire()
