"""Pages of the cybersec module: the park's digital infrastructure (双千兆 coverage by building, compute in use)
and its network security (incidents, events, gradings, data catalogue, advisories matched to ICS assets). An
enterprise user sees the infrastructure and only its own security records."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery
from digipark.cybersec import events, feed, inventory, posture, reference, security
from digipark.cybersec.common import VIEW, WRITE
from digipark.cybersec.models import DataItem, SecurityGrading
from digipark.registry.models import Enterprise
from digipark.web.i18n import N_
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

RULES = {
    "brute_force": N_("Brute-force login"),
    "port_scan": N_("Port scan"),
    "bad_address": N_("Traffic to a known-bad address"),
    "ics_internet": N_("ICS asset talking to the internet"),
}
STATUSES = {"open": N_("Open"), "closed": N_("Closed")}
SOURCE_STATUSES = {"verified": N_("verified"), "secondary": N_("secondary source"), "unverified": N_("unverified")}
SEVERITIES = {"info": N_("Info"), "minor": N_("Minor"), "major": N_("Major"), "critical": N_("Critical")}
KINDS = {
    "auth_failure": N_("Failed login"),
    "auth_success": N_("Login"),
    "connection": N_("Connection"),
    "connection_denied": N_("Connection refused"),
    "dns_query": N_("DNS query"),
    "malware": N_("Malware"),
    "other": N_("Other"),
}
COMPUTE = {
    "general": N_("General-purpose compute"),
    "ai": N_("AI compute"),
    "hpc": N_("Supercomputing"),
    "storage": N_("Storage"),
}
UNITS = {"cores": N_("cores")}  # the other units (PFLOPS, TFLOPS, TB) read the same in every language
LEVELS = {"core": N_("Core data"), "important": N_("Important data"), "general": N_("General data")}
FILINGS = {
    "not_required": N_("Not required"),
    "to_file": N_("To be filed"),
    "filed": N_("Filed"),
    "accepted": N_("Filing accepted"),
}
CATEGORIES = {
    "connected_industrial": N_("Connected industrial enterprise"),
    "platform": N_("Industrial internet platform enterprise"),
    "identifier_resolution": N_("Identifier resolution enterprise"),
}


def _reader(page: Page) -> int:
    page.scope.require(VIEW)
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


@router.get("/infrastructure", response_class=HTMLResponse, name="cybersec_infrastructure")
def infrastructure_page(page: CurrentPage) -> HTMLResponse:
    park_id = _reader(page)
    found = inventory.infrastructure(page.db, scope=page.scope, park_id=park_id, on=dt.date.today())
    return page.render(
        "cybersec/infrastructure.html",
        {
            "infra": found,
            "compute_kinds": COMPUTE,
            "units": UNITS,
            "covered": sum(1 for b in found.buildings if b.double_gigabit),
        },
    )


@router.get("/security", response_class=HTMLResponse, name="cybersec_security")
def security_page(page: CurrentPage) -> HTMLResponse:
    park_id = _reader(page)
    query = ListQuery(page_size=50, filters={"park_id": park_id})
    incidents, open_total = events.list_incidents(
        page.db, scope=page.scope, query=ListQuery(page_size=50, filters={"park_id": park_id, "status": "open"})
    )
    closed, _ = events.list_incidents(
        page.db, scope=page.scope, query=ListQuery(page_size=10, filters={"park_id": park_id, "status": "closed"})
    )
    recent, event_total = events.list_events(page.db, scope=page.scope, query=query)
    gradings = list(
        page.db.scalars(
            page.scope.readable(SecurityGrading).where(SecurityGrading.park_id == park_id).order_by(SecurityGrading.id)
        )
    )
    items = list(
        page.db.scalars(
            page.scope.readable(DataItem).where(DataItem.park_id == park_id).order_by(DataItem.level, DataItem.name)
        )
    )
    names: dict[int, str] = {
        ident: page.enterprise_name(ident, name)
        for ident, name in page.db.execute(
            select(Enterprise.id, Enterprise.name).where(
                page.scope.condition(Enterprise), Enterprise.park_id == park_id
            )
        )
    }
    return page.render(
        "cybersec/security.html",
        {
            "incidents": incidents,
            "open_total": open_total,
            "closed": closed,
            "events": recent,
            "event_total": event_total,
            "gradings": [(g, security.checklist_progress(g)) for g in gradings],
            "items": items,
            "matches": security.matches(page.db, scope=page.scope, park_id=park_id),
            "names": names,
            "rules": RULES,
            "statuses": STATUSES,
            "severities": SEVERITIES,
            "source_statuses": SOURCE_STATUSES,
            "kinds": KINDS,
            "levels": LEVELS,
            "filings": FILINGS,
            "categories": CATEGORIES,
            "protection": reference.protection_levels(),
            "sources": reference.sources(),
            "may_write": page.scope.can(WRITE),
        },
    )


@router.post("/security/collect-logins")
def collect_logins(page: CurrentPage, form: FormFields) -> Response:
    """Take the platform's own failed logins into the event stream (and correlate them)."""
    park_id = _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    events.collect_platform_logins(page.db, scope=page.scope, park_id=park_id)
    return RedirectResponse("/security", status_code=303)


@router.post("/security/incidents/{ident}/close")
def close_incident(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    events.close_incident(page.db, scope=page.scope, ident=ident)
    return RedirectResponse("/security", status_code=303)


# -- advisory feeds ------------------------------------------------------------------------------------------------
def _upload_page(
    page: Page, *, uploaded: feed.Uploaded | None = None, refused: feed.FeedRefused | None = None
) -> HTMLResponse:
    return page.render(
        "cybersec/advisory_upload.html",
        {
            "uploaded": uploaded,
            "refused": refused,
            "aliases": feed.ALIASES,
            "required": feed.REQUIRED,
            "severities": SEVERITIES,
            "names": {
                ident: page.enterprise_name(ident, name)
                for ident, name in page.db.execute(
                    select(Enterprise.id, Enterprise.name).where(page.scope.condition(Enterprise))
                )
            },
        },
        status_code=422 if refused is not None else 200,
    )


@router.get("/security/advisories/upload", response_class=HTMLResponse, name="cybersec_advisory_upload")
def advisory_upload_form(page: CurrentPage) -> HTMLResponse:
    _reader(page)
    page.scope.require(WRITE)
    return _upload_page(page)


async def _feed_file(request: Request) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    form = await request.form()
    fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    file = form.get("file")
    if isinstance(file, UploadFile) and file.filename:
        return fields, (file.filename, await file.read(feed.MAX_BYTES + 1))
    return fields, None


@router.post("/security/advisories/upload", response_class=HTMLResponse)
def advisory_upload(
    page: CurrentPage, uploaded: Annotated[tuple[dict[str, str], tuple[str, bytes] | None], Depends(_feed_file)]
) -> HTMLResponse:
    """A CSV or JSON feed: every row checked; imported all or nothing; the ICS assets it matches shown."""
    park_id = _reader(page)
    page.scope.require(WRITE)
    fields, file = uploaded
    page.check_csrf(fields)
    if file is None:
        return _upload_page(page, refused=feed.FeedRefused(page.gettext("Choose a CSV or JSON file."), []))
    try:
        with page.db.begin_nested():
            done = feed.upload(page.db, scope=page.scope, content=file[1], filename=file[0], park_id=park_id)
    except feed.FeedRefused as exc:
        return _upload_page(page, refused=exc)
    return _upload_page(page, uploaded=done)


# -- posture and hand-over -----------------------------------------------------------------------------------------
@router.get("/security/posture", response_class=HTMLResponse, name="cybersec_posture")
def posture_page(page: CurrentPage) -> HTMLResponse:
    """Charts of one enterprise's posture (an enterprise user: its own; staff: the one chosen, or the park)."""
    park_id = _reader(page)
    names = {
        ident: page.enterprise_name(ident, name)
        for ident, name in page.db.execute(
            select(Enterprise.id, Enterprise.name).where(
                page.scope.condition(Enterprise), Enterprise.park_id == park_id
            )
        )
    }
    chosen: int | None
    if page.scope.own_enterprise_only:
        chosen = page.scope.enterprise_id
    else:
        raw = page.request.query_params.get("enterprise_id", "")
        chosen = int(raw) if raw.isdigit() and int(raw) in names else None
    found = posture.posture(
        page.db, scope=page.scope, park_id=park_id, enterprise_id=chosen, today=dt.datetime.now(dt.UTC).date()
    )
    charts = {
        "events": {
            "categories": [d[5:] for d in found.days],
            "series": [
                {"name": page.label(RULES, rule), "data": counts}
                for rule, counts in sorted(found.events_by_rule.items())
            ],
        },
        "incidents": {
            "data": [{"name": page.label(RULES, rule), "value": n} for rule, n in sorted(found.open_by_rule.items())]
        },
        "exposure": {
            "data": [
                {"name": page.label(SEVERITIES, s), "value": found.exposure[s]}
                for s in ("critical", "major", "minor", "info")
                if s in found.exposure
            ]
        },
    }
    return page.render(
        "cybersec/posture.html",
        {
            "found": found,
            "charts": charts,
            "names": names,
            "chosen": chosen,
            "own_only": page.scope.own_enterprise_only,
            "rules": RULES,
            "severities": SEVERITIES,
        },
    )


@router.post("/security/incidents/{ident}/hand-over")
def hand_over(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    """Hand the incident over to the emergency module (safety), then show its safety incident."""
    _reader(page)
    page.scope.require(WRITE)
    page.check_csrf(form)
    row = posture.hand_over(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/safety/incidents/{row.safety_incident_id}", status_code=303)
