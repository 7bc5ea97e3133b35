"""Automation rules without the database: each trigger kind, conditions, scenes, loops, dry-run = firing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from digipark.approvals.provides import working_calendar
from digipark.automation import logic
from digipark.core.errors import DomainError

ZONE = ZoneInfo("Asia/Shanghai")


def ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=ZONE).timestamp() * 1000)  # type: ignore[misc]


def rule(ident: int, trigger: dict[str, Any], actions: list[dict[str, Any]], conditions: Any = None) -> logic.RuleSpec:
    return logic.RuleSpec(
        ident,
        f"rule {ident}",
        logic.normalise_trigger(trigger),
        logic.normalise_conditions(conditions),
        tuple(logic.normalise_actions(actions)),
    )


def evaluator(*rules: logic.RuleSpec, scenes: dict[int, list[dict[str, Any]]] | None = None) -> logic.Evaluator:
    return logic.Evaluator(rules, scenes or {}, zone=ZONE, working_day=working_calendar().is_working_day)


NOTE = {"kind": "notify", "to": "值班组", "text": "注意"}
OFF = {"kind": "device_command", "point_id": 9, "command": "off", "label": "3F lights"}


def test_reading_trigger_fires_when_the_condition_starts_to_hold_not_on_every_reading() -> None:
    ev = evaluator(
        rule(
            1,
            {"kind": "reading", "point_id": 5, "conditions": [{"type": "threshold", "op": "above", "high": 30}]},
            [NOTE],
        )
    )
    fired = [f.ts for v, ts in ((25, 1), (31, 2), (35, 3), (28, 4), (32, 5)) for f in ev.reading(5, ts, v)]
    assert fired == [2, 5]
    assert ev.reading(6, 6, 99.0) == []  # another point


def test_reading_trigger_uses_the_alarm_conditions_duration() -> None:
    trigger = {
        "kind": "reading",
        "point_id": 5,
        "conditions": [{"type": "duration", "op": "above", "high": 30, "for_s": 60}],
    }
    ev = evaluator(rule(1, trigger, [NOTE]))
    assert ev.reading(5, 0, 31) == [] and ev.reading(5, 30_000, 31) == []
    assert [f.ts for f in ev.reading(5, 60_000, 31)] == [60_000]


def test_schedule_trigger_on_working_days_follows_the_chinese_calendar() -> None:
    ev = evaluator(rule(1, {"kind": "schedule", "at": "19:00", "days": "working"}, [OFF]))
    ev.clock(ms(2026, 9, 25, 0, 0))
    fired = ev.clock(ms(2026, 10, 12, 0, 0))
    days = [dt.datetime.fromtimestamp(f.ts / 1000, ZONE) for f in fired]
    assert all(d.hour == 19 and d.minute == 0 for d in days)
    calendar = working_calendar()
    expected = [
        dt.date(2026, 9, 25) + dt.timedelta(days=i)
        for i in range(17)
        if calendar.is_working_day(dt.date(2026, 9, 25) + dt.timedelta(days=i))
    ]
    assert [d.date() for d in days] == expected
    assert dt.date(2026, 10, 1) not in expected  # National Day
    assert ev.clock(ms(2026, 10, 12, 0, 0)) == []  # the clock does not fire twice


def test_alarm_trigger_listens_from_its_minimum_severity_and_building() -> None:
    ev = evaluator(rule(1, {"kind": "alarm_raised", "min_severity": "major", "building_id": 3}, [NOTE]))
    assert ev.alarm(1, severity="minor", building_id=3, alarm_id=10) == []
    assert ev.alarm(2, severity="critical", building_id=4, alarm_id=11) == []
    fired = ev.alarm(3, severity="critical", building_id=3, alarm_id=12)
    assert [f.inputs["alarm_id"] for f in fired] == [12]


def test_event_trigger_and_conditions_over_other_points() -> None:
    conditions = {
        "match": "all",
        "items": [{"point_id": 7, "op": "below", "value": 10}, {"point_id": 8, "op": "above", "value": 0}],
    }
    ev = evaluator(rule(1, {"kind": "event", "event": "work_order_opened"}, [NOTE], conditions))
    assert ev.event(1, "work_order_opened") == []  # no values yet
    ev.reading(7, 2, 5.0)
    ev.reading(8, 3, 1.0)
    fired = ev.event(4, "work_order_opened")
    assert len(fired) == 1 and fired[0].inputs["conditions"] == {"7": 5.0, "8": 1.0}
    ev.reading(8, 5, -1.0)
    assert ev.event(6, "work_order_opened") == []
    anyof = evaluator(rule(2, {"kind": "event", "event": "booking_made"}, [NOTE], {**conditions, "match": "any"}))
    anyof.reading(7, 1, 5.0)
    assert len(anyof.event(2, "booking_made")) == 1


def test_each_action_kind_is_checked() -> None:
    actions = logic.normalise_actions(
        [
            {"kind": "work_order", "title": "检查空调", "building_id": 1},
            {"kind": "raise_alarm", "title": "能耗超限", "severity": "major"},
            NOTE,
            {"kind": "device_command", "point_id": 9, "command": "set", "value": 26},
            {"kind": "webhook", "url": "https://example.org/hook", "secret": "s" * 16},
            {"kind": "start_approval", "process": "certificate_request", "form": {"purpose": "{code}"}},
            {"kind": "set_attribute", "device_id": 5, "key": "target_temp", "value": {"c": 26}},
            {"kind": "scene", "scene_id": 4},
        ]
    )
    assert [a["kind"] for a in actions] == list(logic.ACTION_KINDS)
    assert actions[2] == {**NOTE, "channel": "roster", "team_id": None}  # to the people on duty by default
    assert actions[6] == {"kind": "set_attribute", "device_id": 5, "key": "target_temp", "value": {"c": 26}}
    assert actions[4] == {
        "kind": "webhook",
        "url": "https://example.org/hook",
        "secret": "s" * 16,
        "timeout_s": 5,
        "retries": 2,
    }
    for bad, field in (
        ([{"kind": "explode"}], "actions[0].kind"),
        ([{"kind": "device_command", "point_id": 9, "command": "set"}], "actions[0].value"),
        ([{"kind": "notify", "to": "x"}], "actions[0].text"),
        ([{"kind": "work_order", "title": "x", "extra": 1}], "actions[0].extra"),
        ([{"kind": "webhook", "url": "ftp://example.org", "secret": "s" * 16}], "actions[0].url"),
        ([{"kind": "webhook", "url": "https://example.org", "secret": "short"}], "actions[0].secret"),
        ([{"kind": "webhook", "url": "https://example.org", "secret": "s" * 16, "retries": 9}], "actions[0].retries"),
        ([{"kind": "start_approval", "form": {}}], "actions[0].process"),
        ([{"kind": "notify", "to": "x", "text": "y", "channel": "fax"}], "actions[0].channel"),
        ([{"kind": "notify", "to": "x", "text": "y", "channel": "email", "address": "nobody"}], "actions[0].address"),
        ([{"kind": "notify", "to": "x", "text": "y", "channel": "sms", "address": "call me"}], "actions[0].address"),
        ([{"kind": "notify", "to": "x", "text": "y", "channel": "wecom", "address": "x.cn"}], "actions[0].address"),
        ([{"kind": "set_attribute", "device_id": 5, "key": "k"}], "actions[0].value"),
        ([{"kind": "set_attribute", "key": "k", "value": 1}], "actions[0].device_id"),
        ([], "actions"),
    ):
        with pytest.raises(DomainError) as caught:
            logic.normalise_actions(bad)
        assert caught.value.errors[0]["field"] == field
    with pytest.raises(DomainError):
        logic.normalise_actions([{"kind": "scene", "scene_id": 1}], allow_scene=False)


def test_a_scene_expands_into_its_actions() -> None:
    scene = [OFF, {**OFF, "point_id": 10, "label": "3F HVAC"}]
    ev = evaluator(
        rule(1, {"kind": "schedule", "at": "19:30"}, [{"kind": "scene", "scene_id": 4}, NOTE]), scenes={4: scene}
    )
    ev.clock(ms(2026, 10, 30, 0, 0))
    (fired,) = ev.clock(ms(2026, 10, 31, 0, 0))
    assert [(a["kind"], a.get("point_id"), a.get("scene_id")) for a in fired.actions] == [
        ("device_command", 9, 4),
        ("device_command", 10, 4),
        ("notify", None, None),
    ]


def test_a_rule_whose_action_triggers_itself_is_refused() -> None:
    raises_major = rule(
        1,
        {"kind": "alarm_raised", "min_severity": "minor"},
        [{"kind": "raise_alarm", "title": "x", "severity": "major"}],
    )
    assert logic.find_loop(raises_major, [], {}) == ["rule 1"]
    below = rule(
        2,
        {"kind": "alarm_raised", "min_severity": "critical"},
        [{"kind": "raise_alarm", "title": "x", "severity": "minor"}],
    )
    assert logic.find_loop(below, [], {}) is None
    own_point = rule(
        3, {"kind": "reading", "point_id": 9, "conditions": [{"type": "threshold", "op": "above", "high": 1}]}, [OFF]
    )
    assert logic.find_loop(own_point, [], {}) == ["rule 3"]
    # a shared attribute of the device whose point triggers the rule: the device may change the point
    attribute = {"kind": "set_attribute", "device_id": 7, "key": "mode", "value": "eco"}
    own_device = rule(
        4,
        {"kind": "reading", "point_id": 9, "conditions": [{"type": "threshold", "op": "above", "high": 1}]},
        [attribute],
    )
    assert logic.find_loop(own_device, [], {}, {7: [9]}) == ["rule 4"]
    assert logic.find_loop(own_device, [], {}, {7: [11]}) is None
    # through a scene
    via_scene = rule(
        4,
        {"kind": "reading", "point_id": 9, "conditions": [{"type": "threshold", "op": "above", "high": 1}]},
        [{"kind": "scene", "scene_id": 1}],
    )
    assert logic.find_loop(via_scene, [], {1: [OFF]}) == ["rule 4"]
    # through another rule: an order opens an alarm, the alarm opens an order
    a = rule(
        5, {"kind": "event", "event": "work_order_opened"}, [{"kind": "raise_alarm", "title": "x", "severity": "minor"}]
    )
    b = rule(6, {"kind": "alarm_raised", "min_severity": "info"}, [{"kind": "work_order", "title": "y"}])
    assert logic.find_loop(a, [b], {}) == ["rule 5", "rule 6"]
    assert logic.find_loop(a, [], {}) is None
    # a command naming a device reaches every point of that device (its switch state, its set-point …)
    on_device = rule(
        7,
        {"kind": "reading", "point_id": 12, "conditions": [{"type": "threshold", "op": "above", "high": 1}]},
        [{"kind": "device_command", "device_id": 3, "name": "switch_off", "params": {}, "label": "—"}],
    )
    assert logic.find_loop(on_device, [], {}, {3: [11, 12]}) == ["rule 7"]
    assert logic.find_loop(on_device, [], {}, {3: [11]}) is None
    assert logic.commanded_devices([{"kind": "scene", "scene_id": 1}], {1: on_device.actions}) == {3}
    # starting an approval is an approval_started event
    starts = rule(
        8,
        {"kind": "event", "event": "approval_started"},
        [{"kind": "start_approval", "process": "p", "enterprise_id": None, "form": {}}],
    )
    assert logic.find_loop(starts, [], {}) == ["rule 8"]


def history() -> list[logic.HistoryItem]:
    items = []
    start = ms(2026, 10, 24, 0, 0)
    for i in range(7 * 96):
        ts = start + i * 900_000
        value = 20 + 15 * ((i % 96) in range(40, 60)) + (i % 7)
        items.append(logic.HistoryItem(ts, "reading", point_id=5, value=float(value)))
    items.append(
        logic.HistoryItem(start + 3 * 86_400_000 + 5, "alarm", severity="major", building_id=None, alarm_id=77)
    )
    return items


def test_dry_run_equals_what_firing_would_have_done() -> None:
    rules = [
        rule(
            1,
            {"kind": "reading", "point_id": 5, "conditions": [{"type": "threshold", "op": "above", "high": 33}]},
            [NOTE],
        ),
        rule(2, {"kind": "schedule", "at": "19:00", "days": "every"}, [{"kind": "scene", "scene_id": 1}]),
        rule(3, {"kind": "alarm_raised", "min_severity": "minor"}, [{"kind": "work_order", "title": "查看"}]),
    ]
    scenes = {1: [OFF]}
    start, end = ms(2026, 10, 24, 0, 0), ms(2026, 10, 31, 0, 0)
    dry = logic.dry_run(evaluator(*rules, scenes=scenes), history(), start, end)
    live = evaluator(*rules, scenes=scenes)
    live.clock(start)
    fired: list[logic.Firing] = []
    items = history()
    for chunk in range(0, len(items), 37):  # as they arrive, in batches, with the clock ticking between
        batch = items[chunk : chunk + 37]
        fired.extend(logic.feed(live, batch))
        fired.extend(live.clock(batch[-1].ts))
    fired.extend(live.clock(end))
    assert sorted(f.key() for f in dry) == sorted(f.key() for f in fired)
    assert {f.rule_id for f in dry} == {1, 2, 3}
    assert sum(f.rule_id == 2 for f in dry) == 7


def test_the_engine_takes_good_readings_and_raised_alarms_into_its_inbox() -> None:
    from digipark.alarms.provides import AlarmRaised
    from digipark.automation.engine import AutomationEngine
    from digipark.telemetry.provides import ReadingsStored

    engine = AutomationEngine()
    engine.on_readings(ReadingsStored(latest={}, readings=((5, 1000, 31.0, 0), (5, 2000, 9e9, 1))))
    engine.on_alarm(
        AlarmRaised(alarm_id=3, rule_id=1, severity="major", state="raised", building_id=2, trigger_ts=3000)
    )
    items = engine.take()
    assert [(i.kind, i.ts) for i in items] == [("reading", 1000), ("alarm", 3000)]
    engine.on_readings(ReadingsStored(latest={}, readings=((5, 4000, 31.0, 0), (6, 4000, 2.0, 0))))
    assert [i.point_id for i in engine.take(watched={6})] == [6]  # readings of points no rule looks at: none
    assert items[1].severity == "major" and items[1].building_id == 2
