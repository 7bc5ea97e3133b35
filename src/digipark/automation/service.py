"""Automation rules and scenes: the derived create/read/update/delete (`SCENES`, `RULES`), enabling a rule (loops
refused), the dry-run over history, firing (actions carried out, each firing logged with its inputs) and the log.

The evaluation is automation/logic.py's `Evaluator`; the live engine (automation/engine.py) and `dry_run_rule`
both feed it, so a dry-run shows what firing would have done."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.provides import raise_external, raised_between
from digipark.approvals.provides import start_process, working_calendar
from digipark.auth.scope import Scope, system_scope
from digipark.automation import commands, delivery, logic, webhook
from digipark.automation.models import AutomationFiring, AutomationRule, AutomationScene
from digipark.automation.schemas import RuleCreate, RuleRead, RuleUpdate, SceneCreate, SceneRead, SceneUpdate
from digipark.core import network
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, DomainError, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType
from digipark.devices.provides import check_shared_attribute, set_shared_attribute, shared_attributes
from digipark.duty.provides import team_names
from digipark.registry.models import Building, Point
from digipark.telemetry.provides import point_series
from digipark.workorders.provides import OriginKind, WorkOrderCreate, open_order

VIEW = "automation.view"
WRITE = "automation.write"
DRY_RUN_DAYS = 7
MAX_DRY_RUN_DAYS = 31


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(get_settings().timezone)


def working_day(day: dt.date) -> bool:
    return bool(working_calendar().is_working_day(day))


def _check_refs(
    session: Session, park_id: int, actions: Iterable[dict[str, Any]], trigger: dict[str, Any] | None
) -> None:
    """Points, buildings and scenes named by a rule or a scene must be the park's."""
    for index, action in enumerate(actions):
        if action.get("building_id") is not None:
            building = session.get(Building, action["building_id"])
            if building is None or building.park_id != park_id:
                raise field_error(f"actions[{index}].building_id", "no such building in this park")
        if action.get("point_id") is not None:
            point = session.get(Point, action["point_id"])
            if point is None or point.park_id != park_id:
                raise field_error(f"actions[{index}].point_id", "no such point in this park")
        if action.get("scene_id") is not None:
            scene = session.get(AutomationScene, action["scene_id"])
            if scene is None or scene.park_id != park_id:
                raise field_error(f"actions[{index}].scene_id", "no such scene in this park")
        if action.get("team_id") is not None and action["team_id"] not in team_names(session, park_id=park_id):
            raise field_error(f"actions[{index}].team_id", "no such duty team in this park")
        address = action.get("url") if action["kind"] == "webhook" else None
        if action["kind"] == "notify" and action.get("channel") in logic.ROBOTS:
            address = action.get("address")
        if address is not None:
            refused = network.literal_refusal(address, delivery.allowed_networks(session, park_id))
            if refused is not None:
                raise field_error(f"actions[{index}].{'url' if action['kind'] == 'webhook' else 'address'}", refused)
    if trigger and trigger.get("point_id") is not None:
        point = session.get(Point, trigger["point_id"])
        if point is None or point.park_id != park_id:
            raise field_error("trigger.point_id", "no such point in this park")
    if trigger and trigger.get("building_id") is not None:
        building = session.get(Building, trigger["building_id"])
        if building is None or building.park_id != park_id:
            raise field_error("trigger.building_id", "no such building in this park")


def _validate_scene(
    session: Session, scope: Scope, values: dict[str, Any], row: AutomationScene | None
) -> dict[str, Any]:
    if "actions" in values and values["actions"] is not None:
        if row is not None:
            logic.keep_secrets(values["actions"], row.actions)
        values["actions"] = logic.normalise_actions(values["actions"], allow_scene=False)
        park_id = row.park_id if row is not None else scope.acting_write_park(None)
        _check_refs(session, park_id, values["actions"], None)
        _check_devices(session, scope, park_id, values["actions"], None)
    return values


def _check_devices(
    session: Session, scope: Scope, park_id: int, actions: builtins.list[dict[str, Any]], trigger: dict[str, Any] | None
) -> None:
    """Commands naming a device are the device's; a rule's safety command needs an alarm to name: the rule fires
    on an alarm, or an earlier action raises one (a scene's are checked where a rule runs it)."""
    alarm = trigger is not None and trigger.get("kind") == "alarm_raised"
    for index, action in enumerate(actions):
        if action["kind"] == "raise_alarm":
            alarm = True
        if action["kind"] == "set_attribute":
            try:
                check_shared_attribute(
                    session, scope=scope, device_id=action["device_id"], key=action["key"], value=action["value"]
                )
            except DomainError as error:
                reason = next((str(e.get("reason")) for e in getattr(error, "errors", None) or []), str(error))
                raise field_error(f"actions[{index}].device_id", reason) from None
        if action["kind"] == "device_command" and action.get("device_id") is not None:
            safety = commands.check_action(
                session, scope=scope, park_id=park_id, action=action, field=f"actions[{index}]"
            )
            if safety and trigger is not None and not alarm:
                raise field_error(f"actions[{index}].name", commands.SAFETY_WITHOUT_ALARM)


def _validate_rule(
    session: Session, scope: Scope, values: dict[str, Any], row: AutomationRule | None
) -> dict[str, Any]:
    park_id = row.park_id if row is not None else scope.acting_write_park(None)
    if "trigger" in values and values["trigger"] is not None:
        values["trigger"] = logic.normalise_trigger(values["trigger"])
    if "conditions" in values:
        values["conditions"] = logic.normalise_conditions(values["conditions"])
        for item in (values["conditions"] or {}).get("items", []):
            point = session.get(Point, item["point_id"])
            if point is None or point.park_id != park_id:
                raise field_error("conditions.items.point_id", "no such point in this park")
    if "actions" in values and values["actions"] is not None:
        if row is not None:
            logic.keep_secrets(values["actions"], row.actions)
        values["actions"] = logic.normalise_actions(values["actions"])
    _check_refs(session, park_id, values.get("actions") or [], values.get("trigger"))
    if values.get("actions") is not None:
        trigger = values.get("trigger") or (dict(row.trigger) if row is not None else {})
        _check_devices(session, scope, park_id, values["actions"], trigger)
    if values.get("scene_id") is not None:
        scene = session.get(AutomationScene, values["scene_id"])
        if scene is None or scene.park_id != park_id:
            raise field_error("scene_id", "no such scene in this park")
    return values


def _refuse_loops_after_write(session: Session, scope: Scope, row: AutomationRule, *_: Any) -> None:
    if row.enabled:
        refuse_loop(session, row)


def _scene_changed(session: Session, scope: Scope, row: AutomationScene, *_: Any) -> None:
    """A scene's new actions may close a loop through an enabled rule that runs it."""
    for rule in session.scalars(
        select(AutomationRule).where(AutomationRule.park_id == row.park_id, AutomationRule.enabled)
    ):
        refuse_loop(session, rule)


SCENES: RecordType[AutomationScene] = RecordType(
    name="automation_scene",
    model=AutomationScene,
    create_schema=SceneCreate,
    update_schema=SceneUpdate,
    read_schema=SceneRead,
    list_spec=ListSpec(
        filters={"park_id": AutomationScene.park_id},
        search=[AutomationScene.name],
        sort={"id": AutomationScene.id, "name": AutomationScene.name},
        default_sort="name,id",
    ),
    write_permission=WRITE,
    validate=_validate_scene,
    after_update=_scene_changed,
    unique=("name",),
)

RULES: RecordType[AutomationRule] = RecordType(
    name="automation_rule",
    model=AutomationRule,
    create_schema=RuleCreate,
    update_schema=RuleUpdate,
    read_schema=RuleRead,
    list_spec=ListSpec(
        filters={
            "park_id": AutomationRule.park_id,
            "enabled": AutomationRule.enabled,
            "scene_id": AutomationRule.scene_id,
        },
        search=[AutomationRule.name],
        sort={"id": AutomationRule.id, "name": AutomationRule.name},
        default_sort="name,id",
    ),
    write_permission=WRITE,
    validate=_validate_rule,
    after_update=_refuse_loops_after_write,
)


# ---------------------------------------------------------------------------------------------------------------
def spec_of(rule: AutomationRule) -> logic.RuleSpec:
    return logic.RuleSpec(rule.id, rule.name, dict(rule.trigger), rule.conditions, tuple(rule.actions))


def scenes_of(session: Session, park_id: int) -> dict[int, list[dict[str, Any]]]:
    return {
        s.id: list(s.actions)
        for s in session.scalars(select(AutomationScene).where(AutomationScene.park_id == park_id))
    }


def refuse_loop(session: Session, rule: AutomationRule) -> None:
    """409 when the rule's actions lead back to its own trigger (directly or through other enabled rules)."""
    others = [
        spec_of(r)
        for r in session.scalars(
            select(AutomationRule).where(
                AutomationRule.park_id == rule.park_id, AutomationRule.enabled, AutomationRule.id != rule.id
            )
        )
    ]
    scenes = scenes_of(session, rule.park_id)
    devices = set()
    for spec in [spec_of(rule), *others]:
        devices |= logic.commanded_devices(spec.actions, scenes)
    cycle = logic.find_loop(spec_of(rule), others, scenes, device_points(session, rule.park_id, devices))
    if cycle is not None:
        raise Conflict(
            f"the rule would trigger itself: {' → '.join([*cycle, cycle[0]])}",
            errors=[{"field": "actions", "reason": "loop: an action triggers this rule again"}],
        )


def device_points(session: Session, park_id: int, devices: Iterable[int]) -> dict[int, builtins.list[int]]:
    """The points of each device (of the park): a command on a device may change any of them."""
    wanted = sorted(set(devices))
    found: dict[int, builtins.list[int]] = {d: [] for d in wanted}
    if wanted:
        for point_id, device_id in session.execute(
            select(Point.id, Point.device_id).where(Point.park_id == park_id, Point.device_id.in_(wanted))
        ):
            found[device_id].append(point_id)
    return found


def set_enabled(session: Session, *, scope: Scope, ident: int, enabled: bool) -> AutomationRule:
    """Enable (loops refused) or disable a rule."""
    row = RULES.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    if enabled:
        refuse_loop(session, row)
    row.enabled = enabled
    session.flush()
    return row


def evaluator_for(session: Session, park_id: int, rules: Sequence[AutomationRule]) -> logic.Evaluator:
    return logic.Evaluator(
        [spec_of(r) for r in rules], scenes_of(session, park_id), zone=zone(), working_day=working_day
    )


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def history(
    session: Session, *, scope: Scope, rule: AutomationRule, from_ms: int, to_ms: int
) -> list[logic.HistoryItem]:
    """What happened in the park that the rule listens to: its points' readings and the alarms raised."""
    items: list[logic.HistoryItem] = []
    points = set()
    if rule.trigger["kind"] == "reading":
        points.add(int(rule.trigger["point_id"]))
    for item in (rule.conditions or {}).get("items", []):
        points.add(int(item["point_id"]))
    for point_id in sorted(points):
        series = point_series(
            session, scope=scope, point_id=point_id, from_ms=from_ms, to_ms=to_ms, resolution="15m", agg="avg"
        )
        items.extend(
            logic.HistoryItem(ts, "reading", point_id=point_id, value=v) for ts, v in series.points if v is not None
        )
    if rule.trigger["kind"] == "alarm_raised":
        since = dt.datetime.fromtimestamp(from_ms / 1000, dt.UTC)
        until = dt.datetime.fromtimestamp(to_ms / 1000, dt.UTC)
        for at, severity, building_id, alarm_id in raised_between(
            session, park_id=rule.park_id, since=since, until=until
        ):
            at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            items.append(
                logic.HistoryItem(_ms(at), "alarm", severity=severity, building_id=building_id, alarm_id=alarm_id)
            )
    return items


def dry_run_rule(
    session: Session, *, scope: Scope, ident: int, until: dt.datetime | None = None, days: int = DRY_RUN_DAYS
) -> tuple[AutomationRule, int, int, list[logic.Firing]]:
    """What the rule would have done over the `days` before `until` (default: the last week). Writes nothing."""
    scope.require(VIEW)
    if not 1 <= days <= MAX_DRY_RUN_DAYS:
        raise field_error("days", f"1 to {MAX_DRY_RUN_DAYS}")
    rule = RULES.get(session, scope=scope, ident=ident)
    end = until or dt.datetime.now(dt.UTC)
    to_ms = _ms(end)
    from_ms = to_ms - days * logic.DAY_MS
    items = history(session, scope=scope, rule=rule, from_ms=from_ms, to_ms=to_ms)
    planned = logic.dry_run(evaluator_for(session, rule.park_id, [rule]), items, from_ms, to_ms)
    return rule, from_ms, to_ms, preview(session, rule.park_id, planned)


# ---------------------------------------------------------------------------------------------------------------
# firing
# ---------------------------------------------------------------------------------------------------------------
def carry_out(
    session: Session,
    park_id: int,
    rule_id: int,
    action: dict[str, Any],
    ts: int,
    *,
    alarm_id: int | None = None,
    index: int = 0,
    inputs: dict[str, Any] | None = None,
    works: builtins.list[delivery.Work] | None = None,
    allowed: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Do one action; returns the action with its outcome (`status`, and what it made). `alarm_id`: the alarm that
    prompted the firing (or one an earlier action raised), named by a safety command. A webhook or a notification
    is `pending`: queued on `works`, sent after the commit (automation/delivery.py)."""
    kind = action["kind"]
    done = dict(action)
    if kind == "work_order":
        order = open_order(
            session,
            scope=system_scope(park_id),
            data=WorkOrderCreate(
                title=action["title"],
                building_id=action.get("building_id"),
                origin_kind=OriginKind.PLAN,
                origin_ref=f"automation:{rule_id}",
                park_id=park_id,
            ),
        )
        done.update(status="done", work_order_id=order.id)
    elif kind == "raise_alarm":
        alarm = raise_external(
            session,
            park_id=park_id,
            source_kind="automation",
            source_ref=f"rule:{rule_id}",
            severity=action["severity"],
            title_key=action["title"],
            building_id=action.get("building_id"),
            at=dt.datetime.fromtimestamp(ts / 1000, dt.UTC),
        )
        done.update(status="done", alarm_id=alarm.id)
    elif kind == "device_command":
        sent = commands.send(
            session,
            scope=system_scope(park_id),
            park_id=park_id,
            action=action,
            alarm_id=alarm_id,
            reason=f"automation rule #{rule_id}",
            key=f"automation:{rule_id}:{ts}:{index}",
        )
        done.update(status=commands.status(sent), commands=sent)
    elif kind == "webhook":
        body = webhook.body_of(rule_id=rule_id, park_id=park_id, ts=ts, inputs=dict(inputs or {}))
        work = delivery.Work(park_id, rule_id, index, dict(action), allowed, body=body)
        if works is not None:
            works.append(work)
        done.update(status="pending")
    elif kind == "start_approval":
        done.update(_start_approval(session, park_id, rule_id, action, dict(inputs or {})))
    elif kind == "set_attribute":
        done.update(_set_attribute(session, park_id, rule_id, action))
    else:  # notify: its recipients now, the messages after the commit
        found = delivery.recipients(session, park_id, action, ts)
        if works is not None:
            works.append(delivery.Work(park_id, rule_id, index, dict(action), allowed, recipients=found))
        done.update(status="pending", recipients=found)
    if kind == "webhook" or done.get("secret"):
        done["secret"] = logic.MASK
    return done


def _set_attribute(session: Session, park_id: int, rule_id: int, action: dict[str, Any]) -> dict[str, Any]:
    try:
        with session.begin_nested():
            version = set_shared_attribute(
                session,
                scope=system_scope(park_id),
                device_id=action["device_id"],
                key=action["key"],
                value=action["value"],
            )
    except DomainError as error:
        errors = getattr(error, "errors", None) or []
        reason = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors) or str(error)
        return {"status": "failed", "error": reason[:500]}
    return {"status": "done", "version": version}


_FIELD = re.compile(r"\{(\w+)\}")


def fill(form: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The form of a `start_approval` action with `{name}` in its texts replaced by the trigger's input `name`
    (a text that is exactly `{name}` takes the input's value as it is)."""
    out: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, str):
            whole = _FIELD.fullmatch(value)
            if whole and whole.group(1) in inputs:
                out[key] = inputs[whole.group(1)]
                continue
            value = _FIELD.sub(lambda m: str(inputs.get(m.group(1), m.group(0))), value)
        out[key] = value
    return out


def _start_approval(
    session: Session, park_id: int, rule_id: int, action: dict[str, Any], inputs: dict[str, Any]
) -> dict[str, Any]:
    enterprise_id = action.get("enterprise_id") or inputs.get("enterprise_id")
    if not isinstance(enterprise_id, int):
        return {"status": "failed", "error": "no enterprise: name one, or fire on an event of an enterprise"}
    try:
        with session.begin_nested():
            instance_id = start_process(
                session,
                park_id=park_id,
                key=action["process"],
                enterprise_id=enterprise_id,
                form=fill(action["form"], inputs),
                applicant=f"automation rule #{rule_id}",
            )
    except DomainError as error:
        errors = getattr(error, "errors", None) or []
        reason = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors) or str(error)
        return {"status": "failed", "error": reason[:500]}
    return {"status": "done", "approval_id": instance_id, "enterprise_id": enterprise_id}


def fire(session: Session, park_id: int, firings: Iterable[logic.Firing]) -> builtins.list[AutomationFiring]:
    """Carry out the firings' actions and log each with its inputs (in the caller's transaction); webhooks and
    notifications are logged `pending` and queued on the session for after the commit (`delivery.take`)."""
    rows = []
    allowed = delivery.allowed_networks(session, park_id)
    queued: builtins.list[tuple[AutomationFiring, builtins.list[delivery.Work]]] = []
    for firing in firings:
        alarm_id = firing.inputs.get("alarm_id")
        results = []
        works: builtins.list[delivery.Work] = []
        for index, action in enumerate(firing.actions):
            done = carry_out(
                session,
                park_id,
                firing.rule_id,
                action,
                firing.ts,
                alarm_id=alarm_id,
                index=index,
                inputs=firing.inputs,
                works=works,
                allowed=allowed,
            )
            if alarm_id is None and done.get("alarm_id"):
                alarm_id = done["alarm_id"]
            results.append(done)
        row = AutomationFiring(
            park_id=park_id, rule_id=firing.rule_id, ts=firing.ts, inputs=firing.inputs, actions=results
        )
        session.add(row)
        rows.append(row)
        queued.append((row, works))
    session.flush()
    pending = session.info.setdefault(delivery.PENDING, [])
    for row, works in queued:
        row.unsent_actions = len(works)
        row.send_lease_until = utcnow() + delivery.LEASE if works else None
        for work in works:
            work.firing_id = row.id
            pending.append(work)
    return rows


def preview(session: Session, park_id: int, firings: Iterable[logic.Firing]) -> builtins.list[logic.Firing]:
    """The firings of a dry-run with what each device command would send (`commands`, as `fire` logs them, without
    the command ids); writes nothing."""
    scope = system_scope(park_id)
    allowed = delivery.allowed_networks(session, park_id)
    out = []
    for firing in firings:
        alarm_id = firing.inputs.get("alarm_id")
        actions = []
        for action in firing.actions:
            if action["kind"] == "device_command":
                planned = commands.plan(session, scope=scope, park_id=park_id, action=action, alarm_id=alarm_id)
                action = {**action, "status": commands.status(planned), "commands": planned}
            elif action["kind"] == "raise_alarm" and alarm_id is None:
                alarm_id = 0  # firing raises an alarm here, which the later safety commands name
            elif action["kind"] == "webhook":  # not called: what it would POST, or its refusal
                refused = network.literal_refusal(action["url"], allowed)
                status = {"status": "refused", "error": refused} if refused else {"status": "planned"}
                action = {**action, "secret": logic.MASK, **status}
            elif action["kind"] == "notify":  # whom it would reach: the people on duty at that moment
                found = delivery.recipients(session, park_id, action, firing.ts)
                action = {**logic.masked([action])[0], "status": "planned", "recipients": found}
            elif action["kind"] == "set_attribute":  # the value it would replace
                try:
                    current = shared_attributes(session, scope=scope, device_id=action["device_id"])
                except DomainError as error:
                    action = {**action, "status": "failed", "error": str(error)[:300]}
                else:
                    action = {**action, "status": "planned", "previous": current.get(action["key"])}
            elif action["kind"] == "start_approval":
                action = {**action, "form": fill(action["form"], dict(firing.inputs)), "status": "planned"}
            actions.append(action)
        out.append(dataclasses.replace(firing, actions=tuple(actions)))
    return out


def firings(
    session: Session, *, scope: Scope, rule_id: int | None = None, limit: int = 50
) -> builtins.list[AutomationFiring]:
    """The newest firings the caller may read (of one rule, or of every rule)."""
    scope.require(VIEW)
    stmt = scope.readable(AutomationFiring)
    if rule_id is not None:
        RULES.get(session, scope=scope, ident=rule_id)
        stmt = stmt.where(AutomationFiring.rule_id == rule_id)
    return list(session.scalars(stmt.order_by(AutomationFiring.ts.desc(), AutomationFiring.id.desc()).limit(limit)))


def rule_read(row: AutomationRule) -> RuleRead:
    return RuleRead.model_validate(row)
