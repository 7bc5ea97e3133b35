"""Safety pages of hidden dangers: the list, the report form and the workflow (assign, rectify, verify)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from digipark.core.errors import NotFound
from digipark.safety import schemas, service
from digipark.safety.page_parts import (
    DANGER_GRADES,
    DANGER_STATUS,
    Ident,
    attempt,
    list_page,
    list_query,
    lookup,
    optional,
    report_form,
    require_park,
    section_context,
    shown_time,
    where_text,
    who_cell,
)
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)


@router.get("/safety/hidden-dangers", response_class=HTMLResponse, name="safety_hidden_dangers")
def hidden_dangers_page(page: CurrentPage) -> HTMLResponse:
    require_park(page)
    raw = page.request.query_params.get("overdue")
    overdue = True if raw == "true" else None
    query = list_query(page, service.DANGER_SPEC)
    rows, total = service.list_hidden_dangers(page.db, scope=page.scope, query=query, overdue=overdue)
    ents, zones, buildings = lookup(page, rows)
    table = [
        [
            {"text": r.title, "href": f"/safety/hidden-dangers/{r.id}", "primary": True},
            {"text": page.label(DANGER_GRADES, r.grade), "badge": "danger-major" if r.grade == "major" else None},
            who_cell(page, ents, r.enterprise_id),
            {"text": where_text(page, zones, buildings, r)},
            {"text": r.found_on.isoformat()},
            {
                "text": r.deadline.isoformat() if r.deadline else "—",
                "badge": "overdue" if service.is_overdue(r) else None,
            },
            {"text": page.label(DANGER_STATUS, r.status), "badge": f"status-{r.status}"},
        ]
        for r in rows
    ]
    filters = [
        {"name": "status", "options": [(k, page.gettext(v)) for k, v in DANGER_STATUS.items()]},
        {"name": "overdue", "options": [("true", page.gettext(N_("Past deadline")))]},
    ]
    return list_page(
        page,
        "hidden-dangers",
        N_("Hidden dangers"),
        [N_("Hidden danger"), N_("Grade"), N_("Owned by"), N_("Location"), N_("Found on"), N_("Due by"), N_("Status")],
        table,
        total,
        query,
        new="/safety/hidden-dangers/new",
        filters=filters,
    )


def _danger_page(page: Page, ident: int, errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    r = service.get_hidden_danger(page.db, scope=page.scope, ident=ident)
    ents, zones, buildings = lookup(page, [r])
    fields = [
        (N_("Grade"), page.label(DANGER_GRADES, r.grade)),
        (N_("Status"), page.label(DANGER_STATUS, r.status)),
        (N_("Owned by"), who_cell(page, ents, r.enterprise_id)["text"]),
        (N_("Location"), where_text(page, zones, buildings, r)),
        (N_("Description"), r.description or "—"),
        (N_("Found"), f"{r.found_on.isoformat()} · {r.found_by}"),
        (N_("Assignee"), r.assignee or "—"),
        (
            N_("Due by"),
            (r.deadline.isoformat() if r.deadline else "—")
            + (" · " + page.gettext(N_("Past deadline")) if service.is_overdue(r) else ""),
        ),
        (N_("Measures"), r.measures or "—"),
        (N_("Rectification"), r.rectification or "—"),
        (N_("Verified"), f"{r.verified_by} · {shown_time(r.verified_at)}" if r.verified_by else "—"),
    ]
    history = [
        {
            "at": h.get("at", "")[:16].replace("T", " "),
            "status": page.label({**DANGER_STATUS, "verification_failed": N_("Verification failed")}, h.get("status")),
            "by": h.get("by"),
            "note": h.get("note") or "",
        }
        for h in r.history
    ]
    may_write = service.may_write(page.scope, r)
    actions = []
    if may_write and r.status in ("found", "assigned"):
        actions.append("assign")
    if may_write and r.status == "assigned":
        actions.append("rectify")
    if page.scope.can(service.WRITE) and r.status == "rectified" and r.park_id in page.scope.write_parks:
        actions.append("verify")
    return page.render(
        "safety/danger.html",
        section_context(
            page,
            "hidden-dangers",
            title=r.title,
            fields=fields,
            history=history,
            danger=r,
            actions=actions,
            errors=errors or [],
            today=service.today().isoformat(),
        ),
        status_code=status_code,
    )


@router.get("/safety/hidden-dangers/new", response_class=HTMLResponse, name="safety_hidden_danger_new")
def new_danger_page(page: CurrentPage) -> HTMLResponse:
    park_id = require_park(page)
    return report_form(page, park_id, "danger")


@router.post("/safety/hidden-dangers/new", name="safety_hidden_danger_create")
def create_danger_page(page: CurrentPage, form: FormFields) -> Response:
    park_id = require_park(page)
    page.check_csrf(form)

    def act() -> str:
        data = schemas.HiddenDangerCreate(
            title=form.get("title", ""),
            description=optional(form.get("description")),
            grade=form.get("grade", "general"),
            enterprise_id=optional(form.get("enterprise_id")),
            zone_id=optional(form.get("zone_id")),
            building_id=optional(form.get("building_id")),
            location=optional(form.get("location")),
            deadline=optional(form.get("deadline")),
        )
        return f"/safety/hidden-dangers/{service.create_hidden_danger(page.db, scope=page.scope, data=data).id}?done=1"

    return attempt(page, act, lambda errors, status: report_form(page, park_id, "danger", errors, status, form))


@router.get("/safety/hidden-dangers/{ident}", response_class=HTMLResponse, name="safety_hidden_danger")
def danger_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    require_park(page)
    return _danger_page(page, ident)


@router.post("/safety/hidden-dangers/{ident}/{action}", name="safety_hidden_danger_action")
def danger_action_page(ident: Ident, action: str, page: CurrentPage, form: FormFields) -> Response:
    require_park(page)
    page.check_csrf(form)

    def act() -> str:
        if action == "assign":
            service.assign_hidden_danger(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Assign(
                    assignee=form.get("assignee", ""),
                    deadline=form.get("deadline", ""),
                    measures=optional(form.get("measures")),
                ),
            )
        elif action == "rectify":
            service.rectify_hidden_danger(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Rectify(rectification=form.get("rectification", "")),
            )
        elif action == "verify":
            service.verify_hidden_danger(
                page.db,
                scope=page.scope,
                ident=ident,
                data=schemas.Verify(passed=form.get("passed") == "1", note=optional(form.get("note"))),
            )
        else:
            raise NotFound(f"no action {action}")
        return f"/safety/hidden-dangers/{ident}?done=1"

    return attempt(page, act, lambda errors, status: _danger_page(page, ident, errors, status))


# -- incidents -----------------------------------------------------------------------------------------------------
