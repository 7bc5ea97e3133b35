"""Work orders from condition alarms: subscribes to `alarms.provides.AlarmRaised` (published after the alarm
writer commits) and, in a thread of its own, opens a repair order for the asset whose linked point raised the alarm
(`service.order_for_alarm`, once per alarm), audited as the system actor `assets-automation`.

Started through the module record's `background` next to the rules engine; tests call `order_for_alarm` in their
own session, or build `AlarmOrders(sync=True)` and call `on_raised`.

The handler declares its write up front (`transaction(write=True)`: on SQLite it takes the write lock when it begins,
waiting for it with back-off). Should the lock still not come — the demo's back-fill or a burst of alarm writes
holding it — the whole unit is tried again after `RETRY_DELAYS_S` (the order opens once: `order_for_alarm` checks
the alarm's order in the same transaction), so a busy database delays an order but never loses it."""

from __future__ import annotations

import dataclasses
import logging
import time

from digipark.alarms.provides import AlarmRaised
from digipark.assets.service import order_for_alarm
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.core.background import Handle, SharedService
from digipark.core.subscriber import QueuedSubscriber

ACTOR = Actor("assets-automation", role="system")
RETRY_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
"""Waits before the unit is tried again when the database stayed locked (each try itself waits for the lock)."""
log = logging.getLogger("digipark.assets-alarm-orders")
sleep = time.sleep  # tests replace it


def _select(event: AlarmRaised) -> AlarmRaised | None:
    return event if event.park_id is not None and event.point_id is not None else None


def _open(event: AlarmRaised) -> int | None:
    from digipark.core.db import is_database_locked

    for delay in (*RETRY_DELAYS_S, None):
        try:
            return _open_once(event)
        except Exception as exc:
            if delay is None or not is_database_locked(exc):
                raise
            log.info("alarm %s: database locked; its order is tried again in %.0f s", event.alarm_id, delay)
            sleep(delay)
    return None  # not reached


def _open_once(event: AlarmRaised) -> int | None:
    from digipark.core.db import transaction

    assert event.park_id is not None
    with transaction(write=True, name="assets: work order of a condition alarm") as session:
        set_actor(session, ACTOR)
        scope = dataclasses.replace(system_scope(event.park_id), username=ACTOR.name)
        return order_for_alarm(
            session,
            scope=scope,
            alarm_id=event.alarm_id,
            point_id=event.point_id,
            severity=event.severity,
            message=event.message,
        )


class AlarmOrders(QueuedSubscriber[AlarmRaised, AlarmRaised]):
    """The subscriber (`core.subscriber.QueuedSubscriber`): queues raised alarms on points, opens their orders."""

    def __init__(self, *, sync: bool = False) -> None:
        super().__init__(AlarmRaised, select=_select, handle=_open, name="assets-alarm-orders", sync=sync)


_subscriber: SharedService[AlarmOrders] = SharedService(AlarmOrders)


def start_alarm_orders() -> Handle[AlarmOrders]:
    return _subscriber.acquire()
