"""The alarm domain's service: rules (as data), alarms and their lifecycle, contacts, counts and statistics.

Other domains use what `alarms.provides` exports of it.

Services never commit; events (`AlarmRaised`, `AlarmChanged`, `RulesChanged`) are published after the commit.
"""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.alarms import rules as rule_logic
from digipark.alarms.events import AlarmChanged, AlarmEvent, RulesChanged
from digipark.alarms.models import (
    ACTIVE_STATES,
    Alarm,
    AlarmRule,
    AlarmState,
    NotificationContact,
    NotificationDelivery,
)
from digipark.alarms.models import AlarmEvent as AlarmEventRow
from digipark.alarms.schemas import (
    AlarmCount,
    AlarmStats,
    ContactCreate,
    ContactRead,
    ContactUpdate,
    RuleCreate,
    RuleUpdate,
)
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.events import queue_event
from digipark.core.listing import ListQuery, ListSpec
from digipark.crud import Owner, RecordType, park_owner
from digipark.registry.models import Building, Enterprise, Point, Zone

# -- permissions (alarms/module.py grants them to the roles) --------------------------------------------------------
VIEW = "alarm.view"  # read alarms, rules and statistics
RULE_WRITE = "alarm_rule.write"  # staff: rules
EXTERNAL_KIND = "external"  # rules naming the alarms other modules raise (alarms/external.py)
HANDLE = "alarm.handle"  # acknowledge and close (an enterprise its own alarms)
CONTACT_WRITE = "alarm_contact.write"  # staff: notification contacts

RULE_SPEC = ListSpec(
    filters={
        "park_id": AlarmRule.park_id,
        "severity": AlarmRule.severity,
        "kind": AlarmRule.kind,
        "enabled": AlarmRule.enabled,
        "point_id": AlarmRule.point_id,
        "device_class": AlarmRule.device_class,
        "key": AlarmRule.key,
    },
    search=(AlarmRule.name, AlarmRule.key),
    sort={"id": AlarmRule.id, "name": AlarmRule.name, "severity": AlarmRule.severity, "kind": AlarmRule.kind},
    default_sort="id",
)
ALARM_SPEC = ListSpec(
    filters={
        "park_id": Alarm.park_id,
        "state": Alarm.state,
        "severity": Alarm.severity,
        "rule_id": Alarm.rule_id,
        "point_id": Alarm.point_id,
        "enterprise_id": Alarm.enterprise_id,
        "zone_id": Alarm.zone_id,
        "building_id": Alarm.building_id,
    },
    search=(Alarm.message,),
    sort={"id": Alarm.id, "raised_at": Alarm.raised_at, "severity": Alarm.severity, "state": Alarm.state},
    default_sort="-id",
)


def open_key(rule_id: int, point_id: int) -> str:
    return f"{rule_id}:{point_id}"


# ==================================================================================================================
# events and history
# ==================================================================================================================
def add_event(
    session: Session,
    alarm: Alarm,
    action: str,
    actor: str,
    *,
    comment: str | None = None,
    value: float | None = None,
    at: dt.datetime | None = None,
) -> None:
    session.add(
        AlarmEventRow(
            park_id=alarm.park_id,
            enterprise_id=alarm.enterprise_id,
            alarm_id=alarm.id,
            at=at or utcnow(),
            action=action,
            actor=actor,
            comment=comment,
            value=value,
        )
    )


def emit(session: Session, alarm: Alarm, action: str, event_type: type[AlarmEvent]) -> None:
    """Queue AlarmRaised/AlarmChanged (published after the commit, then pushed live)."""
    queue_event(
        session,
        event_type(
            park_id=alarm.park_id,
            alarm_id=alarm.id,
            rule_id=alarm.rule_id,
            enterprise_id=alarm.enterprise_id,
            severity=alarm.severity,
            state=alarm.state,
            point_id=alarm.point_id,
            zone_id=alarm.zone_id,
            building_id=alarm.building_id,
            action=action,
            message=alarm.message,
            message_en=alarm.message_en,
            value=alarm.last_value,
            trigger_ts=alarm.trigger_ts,
        ),
    )


# ==================================================================================================================
# rules
# ==================================================================================================================
def _conditions(raw: builtins.list[dict[str, Any]]) -> builtins.list[dict[str, Any]]:
    try:
        return rule_logic.normalise_conditions(raw)
    except rule_logic.ConditionError as exc:
        raise field_error(exc.field, exc.reason) from None


def _visible(session: Session, scope: Scope, model: Any, ident: int, field: str, park_id: int) -> Any:
    row = session.scalar(scope.readable(model).where(model.id == ident))
    if row is None or row.park_id != park_id:
        raise field_error(field, f"no {model.__tablename__} {ident} in park {park_id} visible to you")
    return row


def _target(session: Session, scope: Scope, data: RuleCreate, park_id: int) -> tuple[int, int | None]:
    """Check the target; returns (park id, owning enterprise)."""
    if (data.point_id is None) == (data.device_class is None):
        raise field_error("point_id", "give either point_id or device_class (with an optional area)")
    if data.point_id is not None:
        if any(v is not None for v in (data.quantity, data.zone_id, data.building_id, data.target_enterprise_id)):
            raise field_error("point_id", "a rule on one point takes no device class, quantity or area")
        point = session.scalar(scope.readable(Point).where(Point.id == data.point_id))
        if point is None or (data.park_id is not None and point.park_id != data.park_id):
            raise field_error("point_id", f"no point {data.point_id} visible to you")
        return point.park_id, point.enterprise_id
    areas = [v for v in (data.zone_id, data.building_id, data.target_enterprise_id) if v is not None]
    if len(areas) > 1:
        raise field_error("zone_id", "narrow to one of zone_id, building_id or target_enterprise_id")
    if data.zone_id is not None:
        _visible(session, scope, Zone, data.zone_id, "zone_id", park_id)
    if data.building_id is not None:
        _visible(session, scope, Building, data.building_id, "building_id", park_id)
    if data.target_enterprise_id is not None:
        _visible(session, scope, Enterprise, data.target_enterprise_id, "target_enterprise_id", park_id)
    return park_id, data.target_enterprise_id


def list_rules(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[AlarmRule], int]:
    return RULE_SPEC.apply(session, scope.readable(AlarmRule), query)


def get_rule(session: Session, *, scope: Scope, ident: int) -> AlarmRule:
    return scope.get_or_404(session, AlarmRule, ident)


def _key_free(session: Session, park_id: int, key: str | None, ident: int | None = None) -> None:
    if key is None:
        return
    found = session.scalar(select(AlarmRule.id).where(AlarmRule.park_id == park_id, AlarmRule.key == key))
    if found is not None and found != ident:
        raise Conflict(
            f"park {park_id} already has a rule with key {key!r} (rule {found})",
            errors=[{"field": "key", "reason": "already exists", "rule_id": found}],
        )


def create_rule(session: Session, *, scope: Scope, data: RuleCreate) -> AlarmRule:
    scope.require(RULE_WRITE)
    park_id = scope.acting_write_park(data.park_id)
    park_id, enterprise_id = _target(session, scope, data, park_id)
    scope.authorize_write(RULE_WRITE, park_id=park_id)
    conditions = _conditions(data.conditions)
    _key_free(session, park_id, data.key)
    rule = AlarmRule(
        park_id=park_id,
        enterprise_id=enterprise_id,
        key=data.key,
        name=data.name,
        name_en=data.name_en or None,
        description=data.description,
        kind=rule_logic.kind_of(conditions),
        conditions=conditions,
        severity=data.severity,
        enabled=data.enabled,
        point_id=data.point_id,
        device_class=data.device_class,
        quantity=data.quantity,
        zone_id=data.zone_id,
        building_id=data.building_id,
        target_enterprise_id=data.target_enterprise_id,
        escalate_after_s=data.escalate_after_s or int(rule_logic.default("escalate_after_s")),
        flap_window_s=data.flap_window_s or int(rule_logic.default("flap_window_s")),
        flap_max=data.flap_max or int(rule_logic.default("flap_max")),
    )
    session.add(rule)
    session.flush()
    queue_event(session, RulesChanged(park_id=park_id, rule_ids=(rule.id,)))
    return rule


def update_rule(session: Session, *, scope: Scope, ident: int, data: RuleUpdate) -> AlarmRule:
    rule = get_rule(session, scope=scope, ident=ident)
    scope.authorize_write(RULE_WRITE, park_id=rule.park_id)
    if rule.kind == EXTERNAL_KIND:
        raise Conflict(f"rule {rule.id} names alarms raised by another module; it has no conditions to edit")
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "severity", "enabled", "escalate_after_s", "flap_window_s", "flap_max"):
        if field in changes and changes[field] is None:
            raise field_error(field, "must not be null")
    if "conditions" in changes:
        if changes["conditions"] is None:
            raise field_error("conditions", "must not be null")
        conditions = _conditions(changes.pop("conditions"))
        rule.conditions = conditions
        rule.kind = rule_logic.kind_of(conditions)
    if "name_en" in changes:
        changes["name_en"] = changes["name_en"] or None  # an emptied English name: the name is shown
    for field, value in changes.items():
        setattr(rule, field, value)
    session.flush()
    queue_event(session, RulesChanged(park_id=rule.park_id, rule_ids=(rule.id,)))
    return rule


def delete_rule(session: Session, *, scope: Scope, ident: int) -> None:
    rule = get_rule(session, scope=scope, ident=ident)
    scope.authorize_write(RULE_WRITE, park_id=rule.park_id)
    alarms = session.scalar(select(func.count(Alarm.id)).where(Alarm.rule_id == rule.id)) or 0
    if alarms:
        raise Conflict(f"rule {rule.id} has {alarms} alarms in its history; disable it instead of deleting it")
    session.delete(rule)
    session.flush()
    queue_event(session, RulesChanged(park_id=rule.park_id, rule_ids=(ident,)))


def ensure_threshold_rule(
    session: Session,
    *,
    scope: Scope,
    park_id: int,
    point_id: int,
    key: str,
    name: str,
    above: float | None,
    below: float | None,
    severity: str,
    name_en: str | None = None,
) -> int:
    """Create or update the threshold rule identified by `key` in the park (alarm when the point's value goes
    above `above` or below `below`), named `name` (and `name_en` on English pages); returns its id."""
    if above is None and below is None:
        raise field_error("above", "give above, below or both")
    if severity not in rule_logic.severities():
        raise field_error("severity", f"one of {', '.join(rule_logic.severities())}")
    op = "outside" if above is not None and below is not None else "above" if above is not None else "below"
    conditions = [{"type": "threshold", "op": op, "high": above, "low": below}]
    existing = session.scalar(select(AlarmRule).where(AlarmRule.park_id == park_id, AlarmRule.key == key))
    if existing is None:
        created = create_rule(
            session,
            scope=scope,
            data=RuleCreate(
                park_id=park_id,
                key=key,
                name=name,
                name_en=name_en,
                severity=severity,
                conditions=conditions,
                point_id=point_id,
            ),
        )
        return created.id
    if existing.point_id != point_id:
        raise Conflict(f"rule {key!r} watches point {existing.point_id}, not {point_id}")
    rule = update_rule(
        session,
        scope=scope,
        ident=existing.id,
        data=RuleUpdate(name=name, name_en=name_en, severity=severity, conditions=conditions, enabled=True),
    )
    return rule.id


def retire_threshold_rule(session: Session, *, scope: Scope, park_id: int, key: str) -> None:
    """Disable the threshold rule identified by `key` (its alarms stay in the history); nothing if there is none."""
    existing = session.scalar(select(AlarmRule).where(AlarmRule.park_id == park_id, AlarmRule.key == key))
    if existing is not None and existing.enabled:
        update_rule(session, scope=scope, ident=existing.id, data=RuleUpdate(enabled=False))


# ==================================================================================================================
# alarms
# ==================================================================================================================
def list(
    session: Session, *, scope: Scope, query: ListQuery, active: bool | None = None
) -> tuple[builtins.list[Alarm], int]:
    stmt = scope.readable(Alarm)
    if active is True:
        stmt = stmt.where(Alarm.state.in_(sorted(ACTIVE_STATES)))
    elif active is False:
        stmt = stmt.where(Alarm.state.not_in(sorted(ACTIVE_STATES)))
    return ALARM_SPEC.apply(session, stmt, query)


def get(session: Session, *, scope: Scope, ident: int) -> Alarm:
    return scope.get_or_404(session, Alarm, ident)


def events_of(session: Session, *, scope: Scope, alarm: Alarm) -> builtins.list[AlarmEventRow]:
    stmt = scope.readable(AlarmEventRow).where(AlarmEventRow.alarm_id == alarm.id)
    return [*session.scalars(stmt.order_by(AlarmEventRow.id))]


def deliveries_of(session: Session, *, scope: Scope, alarm: Alarm) -> builtins.list[NotificationDelivery]:
    stmt = scope.readable(NotificationDelivery).where(NotificationDelivery.alarm_id == alarm.id)
    return [*session.scalars(stmt.order_by(NotificationDelivery.id))]


def duration_s(alarm: Alarm, now: dt.datetime | None = None) -> float:
    end = alarm.cleared_at or alarm.closed_at or (now or utcnow())
    return max(0.0, (end - alarm.raised_at).total_seconds())


def _comment(comment: str | None) -> str | None:
    if comment is not None and len(comment) > 2000:
        raise field_error("comment", "at most 2000 characters")
    return comment or None


def acknowledge(session: Session, *, scope: Scope, ident: int, comment: str | None = None) -> Alarm:
    """Someone is on it: raised → acknowledged (a cleared alarm nobody acknowledged keeps its state)."""
    comment = _comment(comment)
    alarm = get(session, scope=scope, ident=ident)
    scope.authorize_write_row(HANDLE, alarm)
    cleared_unacknowledged = alarm.state == AlarmState.CLEARED.value and alarm.acknowledged_at is None
    if alarm.state != AlarmState.RAISED.value and not cleared_unacknowledged:
        raise Conflict(f"alarm {alarm.id} is {alarm.state}; only a raised or an unacknowledged cleared one can be")
    now = utcnow()
    if alarm.state == AlarmState.RAISED.value:
        alarm.state = AlarmState.ACKNOWLEDGED.value
    alarm.acknowledged_at = now
    alarm.acknowledged_by = scope.username
    alarm.next_escalation_at = None
    if comment:
        alarm.comment = comment
    session.flush()
    add_event(session, alarm, "acknowledged", scope.username, comment=comment, at=now)
    emit(session, alarm, "acknowledged", AlarmChanged)
    return alarm


def closable(session: Session, alarm: Alarm) -> bool:
    """A cleared alarm; or an open one raised by another module (it never clears by itself)."""
    if alarm.state == AlarmState.CLEARED.value:
        return True
    rule = session.get(AlarmRule, alarm.rule_id)
    return alarm.state in ACTIVE_STATES and rule is not None and rule.kind == EXTERNAL_KIND


def close(session: Session, *, scope: Scope, ident: int, comment: str | None = None) -> Alarm:
    """Done: cleared → closed (an alarm whose condition still holds cannot be closed; an external one can)."""
    comment = _comment(comment)
    alarm = get(session, scope=scope, ident=ident)
    scope.authorize_write_row(HANDLE, alarm)
    if not closable(session, alarm):
        raise Conflict(f"alarm {alarm.id} is {alarm.state}; only a cleared alarm can be closed")
    now = utcnow()
    alarm.state = AlarmState.CLOSED.value
    alarm.open_key = None
    alarm.closed_at = now
    alarm.closed_by = scope.username
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at = now
        alarm.acknowledged_by = scope.username
    if comment:
        alarm.comment = comment
    session.flush()
    add_event(session, alarm, "closed", scope.username, comment=comment, at=now)
    emit(session, alarm, "closed", AlarmChanged)
    return alarm


def active_counts(session: Session, *, scope: Scope, park_id: int) -> builtins.list[AlarmCount]:
    """Raised or acknowledged alarms of the park the caller may read, by zone, building, enterprise, severity."""
    park_id = scope.acting_park(park_id)
    rows = session.execute(
        select(Alarm.zone_id, Alarm.building_id, Alarm.enterprise_id, Alarm.severity, func.count(Alarm.id))
        .where(scope.condition(Alarm), Alarm.park_id == park_id, Alarm.state.in_(sorted(ACTIVE_STATES)))
        .group_by(Alarm.zone_id, Alarm.building_id, Alarm.enterprise_id, Alarm.severity)
        .order_by(Alarm.zone_id, Alarm.building_id, Alarm.enterprise_id, Alarm.severity)
    )
    return [AlarmCount(zone_id=z, building_id=b, enterprise_id=e, severity=s, count=int(n)) for z, b, e, s, n in rows]


def stats(session: Session, *, scope: Scope, park_id: int | None = None, now: dt.datetime | None = None) -> AlarmStats:
    """Active alarms by severity and area, unacknowledged, open, raised in 24 h, mean duration over 30 days, in the
    park the scope acts in (`park_id`, else its own)."""
    scope.require(VIEW)
    park_id = scope.acting_park(park_id)
    now = now or utcnow()
    counts = active_counts(session, scope=scope, park_id=park_id)
    base = select(func.count(Alarm.id)).where(scope.condition(Alarm), Alarm.park_id == park_id)
    active: dict[str, int] = {s: 0 for s in rule_logic.severities()}
    for c in counts:
        active[c.severity] = active.get(c.severity, 0) + c.count
    durations = session.execute(
        select(Alarm.raised_at, Alarm.cleared_at).where(
            scope.condition(Alarm),
            Alarm.park_id == park_id,
            Alarm.cleared_at.is_not(None),
            Alarm.cleared_at >= now - dt.timedelta(days=30),
        )
    ).all()
    seconds = [(c - r).total_seconds() for r, c in durations if c is not None and r is not None]
    return AlarmStats(
        park_id=park_id,
        active=active,
        unacknowledged=int(session.scalar(base.where(Alarm.state == AlarmState.RAISED.value)) or 0),
        open=int(session.scalar(base.where(Alarm.state != AlarmState.CLOSED.value)) or 0),
        raised_last_24h=int(session.scalar(base.where(Alarm.raised_at >= now - dt.timedelta(hours=24))) or 0),
        mean_duration_s_last_30d=round(sum(seconds) / len(seconds), 1) if seconds else None,
        by_area=counts,
    )


# ==================================================================================================================
# contacts
# ==================================================================================================================
def _check_address(channel: str, address: str) -> None:
    if channel == "email":
        local, _, domain = address.partition("@")
        if not local or "." not in domain or any(ch.isspace() for ch in address):
            raise field_error("address", "not an e-mail address")
    elif channel == "sms":
        if not (address.lstrip("+").isdigit() and 5 <= len(address) <= 20):
            raise field_error("address", "a mobile number of digits")
    elif not (address.startswith("https://") or address.startswith("http://")):
        raise field_error("address", "a webhook address is an http(s) URL")


def _contact_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """A contact belongs to its park; its `enterprise_id` (only that enterprise's alarms) is kept as given."""
    park_id, _ = park_owner(session, scope, data)
    return park_id, getattr(data, "enterprise_id", None)


def _checked_contact(
    session: Session, scope: Scope, values: dict[str, Any], row: NotificationContact | None
) -> dict[str, Any]:
    if "address" in values:
        _check_address(values["channel"] if row is None else row.channel, values["address"])
    return values


def _enterprise_in_park(session: Session, scope: Scope, row: NotificationContact) -> None:
    if row.enterprise_id is not None:
        _visible(session, scope, Enterprise, row.enterprise_id, "enterprise_id", row.park_id)


CONTACTS: RecordType[NotificationContact] = RecordType(
    name="alarm_contact",
    model=NotificationContact,
    create_schema=ContactCreate,
    update_schema=ContactUpdate,
    read_schema=ContactRead,
    list_spec=ListSpec(
        filters={"park_id": NotificationContact.park_id, "channel": NotificationContact.channel},
        search=(NotificationContact.name, NotificationContact.address),
        sort={"id": NotificationContact.id, "name": NotificationContact.name, "level": NotificationContact.level},
        default_sort="level,id",
    ),
    write_permission=CONTACT_WRITE,
    owner=_contact_owner,
    validate=_checked_contact,
    before_create=_enterprise_in_park,
)
"""Who hears of alarms: the park's duty staff keep them."""

create_contact = CONTACTS.create  # the name the demo builder and tests use


def may_read_alarm(scope: Scope, park_id: int | None, enterprise_id: int | None) -> bool:
    """Whether `scope` may read an alarm of (park, enterprise) — the live stream's filter, same as Alarm's rows."""
    if park_id is None or park_id not in scope.read_parks:
        return False
    if scope.is_staff:
        return True
    return scope.enterprise_id is not None and enterprise_id == scope.enterprise_id
