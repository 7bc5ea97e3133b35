"""Transformation pages: the park's transformation map by level, the review queue, each enterprise's
transformation record (assessments over the years, renovation status, certificates, adoption, recommendations,
provider requests), the questionnaire (dimension by dimension, drafts, submit, evidence), the catalogue and
provider requests. Every read and write goes through the transformation service and the caller's scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile

from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery
from digipark.registry.models import Building, Enterprise, Room, Zone
from digipark.transformation import renovation, schemas, service
from digipark.transformation.assessment import INPUTS_KEY, Questionnaire, questionnaire
from digipark.transformation.models import AdoptionKind, AssessmentStatus, CertificateScale, RequestStatus
from digipark.web import i18n, siteplan
from digipark.web.i18n import N_
from digipark.web.labels import industry_name
from digipark.web.overview import json_script
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)
Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

LEVEL_LABELS = {
    0: N_("Below level 1"),
    1: N_("Level 1"),
    2: N_("Level 2"),
    3: N_("Level 3"),
    4: N_("Level 4"),
}
NO_LEVEL = N_("No confirmed assessment")
STATUS_LABELS = {
    AssessmentStatus.DRAFT.value: N_("Draft"),
    AssessmentStatus.SUBMITTED.value: N_("Waiting for review"),
    AssessmentStatus.RETURNED.value: N_("Returned"),
    AssessmentStatus.CONFIRMED.value: N_("Confirmed"),
}
DIMENSION_LABELS = {"D1": N_("Digital foundation"), "D2": N_("Digital management"), "D3": N_("Digital results")}
INDICATOR_LABELS = {
    "D1.1": N_("Equipment and systems"),
    "D1.2": N_("Data collection"),
    "D1.3": N_("Information systems"),
    "D1.4": N_("Information security"),
    "D2.1": N_("Planning and management"),
    "D2.2": N_("Resources"),
    "D3.1": N_("Green and low-carbon"),
    "D3.2": N_("Product quality"),
    "D3.3": N_("Market performance"),
}
SCENE_LABELS = {
    "S01": N_("Product design"),
    "S02": N_("Process design"),
    "S03": N_("Marketing"),
    "S04": N_("After-sales service"),
    "S05": N_("Production planning and scheduling"),
    "S06": N_("Production control"),
    "S07": N_("Quality management"),
    "S08": N_("Equipment management"),
    "S09": N_("Production safety"),
    "S10": N_("Energy management"),
    "S11": N_("Procurement"),
    "S12": N_("Warehousing and logistics"),
    "S13": N_("Finance"),
    "S14": N_("Human resources"),
    "S15": N_("Office collaboration"),
    "S16": N_("Decision support"),
}
ADOPTION_LABELS = {
    AdoptionKind.INDUSTRIAL_INTERNET.value: N_("Industrial internet platform"),
    AdoptionKind.CLOUD.value: N_("On the cloud"),
    AdoptionKind.ROBOT.value: N_("Industrial robots"),
    AdoptionKind.AI.value: N_("AI application"),
    AdoptionKind.DIGITAL_PRODUCTION_SERVICE.value: N_("Digital production service"),
}
SCALE_LABELS = {
    CertificateScale.GBT39116.value: N_("Intelligent manufacturing maturity (GB/T 39116)"),
    CertificateScale.SMART_FACTORY.value: N_("Smart-factory gradient"),
}
REQUEST_LABELS = {
    RequestStatus.REQUESTED.value: N_("Requested"),
    RequestStatus.CONTACTED.value: N_("Contacted"),
    RequestStatus.IN_PROGRESS.value: N_("In progress"),
    RequestStatus.DONE.value: N_("Done"),
    RequestStatus.DECLINED.value: N_("Declined"),
}
KIND_LABELS = {"product": N_("Product"), "service": N_("Service")}
SECTIONS = ("D1", "D2", "D3", "scenes")
SCENE_LEVEL_LABELS = {0: N_("Not applied"), 1: N_("Level 1"), 2: N_("Level 2"), 3: N_("Level 3"), 4: N_("Level 4")}


def level_text(page: Page, level: int | None) -> str:
    return page.gettext(NO_LEVEL) if level is None else page.gettext(LEVEL_LABELS.get(level, str(level)))


def _name(page: Page, mapping: dict[str, str], code: str, fallback: str) -> str:
    return page.gettext(mapping[code]) if code in mapping else fallback


def _indicator(page: Page, q: Questionnaire, code: str) -> str:
    found = next((i for i in q.indicators if i.code == code), None)
    return _name(page, INDICATOR_LABELS, code, found.name if found else code)


def _scene(page: Page, q: Questionnaire, code: str) -> str:
    scene = q.scene_by_code.get(code)
    return _name(page, SCENE_LABELS, code, scene.name if scene else code)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _require_park(page: Page) -> int:
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


def _enterprise(page: Page, ident: int) -> Enterprise:
    found: Enterprise | None = page.db.scalar(page.scope.readable(Enterprise).where(Enterprise.id == ident))
    if found is None:
        raise NotFound(f"enterprise {ident} not found")
    return found


def _names(page: Page, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Enterprise.id, Enterprise.name).where(page.scope.condition(Enterprise), Enterprise.id.in_(ids))
    return {row[0]: row[1] for row in page.db.execute(stmt)}


def _notice(page: Page) -> str | None:
    messages = {
        "saved": N_("Saved."),
        "submitted": N_("Submitted for the park's review."),
        "confirmed": N_("The assessment is confirmed."),
        "returned": N_("The assessment was returned to the enterprise."),
        "uploaded": N_("File uploaded."),
        "deleted": N_("Deleted."),
        "requested": N_("Your request was sent to the park."),
        "updated": N_("Updated."),
        "created": N_("Created."),
    }
    key = page.request.query_params.get("done", "")
    return page.gettext(messages[key]) if key in messages else None


def _problem_text(page: Page, exc: DomainError) -> list[str]:
    if exc.errors:
        return [f"{e.get('field') or ''}: {e.get('reason')}".strip(": ") for e in exc.errors]
    return [exc.detail]


# ==================================================================================================================
# The map of the park
# ==================================================================================================================
LEVEL_COLOURS = {None: "none", 0: "0", 1: "1", 2: "2", 3: "3", 4: "4"}


def _building_levels(
    page: Page, park_id: int, levels: dict[int, int | None]
) -> dict[int, tuple[int | None, list[str]]]:
    """Per building: the highest confirmed level among its tenants and their names."""
    stmt = select(Room.building_id, Room.enterprise_id).where(
        page.scope.condition(Room), Room.park_id == park_id, Room.enterprise_id.is_not(None)
    )
    tenants: dict[int, set[int]] = defaultdict(set)
    for building_id, enterprise_id in page.db.execute(stmt):
        if enterprise_id is not None:
            tenants[building_id].add(enterprise_id)
    names = _names(page, {e for ids in tenants.values() for e in ids})
    result: dict[int, tuple[int | None, list[str]]] = {}
    for building_id, ids in tenants.items():
        known = [levels[e] for e in ids if levels.get(e) is not None]
        best = max((lv for lv in known if lv is not None), default=None)
        result[building_id] = (best, sorted(names.get(e, f"#{e}") for e in ids))
    return result


def _level_plan(page: Page, park_id: int, levels: dict[int, int | None]) -> siteplan.SitePlan | None:
    """The site plan with each building coloured by the highest confirmed level among its tenants."""
    zones = [*page.db.scalars(page.scope.readable(Zone).where(Zone.park_id == park_id, Zone.geometry.is_not(None)))]
    buildings = [
        *page.db.scalars(
            page.scope.readable(Building).where(Building.park_id == park_id, Building.footprint.is_not(None))
        )
    ]
    by_building = _building_levels(page, park_id, levels)
    zone_features = [
        siteplan.Feature(geometry=z.geometry, title=z.name, css=siteplan.zone_css(z.function), label=z.name)
        for z in zones
    ]
    features = []
    for b in buildings:
        level, tenants = by_building.get(b.id, (None, []))
        css = "building tf-building tf-level-" + (LEVEL_COLOURS[level] if tenants else "empty")
        title = f"{b.name} ({b.code})"
        if tenants:
            title += f" · {level_text(page, level)} · " + "、".join(tenants[:6]) + ("…" if len(tenants) > 6 else "")
        features.append(siteplan.Feature(geometry=b.footprint, title=title, css=css, href=f"/buildings/{b.id}"))
    return siteplan.build(zone_features, features)


@router.get("/transformation", response_class=HTMLResponse, name="transformation_map")
def map_page(page: CurrentPage) -> Response:
    scope = page.scope
    if not scope.can(service.READ):
        if scope.own_enterprise_only and scope.enterprise_id is not None:
            return RedirectResponse(f"/transformation/enterprises/{scope.enterprise_id}", status_code=303)
        scope.require(service.READ)
    park_id = _require_park(page)
    year_arg = page.request.query_params.get("year", "").strip()
    year = int(year_arg) if year_arg.isdigit() and 2000 <= int(year_arg) <= 2100 else None
    summary = service.park_summary(page.db, scope=scope, park_id=park_id, year=year)
    q = questionnaire()
    level_keys: list[int | None] = [None, *range(0, len(q.levels) + 1)]
    levels_chart = json_script(
        {
            "kind": "levels",
            "categories": [level_text(page, lv) for lv in level_keys],
            "values": [c.enterprises for c in summary.by_level],
            "colours": [LEVEL_COLOURS[lv] for lv in level_keys],
            "label": page.gettext("Enterprises"),
        }
    )
    industries = sorted(summary.by_industry, key=lambda i: -sum(i.counts.values()))[:12]
    industry_chart = json_script(
        {
            "kind": "stacked",
            "categories": [f"{i.division} {industry_name(i.division, page.lang)}" for i in industries],
            "series": [
                {
                    "name": level_text(page, lv),
                    "colour": LEVEL_COLOURS[lv],
                    "data": [i.counts.get("none" if lv is None else str(lv), 0) for i in industries],
                }
                for lv in level_keys
            ],
        }
    )
    levels = {item.enterprise_id: item.level for item in summary.items}
    plan = _level_plan(page, park_id, levels)
    rows = [
        {
            "id": item.enterprise_id,
            "name": item.name,
            "industry": f"{item.industry_code} {industry_name(item.industry_code, page.lang)}",
            "above_scale": item.above_scale,
            "industrial": item.industrial,
            "status": page.label(STATUS_LABELS, item.assessment_status) if item.assessment_status else "—",
            "assessment_id": item.assessment_id,
            "level": item.level,
            "level_text": level_text(page, item.level),
            "score": item.base_score,
            "renovated": item.renovated,
            "basis": item.basis,
            "lacks": [page.gettext(lack) for lack in item.lacks],
        }
        for item in summary.items
    ]
    only = page.request.query_params.get("show", "")
    if only == "not_renovated":
        rows = [r for r in rows if r["above_scale"] and r["industrial"] and r["renovated"] is False]
    return page.render(
        "transformation/map.html",
        {
            "summary": summary,
            "levels_chart": levels_chart,
            "industry_chart": industry_chart,
            "level_rows": [
                {"label": level_text(page, lv), "css": LEVEL_COLOURS[lv], "n": c.enterprises}
                for lv, c in zip(level_keys, summary.by_level, strict=True)
            ],
            "industries": [
                {
                    "name": f"{i.division} {industry_name(i.division, page.lang)}",
                    "counts": [i.counts.get("none" if lv is None else str(lv), 0) for lv in level_keys],
                }
                for i in industries
            ],
            "level_headers": [level_text(page, lv) for lv in level_keys],
            "plan": plan,
            "legend": [{"css": f"tf-level-{LEVEL_COLOURS[lv]}", "label": level_text(page, lv)} for lv in level_keys],
            "rows": rows,
            "show": only,
            "year": summary.year,
            "years": list(range(summary.as_of.year, summary.as_of.year - 4, -1)),
            "rule": renovation.default_rule(),
            "scales": renovation.scales(),
        },
    )


@router.get("/transformation/review", response_class=HTMLResponse, name="transformation_review")
def review_queue(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.READ)
    park_id = _require_park(page)
    waiting, _ = service.list_assessments(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id, "status": "submitted"}, sort="submitted_at", page_size=500),
    )
    recent, _ = service.list_assessments(
        page.db,
        scope=page.scope,
        query=ListQuery(filters={"park_id": park_id}, sort="-submitted_at", page_size=30),
    )
    recent = [r for r in recent if r.status in ("confirmed", "returned")]
    names = _names(page, {r.enterprise_id for r in [*waiting, *recent]})

    def row(r: Any) -> dict[str, Any]:
        return {
            "id": r.id,
            "enterprise_id": r.enterprise_id,
            "enterprise": names.get(r.enterprise_id, f"#{r.enterprise_id}"),
            "year": r.year,
            "score": r.base_score,
            "level": level_text(page, r.level),
            "status": page.label(STATUS_LABELS, r.status),
            "status_code": r.status,
            "submitted_at": i18n.local_time(r.submitted_at),
            "reviewed_at": i18n.local_time(r.reviewed_at),
            "revision": r.revision,
        }

    return page.render(
        "transformation/review.html",
        {"waiting": [row(r) for r in waiting], "recent": [row(r) for r in recent], "notice": _notice(page)},
    )


# ==================================================================================================================
# An enterprise's record
# ==================================================================================================================
def _may(page: Page, enterprise: Enterprise, permission: str) -> bool:
    try:
        page.scope.authorize_write(permission, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    except PermissionDenied:
        return False
    return True


def _record_context(page: Page, enterprise: Enterprise) -> dict[str, Any]:
    q = questionnaire()
    scope, db = page.scope, page.db
    assessments = service.enterprise_assessments(db, scope=scope, enterprise_id=enterprise.id)
    certificates, _ = service.list_certificates(
        db, scope=scope, query=ListQuery(filters={"enterprise_id": enterprise.id}, page_size=500)
    )
    adoption, _ = service.list_adoption(
        db, scope=scope, query=ListQuery(filters={"enterprise_id": enterprise.id}, page_size=500)
    )
    requests, _ = service.list_requests(
        db, scope=scope, query=ListQuery(filters={"enterprise_id": enterprise.id}, page_size=100)
    )
    recs = service.recommendations(db, scope=scope, enterprise_id=enterprise.id)
    status = service.enterprise_renovation(db, scope=scope, enterprise_id=enterprise.id)
    entries = {r.entry_id for r in requests}
    entry_names = (
        {e.id: e.name for e in service.list_catalogue(db, scope=scope, query=ListQuery(page_size=500))[0]}
        if entries
        else {}
    )
    scales = renovation.scales()
    today = service.today()
    open_requests = {r.entry_id for r in requests if r.status in ("requested", "contacted", "in_progress")}
    may_fill = _may(page, enterprise, service.FILL)
    return {
        "enterprise": enterprise,
        "industry": f"{enterprise.industry_code} {industry_name(enterprise.industry_code, page.lang)}",
        "assessments": [
            {
                "id": a.id,
                "year": a.year,
                "status": page.label(STATUS_LABELS, a.status),
                "status_code": a.status,
                "score": a.base_score,
                "level": level_text(page, a.level),
                "dimensions": [
                    {"label": page.gettext(DIMENSION_LABELS[d.code]), "score": a.dimension_scores.get(d.code, 0)}
                    for d in q.dimensions
                ],
                "revision": a.revision,
                "confirmed_on": _date(a.confirmed_on),
            }
            for a in assessments
        ],
        "years": [y for y in range(today.year, today.year - 4, -1) if y not in {a.year for a in assessments}],
        "may_fill": may_fill,
        "status": status,
        "lacks": [page.gettext(lack) for lack in status.lacks] if status else [],
        "certificates": [
            {
                "id": c.id,
                "scale": page.label(SCALE_LABELS, c.scale),
                "level": scales[c.scale].level_name(c.level) or c.level,
                "number": c.certificate_no,
                "issuer": c.issuer,
                "issued_on": _date(c.issued_on),
                "valid_to": _date(c.valid_to),
                "verified": c.verified,
                "file": c.file_name,
            }
            for c in certificates
        ],
        "scale_choices": [
            {"value": code, "label": page.label(SCALE_LABELS, code), "levels": scales[code].levels}
            for code in (CertificateScale.GBT39116.value, CertificateScale.SMART_FACTORY.value)
        ],
        "adoption": [
            {
                "id": r.id,
                "kind": page.label(ADOPTION_LABELS, r.kind),
                "name": r.name,
                "provider": r.provider or "—",
                "scenarios": [_scene(page, q, code) for code in r.scenarios],
                "count": r.count,
                "started_on": _date(r.started_on),
                "ended_on": _date(r.ended_on),
                "active": r.started_on <= today and (r.ended_on is None or r.ended_on >= today),
            }
            for r in adoption
        ],
        "adoption_kinds": [{"value": k, "label": page.gettext(v)} for k, v in ADOPTION_LABELS.items()],
        "scene_choices": [{"value": s.code, "label": _scene(page, q, s.code)} for s in q.scenes],
        "recommendations": {
            "year": recs.assessment_year,
            "weakest": [_indicator(page, q, code) for code in recs.weakest_indicators],
            "scenes": [_scene(page, q, code) for code in recs.weak_scenes[:6]],
            "items": [
                {
                    "id": item.entry.id,
                    "name": item.entry.name,
                    "provider": item.entry.provider,
                    "kind": page.label(KIND_LABELS, item.entry.kind),
                    "description": item.entry.description,
                    "demo": item.entry.demo,
                    "why": [_indicator(page, q, c) for c in item.matched_indicators]
                    + [_scene(page, q, c) for c in item.matched_scenes],
                    "requested": item.entry.id in open_requests,
                }
                for item in recs.items
            ],
        },
        "requests": [
            {
                "id": r.id,
                "entry": entry_names.get(r.entry_id, f"#{r.entry_id}"),
                "status": page.label(REQUEST_LABELS, r.status),
                "status_code": r.status,
                "note": r.note,
                "created_at": i18n.local_time(r.created_at),
            }
            for r in requests
        ],
        "may_write": _may(page, enterprise, service.writer_permission(page.scope)),
        "may_verify": _may(page, enterprise, service.WRITE),
        "may_request": _may(page, enterprise, service.SELF_WRITE),  # only an enterprise requests a provider
        "today": today.isoformat(),
        "notice": _notice(page),
    }


def _record(
    page: Page, enterprise: Enterprise, errors: list[str] | None = None, status_code: int = 200
) -> HTMLResponse:
    context = _record_context(page, enterprise)
    context["errors"] = errors or []
    return page.render("transformation/enterprise.html", context, status_code=status_code)


@router.get("/transformation/enterprises/{ident}", response_class=HTMLResponse, name="transformation_enterprise")
def enterprise_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.VIEW)
    return _record(page, _enterprise(page, ident))


def _attempt(page: Page, enterprise: Enterprise, action: Any, done: str, anchor: str = "") -> Response:
    """Run a write; on bad input show the record page again with the reasons."""
    try:
        action()
    except ValidationError as exc:
        page.db.rollback()
        messages = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}".strip(": ") for e in exc.errors()]
        return _record(page, _enterprise(page, enterprise.id), messages, status_code=422)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        page.db.rollback()
        return _record(page, _enterprise(page, enterprise.id), _problem_text(page, exc), status_code=exc.status)
    return RedirectResponse(f"/transformation/enterprises/{enterprise.id}?done={done}{anchor}", status_code=303)


@router.post("/transformation/enterprises/{ident}/assessments", name="transformation_assessment_create")
def create_assessment_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    enterprise = _enterprise(page, ident)
    created: dict[str, int] = {}

    def act() -> None:
        year = int(form.get("year", "0") or 0)
        row = service.create_assessment(
            page.db, scope=page.scope, data=schemas.AssessmentCreate(enterprise_id=enterprise.id, year=year)
        )
        created["id"] = row.id

    response = _attempt(page, enterprise, act, "created")
    if "id" in created:
        return RedirectResponse(f"/transformation/assessments/{created['id']}", status_code=303)
    return response


async def _multipart(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    upload = form.get("file")
    return fields, upload if isinstance(upload, UploadFile) and upload.filename else None


@router.post("/transformation/enterprises/{ident}/certificates", name="transformation_certificate_create")
async def create_certificate_page(ident: Ident, page: CurrentPage, request: Request) -> Response:
    fields, upload = await _multipart(request)
    page.check_csrf(fields)
    enterprise = _enterprise(page, ident)
    content = await upload.read(service.MAX_EVIDENCE_BYTES + 1) if upload else None

    def act() -> None:
        data = schemas.CertificateCreate(
            enterprise_id=enterprise.id,
            scale=fields.get("scale", ""),
            level=int(fields.get("level", "0") or 0),
            certificate_no=fields.get("certificate_no", ""),
            issuer=fields.get("issuer", ""),
            issued_on=fields.get("issued_on", ""),
            valid_to=fields.get("valid_to") or None,
        )
        row = service.create_certificate(page.db, scope=page.scope, data=data)
        if upload is not None and content is not None:
            service.attach_certificate_file(
                page.db,
                scope=page.scope,
                ident=row.id,
                filename=upload.filename or "",
                content_type=upload.content_type or "",
                content=content,
            )

    return _attempt(page, enterprise, act, "created", "#certificates")


@router.post("/transformation/certificates/{ident}/verify", name="transformation_certificate_verify")
def verify_certificate_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    row = service.verify_certificate(page.db, scope=page.scope, ident=ident, verified=form.get("verified") != "0")
    return RedirectResponse(f"/transformation/enterprises/{row.enterprise_id}?done=updated#certificates", 303)


@router.get("/transformation/certificates/{ident}/file", name="transformation_certificate_file")
def certificate_file_page(ident: Ident, page: CurrentPage) -> Response:
    row = service.get_certificate(page.db, scope=page.scope, ident=ident)
    if row.file_content is None:
        raise NotFound(f"certificate {ident} has no file")
    return file_response(row.file_content, row.file_content_type or "application/octet-stream", row.file_name or "file")


@router.post("/transformation/enterprises/{ident}/adoption", name="transformation_adoption_create")
async def create_adoption_page(ident: Ident, page: CurrentPage, request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    scenarios = [v for v in form.getlist("scenarios") if isinstance(v, str) and v]
    enterprise = _enterprise(page, ident)

    def act() -> None:
        data = schemas.AdoptionCreate(
            enterprise_id=enterprise.id,
            kind=fields.get("kind", ""),
            name=fields.get("name", ""),
            provider=fields.get("provider") or None,
            scenarios=scenarios,
            count=int(fields["count"]) if fields.get("count", "").strip().isdigit() else None,
            started_on=fields.get("started_on", ""),
            ended_on=fields.get("ended_on") or None,
        )
        service.create_adoption(page.db, scope=page.scope, data=data)

    return _attempt(page, enterprise, act, "created", "#adoption")


@router.post("/transformation/adoption/{ident}/delete", name="transformation_adoption_delete")
def delete_adoption_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    row = service.get_adoption(page.db, scope=page.scope, ident=ident)
    enterprise_id = row.enterprise_id
    service.delete_adoption(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/transformation/enterprises/{enterprise_id}?done=deleted#adoption", 303)


# ==================================================================================================================
# The questionnaire
# ==================================================================================================================
def _section(page: Page) -> str:
    section = page.request.query_params.get("section", "D1")
    return section if section in SECTIONS else "D1"


def _questionnaire_context(page: Page, row: Any, section: str) -> dict[str, Any]:
    q = questionnaire()
    result = service.result_of(row)
    answers = row.answers
    inputs = answers.get(INPUTS_KEY, {})
    enterprise = _enterprise(page, row.enterprise_id)
    editable = row.status in service.EDITABLE and _may(page, enterprise, service.FILL)
    missing = set(result.missing)
    sections = []
    for d in q.dimensions:
        sections.append(
            {
                "code": d.code,
                "label": page.gettext(DIMENSION_LABELS[d.code]),
                "score": result.dimension_scores[d.code],
                "max": d.max_score,
                "missing": sum(1 for x in d.questions if x.code in missing),
            }
        )
    sections.append(
        {
            "code": "scenes",
            "label": page.gettext("Business scenes"),
            "score": None,
            "max": None,
            "missing": sum(1 for s in q.scenes if s.code in missing),
        }
    )
    dimension = next((d for d in q.dimensions if d.code == section), None)
    indicators = []
    if dimension is not None:
        for i in dimension.indicators:
            indicators.append(
                {
                    "code": i.code,
                    "label": _indicator(page, q, i.code),
                    "name": i.name,
                    "score": result.indicator_scores[i.code],
                    "max": i.max_score,
                    "questions": [
                        {
                            "code": x.code,
                            "text": x.text,
                            "sub_indicator": x.sub_indicator,
                            "description": x.description,
                            "multiple": x.multiple,
                            "max": x.max_score,
                            "score": result.question_scores[x.code],
                            "missing": x.code in missing,
                            "options": [
                                {
                                    "code": o.code,
                                    "text": o.text,
                                    "score": o.score,
                                    "exclusive": o.exclusive,
                                    "disputed": o.text_disputed,
                                    "checked": o.code in answers.get(x.code, [])
                                    if x.multiple
                                    else answers.get(x.code) == o.code,
                                }
                                for o in x.options
                            ],
                            "inputs": [
                                {"label": label, "value": (inputs.get(x.code) or [""] * len(x.inputs) + [""])[n]}
                                for n, label in enumerate(x.inputs)
                            ],
                        }
                        for x in i.questions
                    ],
                }
            )
    scenes = [
        {
            "code": s.code,
            "name": _scene(page, q, s.code),
            "name_zh": s.name,
            "group": s.group,
            "constraint": s.constraint,
            "disputed": s.level_order_disputed,
            "value": answers.get(s.code),
            "missing": s.code in missing,
            "levels": [
                {"value": n, "label": page.gettext(SCENE_LEVEL_LABELS[n]), "text": s.levels[n - 1] if n else ""}
                for n in range(0, 5)
            ],
        }
        for s in q.scenes
    ]
    evidence = service.list_evidence(page.db, scope=page.scope, ident=row.id)
    revisions = service.assessment_revisions(page.db, scope=page.scope, ident=row.id)
    next_check = result.next_level
    return {
        "a": row,
        "enterprise": enterprise,
        "status": page.label(STATUS_LABELS, row.status),
        "section": section,
        "sections": sections,
        "indicators": indicators,
        "scenes": scenes,
        "result": result,
        "level": level_text(page, result.level),
        "checks": [
            {
                "label": level_text(page, c.rank),
                "holds": c.holds,
                "base": c.min_base_score,
                "base_ok": c.base_score_ok,
                "scenes": c.scenes,
                "min_scenes": c.min_scenes,
                "constraint": c.constraint_scenes,
                "min_constraint": c.min_constraint_scenes,
                "scene_level": level_text(page, c.min_scene_level),
            }
            for c in result.checks
        ],
        "next_check": next_check,
        "weakest": [
            {"label": _indicator(page, q, code), "share": result.share(q, code) * 100}
            for code in result.weakest_indicators
        ],
        "editable": editable,
        "may_review": row.status == AssessmentStatus.SUBMITTED.value and _may_review(page, row.park_id),
        "evidence": [
            {
                "id": e.id,
                "filename": e.filename,
                "question": e.question or "—",
                "size_kb": e.size / 1024,
                "uploaded_by": e.uploaded_by,
                "uploaded_at": i18n.local_time(e.uploaded_at),
            }
            for e in evidence
        ],
        "evidence_codes": [*q.questions, *q.scene_by_code],
        "max_mb": service.MAX_EVIDENCE_BYTES // (1024 * 1024),
        "revisions": [
            {
                "revision": r.revision,
                "score": r.base_score,
                "level": level_text(page, r.level),
                "submitted_by": r.submitted_by,
                "submitted_at": i18n.local_time(r.submitted_at),
                "decision": page.label(
                    {"confirmed": STATUS_LABELS["confirmed"], "returned": STATUS_LABELS["returned"]}, r.decision
                )
                if r.decision
                else page.gettext("Waiting for review"),
                "comment": r.comment,
            }
            for r in revisions
        ],
        "notice": _notice(page),
        "meta": q.meta,
    }


def _may_review(page: Page, park_id: int) -> bool:
    try:
        page.scope.authorize_write(service.REVIEW, park_id=park_id)
    except PermissionDenied:
        return False
    return True


def _questionnaire(
    page: Page, row: Any, section: str, errors: list[str] | None = None, status_code: int = 200
) -> HTMLResponse:
    context = _questionnaire_context(page, row, section)
    context["errors"] = errors or []
    return page.render("transformation/assessment.html", context, status_code=status_code)


@router.get("/transformation/assessments/{ident}", response_class=HTMLResponse, name="transformation_assessment")
def assessment_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    row = service.get_assessment(page.db, scope=page.scope, ident=ident)
    return _questionnaire(page, row, _section(page))


def _section_answers(q: Questionnaire, section: str, form: Any, current: dict[str, Any]) -> dict[str, Any]:
    """The answers a section's form gives: its questions (or scenes) only; an unticked one is cleared."""
    answers: dict[str, Any] = {}
    if section == "scenes":
        for s in q.scenes:
            raw = form.get(s.code)
            answers[s.code] = int(raw) if isinstance(raw, str) and raw.isdigit() else None
        return answers
    dimension = next(d for d in q.dimensions if d.code == section)
    inputs = dict(current.get(INPUTS_KEY, {}))
    for x in dimension.questions:
        if x.multiple:
            answers[x.code] = [v for v in form.getlist(x.code) if isinstance(v, str)] or None
        else:
            raw = form.get(x.code)
            answers[x.code] = raw if isinstance(raw, str) and raw else None
        if x.inputs:
            values = [str(form.get(f"in-{x.code}-{n}") or "").strip() for n in range(len(x.inputs))]
            if any(values):
                inputs[x.code] = values
            else:
                inputs.pop(x.code, None)
    answers[INPUTS_KEY] = inputs
    return answers


@router.post("/transformation/assessments/{ident}", name="transformation_assessment_save")
async def save_assessment_page(ident: Ident, page: CurrentPage, request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    page.check_csrf(fields)
    row = service.get_assessment(page.db, scope=page.scope, ident=ident)
    section = fields.get("section", "D1")
    section = section if section in SECTIONS else "D1"
    action = fields.get("action", "save")
    q = questionnaire()
    try:
        if section and action in ("save", "submit", "next"):
            answers = _section_answers(q, section, form, row.answers)
            service.save_draft(page.db, scope=page.scope, ident=ident, data=schemas.AssessmentUpdate(answers=answers))
        if action == "submit":
            service.submit_assessment(page.db, scope=page.scope, ident=ident)
            return RedirectResponse(f"/transformation/assessments/{ident}?section={section}&done=submitted", 303)
    except DomainError as exc:  # the services check before they change anything: the saved section stays
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        row = service.get_assessment(page.db, scope=page.scope, ident=ident)
        return _questionnaire(page, row, section, _problem_text(page, exc), status_code=exc.status)
    target = section
    if action == "next":
        target = SECTIONS[min(SECTIONS.index(section) + 1, len(SECTIONS) - 1)]
    return RedirectResponse(f"/transformation/assessments/{ident}?section={target}&done=saved", status_code=303)


@router.post("/transformation/assessments/{ident}/evidence", name="transformation_evidence_upload")
async def upload_evidence_page(ident: Ident, page: CurrentPage, request: Request) -> Response:
    fields, upload = await _multipart(request)
    page.check_csrf(fields)
    section = fields.get("section", "D1")
    section = section if section in SECTIONS else "D1"
    row = service.get_assessment(page.db, scope=page.scope, ident=ident)
    try:
        if upload is None:
            raise field_error("file", "choose a file to upload")
        content = await upload.read(service.MAX_EVIDENCE_BYTES + 1)
        service.add_evidence(
            page.db,
            scope=page.scope,
            ident=ident,
            filename=upload.filename or "",
            content_type=upload.content_type or "",
            content=content,
            question=fields.get("question") or None,
        )
    except DomainError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        page.db.rollback()
        row = service.get_assessment(page.db, scope=page.scope, ident=ident)
        return _questionnaire(page, row, section, _problem_text(page, exc), status_code=exc.status)
    return RedirectResponse(f"/transformation/assessments/{row.id}?section={section}&done=uploaded#evidence", 303)


@router.get("/transformation/evidence/{ident}", name="transformation_evidence_download")
def evidence_download_page(ident: Ident, page: CurrentPage) -> Response:
    evidence = service.get_evidence(page.db, scope=page.scope, ident=ident)
    return file_response(evidence.content, evidence.content_type, evidence.filename)


@router.post("/transformation/evidence/{ident}/delete", name="transformation_evidence_delete")
def evidence_delete_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    evidence = service.get_evidence(page.db, scope=page.scope, ident=ident)
    assessment_id = evidence.assessment_id
    service.delete_evidence(page.db, scope=page.scope, ident=ident)
    return RedirectResponse(f"/transformation/assessments/{assessment_id}?done=deleted#evidence", 303)


@router.post("/transformation/assessments/{ident}/review", name="transformation_assessment_review")
def review_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    row = service.get_assessment(page.db, scope=page.scope, ident=ident)
    try:
        data = schemas.ReviewDecision(decision=form.get("decision", ""), comment=form.get("comment") or None)
        service.review_assessment(page.db, scope=page.scope, ident=ident, data=data)
    except ValidationError as exc:
        return _questionnaire(page, row, _section(page), [str(e["msg"]) for e in exc.errors()], status_code=422)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        page.db.rollback()
        row = service.get_assessment(page.db, scope=page.scope, ident=ident)
        return _questionnaire(page, row, _section(page), _problem_text(page, exc), status_code=exc.status)
    done = "confirmed" if form.get("decision") == "confirm" else "returned"
    return RedirectResponse(f"/transformation/review?done={done}", status_code=303)


# ==================================================================================================================
# Catalogue and provider requests
# ==================================================================================================================
@router.get("/transformation/catalogue", response_class=HTMLResponse, name="transformation_catalogue")
def catalogue_page(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.VIEW)
    q = questionnaire()
    rows, _total = service.list_catalogue(
        page.db, scope=page.scope, query=ListQuery(filters={"active": True}, page_size=500, sort="name")
    )
    scene = page.request.query_params.get("scene", "")
    if scene in q.scene_by_code:
        rows = [r for r in rows if scene in r.scenes]
    may_request = page.scope.can(service.SELF_WRITE)  # only an enterprise requests a provider
    return page.render(
        "transformation/catalogue.html",
        {
            "rows": [
                {
                    "id": r.id,
                    "name": r.name,
                    "provider": r.provider,
                    "contact": r.contact,
                    "kind": page.label(KIND_LABELS, r.kind),
                    "description": r.description,
                    "price_note": r.price_note,
                    "demo": r.demo,
                    "scenes": [_scene(page, q, c) for c in r.scenes],
                    "indicators": [_indicator(page, q, c) for c in r.indicators],
                }
                for r in rows
            ],
            "scene": scene,
            "scene_choices": [{"value": s.code, "label": _scene(page, q, s.code)} for s in q.scenes],
            "may_request": may_request,
            "notice": _notice(page),
        },
    )


@router.post("/transformation/requests", name="transformation_request_create")
def create_request_page(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    entry = form.get("entry_id", "")
    if not entry.isdigit() or not 1 <= int(entry) < 2**31:
        raise field_error("entry_id", "choose a catalogue entry")
    data = schemas.ProviderRequestCreate(entry_id=int(entry), message=(form.get("message") or "")[:2000] or None)
    service.create_request(page.db, scope=page.scope, data=data)
    back = form.get("back", "")
    target = back if back.startswith("/transformation/") else "/transformation/requests"
    return RedirectResponse(f"{target}?done=requested", status_code=303)


@router.get("/transformation/requests", response_class=HTMLResponse, name="transformation_requests")
def requests_page(page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.VIEW)
    rows, _total = service.list_requests(page.db, scope=page.scope, query=ListQuery(page_size=500))
    entries = {e.id: e for e in service.list_catalogue(page.db, scope=page.scope, query=ListQuery(page_size=500))[0]}
    names = _names(page, {r.enterprise_id for r in rows})
    may_handle = page.scope.can(service.WRITE) and bool(page.scope.write_parks)
    return page.render(
        "transformation/requests.html",
        {
            "rows": [
                {
                    "id": r.id,
                    "enterprise_id": r.enterprise_id,
                    "enterprise": names.get(r.enterprise_id, f"#{r.enterprise_id}"),
                    "entry": entries[r.entry_id].name if r.entry_id in entries else f"#{r.entry_id}",
                    "provider": entries[r.entry_id].provider if r.entry_id in entries else "",
                    "status": page.label(REQUEST_LABELS, r.status),
                    "status_code": r.status,
                    "message": r.message,
                    "note": r.note,
                    "created_at": i18n.local_time(r.created_at),
                    "next": [
                        {"value": s, "label": page.label(REQUEST_LABELS, s)}
                        for s in sorted(service.REQUEST_TRANSITIONS[r.status], key=list(REQUEST_LABELS).index)
                    ],
                    "history": [
                        {
                            "status": page.label(REQUEST_LABELS, h.get("status")),
                            "at": i18n.local_time(dt.datetime.fromisoformat(h["at"])) if h.get("at") else "",
                            "by": h.get("by"),
                            "note": h.get("note"),
                        }
                        for h in r.history
                    ],
                }
                for r in rows
            ],
            "may_handle": may_handle,
            "notice": _notice(page),
        },
    )


@router.post("/transformation/requests/{ident}/status", name="transformation_request_status")
def request_status_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    data = schemas.ProviderRequestStatusChange(status=form.get("status", ""), note=form.get("note") or None)
    service.change_request_status(page.db, scope=page.scope, ident=ident, data=data)
    return RedirectResponse("/transformation/requests?done=updated", status_code=303)
