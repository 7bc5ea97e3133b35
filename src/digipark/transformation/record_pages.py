"""An enterprise's transformation record: assessments over the years, renovation status, certificates, adoption,
recommendations and provider requests, with the forms that add to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.core.listing import ListQuery
from digipark.registry.models import Enterprise
from digipark.transformation import renovation, schemas, service
from digipark.transformation.assessment import questionnaire
from digipark.transformation.models import CertificateScale
from digipark.transformation.page_parts import (
    ADOPTION_LABELS,
    DIMENSION_LABELS,
    KIND_LABELS,
    REQUEST_LABELS,
    SCALE_LABELS,
    STATUS_LABELS,
    Ident,
    date_text,
    enterprise_or_404,
    indicator_name,
    level_text,
    may_write_for,
    multipart_form,
    notice_of,
    problem_texts,
    scene_name,
)
from digipark.web import forms, i18n
from digipark.web.labels import industry_name
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)


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
        {e.id: page.name(e) for e in service.list_catalogue(db, scope=scope, query=ListQuery(page_size=500))[0]}
        if entries
        else {}
    )
    scales = renovation.scales()
    today = service.today()
    open_requests = {r.entry_id for r in requests if r.status in ("requested", "contacted", "in_progress")}
    may_fill = may_write_for(page, enterprise, service.FILL)
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
                "confirmed_on": date_text(a.confirmed_on),
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
                "issued_on": date_text(c.issued_on),
                "valid_to": date_text(c.valid_to),
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
                "scenarios": [scene_name(page, q, code) for code in r.scenarios],
                "count": r.count,
                "started_on": date_text(r.started_on),
                "ended_on": date_text(r.ended_on),
                "active": r.started_on <= today and (r.ended_on is None or r.ended_on >= today),
            }
            for r in adoption
        ],
        "adoption_kinds": [{"value": k, "label": page.gettext(v)} for k, v in ADOPTION_LABELS.items()],
        "scene_choices": [{"value": s.code, "label": scene_name(page, q, s.code)} for s in q.scenes],
        "recommendations": {
            "year": recs.assessment_year,
            "weakest": [indicator_name(page, q, code) for code in recs.weakest_indicators],
            "scenes": [scene_name(page, q, code) for code in recs.weak_scenes[:6]],
            "items": [
                {
                    "id": item.entry.id,
                    "name": page.name(item.entry),
                    "provider": page.name(item.entry, "provider"),
                    "kind": page.label(KIND_LABELS, item.entry.kind),
                    "description": page.name(item.entry, "description"),
                    "demo": item.entry.demo,
                    "why": [indicator_name(page, q, c) for c in item.matched_indicators]
                    + [scene_name(page, q, c) for c in item.matched_scenes],
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
        "may_write": may_write_for(page, enterprise, service.writer_permission(page.scope)),
        "may_verify": may_write_for(page, enterprise, service.WRITE),
        "may_request": may_write_for(page, enterprise, service.SELF_WRITE),  # only an enterprise requests a provider
        "today": today.isoformat(),
        "notice": notice_of(page),
    }


def _record(
    page: Page,
    enterprise: Enterprise,
    errors: list[str] | None = None,
    status_code: int = 200,
    field_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The record page; `errors` above the forms, `field_errors` (field -> message) beside their fields."""
    context = _record_context(page, enterprise)
    context["errors"] = errors or []
    context["field_errors"] = field_errors or {}
    return page.render("transformation/enterprise.html", context, status_code=status_code)


@router.get("/transformation/enterprises/{ident}", response_class=HTMLResponse, name="transformation_enterprise")
def enterprise_page(ident: Ident, page: CurrentPage) -> HTMLResponse:
    page.scope.require(service.VIEW)
    return _record(page, enterprise_or_404(page, ident))


def _attempt(page: Page, enterprise: Enterprise, action: Any, done: str, anchor: str = "") -> Response:
    """Run a write; on bad input show the record page again with the reasons."""
    try:
        action()
    except ValidationError as exc:
        page.db.rollback()
        by_field = forms.validation_errors(exc, page.gettext)
        general = [by_field.pop(forms.GENERAL)] if forms.GENERAL in by_field else []
        return _record(page, enterprise_or_404(page, enterprise.id), general, 422, by_field)
    except DomainError as exc:
        if isinstance(exc, PermissionDenied | NotFound):
            raise
        page.db.rollback()
        return _record(page, enterprise_or_404(page, enterprise.id), problem_texts(page, exc), status_code=exc.status)
    return RedirectResponse(f"/transformation/enterprises/{enterprise.id}?done={done}{anchor}", status_code=303)


@router.post("/transformation/enterprises/{ident}/assessments", name="transformation_assessment_create")
def create_assessment_page(ident: Ident, page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    page.scope.require(service.FILL)  # before the input is looked at
    enterprise = enterprise_or_404(page, ident)
    created: dict[str, int] = {}

    def act() -> None:
        data = schemas.AssessmentCreate.model_validate({"enterprise_id": enterprise.id, "year": form.get("year")})
        row = service.create_assessment(page.db, scope=page.scope, data=data)
        created["id"] = row.id

    response = _attempt(page, enterprise, act, "created")
    if "id" in created:
        return RedirectResponse(f"/transformation/assessments/{created['id']}", status_code=303)
    return response


@router.post("/transformation/enterprises/{ident}/certificates", name="transformation_certificate_create")
async def create_certificate_page(ident: Ident, page: CurrentPage, request: Request) -> Response:
    fields, upload = await multipart_form(request)
    page.check_csrf(fields)
    page.scope.require(service.WRITE if page.scope.can(service.WRITE) else service.SELF_WRITE)  # before the input
    enterprise = enterprise_or_404(page, ident)
    content = await upload.read(service.MAX_EVIDENCE_BYTES + 1) if upload else None

    def act() -> None:
        data = schemas.CertificateCreate.model_validate(
            {
                "enterprise_id": enterprise.id,
                "scale": fields.get("scale", ""),
                "level": fields.get("level") or None,
                "certificate_no": fields.get("certificate_no", ""),
                "issuer": fields.get("issuer", ""),
                "issued_on": fields.get("issued_on", ""),
                "valid_to": fields.get("valid_to") or None,
            }
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
    enterprise = enterprise_or_404(page, ident)

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
