"""Pages of the cybersec module: the park's digital infrastructure (双千兆 coverage by building, compute in use)
and its network security (incidents, events, gradings, data catalogue, advisories matched to ICS assets). An
enterprise user sees the infrastructure and only its own security records."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from digipark.core.errors import NotFound
from digipark.core.listing import ListQuery
from digipark.cybersec import events, inventory, reference, security
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
        ident: name
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
