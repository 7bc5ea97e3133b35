"""The alarm stream's fallback for ingestion in other processes: the API process polls alarms changed since its
last look and hands each to the streams whose scope may read it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from digipark.alarms.live import AlarmStreams
from digipark.auth.scope import system_scope
from tests.alarms.helpers import alarms, engine, feed, gas_point, make_rule
from tests.conftest import World


def test_alarms_changed_in_another_process_are_polled_and_sent_within_scope(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}])
    e = engine(db)
    streams = AlarmStreams()  # not installed on the event bus: like an API process beside ingest workers
    mine = streams.subscribe(system_scope(world.a.park_id))
    other = streams.subscribe(system_scope(world.b.park_id))
    try:
        assert streams.poll_once() == 0
        feed(e, gas_point(world), [(0, 30)])
        [alarm] = alarms(db, rule)
        assert streams.poll_once() == 1
        [(event, data)] = mine.take()
        assert event == "alarm" and data["id"] == alarm.id and data["state"] == "raised" and data["value"] == 30
        assert other.take() == []  # another park's staff
        assert streams.poll_once() == 0  # nothing changed since
        feed(e, gas_point(world), [(1000, 10)])
        assert streams.poll_once() == 1
        assert [d["state"] for _, d in mine.take()] == ["cleared"]
    finally:
        streams.unsubscribe(mine)
        streams.unsubscribe(other)
