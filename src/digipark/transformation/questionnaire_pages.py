"""The assessment questionnaire, dimension by dimension: drafts, submit, evidence files and the review."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from digipark.core.downloads import file_response
from digipark.core.errors import DomainError, NotFound, PermissionDenied, field_error
from digipark.transformation import schemas, service
from digipark.transformation.assessment import INPUTS_KEY, Questionnaire, questionnaire
from digipark.transformation.models import AssessmentStatus
from digipark.transformation.page_parts import (
    DIMENSION_LABELS,
    SCENE_LEVEL_LABELS,
    SECTIONS,
    STATUS_LABELS,
    Ident,
    enterprise_or_404,
    indicator_name,
    level_text,
    may_write_for,
    multipart_form,
    notice_of,
    problem_texts,
    scene_name,
)
from digipark.web import i18n
from digipark.web.shell import CurrentPage, FormFields, Page

router = APIRouter(include_in_schema=False)


def _section(page: Page) -> str:
    section = page.request.query_params.get("section", "D1")
    return section if section in SECTIONS else "D1"


def _questionnaire_context(page: Page, row: Any, section: str) -> dict[str, Any]:
    q = questionnaire()
    result = service.result_of(row)
    answers = row.answers
    inputs = answers.get(INPUTS_KEY, {})
    enterprise = enterprise_or_404(page, row.enterprise_id)
    editable = row.status in service.EDITABLE and may_write_for(page, enterprise, service.FILL)
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
                    "label": indicator_name(page, q, i.code),
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
            "name": scene_name(page, q, s.code),
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
            {"label": indicator_name(page, q, code), "share": result.share(q, code) * 100}
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
        "notice": notice_of(page),
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
        return _questionnaire(page, row, section, problem_texts(page, exc), status_code=exc.status)
    target = section
    if action == "next":
        target = SECTIONS[min(SECTIONS.index(section) + 1, len(SECTIONS) - 1)]
    return RedirectResponse(f"/transformation/assessments/{ident}?section={target}&done=saved", status_code=303)


@router.post("/transformation/assessments/{ident}/evidence", name="transformation_evidence_upload")
async def upload_evidence_page(ident: Ident, page: CurrentPage, request: Request) -> Response:
    fields, upload = await multipart_form(request)
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
        return _questionnaire(page, row, section, problem_texts(page, exc), status_code=exc.status)
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
        return _questionnaire(page, row, _section(page), problem_texts(page, exc), status_code=exc.status)
    done = "confirmed" if form.get("decision") == "confirm" else "returned"
    return RedirectResponse(f"/transformation/review?done={done}", status_code=303)
