"""Safety pages of emergency plans and emergency resources."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from digipark.safety import service
from digipark.safety.page_parts import (
    INCIDENT_KINDS,
    PLAN_TYPES,
    RESOURCE_KINDS,
    SEVERITIES,
    Ident,
    detail_page,
    list_page,
    list_query,
    lookup,
    require_park,
    where_text,
    who_cell,
)
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage

router = APIRouter(include_in_schema=False)


@router.get("/safety/plans", response_class=HTMLResponse, name="safety_plans")
def plans_page(page: CurrentPage) -> HTMLResponse:
    require_park(page)
    query = list_query(page, service.PLAN_SPEC)
    rows, total = service.list_plans(page.db, scope=page.scope, query=query)
    ents, _, _ = lookup(page, rows)
    table = [
        [
            {"text": r.code, "href": f"/safety/plans/{r.id}", "primary": True},
            {"text": r.title},
            {"text": page.label(PLAN_TYPES, r.plan_type)},
            who_cell(page, ents, r.enterprise_id),
            {"text": "、".join(page.label(INCIDENT_KINDS, k) for k in r.incident_kinds) or "—"},
            {"text": " / ".join(lv["level"] for lv in r.levels) or "—"},
            {"text": page.gettext(N_("In force")) if r.active else page.gettext(N_("Inactive")), "muted": not r.active},
        ]
        for r in rows
    ]
    return list_page(
        page,
        "plans",
        N_("Emergency plans"),
        [
            N_("Code"),
            N_("Title"),
            N_("Type"),
            N_("Owned by"),
            N_("Incident kinds"),
            N_("Response levels"),
            N_("Status"),
        ],
        table,
        total,
        query,
    )


@router.get("/safety/plans/{ident}", response_class=HTMLResponse, name="safety_plan")
def plan_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    require_park(page)
    r = service.get_plan(page.db, scope=page.scope, ident=ident)
    ents, _, _ = lookup(page, [r])
    fields = [
        (N_("Code"), r.code),
        (N_("Type"), page.label(PLAN_TYPES, r.plan_type)),
        (N_("Owned by"), who_cell(page, ents, r.enterprise_id)["text"]),
        (N_("Incident kinds"), "、".join(page.label(INCIDENT_KINDS, k) for k in r.incident_kinds) or "—"),
        (N_("Version"), f"{r.version or '—'} · {r.approved_on or '—'}"),
        (N_("Opens an incident by itself on"), page.label(SEVERITIES, r.auto_open_severity)),
    ]
    tables = [
        {
            "title": N_("Response levels"),
            "columns": [N_("Response level"), N_("Criteria")],
            "rows": [[lv["level"], lv["criteria"]] for lv in r.levels],
        },
        {
            "title": N_("Roles"),
            "columns": [N_("Role"), N_("Duty")],
            "rows": [[ro["role"], ro.get("duty", "")] for ro in r.roles],
        },
        {
            "title": N_("Steps"),
            "columns": ["#", N_("Step"), N_("Role"), N_("Within (minutes)")],
            "rows": [
                [str(i + 1), s["title"], s.get("role") or "—", str(s.get("within_minutes") or "—")]
                for i, s in enumerate(r.steps)
            ],
        },
    ]
    return detail_page(page, "plans", f"{r.code} {r.title}", fields, tables=tables)


@router.get("/safety/resources", response_class=HTMLResponse, name="safety_resources")
def resources_page(page: CurrentPage) -> HTMLResponse:
    require_park(page)
    query = list_query(page, service.RESOURCE_SPEC)
    rows, total = service.list_resources(page.db, scope=page.scope, query=query)
    _, zones, buildings = lookup(page, rows)
    table = [
        [
            {"text": r.name, "primary": True},
            {"text": page.label(RESOURCE_KINDS, r.kind), "badge": f"res-{r.kind}"},
            {"text": r.category or "—"},
            {"text": f"{r.quantity:g} {r.unit or ''}" if r.quantity is not None else "—"},
            {"text": where_text(page, zones, buildings, r)},
            {"text": f"{r.contact or ''} {r.phone or ''}".strip() or "—"},
            {
                "text": page.gettext(N_("Available")) if r.available else page.gettext(N_("Unavailable")),
                "muted": not r.available,
            },
        ]
        for r in rows
    ]
    filters = [{"name": "kind", "options": [(k, page.gettext(v)) for k, v in RESOURCE_KINDS.items()]}]
    return list_page(
        page,
        "resources",
        N_("Emergency resources"),
        [N_("Name"), N_("Kind"), N_("Category"), N_("Amount"), N_("Location"), N_("Contact"), N_("Status")],
        table,
        total,
        query,
        filters=filters,
    )
