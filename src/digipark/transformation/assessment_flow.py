"""SME digital-level assessments: create, save a draft, submit, review, revisions and evidence files.

Everything takes `(session, *, scope, ...)`, reads through the scope and never commits."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.uploads import check_upload, safe_filename
from digipark.transformation.assessment import (
    AnswerError,
    AssessmentResult,
    Questionnaire,
    questionnaire,
    score_answers,
    validate_answers,
)
from digipark.transformation.common import (
    EVIDENCE_UPLOAD,
    FILL,
    MAX_EVIDENCE_FILES,
    REVIEW,
    record_enterprise,
    today,
)
from digipark.transformation.models import (
    Assessment,
    AssessmentEvidence,
    AssessmentRevision,
    AssessmentStatus,
)
from digipark.transformation.schemas import (
    AssessmentCreate,
    AssessmentUpdate,
    ReviewDecision,
)

EDITABLE = frozenset({AssessmentStatus.DRAFT.value, AssessmentStatus.RETURNED.value})


ASSESSMENT_SPEC = ListSpec(
    filters={
        "park_id": Assessment.park_id,
        "enterprise_id": Assessment.enterprise_id,
        "year": Assessment.year,
        "status": Assessment.status,
        "level": Assessment.level,
    },
    sort={
        "id": Assessment.id,
        "year": Assessment.year,
        "enterprise_id": Assessment.enterprise_id,
        "base_score": Assessment.base_score,
        "level": Assessment.level,
        "submitted_at": Assessment.submitted_at,
    },
    default_sort="-year,enterprise_id",
)


def _clean(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return validate_answers(q, answers)
    except AnswerError as exc:
        raise field_error(f"answers.{exc.field}", exc.reason) from None


def _apply_result(row: Assessment, result: AssessmentResult) -> None:
    row.base_score = result.base_score
    row.level = result.level
    row.dimension_scores = dict(result.dimension_scores)
    row.weakest = list(result.weakest_indicators)


def result_of(row: Assessment) -> AssessmentResult:
    return score_answers(questionnaire(), row.answers)


def list_assessments(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Assessment], int]:
    return ASSESSMENT_SPEC.apply(session, scope.readable(Assessment), query)


def get_assessment(session: Session, *, scope: Scope, ident: int) -> Assessment:
    return scope.get_or_404(session, Assessment, ident)


def get_assessment_by_year(session: Session, *, scope: Scope, enterprise_id: int, year: int) -> Assessment | None:
    found: Assessment | None = session.scalar(
        scope.readable(Assessment).where(Assessment.enterprise_id == enterprise_id, Assessment.year == year)
    )
    return found


def enterprise_assessments(session: Session, *, scope: Scope, enterprise_id: int) -> builtins.list[Assessment]:
    stmt = scope.readable(Assessment).where(Assessment.enterprise_id == enterprise_id)
    return [*session.scalars(stmt.order_by(Assessment.year.desc()))]


def create_assessment(session: Session, *, scope: Scope, data: AssessmentCreate) -> Assessment:
    """A new draft for one enterprise and year (one per enterprise and year)."""
    enterprise = record_enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(FILL, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    if data.year > today().year:
        raise field_error("year", f"{data.year} has not begun")
    existing = session.scalar(
        select(Assessment.id).where(Assessment.enterprise_id == enterprise.id, Assessment.year == data.year)
    )
    if existing is not None:
        raise Conflict(
            f"{enterprise.name} already has an assessment for {data.year} (assessment {existing})",
            errors=[{"field": "year", "reason": "already exists", "assessment_id": existing}],
        )
    q = questionnaire()
    answers = _clean(q, data.answers)
    row = Assessment(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        year=data.year,
        questionnaire=q.code,
        status=AssessmentStatus.DRAFT.value,
        answers=answers,
        revision=0,
    )
    _apply_result(row, score_answers(q, answers))
    session.add(row)
    session.flush()
    return row


def _editable(scope: Scope, row: Assessment) -> None:
    scope.authorize_write_row(FILL, row)
    if row.status not in EDITABLE:
        raise Conflict(f"the assessment is {row.status}; only a draft or a returned assessment can be changed")


def save_draft(session: Session, *, scope: Scope, ident: int, data: AssessmentUpdate) -> Assessment:
    """Merge answers into a draft (or a returned assessment): given codes replace, null clears; partial is fine."""
    row = get_assessment(session, scope=scope, ident=ident)
    _editable(scope, row)
    q = questionnaire()
    merged = {**row.answers}
    for key, value in data.answers.items():
        if value is None or value == "" or value == []:
            merged.pop(key, None)
        else:
            merged[key] = value
    answers = _clean(q, merged)
    row.answers = answers
    _apply_result(row, score_answers(q, answers))
    session.flush()
    return row


def submit_assessment(session: Session, *, scope: Scope, ident: int) -> Assessment:
    """Submit for the park's review: every question answered and every scene rated (0 allowed)."""
    row = get_assessment(session, scope=scope, ident=ident)
    _editable(scope, row)
    q = questionnaire()
    result = score_answers(q, row.answers)
    if not result.complete:
        raise ValidationFailed(
            f"{len(result.missing)} questions or scenes are not answered yet",
            errors=[{"field": f"answers.{code}", "reason": "required to submit"} for code in result.missing],
        )
    _apply_result(row, result)
    now = utcnow()
    row.status = AssessmentStatus.SUBMITTED.value
    row.revision += 1
    row.submitted_by = scope.username
    row.submitted_at = now
    session.add(
        AssessmentRevision(
            park_id=row.park_id,
            enterprise_id=row.enterprise_id,
            assessment_id=row.id,
            revision=row.revision,
            answers=dict(row.answers),
            base_score=row.base_score,
            level=row.level,
            submitted_by=scope.username,
            submitted_at=now,
        )
    )
    session.flush()
    return row


def review_assessment(session: Session, *, scope: Scope, ident: int, data: ReviewDecision) -> Assessment:
    """The park confirms a submitted assessment or returns it with a comment."""
    row = get_assessment(session, scope=scope, ident=ident)
    scope.authorize_write(REVIEW, park_id=row.park_id)
    if row.status != AssessmentStatus.SUBMITTED.value:
        raise Conflict(f"the assessment is {row.status}; only a submitted assessment can be reviewed")
    now = utcnow()
    confirmed = data.decision == "confirm"
    row.status = (AssessmentStatus.CONFIRMED if confirmed else AssessmentStatus.RETURNED).value
    row.reviewed_by = scope.username
    row.reviewed_at = now
    row.review_comment = data.comment or None
    row.confirmed_on = today() if confirmed else None
    latest = session.scalar(
        select(AssessmentRevision).where(
            AssessmentRevision.assessment_id == row.id, AssessmentRevision.revision == row.revision
        )
    )
    if latest is not None:
        latest.decision = "confirmed" if confirmed else "returned"
        latest.comment = data.comment or None
        latest.reviewed_by = scope.username
        latest.reviewed_at = now
    session.flush()
    return row


def assessment_revisions(session: Session, *, scope: Scope, ident: int) -> builtins.list[AssessmentRevision]:
    row = get_assessment(session, scope=scope, ident=ident)
    stmt = scope.readable(AssessmentRevision).where(AssessmentRevision.assessment_id == row.id)
    return [*session.scalars(stmt.order_by(AssessmentRevision.revision.desc()))]


# -- evidence ------------------------------------------------------------------------------------------------------


def add_evidence(
    session: Session,
    *,
    scope: Scope,
    ident: int,
    filename: str,
    content_type: str,
    content: bytes,
    question: str | None = None,
) -> AssessmentEvidence:
    row = get_assessment(session, scope=scope, ident=ident)
    _editable(scope, row)
    q = questionnaire()
    if question and question not in q.questions and question not in q.scene_by_code:
        raise field_error("question", f"no question or scene {question!r}")
    declared = check_upload(EVIDENCE_UPLOAD, filename=filename, content_type=content_type, content=content)
    count = len([*session.scalars(select(AssessmentEvidence.id).where(AssessmentEvidence.assessment_id == row.id))])
    if count >= MAX_EVIDENCE_FILES:
        raise Conflict(f"an assessment holds at most {MAX_EVIDENCE_FILES} evidence files")
    evidence = AssessmentEvidence(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        assessment_id=row.id,
        question=question or None,
        filename=safe_filename(filename),
        content_type=declared,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=scope.username,
        uploaded_at=utcnow(),
    )
    session.add(evidence)
    session.flush()
    return evidence


def list_evidence(session: Session, *, scope: Scope, ident: int) -> builtins.list[AssessmentEvidence]:
    row = get_assessment(session, scope=scope, ident=ident)
    stmt = scope.readable(AssessmentEvidence).where(AssessmentEvidence.assessment_id == row.id)
    return [*session.scalars(stmt.order_by(AssessmentEvidence.id))]


def get_evidence(session: Session, *, scope: Scope, ident: int) -> AssessmentEvidence:
    return scope.get_or_404(session, AssessmentEvidence, ident)


def delete_evidence(session: Session, *, scope: Scope, ident: int) -> None:
    evidence = get_evidence(session, scope=scope, ident=ident)
    row = get_assessment(session, scope=scope, ident=evidence.assessment_id)
    _editable(scope, row)
    session.delete(evidence)
    session.flush()
