"""The rules engine on readings with fixed timestamps (the engine's time is the readings' time; timers take an
explicit now): every rule type, hysteresis, duration, flapping, no-data, baseline deviation, AND, restart."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from digipark.alarms import baseline, rules
from digipark.alarms.engine import RulesEngine
from digipark.alarms.models import AlarmRuleState
from digipark.registry.models import Device, Point
from digipark.telemetry.ingest import InboundMessage, Ingestor
from digipark.telemetry.models import Reading, Rollup1h
from tests.alarms.helpers import T0, actions, alarms, engine, feed, gas_point, make_rule
from tests.conftest import World
from tests.device_tokens import issue_token

S = 1000  # ms


def test_threshold_with_hysteresis_raises_once_and_clears_below_the_band(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}])
    e = engine(db)
    pid = gas_point(world)
    feed(e, pid, [(0, 10), (1 * S, 26), (2 * S, 22), (3 * S, 27), (4 * S, 21)])
    [alarm] = alarms(db, rule)
    assert alarm.state == "raised" and alarm.trigger_value == 26 and alarm.severity == "critical"
    assert alarm.point_id == pid and alarm.zone_id == world.a.zone_id and alarm.building_id == world.a.building_id
    feed(e, pid, [(5 * S, 19.9)])  # below 25 - 5
    [alarm] = alarms(db, rule)
    assert alarm.state == "cleared" and alarm.occurrences == 1
    assert actions(db, alarm.id) == ["raised", "cleared"]


def test_below_and_outside(db: Session, world: World) -> None:
    below = make_rule(db, world, [{"type": "threshold", "op": "below", "low": 5}], name="低")
    outside = make_rule(db, world, [{"type": "threshold", "op": "outside", "low": 2, "high": 8}], name="越界")
    e = engine(db)
    feed(e, gas_point(world), [(0, 6), (S, 4), (2 * S, 9)])
    assert [a.trigger_value for a in alarms(db, below)] == [4]
    assert [a.state for a in alarms(db, below)] == ["cleared"]  # 9 is back above 5
    [a] = alarms(db, outside)
    assert a.trigger_value == 9 and a.state == "raised"


def test_duration_needs_the_condition_to_hold_for_its_time(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "duration", "op": "above", "high": 25, "for_s": 30}])
    e = engine(db)
    pid = gas_point(world)
    feed(e, pid, [(0, 30), (20 * S, 31), (25 * S, 10), (30 * S, 40), (50 * S, 41)])
    assert alarms(db, rule) == []  # never 30 s above in a row
    feed(e, pid, [(60 * S, 42)])
    [a] = alarms(db, rule)
    assert a.trigger_ts == T0 + 60 * S and a.trigger_value == 42


def test_rate_of_change(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "rate", "direction": "rise", "per_min": 10, "window_s": 60}])
    e = engine(db)
    pid = gas_point(world)
    feed(e, pid, [(0, 1), (30 * S, 3), (60 * S, 5)])  # 4 per minute
    assert alarms(db, rule) == []
    feed(e, pid, [(70 * S, 12)])  # 9 in 40 s over the window: 13.5 per minute
    [a] = alarms(db, rule)
    assert a.trigger_value == 12
    feed(e, pid, [(130 * S, 12), (190 * S, 12)])
    assert alarms(db, rule)[0].state == "cleared"


def test_and_combination_needs_every_condition(db: Session, world: World) -> None:
    rule = make_rule(
        db,
        world,
        [
            {"type": "threshold", "op": "above", "high": 20},
            {"type": "rate", "direction": "rise", "per_min": 30, "window_s": 60},
        ],
    )
    e = engine(db)
    pid = gas_point(world)
    feed(e, pid, [(0, 21), (60 * S, 22)])  # high but slow
    assert alarms(db, rule) == []
    feed(e, pid, [(120 * S, 5), (125 * S, 15)])  # fast but low
    assert alarms(db, rule) == []
    feed(e, pid, [(130 * S, 30)])  # high and fast
    assert len(alarms(db, rule)) == 1


def test_flapping_keeps_one_alarm_and_clears_it_after_a_quiet_window(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}], flap_window_s=60, flap_max=2)
    e = engine(db)
    pid = gas_point(world)
    # raise/clear three times in 60 s: the third raise is flapping
    feed(e, pid, [(0, 30), (5 * S, 10), (10 * S, 30), (15 * S, 10), (20 * S, 30)])
    [a] = alarms(db, rule)
    assert a.flapping and a.state == "raised" and a.occurrences == 3
    feed(e, pid, [(25 * S, 10), (30 * S, 30), (35 * S, 10)])  # still flapping: no clear, no new alarm
    [a] = alarms(db, rule)
    assert a.state == "raised" and a.occurrences == 4
    assert actions(db, a.id) == ["raised", "cleared", "raised_again", "cleared", "raised_again"]
    feed(e, pid, [(60 * S, 10), (96 * S, 10)])  # quiet for the whole window
    [a] = alarms(db, rule)
    assert a.state == "cleared" and not a.flapping


def test_no_data_on_the_timer(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "no_data", "intervals": 3}])  # gas detector: every 10 s
    e = engine(db)
    pid = gas_point(world)
    feed(e, pid, [(0, 1)])
    e.tick(T0 + 29 * S, escalate=False)
    assert alarms(db, rule) == []
    e.tick(T0 + 31 * S, escalate=False)
    [a] = alarms(db, rule)
    assert a.state == "raised" and a.trigger_value is None
    feed(e, pid, [(40 * S, 2)])
    e.tick(T0 + 41 * S, escalate=False)
    assert alarms(db, rule)[0].state == "cleared"


def test_device_class_rule_covers_every_matching_point_of_the_area(db: Session, world: World) -> None:
    rule = make_rule(
        db,
        world,
        [{"type": "threshold", "op": "above", "high": 25}],
        device_class="gas_concentration",
        building_id=world.a.building_id,
    )
    e = engine(db)
    targets = {s.target.point_id for sources in e.by_point.values() for s in sources if s.rule.rule_id == rule}
    assert targets == {gas_point(world)}
    feed(e, gas_point(world), [(0, 50)])
    assert len(alarms(db, rule)) == 1


def test_baseline_median_and_mad_from_the_hourly_rollups(db: Session, world: World) -> None:
    pid = gas_point(world)
    week = baseline.WEEK_MS
    now = T0 + 8 * week
    # the same hour of week over 8 weeks: means 10, 11, 9, 10, 12, 10, 9, 50 (one past incident)
    means = [10, 11, 9, 10, 12, 10, 9, 50]
    db.execute(
        insert(Rollup1h),
        [
            {"point_id": pid, "bucket": T0 + i * week, "count": 4, "sum": 4 * m, "bad_count": 0}
            for i, m in enumerate(means)
        ],
    )
    learned = baseline.learn(db, {pid: 8}, now_ms=now, offset_ms=0)
    how = rules.hour_of_week(T0, 0)
    median, mad, n = learned[pid][how]
    assert (median, mad, n) == (10.0, 1.0, 8)  # the incident does not move it
    rule = make_rule(db, world, [{"type": "baseline", "k": 4, "direction": "above"}])
    e = engine(db)
    e.context = rules.Context(baselines=learned, offset_ms=0)
    feed(e, pid, [(8 * week, 15.0)])  # (15 - 10) / 1.4826 = 3.4 sigma
    assert alarms(db, rule) == []
    feed(e, pid, [(8 * week + S, 16.0)])  # 4.05 sigma
    assert len(alarms(db, rule)) == 1


def test_rule_state_survives_a_restart(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "duration", "op": "above", "high": 25, "hysteresis": 5, "for_s": 30}])
    pid = gas_point(world)
    first = engine(db)
    feed(first, pid, [(0, 30)])  # pending since T0: persisted
    state = db.scalar(select(AlarmRuleState).where(AlarmRuleState.rule_id == rule))
    assert state is not None and state.conditions == [{"on": True, "since": T0}]
    second = engine(db)  # a new process: reads the state back
    feed(second, pid, [(31 * S, 28)])  # 31 s since T0 and still inside the hysteresis band
    [a] = alarms(db, rule)
    assert a.trigger_ts == T0 + 31 * S
    third = engine(db)
    feed(third, pid, [(40 * S, 22)])  # active, within hysteresis: no clear, no second alarm
    feed(third, pid, [(50 * S, 19)])
    [a] = alarms(db, rule)
    assert a.state == "cleared"


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ([], "conditions"),
        ([{"type": "magic"}], "conditions.0.type"),
        ([{"type": "threshold", "op": "above"}], "conditions.0.high"),
        ([{"type": "duration", "op": "above", "high": 1}], "conditions.0.for_s"),
        ([{"type": "threshold", "op": "outside", "low": 5, "high": 1}], "conditions.0.low"),
        ([{"type": "rate", "per_min": -1}], "conditions.0.per_min"),
        ([{"type": "no_data"}, {"type": "threshold", "op": "above", "high": 1}], "conditions"),
        ([{"type": "threshold", "op": "above", "high": 1, "extra": 1}], "conditions.0.extra"),
    ],
)
def test_bad_conditions_are_refused(conditions: list[dict[str, object]], field: str) -> None:
    with pytest.raises(rules.ConditionError) as caught:
        rules.normalise_conditions(conditions)
    assert caught.value.field == field


def _gas_message(db: Session, world: World, value: float, *, ts: int = T0, token: str | None = None) -> InboundMessage:
    device = db.get(Device, world.a.device_ids[1])
    key = db.scalar(select(Point.key).where(Point.id == gas_point(world)))
    assert device is not None and key is not None
    topic = f"digipark/v1/{token or issue_token(db, device.id)}/telemetry"
    return InboundMessage("mqtt", topic, None, orjson.dumps({"ts": ts, "values": {key: value}}), T0)


def test_readings_are_evaluated_as_they_arrive_before_they_are_stored(db: Session, world: World) -> None:
    rule = make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25, "hysteresis": 5}])
    ingestor = Ingestor(clock=lambda: T0)
    ingestor.cache.load(db)
    e = RulesEngine(sync=True, clock=lambda: T0 / 1000, ingestor=ingestor)
    e.load(db)
    e.on_received(
        [
            _gas_message(db, world, 90, token="no-such-token"),  # not a device: nothing
            _gas_message(db, world, 150, ts=T0 + 1),  # beyond the point's valid range: bad quality, no alarm
            _gas_message(db, world, 90, ts=T0 + 10 * 60_000),  # ahead of the server clock: rejected when stored
        ]
    )
    assert alarms(db, rule) == []
    e.on_received([_gas_message(db, world, 30, ts=T0 + 2)])
    [alarm] = alarms(db, rule)
    assert alarm.state == "raised" and alarm.trigger_value == 30
    assert db.scalar(select(func.count()).select_from(Reading).where(Reading.point_id == gas_point(world))) == 0
    # the same reading once stored, and a late one, change nothing; a newer one clears the alarm
    feed(e, gas_point(world), [(2, 30), (1, 10)])
    [alarm] = alarms(db, rule)
    assert alarm.state == "raised" and actions(db, alarm.id) == ["raised"]
    feed(e, gas_point(world), [(3, 10)])
    assert [a.state for a in alarms(db, rule)] == ["cleared"]


def test_a_device_the_rules_do_not_watch_is_not_read_on_arrival(db: Session, world: World) -> None:
    make_rule(db, world, [{"type": "threshold", "op": "above", "high": 25}])
    ingestor = Ingestor(clock=lambda: T0)
    ingestor.cache.load(db)
    e = RulesEngine(sync=True, clock=lambda: T0 / 1000, ingestor=ingestor)
    e.load(db)
    assert e.devices == {world.a.device_ids[1]}
    meter = db.get(Device, world.a.device_ids[0])
    assert meter is not None
    key = db.scalar(select(Point.key).where(Point.device_id == meter.id).limit(1))
    body = orjson.dumps({str(key): 1})
    message = InboundMessage("mqtt", f"digipark/v1/{issue_token(db, meter.id)}/telemetry", None, body, T0)
    assert ingestor.readings_of([message], e.devices) == []
    assert ingestor.readings_of([message], {meter.id}) != []
