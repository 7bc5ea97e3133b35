"""Automation rules as data and their evaluation, free of the database: the live engine and the dry-run feed the
same `Evaluator`, so a dry-run over history plans exactly what firing would have done.

A rule is a trigger, optional conditions over other points, and a list of actions.

Trigger kinds (`trigger.kind`):
- `reading`: a point's readings, with the alarm module's condition types (threshold, duration, rate …,
  evaluated by `alarms.provides.evaluate_condition`); the rule fires when the conditions start to hold (an edge,
  not every reading while they hold).
- `schedule`: a local time of day (`at`, "HH:MM") on `days`: every | working | non_working (the Chinese working
  calendar with its 调休 days, from the approvals module) | weekend.
- `alarm_raised`: an alarm of at least `min_severity` (optionally in `building_id`).
- `event`: a named domain event (`event`), e.g. `work_order_opened`.

Conditions (`conditions`, optional): `{"match": "all" | "any", "items": [{"point_id", "op": above | below,
"value"}]}` over the newest value of each point when the trigger fires.

Action kinds (`actions[].kind`): `work_order` (opened through the work-order module), `raise_alarm` (through the
alarm module), `notify` (the people on duty or a channel's address, sent after the commit: automation/delivery.py),
`device_command` (a device and a command of its kind's catalogue; or a point's device, or a building's lighting or
HVAC devices, switched on / off / set — sent through the devices module as real commands, a safety command waiting
for a second person: automation/commands.py), `webhook` (a signed JSON POST after the commit, never inside the
platform's network unless allowed: automation/webhook.py, network.py), `start_approval` (an application of a named
process through the approvals module, its form filled from the action and the trigger), `set_attribute` (a
device's shared attribute through the devices module), `scene` (the actions of a named scene).

Loops: each action emits a signal (an alarm of a severity, an event, a write to a point) and each trigger listens
to signals; a rule whose actions, directly or through other enabled rules, reach its own trigger is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from digipark.alarms.provides import ConditionContext, ConditionError, CondState, evaluate_condition
from digipark.alarms.provides import normalise_conditions as alarm_conditions
from digipark.core.errors import field_error

TRIGGER_KINDS = ("reading", "schedule", "alarm_raised", "event")
ACTION_KINDS = (
    "work_order",
    "raise_alarm",
    "notify",
    "device_command",
    "webhook",
    "start_approval",
    "set_attribute",
    "scene",
)
# where a `notify` goes: the people on duty now (the duty module's rosters) or one channel's address
NOTIFY_CHANNELS = ("roster", "email", "sms", "dingtalk", "wecom", "feishu")
ROBOTS = ("dingtalk", "wecom", "feishu")
DAYS = ("every", "working", "non_working", "weekend")
SEVERITIES = ("info", "minor", "major", "critical")
# the domain events a rule may fire on, each published by its domain after the commit (automation/events.py maps
# them); visitor_arrived is not published by any domain yet
EVENTS = (
    "work_order_opened",
    "work_order_done",
    "work_order_cancelled",
    "booking_made",
    "booking_approved",
    "booking_declined",
    "booking_cancelled",
    "approval_started",
    "approval_approved",
    "approval_rejected",
    "alarm_acknowledged",
    "alarm_cleared",
    "visitor_arrived",
)
WEBHOOK_TIMEOUT_S = (1, 30)
WEBHOOK_RETRIES = (0, 5)
COMMANDS = ("on", "off", "set")
SYSTEMS = ("lighting", "hvac", "other")  # what a building-wide command switches
MAX_ACTIONS = 20
DAY_MS = 86_400_000

WorkingDay = Callable[[dt.date], bool]


def _time(text: Any, field: str) -> tuple[int, int]:
    try:
        hours, minutes = (int(part) for part in str(text).split(":"))
    except ValueError:
        raise field_error(field, f"not a time of day: {text!r}") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise field_error(field, f"not a time of day: {text!r}")
    return hours, minutes


def _int(raw: Mapping[str, Any], key: str, field: str, *, required: bool = True) -> int | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise field_error(f"{field}.{key}", "required")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise field_error(f"{field}.{key}", "must be an id (1 … 2147483647)")
    return value


def _text(raw: Mapping[str, Any], key: str, field: str, *, default: str | None = None, limit: int = 200) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise field_error(f"{field}.{key}", "required")
    if len(value) > limit:
        raise field_error(f"{field}.{key}", f"at most {limit} characters")
    return value.strip()


def _choice(raw: Mapping[str, Any], key: str, field: str, choices: Sequence[str], default: str | None = None) -> str:
    value = raw.get(key, default)
    if value not in choices:
        raise field_error(f"{field}.{key}", f"one of {', '.join(choices)}")
    return str(value)


def _only(raw: Mapping[str, Any], known: set[str], field: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise field_error(f"{field}.{unknown[0]}", "unknown field")


def normalise_trigger(raw: Any) -> dict[str, Any]:
    field = "trigger"
    if not isinstance(raw, dict):
        raise field_error(field, "must be an object")
    kind = _choice(raw, "kind", field, TRIGGER_KINDS)
    if kind == "reading":
        _only(raw, {"kind", "point_id", "conditions"}, field)
        try:
            conditions = alarm_conditions(raw.get("conditions"))
        except ConditionError as exc:
            raise field_error(f"{field}.{exc.field}", exc.reason) from None
        if any(c["type"] in ("no_data", "baseline") for c in conditions):
            raise field_error(f"{field}.conditions", "no_data and baseline conditions are for alarm rules")
        return {"kind": kind, "point_id": _int(raw, "point_id", field), "conditions": conditions}
    if kind == "schedule":
        _only(raw, {"kind", "at", "days"}, field)
        hours, minutes = _time(raw.get("at"), f"{field}.at")
        return {"kind": kind, "at": f"{hours:02d}:{minutes:02d}", "days": _choice(raw, "days", field, DAYS, "every")}
    if kind == "alarm_raised":
        _only(raw, {"kind", "min_severity", "building_id"}, field)
        return {
            "kind": kind,
            "min_severity": _choice(raw, "min_severity", field, SEVERITIES, "info"),
            "building_id": _int(raw, "building_id", field, required=False),
        }
    _only(raw, {"kind", "event"}, field)
    return {"kind": kind, "event": _choice(raw, "event", field, EVENTS)}


def normalise_conditions(raw: Any) -> dict[str, Any] | None:
    if raw is None or raw == {} or raw == []:
        return None
    field = "conditions"
    if not isinstance(raw, dict):
        raise field_error(field, "must be an object")
    _only(raw, {"match", "items"}, field)
    items = raw.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= 10:
        raise field_error(f"{field}.items", "give 1 to 10 conditions")
    out = []
    for index, item in enumerate(items):
        where = f"{field}.items[{index}]"
        if not isinstance(item, dict):
            raise field_error(where, "must be an object")
        _only(item, {"point_id", "op", "value"}, where)
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) > 1e12:
            raise field_error(f"{where}.value", "must be a finite number")
        out.append(
            {
                "point_id": _int(item, "point_id", where),
                "op": _choice(item, "op", where, ("above", "below")),
                "value": float(value),
            }
        )
    return {"match": _choice(raw, "match", field, ("all", "any"), "all"), "items": out}


def normalise_actions(raw: Any, *, allow_scene: bool = True) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise field_error("actions", "give at least one action")
    if len(raw) > MAX_ACTIONS:
        raise field_error("actions", f"at most {MAX_ACTIONS} actions")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        field = f"actions[{index}]"
        if not isinstance(item, dict):
            raise field_error(field, "must be an object")
        kind = _choice(item, "kind", field, ACTION_KINDS if allow_scene else ACTION_KINDS[:-1])
        if kind == "work_order":
            _only(item, {"kind", "title", "building_id"}, field)
            out.append(
                {
                    "kind": kind,
                    "title": _text(item, "title", field),
                    "building_id": _int(item, "building_id", field, required=False),
                }
            )
        elif kind == "raise_alarm":
            _only(item, {"kind", "title", "severity", "building_id"}, field)
            out.append(
                {
                    "kind": kind,
                    "title": _text(item, "title", field),
                    "severity": _choice(item, "severity", field, SEVERITIES, "minor"),
                    "building_id": _int(item, "building_id", field, required=False),
                }
            )
        elif kind == "notify":
            out.append(_notify(item, field))
        elif kind == "set_attribute":
            # a shared attribute of a device (devices/attributes.py): stored, then sent to the device
            _only(item, {"kind", "device_id", "key", "value"}, field)
            if "value" not in item:
                raise field_error(f"{field}.value", "required")
            out.append(
                {
                    "kind": kind,
                    "device_id": _int(item, "device_id", field),
                    "key": _text(item, "key", field, limit=64),
                    "value": item["value"],
                }
            )
        elif kind == "device_command" and item.get("device_id") is not None:
            # a command of the device kind's catalogue (devices/data/commands.yaml), checked against the device
            # when the rule is saved (automation/commands.py)
            _only(item, {"kind", "device_id", "name", "params", "label"}, field)
            params = item.get("params") or {}
            if not isinstance(params, dict) or len(params) > 20:
                raise field_error(f"{field}.params", "must be an object of at most 20 parameters")
            out.append(
                {
                    "kind": kind,
                    "device_id": _int(item, "device_id", field),
                    "name": _text(item, "name", field, limit=60),
                    "params": dict(params),
                    "label": _text(item, "label", field, default="—", limit=200),
                }
            )
        elif kind == "device_command":
            _only(item, {"kind", "point_id", "building_id", "system", "command", "value", "label"}, field)
            command = _choice(item, "command", field, COMMANDS)
            value = item.get("value")
            if command == "set" and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise field_error(f"{field}.value", "a set command needs a number")
            point_id = _int(item, "point_id", field, required=False)
            building_id = _int(item, "building_id", field, required=False)
            if point_id is None and building_id is None:
                raise field_error(f"{field}.point_id", "name a point, or a building and its system")
            out.append(
                {
                    "kind": kind,
                    "point_id": point_id,
                    "building_id": building_id,
                    "system": _choice(item, "system", field, SYSTEMS, "other"),
                    "command": command,
                    "value": float(value) if command == "set" and value is not None else None,
                    "label": _text(item, "label", field, default="—", limit=200),
                }
            )
        elif kind == "webhook":
            out.append(_webhook(item, field))
        elif kind == "start_approval":
            _only(item, {"kind", "process", "enterprise_id", "form"}, field)
            form = item.get("form") or {}
            if not isinstance(form, dict) or len(form) > 30:
                raise field_error(f"{field}.form", "must be an object of at most 30 fields")
            out.append(
                {
                    "kind": kind,
                    "process": _text(item, "process", field, limit=60),
                    "enterprise_id": _int(item, "enterprise_id", field, required=False),
                    "form": dict(form),
                }
            )
        else:
            _only(item, {"kind", "scene_id"}, field)
            out.append({"kind": kind, "scene_id": _int(item, "scene_id", field)})
    return out


MASK = "********"  # a webhook's secret as rules and scenes are read


def _secret_key(action: Mapping[str, Any]) -> tuple[str, Any] | None:
    """What a secret belongs to: a webhook's URL, a notification robot's address."""
    if action.get("kind") == "webhook":
        return ("webhook", action.get("url"))
    if action.get("kind") == "notify" and action.get("secret"):
        return ("notify", action.get("address"))
    return None


def masked(actions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The actions as they are shown: a webhook's or a robot's secret masked."""
    return [{**a, "secret": MASK} if _secret_key(a) is not None else dict(a) for a in actions]


def keep_secrets(actions: list[dict[str, Any]], old: Iterable[Mapping[str, Any]]) -> None:
    """A webhook (or a robot notification) given back with its secret masked keeps the secret the action to the
    same address had."""
    known = {_secret_key(a): a.get("secret") for a in old if _secret_key(a) is not None}
    for action in actions:
        key = _secret_key(action)
        if key is not None and action.get("secret") == MASK and known.get(key):
            action["secret"] = known[key]


def _notify(item: Mapping[str, Any], field: str) -> dict[str, Any]:
    """A text to the people on duty (`channel` roster, optionally one team's) or to an address of a channel: an
    e-mail address, a mobile number, a 钉钉/企业微信/飞书 robot's webhook URL (with its signing secret)."""
    _only(item, {"kind", "to", "text", "channel", "team_id", "address", "secret"}, field)
    channel = _choice(item, "channel", field, NOTIFY_CHANNELS, "roster")
    out: dict[str, Any] = {
        "kind": "notify",
        "to": _text(item, "to", field, limit=120),
        "text": _text(item, "text", field, limit=500),
        "channel": channel,
    }
    if channel == "roster":
        out["team_id"] = _int(item, "team_id", field, required=False)
        return out
    address = _text(item, "address", field, limit=500)
    if channel == "email" and ("@" not in address or any(c.isspace() for c in address)):
        raise field_error(f"{field}.address", "an e-mail address")
    if channel == "sms" and not (address.lstrip("+").isdigit() and 5 <= len(address) <= 20):
        raise field_error(f"{field}.address", "a mobile number")
    if channel in ROBOTS and not address.lower().startswith(("http://", "https://")):
        raise field_error(f"{field}.address", "the robot's http:// or https:// webhook address")
    out["address"] = address
    if channel in ROBOTS and item.get("secret"):
        out["secret"] = _text(item, "secret", field, limit=200)
    return out


def _bounded(raw: Mapping[str, Any], key: str, field: str, bounds: tuple[int, int], default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
        raise field_error(f"{field}.{key}", f"a whole number from {bounds[0]} to {bounds[1]}")
    return value


def _webhook(item: Mapping[str, Any], field: str) -> dict[str, Any]:
    """A POST of the firing as JSON to an http(s) URL, signed with HMAC-SHA256 of the body under `secret`."""
    _only(item, {"kind", "url", "secret", "timeout_s", "retries"}, field)
    url = _text(item, "url", field, limit=500)
    if not url.lower().startswith(("http://", "https://")) or len(url.split("//", 1)[1]) < 1:
        raise field_error(f"{field}.url", "an http:// or https:// address")
    secret = _text(item, "secret", field, limit=200)
    if len(secret) < 16:
        raise field_error(f"{field}.secret", "at least 16 characters")
    return {
        "kind": "webhook",
        "url": url,
        "secret": secret,
        "timeout_s": _bounded(item, "timeout_s", field, WEBHOOK_TIMEOUT_S, 5),
        "retries": _bounded(item, "retries", field, WEBHOOK_RETRIES, 2),
    }


# ---------------------------------------------------------------------------------------------------------------
# loops
# ---------------------------------------------------------------------------------------------------------------
Signal = tuple[str, Any]  # ("alarm", severity) | ("event", name) | ("point", point id)


def action_signals(
    actions: Iterable[Mapping[str, Any]],
    scenes: Mapping[int, Sequence[Mapping[str, Any]]],
    device_points: Mapping[int, Sequence[int]] | None = None,
) -> set[Signal]:
    """What the actions cause that a trigger could listen to (a scene's actions included). `device_points`: the
    points of each device a command names (a command on a device may change any of its points)."""
    found: set[Signal] = set()
    for action in actions:
        kind = action["kind"]
        if kind == "raise_alarm":
            found.add(("alarm", action["severity"]))
        elif kind == "work_order":
            found.add(("event", "work_order_opened"))
        elif kind == "start_approval":
            found.add(("event", "approval_started"))
        elif kind == "device_command" and action.get("point_id") is not None:
            found.add(("point", action["point_id"]))
        elif kind in ("device_command", "set_attribute") and action.get("device_id") is not None:
            # a device acting on a command or a shared attribute may change any of its points
            found |= {("point", p) for p in (device_points or {}).get(int(action["device_id"]), ())}
        elif kind == "scene":
            found |= action_signals(scenes.get(action["scene_id"], ()), {}, device_points)
    return found


def commanded_devices(
    actions: Iterable[Mapping[str, Any]], scenes: Mapping[int, Sequence[Mapping[str, Any]]]
) -> set[int]:
    """The devices the actions name (directly or through a scene): whose points loop detection follows."""
    found: set[int] = set()
    for action in actions:
        if action["kind"] in ("device_command", "set_attribute") and action.get("device_id") is not None:
            found.add(int(action["device_id"]))
        elif action["kind"] == "scene":
            found |= commanded_devices(scenes.get(action["scene_id"], ()), {})
    return found


def listens(trigger: Mapping[str, Any], signal: Signal) -> bool:
    kind, what = signal
    if trigger["kind"] == "alarm_raised" and kind == "alarm":
        return SEVERITIES.index(what) >= SEVERITIES.index(trigger["min_severity"])
    if trigger["kind"] == "event" and kind == "event":
        return bool(trigger["event"] == what)
    if trigger["kind"] == "reading" and kind == "point":
        return bool(trigger["point_id"] == what)
    return False


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    trigger: dict[str, Any]
    conditions: dict[str, Any] | None
    actions: tuple[dict[str, Any], ...]


def find_loop(
    candidate: RuleSpec,
    others: Iterable[RuleSpec],
    scenes: Mapping[int, Sequence[Mapping[str, Any]]],
    device_points: Mapping[int, Sequence[int]] | None = None,
) -> list[str] | None:
    """The names of the rules on a cycle through `candidate` (its actions leading back to its own trigger), or
    None. `others`: the other enabled rules of the park; `device_points`: the points of the devices commands name."""
    rules = {r.id: r for r in others if r.id != candidate.id}
    rules[candidate.id] = candidate
    signals = {r.id: action_signals(r.actions, scenes, device_points) for r in rules.values()}

    def next_of(rule_id: int) -> list[int]:
        return [other.id for other in rules.values() if any(listens(other.trigger, s) for s in signals[rule_id])]

    stack: list[tuple[int, list[int]]] = [(candidate.id, [candidate.id])]
    seen: set[int] = set()
    while stack:
        current, path = stack.pop()
        for following in next_of(current):
            if following == candidate.id:
                return [rules[i].name for i in path]
            if following not in seen:
                seen.add(following)
                stack.append((following, [*path, following]))
    return None


# ---------------------------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Firing:
    """What a rule did (or would have done) at `ts` (ms): the inputs that fired it and its expanded actions."""

    rule_id: int
    ts: int
    inputs: dict[str, Any]
    actions: tuple[dict[str, Any], ...]

    def key(self) -> tuple[int, int, tuple[tuple[tuple[str, Any], ...], ...]]:
        return (self.rule_id, self.ts, tuple(tuple(sorted(a.items())) for a in self.actions))


def expand(
    actions: Iterable[Mapping[str, Any]], scenes: Mapping[int, Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """The actions with each scene replaced by its own actions (tagged with the scene)."""
    out: list[dict[str, Any]] = []
    for action in actions:
        if action["kind"] == "scene":
            for inner in scenes.get(action["scene_id"], ()):
                out.append({**inner, "scene_id": action["scene_id"]})
        else:
            out.append(dict(action))
    return out


class Evaluator:
    """The state of a park's rules: feed it readings, alarms, events and the clock in time order; each call
    returns the firings it causes. The live engine keeps one; a dry-run builds a fresh one over history."""

    def __init__(
        self,
        rules: Iterable[RuleSpec],
        scenes: Mapping[int, Sequence[Mapping[str, Any]]],
        *,
        zone: ZoneInfo,
        working_day: WorkingDay,
    ) -> None:
        self.rules = list(rules)
        self.scenes = {k: list(v) for k, v in scenes.items()}
        self.zone = zone
        self.working_day = working_day
        self.latest: dict[int, float] = {}
        self.by_point: dict[int, list[RuleSpec]] = {}
        self.states: dict[int, list[CondState]] = {}
        self.holding: dict[int, bool] = {}
        self.clock_ms: int | None = None
        self.context = ConditionContext(baselines={}, offset_ms=0)
        for rule in self.rules:
            if rule.trigger["kind"] == "reading":
                self.by_point.setdefault(rule.trigger["point_id"], []).append(rule)
                self.states[rule.id] = [CondState() for _ in rule.trigger["conditions"]]
                self.holding[rule.id] = False
        # the points whose readings matter: triggers and the points conditions look at
        self.watched = frozenset(self.by_point) | {
            item["point_id"] for rule in self.rules if rule.conditions for item in rule.conditions["items"]
        }

    def _conditions_hold(self, rule: RuleSpec) -> tuple[bool, dict[str, float | None]]:
        if not rule.conditions:
            return True, {}
        seen: dict[str, float | None] = {}
        results = []
        for item in rule.conditions["items"]:
            value = self.latest.get(item["point_id"])
            seen[str(item["point_id"])] = value
            if value is None:
                results.append(False)
            else:
                results.append(value > item["value"] if item["op"] == "above" else value < item["value"])
        return (all(results) if rule.conditions["match"] == "all" else any(results)), seen

    def _fire(self, rule: RuleSpec, ts: int, inputs: dict[str, Any]) -> Firing | None:
        ok, seen = self._conditions_hold(rule)
        if not ok:
            return None
        if seen:
            inputs = {**inputs, "conditions": seen}
        return Firing(rule.id, ts, inputs, tuple(expand(rule.actions, self.scenes)))

    def reading(self, point_id: int, ts: int, value: float) -> list[Firing]:
        self.latest[point_id] = value
        out: list[Firing] = []
        for rule in self.by_point.get(point_id, ()):
            states = self.states[rule.id]
            holds = all(
                evaluate_condition(c, st, point_id, ts, value, self.context)
                for c, st in zip(rule.trigger["conditions"], states, strict=True)
            )
            if holds and not self.holding[rule.id]:
                firing = self._fire(rule, ts, {"point_id": point_id, "value": value})
                if firing is not None:
                    out.append(firing)
            self.holding[rule.id] = holds
        return out

    def alarm(self, ts: int, *, severity: str, building_id: int | None, alarm_id: int) -> list[Firing]:
        out = []
        for rule in self.rules:
            t = rule.trigger
            if t["kind"] != "alarm_raised" or not listens(t, ("alarm", severity)):
                continue
            if t.get("building_id") is not None and t["building_id"] != building_id:
                continue
            firing = self._fire(rule, ts, {"alarm_id": alarm_id, "severity": severity})
            if firing is not None:
                out.append(firing)
        return out

    def event(self, ts: int, name: str, payload: Mapping[str, Any] | None = None) -> list[Firing]:
        out = []
        for rule in self.rules:
            if rule.trigger["kind"] == "event" and rule.trigger["event"] == name:
                firing = self._fire(rule, ts, {"event": name, **dict(payload or {})})
                if firing is not None:
                    out.append(firing)
        return out

    def _schedule_times(self, rule: RuleSpec, from_ms: int, to_ms: int) -> list[int]:
        hours, minutes = (int(p) for p in rule.trigger["at"].split(":"))
        days = rule.trigger["days"]
        first = dt.datetime.fromtimestamp(from_ms / 1000, dt.UTC).astimezone(self.zone).date()
        last = dt.datetime.fromtimestamp(to_ms / 1000, dt.UTC).astimezone(self.zone).date()
        out = []
        day = first
        while day <= last:
            moment = int(dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=self.zone).timestamp() * 1000)
            if from_ms < moment <= to_ms and _day_matches(days, day, self.working_day):
                out.append(moment)
            day += dt.timedelta(days=1)
        return out

    def clock(self, now_ms: int) -> list[Firing]:
        """Advance the clock to `now_ms`: the schedules due in (last clock, now]."""
        start = self.clock_ms if self.clock_ms is not None else now_ms
        self.clock_ms = max(now_ms, start)
        if now_ms <= start:
            return []
        out = []
        for rule in self.rules:
            if rule.trigger["kind"] != "schedule":
                continue
            for moment in self._schedule_times(rule, start, now_ms):
                firing = self._fire(rule, moment, {"at": rule.trigger["at"], "days": rule.trigger["days"]})
                if firing is not None:
                    out.append(firing)
        return sorted(out, key=lambda f: (f.ts, f.rule_id))


def _day_matches(days: str, day: dt.date, working_day: WorkingDay) -> bool:
    if days == "every":
        return True
    if days == "weekend":
        return day.weekday() >= 5
    working = working_day(day)
    return working if days == "working" else not working


@dataclasses.dataclass(frozen=True)
class HistoryItem:
    """One thing that happened, for a dry-run: a reading, an alarm or an event, at `ts` (ms)."""

    ts: int
    kind: str  # reading | alarm | event
    point_id: int | None = None
    value: float | None = None
    severity: str | None = None
    building_id: int | None = None
    alarm_id: int | None = None
    event: str | None = None
    payload: dict[str, Any] | None = dataclasses.field(default=None, compare=False, hash=False)
    park_id: int | None = None  # the park it happened in (None: known by its point)


def feed(evaluator: Evaluator, items: Iterable[HistoryItem]) -> list[Firing]:
    """Feed history in time order to an evaluator, advancing its clock before each item (schedules due before
    the item fire first); the clock must have been started (`evaluator.clock(start)`)."""
    out: list[Firing] = []
    for item in sorted(items, key=lambda i: i.ts):
        out.extend(evaluator.clock(item.ts - 1))
        if item.kind == "reading" and item.point_id is not None and item.value is not None:
            out.extend(evaluator.reading(item.point_id, item.ts, item.value))
        elif item.kind == "alarm":
            out.extend(
                evaluator.alarm(
                    item.ts, severity=item.severity or "info", building_id=item.building_id, alarm_id=item.alarm_id or 0
                )
            )
        elif item.kind == "event" and item.event:
            out.extend(evaluator.event(item.ts, item.event, item.payload))
    return out


def dry_run(evaluator: Evaluator, items: Iterable[HistoryItem], from_ms: int, to_ms: int) -> list[Firing]:
    """What the rules would have done over [from_ms, to_ms]: the evaluator fed every item, then the clock."""
    evaluator.clock(from_ms)
    out = feed(evaluator, [i for i in items if from_ms <= i.ts <= to_ms])
    out.extend(evaluator.clock(to_ms))
    return out
