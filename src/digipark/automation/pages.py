"""Automation and energy-operations pages: the rules with their firing log; a scene built on a form (e.g. "after
hours": lights and HVAC of chosen buildings off at a time of working days), saved with its schedule as a disabled
rule; a rule's page with its dry-run over the last week and the enable/disable buttons; the month's bills and the
plans' progress (an enterprise sees its own); the Sankey of energy flows; the forecast with its backtest."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import select

from digipark.automation import delivery, logic, ops, service
from digipark.automation.schemas import RuleCreate, SceneCreate
from digipark.core.errors import DomainError, NotFound, field_error
from digipark.core.listing import ListQuery
from digipark.duty.provides import team_names
from digipark.energy.provides import tariff_name
from digipark.registry.models import Building
from digipark.web.forms import CHOOSE_AN_OPTION, validation_errors
from digipark.web.i18n import N_
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

TRIGGERS = {
    "reading": N_("A reading"),
    "schedule": N_("A time of day"),
    "alarm_raised": N_("An alarm raised"),
    "event": N_("An event"),
}
ACTIONS = {
    "work_order": N_("Open a work order"),
    "raise_alarm": N_("Raise an alarm"),
    "notify": N_("Notify"),
    "device_command": N_("Device command"),
    "webhook": N_("Call a webhook"),
    "start_approval": N_("Start an approval"),
    "set_attribute": N_("Set a shared attribute"),
    "scene": N_("Scene"),
}
NO_ADDRESS = N_("no mobile number or e-mail address")
CHANNELS = {
    "roster": N_("People on duty"),
    "email": N_("E-mail"),
    "sms": N_("SMS"),
    "dingtalk": N_("DingTalk robot"),
    "wecom": N_("WeCom robot"),
    "feishu": N_("Feishu robot"),
}
EVENTS = {
    "work_order_opened": N_("Work order opened"),
    "work_order_done": N_("Work order done"),
    "work_order_cancelled": N_("Work order cancelled"),
    "booking_made": N_("Booking requested"),
    "booking_approved": N_("Booking approved"),
    "booking_declined": N_("Booking declined"),
    "booking_cancelled": N_("Booking cancelled"),
    "approval_started": N_("Application submitted"),
    "approval_approved": N_("Application approved"),
    "approval_rejected": N_("Application rejected"),
    "alarm_acknowledged": N_("Alarm acknowledged"),
    "alarm_cleared": N_("Alarm cleared"),
    "visitor_arrived": N_("Visitor arrived"),
}
DAYS = {
    "every": N_("Every day"),
    "working": N_("Working days"),
    "non_working": N_("Days off"),
    "weekend": N_("Weekends"),
}
SYSTEMS = {"lighting": N_("Lighting"), "hvac": N_("Air conditioning"), "other": N_("Other")}
COMMANDS = {"on": N_("On"), "off": N_("Off"), "set": N_("Set")}
STATUSES = {
    "done": N_("Done"),
    "recorded": N_("Recorded (no delivery path yet)"),
    "no_device": N_("No device to command"),
    "failed": N_("Failed"),
    "planned": N_("Would be carried out"),
    "pending": N_("Being sent"),
    "partial": N_("Partly sent"),
    "refused": N_("Refused: inside the platform's network"),
    "sent": N_("Sent"),
}
# the states a device command starts in (devices module), and a command it refused
COMMAND_STATES = {
    "queued": N_("queued"),
    "awaiting_confirmation": N_("awaiting confirmation"),
    "error": N_("refused"),
}
BANDS = {"sharp": N_("Sharp peak"), "peak": N_("Peak"), "flat": N_("Flat"), "valley": N_("Valley")}
WARNINGS = {
    "approaching": N_("80 % of the quota used"),
    "near": N_("90 % of the quota used"),
    "reached": N_("Quota reached"),
    "ahead": N_("Running ahead of plan"),
    "projected": N_("On course to exceed the quota"),
}
METHODS = {"area": N_("By floor area"), "consumption": N_("By consumption")}
BILLS_PER_PAGE = 20  # enterprise bills per page of /energy-ops (each a table of its meters)


def _require(page: Page, permission: str) -> None:
    page.scope.require(permission)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")


def _local(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts / 1000, service.zone())


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()[:200]


def _written(text: object) -> Markup:
    """Text a person wrote into a rule (a message, a title, whom to tell) or a person's name, shown as written:
    marked translate="no" (no catalogue translates it)."""
    return Markup('<span translate="no">{}</span>').format(text)


def _building_name(page: Page, building_id: object, label: str) -> str | Markup:
    """A scene's building in the page's language (the action keeps the name it had when the scene was made)."""
    names: dict[int, str] | None = getattr(page.request.state, "automation_buildings", None)
    if names is None:
        names = {b.id: page.name(b) for b in _buildings(page)} if page.park is not None else {}
        page.request.state.automation_buildings = names
    found = names.get(building_id) if isinstance(building_id, int) else None
    return found if found is not None else _written(label)


def _team(page: Page, action: dict[str, Any]) -> str | Markup:
    """Whom a notification goes to: its duty team's name in the page's language, else the words written."""
    team_id = action.get("team_id")
    if isinstance(team_id, int) and page.park is not None:
        names: dict[int, str] | None = getattr(page.request.state, "automation_teams", None)
        if names is None:
            names = team_names(page.db, park_id=page.park.id, lang=page.lang)
            page.request.state.automation_teams = names
        if team_id in names:
            return names[team_id]
    return _written(action["to"])


def _describe(page: Page, action: dict[str, Any]) -> Markup:
    kind = action["kind"]
    text = page.label(ACTIONS, kind)
    if kind == "device_command":
        what: str | Markup = _written(action.get("label") or "")
        if action.get("device_id") is not None:
            described = Markup("{}: {} · #{} → {}").format(text, what, action["device_id"], action["name"])
        else:
            if action.get("building_id") is not None:
                what = _building_name(page, action["building_id"], action.get("label") or "")
            if action.get("system") and action.get("building_id"):
                what = Markup("{} · {}").format(what, page.label(SYSTEMS, action["system"]))
            described = Markup("{}: {} → {}").format(text, what, page.label(COMMANDS, action["command"]))
        sent = action.get("commands")
        if sent is not None:  # what firing sent (or a dry-run would send), per device
            states = ", ".join(f"#{c['device_id']} {page.label(COMMAND_STATES, c['state'])}" for c in sent)
            described = Markup("{} [{}]").format(described, states or page.label(STATUSES, "no_device"))
        return described
    if kind in ("work_order", "raise_alarm"):
        return Markup("{}: {}").format(text, _written(action["title"]))
    if kind == "notify":
        where = page.label(CHANNELS, action.get("channel", "roster"))
        described = Markup("{} ({}): {} — {}").format(text, where, _team(page, action), _written(action["text"]))
        found = action.get("recipients")
        if found is not None:  # whom firing reached (or a dry-run would reach), each with its result
            people = [
                Markup("{} · {}{}").format(
                    _written(r.get("name") or r.get("address") or "—"),
                    page.label(CHANNELS, r["channel"]) if r.get("channel") else page.gettext(NO_ADDRESS),
                    f" {page.label(STATUSES, r['status'])}" if r.get("status") else "",
                )
                for r in found
            ]
            described = Markup("{} [{}]").format(
                described, Markup("; ").join(people) if people else page.gettext("nobody on duty")
            )
        return described + _resent(page, action)
    if kind == "webhook":
        answer = f" [HTTP {action['http_status']}]" if action.get("http_status") else ""
        return Markup("{}: {}{}{}").format(text, action["url"], answer, _resent(page, action))
    if kind == "set_attribute":
        value = json_text(action["value"])
        was = f" ({page.gettext('now')}: {json_text(action['previous'])})" if "previous" in action else ""
        return Markup("{}: #{} {} = {}{}").format(text, action["device_id"], action["key"], value, was)
    if kind == "start_approval":
        made = f" → #{action['approval_id']}" if action.get("approval_id") else ""
        return Markup("{}: {}{}").format(text, action["process"], made)
    return Markup("{} #{}").format(text, action.get("scene_id"))


def _resent(page: Page, action: dict[str, Any]) -> str:
    if action.get("error") == delivery.RULE_CHANGED:
        return f" ({page.gettext('not sent before a restart; the rule has changed since')})"
    return f" ({page.gettext('sent again after a restart')})" if action.get("resent") else ""


SEVERITIES = {"info": N_("Info"), "minor": N_("Minor"), "major": N_("Major"), "critical": N_("Critical")}


def _trigger_text(page: Page, trigger: dict[str, Any]) -> str:
    kind = trigger["kind"]
    text = page.label(TRIGGERS, kind)
    if kind == "schedule":
        return f"{text}: {trigger['at']} · {page.label(DAYS, trigger['days'])}"
    if kind == "reading":
        return f"{text}: #{trigger['point_id']}"
    if kind == "alarm_raised":
        return f"{text} ≥ {page.label(SEVERITIES, trigger['min_severity'])}"
    return f"{text}: {page.label(EVENTS, trigger['event'])}"


@router.get("/automation", response_class=HTMLResponse, name="automation")
def index(page: CurrentPage) -> HTMLResponse:
    _require(page, service.VIEW)
    rules, _ = service.RULES.list(page.db, scope=page.scope, query=ListQuery(page_size=200))
    scenes, _ = service.SCENES.list(page.db, scope=page.scope, query=ListQuery(page_size=200))
    names = {r.id: r.name for r in rules}
    log = [
        {
            "at": _local(f.ts),
            "rule": names.get(f.rule_id, f.rule_id),
            "rule_id": f.rule_id,
            "actions": [_describe(page, a) for a in f.actions],
            "statuses": [page.label(STATUSES, a.get("status")) for a in f.actions],
        }
        for f in service.firings(page.db, scope=page.scope, limit=30)
    ]
    return page.render(
        "automation/index.html",
        {
            "rules": [{"rule": r, "trigger": _trigger_text(page, r.trigger)} for r in rules],
            "scenes": [{"scene": s, "actions": [_describe(page, a) for a in s.actions]} for s in scenes],
            "log": log,
            "may_write": page.scope.can(service.WRITE),
        },
    )


def _buildings(page: Page) -> list[Building]:
    assert page.park is not None
    stmt = page.scope.readable(Building).where(Building.park_id == page.park.id).order_by(Building.code).limit(60)
    return list(page.db.scalars(stmt))


# The scene form's fields: their label on the page and what to do when the rule's checks refuse one (the checks'
# own reasons are the API's, in English)
SCENE_FIELDS = {
    "name": (N_("Name"), N_("Enter a name.")),
    "trigger.at": (N_("At"), N_("Enter a time of day as HH:MM.")),
    "trigger.days": (N_("Days"), CHOOSE_AN_OPTION),
    "actions": (N_("Switch off"), N_("Choose a building's system to switch off, or write a message to send.")),
}
AN_ACTION = (N_("Actions"), N_("An action could not be saved: check the systems chosen and the notification."))


def _scene_field(field: str) -> tuple[str, str]:
    if field in SCENE_FIELDS:
        return SCENE_FIELDS[field]
    if field.startswith("trigger"):
        return SCENE_FIELDS["trigger.at"]
    return AN_ACTION


def _scene_errors(page: Page, exc: DomainError | ValidationError) -> dict[str, str]:
    """Each refused field of the scene form as '<its label>: <what to do>', in the page's language (a schema's own
    message where the form's message catalogue has one)."""
    if isinstance(exc, ValidationError):
        texts = validation_errors(exc, page.gettext)
    else:
        texts = {str(e.get("field") or ""): "" for e in exc.errors} or {"": ""}
    errors: dict[str, str] = {}
    for field, text in texts.items():
        label, advice = _scene_field(field)
        errors["trigger.at" if field == "trigger" else field] = f"{page.gettext(label)}: {text or page.gettext(advice)}"
    return errors


def _scene_form(
    page: Page, values: dict[str, Any], errors: dict[str, str] | None = None, status_code: int = 200
) -> HTMLResponse:
    return page.render(
        "automation/scene_form.html",
        {
            "values": values,
            "errors": errors or {},
            "buildings": _buildings(page),
            "days": DAYS,
            "systems": SYSTEMS,
            "teams": team_names(page.db, park_id=page.park.id, lang=page.lang) if page.park is not None else {},
        },
        status_code=status_code,
    )


@router.get("/automation/scenes/new", response_class=HTMLResponse, name="automation_scene_new")
def scene_new(page: CurrentPage) -> HTMLResponse:
    _require(page, service.WRITE)
    return _scene_form(page, {"name": "", "at": "19:00", "days": "working", "notify": ""})


@router.post("/automation/scenes/new", response_class=HTMLResponse)
def scene_create(page: CurrentPage, form: FormFields) -> Response:
    """The scene (its actions) and a disabled rule that runs it at the chosen time."""
    _require(page, service.WRITE)
    page.check_csrf(form)
    buildings = {b.id: b for b in _buildings(page)}
    actions: list[dict[str, Any]] = []
    for key in sorted(form):
        if not key.startswith("off-"):
            continue
        _, building, system = key.split("-", 2)
        if building.isdigit() and int(building) in buildings and system in SYSTEMS:
            label = buildings[int(building)].name
            actions.append(
                {
                    "kind": "device_command",
                    "building_id": int(building),
                    "system": system,
                    "command": "off",
                    "label": label,
                }
            )
    if form.get("notify", "").strip():  # to the people on duty then (of one team, if chosen)
        note: dict[str, Any] = {
            "kind": "notify",
            "to": form.get("notify_to", "").strip() or "值班室",
            "text": form["notify"].strip(),
        }
        team = str(form.get("notify_team", "") or "")
        if team:
            note["team_id"] = int(team) if team.isdigit() and len(team) < 10 else team
        actions.append(note)
    name = form.get("name", "").strip()
    try:
        with page.db.begin_nested():
            if not actions:
                raise field_error("actions", "choose at least one action")
            scene = service.SCENES.create(
                page.db, scope=page.scope, data=SceneCreate(name=name or "—", actions=actions)
            )
            rule = service.RULES.create(
                page.db,
                scope=page.scope,
                data=RuleCreate(
                    name=name or "—",
                    trigger={"kind": "schedule", "at": form.get("at", ""), "days": form.get("days", "every")},
                    actions=[{"kind": "scene", "scene_id": scene.id}],
                    scene_id=scene.id,
                ),
            )
    except DomainError as exc:
        return _scene_form(page, dict(form), _scene_errors(page, exc), status_code=exc.status)
    except ValidationError as exc:
        return _scene_form(page, dict(form), _scene_errors(page, exc), status_code=422)
    return RedirectResponse(f"/automation/rules/{rule.id}?saved=1", status_code=303)


@router.get("/automation/rules/{ident}", response_class=HTMLResponse, name="automation_rule")
def rule_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    _require(page, service.VIEW)
    rule = service.RULES.get(page.db, scope=page.scope, ident=ident)
    params = page.request.query_params
    dry: dict[str, Any] | None = None
    if params.get("dry_run") == "1":
        _rule, from_ms, to_ms, found = service.dry_run_rule(page.db, scope=page.scope, ident=ident)
        dry = {
            "from": _local(from_ms),
            "to": _local(to_ms),
            "firings": [{"at": _local(f.ts), "actions": [_describe(page, a) for a in f.actions]} for f in found],
        }
    scene_actions = service.scenes_of(page.db, rule.park_id)
    return page.render(
        "automation/rule.html",
        {
            "rule": rule,
            "trigger": _trigger_text(page, rule.trigger),
            "actions": [_describe(page, a) for a in rule.actions],
            "expanded": [_describe(page, a) for a in logic.expand(rule.actions, scene_actions)],
            "dry": dry,
            "log": [
                {"at": _local(f.ts), "actions": [_describe(page, a) for a in f.actions], "inputs": f.inputs}
                for f in service.firings(page.db, scope=page.scope, rule_id=ident, limit=20)
            ],
            "may_write": page.scope.can(service.WRITE),
            "saved": params.get("saved") == "1",
            "error": params.get("error") or "",
        },
    )


@router.post("/automation/rules/{ident}/enable")
def rule_enable(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _require(page, service.WRITE)
    page.check_csrf(form)
    enabled = form.get("enabled") == "1"
    try:
        with page.db.begin_nested():
            service.set_enabled(page.db, scope=page.scope, ident=ident, enabled=enabled)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        return RedirectResponse(f"/automation/rules/{ident}?error=loop", status_code=303)
    return RedirectResponse(f"/automation/rules/{ident}?saved=1", status_code=303)


# ---------------------------------------------------------------------------------------------------------------
def _month(text: str | None) -> dt.date:
    if text:
        try:
            return dt.date.fromisoformat(f"{text}-01" if len(text) == 7 else text).replace(day=1)
        except ValueError:
            pass
    today = dt.datetime.now(service.zone()).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last month: the one being billed


@router.get("/energy-ops", response_class=HTMLResponse, name="energy_ops")
def energy_ops(page: CurrentPage, bills_page: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    _require(page, ops.VIEW)
    month = _month(page.request.query_params.get("month"))
    bills = ops.month_bills(page.db, scope=page.scope, month=month)
    pages = max(1, -(-len(bills) // BILLS_PER_PAGE))
    bills_page = min(bills_page, pages)
    shown = bills[(bills_page - 1) * BILLS_PER_PAGE : bills_page * BILLS_PER_PAGE]
    today = dt.datetime.now(service.zone()).date()
    progress = ops.plan_progress(page.db, scope=page.scope, year=today.year, months=today.month)
    buildings = (
        {b.id: b for b in page.db.scalars(select(Building).where(Building.park_id == page.park.id))}
        if page.park
        else {}
    )
    return page.render(
        "automation/energy_ops.html",
        {
            "month": month,
            "bills": shown,
            "bills_page": bills_page,
            "bill_pages": pages,
            "bills_first": (bills_page - 1) * BILLS_PER_PAGE + 1,
            "bill_total": len(bills),
            "tariff": tariff_name(bills[0].tariff, page.lang) if bills else "",
            "bands": BANDS,
            "methods": METHODS,
            "progress": [
                {
                    "p": p,
                    "warnings": [page.label(WARNINGS, w) for w in p.warnings],
                    "building": page.name(buildings.get(p.plan.building_id or 0)),
                }
                for p in progress
            ],
            "enterprise_names": {b.enterprise_id: page.name(b, "enterprise_name") for b in bills},
            "staff": page.scope.can(ops.READ),
            "year": today.year,
        },
    )


SANKEY_LABELS = {
    "source:purchased": N_("Purchased"),
    "source:generated": N_("Own generation"),
    "losses": N_("Unmetered use and losses"),
    "difference": N_("Metering difference"),
}


@router.get("/energy-ops/sankey", response_class=HTMLResponse, name="energy_ops_sankey")
def sankey_page(page: CurrentPage) -> HTMLResponse:
    _require(page, ops.READ)
    today = dt.datetime.now(service.zone()).date()
    given = page.request.query_params.get("year") or ""
    year = min(max(int(given), 2000), 2100) if given.isdigit() and len(given) == 4 else today.year
    labels = {key: page.gettext(text) for key, text in SANKEY_LABELS.items()}
    for carrier, text in (
        ("electricity", N_("Electricity")),
        ("natural_gas", N_("Natural gas")),
        ("water", N_("Water")),
        ("steam", N_("Steam")),
    ):
        labels[f"carrier:{carrier}"] = page.gettext(text)
    diagram = ops.park_sankey(page.db, scope=page.scope, year=year, labels=labels)
    data = {
        "nodes": [{"name": n} for n in diagram.nodes],
        "links": [
            {"source": link.source, "target": link.target, "value": round(link.value, 3)} for link in diagram.links
        ],
    }
    return page.render(
        "automation/sankey.html",
        {
            "year": year,
            "diagram": diagram,
            "data": json_script(data),
            "links": sorted(diagram.links, key=lambda link: -link.value)[:40],
        },
    )


@router.get("/energy-ops/forecast", response_class=HTMLResponse, name="energy_ops_forecast")
def forecast_page(page: CurrentPage) -> HTMLResponse:
    _require(page, ops.READ)
    today = dt.datetime.now(service.zone()).date()
    series = ops.park_daily(page.db, scope=page.scope, until=today)
    result = ops.energy_forecast(series)
    days = [today + dt.timedelta(days=i) for i in range(7)]
    return page.render("automation/forecast.html", {"result": result, "days": days, "history": series[-14:]})
