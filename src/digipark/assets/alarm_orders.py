"""Work orders from condition alarms: subscribes to `alarms.provides.AlarmRaised` (published after the alarm
writer commits) and, in a thread of its own, opens a repair order for the asset whose linked point raised the alarm
(`service.order_for_alarm`, once per alarm), audited as the system actor `assets-automation`.

Started through the module record's `background` next to the rules engine; tests call `order_for_alarm` in their
own session, or build `AlarmOrders(sync=True)` and call `on_raised`."""

from __future__ import annotations

import dataclasses

from digipark.alarms.provides import AlarmRaised
from digipark.assets.service import order_for_alarm
from digipark.audit.service import Actor, set_actor
from digipark.auth.scope import system_scope
from digipark.core.background import Handle, SharedService
from digipark.core.subscriber import QueuedSubscriber

ACTOR = Actor("assets-automation", role="system")


def _select(event: AlarmRaised) -> AlarmRaised | None:
    return event if event.park_id is not None and event.point_id is not None else None


def _open(event: AlarmRaised) -> int | None:
    from digipark.core.db import transaction

    assert event.park_id is not None
    with transaction(write=True) as session:
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
