"""Alarm pages: the live alarm list, an alarm's detail with its data chart around the trigger time and its
history, acknowledging and closing, and the rule editor (rules as data). Reads and writes go through
alarms.service under the caller's scope."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy import select

from digipark.alarms import live, service
from digipark.alarms import rules as rule_logic
from digipark.alarms.models import ACTIVE_STATES, AlarmRule, AlarmState
from digipark.alarms.schemas import RuleCreate, RuleUpdate
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import DomainError, PermissionDenied, ValidationFailed
from digipark.registry.models import Point
from digipark.telemetry.provides import now_ms, point_series
from digipark.web.i18n import N_
from digipark.web.labels import DEVICE_CLASSES as CLASS_LABELS
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
CHART_BEFORE_MS = 3_600_000
CHART_AFTER_MS = 3_600_000

STATE_LABELS = {
    AlarmState.RAISED.value: N_("Raised"),
    AlarmState.ACKNOWLEDGED.value: N_("Acknowledged"),
    AlarmState.CLEARED.value: N_("Cleared"),
    AlarmState.CLOSED.value: N_("Closed"),
}
SEVERITY_LABELS = {"info": N_("Info"), "minor": N_("Minor"), "major": N_("Major"), "critical": N_("Critical")}
ACTION_LABELS = {
    "raised": N_("Raised"),
    "raised_again": N_("Raised again"),
    "acknowledged": N_("Acknowledged"),
    "cleared": N_("Cleared"),
    "closed": N_("Closed"),
    "escalated": N_("Escalated"),
    "flapping": N_("Flapping"),
}
KIND_LABELS = {
    "threshold": N_("Threshold"),
    "duration": N_("Threshold held for a duration"),
    "rate": N_("Rate of change"),
    "no_data": N_("No data"),
    "baseline": N_("Deviation from baseline"),
    "and": N_("All of several conditions"),
}


def _require_view(scope: Scope) -> None:
    """Alarm pages need a park to act in and the permission to read alarms."""
    scope.require(service.VIEW)
    if not scope.read_parks:
        raise PermissionDenied("you belong to no park")


def _local(ms: int | None) -> str:
    if ms is None:
        return "—"
    zone = ZoneInfo(get_settings().timezone)
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _offset_ms() -> int:
    from digipark.alarms.engine import local_offset_ms

    return local_offset_ms()


def _labels(page: CurrentPage) -> str:
    """Labels the live list's script needs, translated."""
    return json.dumps(
        {
            "severity": {k: page.gettext(v) for k, v in SEVERITY_LABELS.items()},
            "state": {k: page.gettext(v) for k, v in STATE_LABELS.items()},
            "offset_ms": _offset_ms(),
        },
        ensure_ascii=False,
    )


# -- the list --------------------------------------------------------------------------------------------------
@router.get("/alarms", response_class=HTMLResponse, name="alarms_list")
def alarms_page(page: CurrentPage) -> HTMLResponse:
    _require_view(page.scope)
    params = page.request.query_params
    show = params.get("show", "active")
    raw = {k: v for k, v in params.items() if k in ("page", "severity", "sort", "q") and v}
    if page.park is not None:
        raw["park_id"] = str(page.park.id)
    list_query = service.ALARM_SPEC.parse_query(raw)
    active = True if show == "active" else False if show == "history" else None
    rows, total = service.list(page.db, scope=page.scope, query=list_query, active=active)
    stats = service.stats(page.db, scope=page.scope, park_id=page.park.id) if page.park is not None else None
    return page.render(
        "alarms/list.html",
        {
            "rows": [
                {
                    "id": a.id,
                    "severity": a.severity,
                    "severity_label": SEVERITY_LABELS.get(a.severity, a.severity),
                    "state": a.state,
                    "state_label": STATE_LABELS.get(a.state, a.state),
                    # another domain's alarm keeps a msgid; a rule's keeps its text in English too
                    "message": live.shown_message(a.message, page.gettext, a.message_en if page.lang == "en" else None),
                    "raised": _local(a.trigger_ts),
                    "occurrences": a.occurrences,
                    "flapping": a.flapping,
                }
                for a in rows
            ],
            "total": total,
            "show": show,
            "query": list_query,
            "stats": stats,
            "severities": list(SEVERITY_LABELS.items()),
            "last_page": max(1, math.ceil(total / list_query.page_size)),
            "alarm_labels": _labels(page),
        },
    )


@router.get("/alarms/live", name="alarms_live")
def alarms_live(page: CurrentPage) -> StreamingResponse:
    return live.open_stream(page.db, page.scope, page.gettext, english=page.lang == "en")


# -- rules -----------------------------------------------------------------------------------------------------
def _rule_form_values(rule: AlarmRule | None) -> dict[str, Any]:
    if rule is None:
        return {
            "name": "",
            "severity": "major",
            "enabled": True,
            "target": "point",
            "conditions": json.dumps([{"type": "threshold", "op": "above", "high": 25, "hysteresis": 2}]),
        }
    return {
        "id": rule.id,
        "name": rule.name,
        "name_en": rule.name_en or "",
        "description": rule.description or "",
        "severity": rule.severity,
        "enabled": rule.enabled,
        "target": "point" if rule.point_id is not None else "class",
        "point_id": rule.point_id or "",
        "device_class": rule.device_class or "",
        "quantity": rule.quantity or "",
        "zone_id": rule.zone_id or "",
        "building_id": rule.building_id or "",
        "target_enterprise_id": rule.target_enterprise_id or "",
        "conditions": json.dumps(rule.conditions, ensure_ascii=False),
        "escalate_after_s": rule.escalate_after_s,
    }


def _rules_context(page: CurrentPage, form: dict[str, Any], errors: list[dict[str, Any]] | None) -> dict[str, Any]:
    raw = {"park_id": str(page.park.id)} if page.park is not None else {}
    raw["page_size"] = "200"
    rows, total = service.list_rules(page.db, scope=page.scope, query=service.RULE_SPEC.parse_query(raw))
    classes = sorted(
        {
            str(c)
            for c in page.db.scalars(
                select(Point.device_class).where(page.scope.condition(Point)).distinct().limit(200)
            )
        }
    )
    point_names = dict(
        page.db.execute(select(Point.id, Point.name).where(Point.id.in_({r.point_id for r in rows if r.point_id})))
        .tuples()
        .all()
    )
    return {
        "rules": [
            {
                "id": r.id,
                "name": r.name,
                "name_en": r.name_en,
                "kind": KIND_LABELS.get(r.kind, r.kind),
                "severity": r.severity,
                "severity_label": SEVERITY_LABELS.get(r.severity, r.severity),
                "text": rule_logic.describe(r.conditions, "", page.gettext),
                "target": _target_text(page, r, point_names),
                "enabled": r.enabled,
            }
            for r in rows
        ],
        "total": total,
        "form": form,
        "errors": errors or [],
        "severities": list(SEVERITY_LABELS.items()),
        "kinds": list(KIND_LABELS.items()),
        "classes": [(c, page.label(CLASS_LABELS, c)) for c in classes],
        "can_write": page.scope.can(service.RULE_WRITE) and bool(page.scope.write_parks),
    }


@router.get("/alarms/rules", response_class=HTMLResponse, name="alarms_rules")
def rules_page(page: CurrentPage) -> HTMLResponse:
    _require_view(page.scope)
    edit = page.request.query_params.get("edit")
    rule = None
    if edit and edit.isdigit():
        rule = service.get_rule(page.db, scope=page.scope, ident=int(edit))
    return page.render("alarms/rules.html", _rules_context(page, _rule_form_values(rule), None))


def _target_text(page: CurrentPage, rule: AlarmRule, point_names: dict[int, str]) -> str:
    """What a rule watches: a point by its name, else a class of points and where."""
    if rule.point_id:
        return point_names.get(rule.point_id, f"#{rule.point_id}")
    parts = [page.label(CLASS_LABELS, rule.device_class) if rule.device_class else page.gettext("All points")]
    for label, ident in (
        (N_("zone %(id)s"), rule.zone_id),
        (N_("building %(id)s"), rule.building_id),
        (N_("enterprise %(id)s"), rule.target_enterprise_id),
    ):
        if ident:
            parts.append(page.gettext(label, id=ident))
    return " · ".join(parts)


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


@router.post("/alarms/rules", name="alarms_rules_save")
def save_rule(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require(service.RULE_WRITE)  # before the input is looked at
    ident = _int(form.get("id"))
    try:
        conditions = json.loads(form.get("conditions") or "[]")
    except json.JSONDecodeError:
        conditions = None
    errors: list[dict[str, Any]] = []
    try:
        if not isinstance(conditions, list):
            raise ValidationFailed(
                "conditions", errors=[{"field": "conditions", "reason": "a JSON list of conditions"}]
            )
        escalate = _int(form.get("escalate_after_s"))
        if ident is not None:
            service.update_rule(
                page.db,
                scope=page.scope,
                ident=ident,
                data=RuleUpdate(
                    name=form.get("name") or None,
                    name_en=(form.get("name_en") or "").strip(),
                    description=form.get("description") or None,
                    severity=form.get("severity"),
                    conditions=conditions,
                    enabled=form.get("enabled") == "on",
                    escalate_after_s=escalate,
                ),
            )
        else:
            class_target = form.get("target") == "class"
            service.create_rule(
                page.db,
                scope=page.scope,
                data=RuleCreate(
                    park_id=page.park.id if page.park is not None else None,
                    name=form.get("name") or "",
                    name_en=(form.get("name_en") or "").strip() or None,
                    description=form.get("description") or None,
                    severity=form.get("severity"),
                    conditions=conditions,
                    enabled=form.get("enabled") == "on",
                    point_id=None if class_target else _int(form.get("point_id")),
                    device_class=(form.get("device_class") or None) if class_target else None,
                    quantity=(form.get("quantity") or None) if class_target else None,
                    zone_id=_int(form.get("zone_id")) if class_target else None,
                    building_id=_int(form.get("building_id")) if class_target else None,
                    target_enterprise_id=_int(form.get("target_enterprise_id")) if class_target else None,
                    escalate_after_s=escalate,
                ),
            )
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        errors = exc.errors or [{"field": "", "reason": exc.detail}]
    if errors:
        page.db.rollback()
        values: dict[str, Any] = dict(form)
        values["enabled"] = form.get("enabled") == "on"
        return page.render("alarms/rules.html", _rules_context(page, values, errors), status_code=422)
    return RedirectResponse("/alarms/rules", status_code=303)


# -- one alarm -------------------------------------------------------------------------------------------------
@router.get("/alarms/{ident}", response_class=HTMLResponse, name="alarms_detail")
def alarm_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    alarm = service.get(page.db, scope=page.scope, ident=ident)
    rule = page.db.get(AlarmRule, alarm.rule_id)
    chart = None
    if alarm.point_id is not None:
        start = alarm.trigger_ts - CHART_BEFORE_MS
        end = min(max(alarm.trigger_ts + CHART_AFTER_MS, start + 60_000), now_ms() + 60_000)
        try:
            series = point_series(
                page.db, scope=page.scope, point_id=alarm.point_id, from_ms=start, to_ms=max(end, start + 1)
            )
        except DomainError:
            series = None
        if series is not None:
            chart = json_script(
                {
                    "name": series.name,
                    "unit": series.unit,
                    "points": [[t, v] for t, v in series.points if v is not None],
                    "trigger_ts": alarm.trigger_ts,
                    "offset_ms": _offset_ms(),
                    "limits": [
                        v
                        for c in (rule.conditions if rule is not None else [])
                        for v in (c.get("high"), c.get("low"))
                        if isinstance(v, int | float)
                    ],
                }
            )
    handle = page.scope.can(service.HANDLE) and bool(page.scope.write_parks)
    return page.render(
        "alarms/detail.html",
        {
            "a": alarm,
            "rule": rule,
            "severity_label": SEVERITY_LABELS.get(alarm.severity, alarm.severity),
            "state_label": STATE_LABELS.get(alarm.state, alarm.state),
            "raised": _local(alarm.trigger_ts),
            "duration_min": round(service.duration_s(alarm) / 60, 1),
            "events": [
                {
                    "at": e.at,
                    "action": ACTION_LABELS.get(e.action, e.action),
                    "actor": e.actor,
                    "comment": e.comment,
                    "value": e.value,
                }
                for e in service.events_of(page.db, scope=page.scope, alarm=alarm)
            ],
            "deliveries": service.deliveries_of(page.db, scope=page.scope, alarm=alarm),
            "chart": chart,
            "can_ack": handle
            and (alarm.state == AlarmState.RAISED.value or (alarm.state == "cleared" and not alarm.acknowledged_at)),
            "can_close": handle and service.closable(page.db, alarm),
            "active": alarm.state in ACTIVE_STATES,
        },
    )


@router.post("/alarms/{ident}/acknowledge", name="alarms_acknowledge")
def acknowledge_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require(service.HANDLE)
    service.acknowledge(page.db, scope=page.scope, ident=ident, comment=(form.get("comment") or None))
    return RedirectResponse(f"/alarms/{ident}", status_code=303)


@router.post("/alarms/{ident}/close", name="alarms_close")
def close_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require(service.HANDLE)
    service.close(page.db, scope=page.scope, ident=ident, comment=(form.get("comment") or None))
    return RedirectResponse(f"/alarms/{ident}", status_code=303)
