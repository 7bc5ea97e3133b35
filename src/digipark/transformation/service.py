"""The transformation domain's service: SME digital-level assessments (draft, submit, review, evidence),
maturity certificates, adoption records, the 小快轻准 catalogue with recommendations, provider requests, the
park's picture by level — and the functions the evaluation calls.

For the evaluation (plain park ids; the caller applies the scope first):
- `renovation_status(session, park_id=, as_of=)` -> {enterprise_id: RenovationStatus} for every active
  industrial enterprise of the park, by the rule in data/maturity_levels.yaml (see renovation.py);
- `adoption(session, park_id=, as_of=)` -> {enterprise_id: Adoption} for every active enterprise of the park
  (all False / 0 without records);
- `assessment_levels(session, park_id=, year=)` -> {enterprise_id: confirmed level of that year or None} for
  every active enterprise of the park (0 = confirmed but below level 1);
- `score_answers(questionnaire, answers)` (pure, from assessment.py).

Everything else takes `(session, *, scope, ...)`, reads through the scope and never commits.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.registry.models import Enterprise
from digipark.transformation import renovation
from digipark.transformation.assessment import (
    QUESTIONNAIRE_CODE,
    AnswerError,
    AssessmentResult,
    Questionnaire,
    questionnaire,
    score_answers,
    validate_answers,
)
from digipark.transformation.models import (
    AdoptionKind,
    AdoptionRecord,
    Assessment,
    AssessmentEvidence,
    AssessmentRevision,
    AssessmentStatus,
    CatalogueEntry,
    MaturityCertificate,
    ProviderRequest,
    RequestStatus,
)
from digipark.transformation.schemas import (
    AdoptionCreate,
    AdoptionUpdate,
    AssessmentCreate,
    AssessmentUpdate,
    CatalogueCreate,
    CatalogueUpdate,
    CertificateCreate,
    CertificateUpdate,
    EnterpriseLevel,
    IndustryLevels,
    LevelCount,
    ParkSummary,
    ProviderRequestCreate,
    ProviderRequestStatusChange,
    ReviewDecision,
)

__all__ = [
    "QUESTIONNAIRE_CODE",
    "Adoption",
    "AssessmentResult",
    "Questionnaire",
    "RenovationStatus",
    "adoption",
    "assessment_levels",
    "questionnaire",
    "renovation_status",
    "score_answers",
]

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
READ = "transformation.read"  # park-wide views: the map, the review queue, every enterprise's records
FILL = "assessment.fill"  # fill in and submit an assessment (an enterprise its own; staff on its behalf)
REVIEW = "assessment.review"  # confirm or return a submitted assessment
WRITE = "transformation.write"  # staff: certificates (and verifying them), adoption records, requests' handling
SELF_WRITE = "transformation.self_write"  # an enterprise: its own certificates, adoption records, requests
CATALOGUE_WRITE = "catalogue.write"

# -- evidence files ------------------------------------------------------------------------------------------------
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_FILES = 30
# declared content type -> what its first bytes must be (None: plain text, checked as UTF-8)
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "text/plain": None,
    "text/csv": None,
}

EDITABLE = frozenset({AssessmentStatus.DRAFT.value, AssessmentStatus.RETURNED.value})
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.REQUESTED.value: frozenset({"contacted", "in_progress", "declined"}),
    RequestStatus.CONTACTED.value: frozenset({"in_progress", "done", "declined"}),
    RequestStatus.IN_PROGRESS.value: frozenset({"done", "declined"}),
    RequestStatus.DONE.value: frozenset(),
    RequestStatus.DECLINED.value: frozenset(),
}


def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


# ==================================================================================================================
# For the evaluation: plain park ids, no scope
# ==================================================================================================================
@dataclasses.dataclass(frozen=True)
class RenovationStatus:
    enterprise_id: int
    renovated: bool
    basis: str | None  # what makes it renovated, e.g. "中小企业数字化水平评测指标（2024年版） 二级 (2025)"
    lacks: list[str]  # untranslated msgids (renovation.LACK_MESSAGES) when not renovated


@dataclasses.dataclass(frozen=True)
class Adoption:
    enterprise_id: int
    industrial_internet: bool
    cloud: bool
    digital_production_services: bool
    robots: int
    ai: bool


def _active_enterprises(session: Session, park_id: int, *, industrial_only: bool) -> list[int]:
    stmt = select(Enterprise.id).where(Enterprise.park_id == park_id, Enterprise.status == "active")
    if industrial_only:
        stmt = stmt.where(Enterprise.industrial.is_(True))
    return [*session.scalars(stmt.order_by(Enterprise.id))]


def renovation_facts(
    session: Session, park_id: int, enterprise_id: int | None = None
) -> tuple[dict[int, list[renovation.AssessmentFact]], dict[int, list[renovation.CertificateFact]]]:
    """The records the renovation rule reads, per enterprise of the park (or of one enterprise)."""
    assessments: dict[int, list[renovation.AssessmentFact]] = defaultdict(list)
    stmt = select(
        Assessment.enterprise_id, Assessment.year, Assessment.status, Assessment.level, Assessment.confirmed_on
    ).where(Assessment.park_id == park_id)
    if enterprise_id is not None:
        stmt = stmt.where(Assessment.enterprise_id == enterprise_id)
    rows = session.execute(stmt)
    for enterprise_id, year, status, level, confirmed_on in rows:
        assessments[enterprise_id].append(renovation.AssessmentFact(year, status, level, confirmed_on))
    certificates: dict[int, list[renovation.CertificateFact]] = defaultdict(list)
    certificate_rows = session.execute(
        select(
            MaturityCertificate.enterprise_id,
            MaturityCertificate.scale,
            MaturityCertificate.level,
            MaturityCertificate.certificate_no,
            MaturityCertificate.issued_on,
            MaturityCertificate.valid_to,
            MaturityCertificate.verified,
        ).where(
            MaturityCertificate.park_id == park_id,
            *([MaturityCertificate.enterprise_id == enterprise_id] if enterprise_id is not None else []),
        )
    )
    for enterprise_id, scale, level, number, issued_on, valid_to, verified in certificate_rows:
        certificates[enterprise_id].append(
            renovation.CertificateFact(scale, level, number, issued_on, valid_to, verified)
        )
    return assessments, certificates


def renovation_status(
    session: Session, *, park_id: int, as_of: dt.date | None = None, rule: renovation.Rule | None = None
) -> dict[int, RenovationStatus]:
    """Whether each active industrial enterprise of the park is digitally renovated on `as_of` (default today)."""
    as_of = as_of or today()
    rule = rule or renovation.default_rule()
    assessments, certificates = renovation_facts(session, park_id)
    result: dict[int, RenovationStatus] = {}
    for enterprise_id in _active_enterprises(session, park_id, industrial_only=True):
        found = renovation.judge(rule, assessments.get(enterprise_id, ()), certificates.get(enterprise_id, ()), as_of)
        result[enterprise_id] = RenovationStatus(enterprise_id, found.renovated, found.basis, found.lacks)
    return result


def adoption(session: Session, *, park_id: int, as_of: dt.date | None = None) -> dict[int, Adoption]:
    """What each active enterprise of the park uses on `as_of` (default today), from its adoption records."""
    as_of = as_of or today()
    kinds: dict[int, set[str]] = defaultdict(set)
    robots: dict[int, int] = defaultdict(int)
    rows = session.execute(
        select(AdoptionRecord.enterprise_id, AdoptionRecord.kind, AdoptionRecord.count).where(
            AdoptionRecord.park_id == park_id,
            AdoptionRecord.started_on <= as_of,
            (AdoptionRecord.ended_on.is_(None)) | (AdoptionRecord.ended_on >= as_of),
        )
    )
    for enterprise_id, kind, count in rows:
        kinds[enterprise_id].add(kind)
        if kind == AdoptionKind.ROBOT.value:
            robots[enterprise_id] += count or 0
    return {
        enterprise_id: Adoption(
            enterprise_id=enterprise_id,
            industrial_internet=AdoptionKind.INDUSTRIAL_INTERNET.value in kinds[enterprise_id],
            cloud=AdoptionKind.CLOUD.value in kinds[enterprise_id],
            digital_production_services=AdoptionKind.DIGITAL_PRODUCTION_SERVICE.value in kinds[enterprise_id],
            robots=robots[enterprise_id],
            ai=AdoptionKind.AI.value in kinds[enterprise_id],
        )
        for enterprise_id in _active_enterprises(session, park_id, industrial_only=False)
    }


def assessment_levels(session: Session, *, park_id: int, year: int) -> dict[int, int | None]:
    """The confirmed SME digital level of `year` of each active enterprise of the park (None: none confirmed)."""
    rows = session.execute(
        select(Assessment.enterprise_id, Assessment.level).where(
            Assessment.park_id == park_id,
            Assessment.year == year,
            Assessment.status == AssessmentStatus.CONFIRMED.value,
        )
    )
    confirmed: dict[int, int] = {enterprise_id: level for enterprise_id, level in rows}
    return {e: confirmed.get(e) for e in _active_enterprises(session, park_id, industrial_only=False)}


# ==================================================================================================================
# Assessments
# ==================================================================================================================
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


def _enterprise(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    """The enterprise a record is for: the caller's own when not given; it must be visible."""
    if enterprise_id is None:
        if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
            enterprise_id = scope.enterprise_id
        else:
            raise field_error("enterprise_id", "required: the enterprise this is for")
    enterprise: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return enterprise


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
    enterprise = _enterprise(session, scope, data.enterprise_id)
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
def _check_file(filename: str, content_type: str, content: bytes, field: str = "file") -> str:
    if len(content) > MAX_EVIDENCE_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB")
    if not content:
        raise field_error(field, "the file is empty")
    if not filename.strip():
        raise field_error(field, "the file has no name")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in EVIDENCE_TYPES:
        raise UnsupportedFile(
            f"files of type {declared or 'unknown'} are not accepted; use PDF, PNG, JPEG, Word (.docx), "
            "Excel (.xlsx) or plain text"
        )
    signatures = EVIDENCE_TYPES[declared]
    if signatures is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedFile(f"the file is not the {declared} it claims to be") from None
    elif not any(content.startswith(sig) for sig in signatures):
        raise UnsupportedFile(f"the file is not the {declared} it claims to be")
    return declared


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')[:200] or "file"


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
    declared = _check_file(filename, content_type, content)
    count = len([*session.scalars(select(AssessmentEvidence.id).where(AssessmentEvidence.assessment_id == row.id))])
    if count >= MAX_EVIDENCE_FILES:
        raise Conflict(f"an assessment holds at most {MAX_EVIDENCE_FILES} evidence files")
    evidence = AssessmentEvidence(
        park_id=row.park_id,
        enterprise_id=row.enterprise_id,
        assessment_id=row.id,
        question=question or None,
        filename=_safe_name(filename),
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


# ==================================================================================================================
# Certificates, adoption records (an enterprise's own, or staff for any)
# ==================================================================================================================
CERTIFICATE_SPEC = ListSpec(
    filters={
        "park_id": MaturityCertificate.park_id,
        "enterprise_id": MaturityCertificate.enterprise_id,
        "scale": MaturityCertificate.scale,
        "verified": MaturityCertificate.verified,
    },
    search=[MaturityCertificate.certificate_no, MaturityCertificate.issuer],
    sort={
        "id": MaturityCertificate.id,
        "enterprise_id": MaturityCertificate.enterprise_id,
        "issued_on": MaturityCertificate.issued_on,
        "level": MaturityCertificate.level,
    },
    default_sort="-issued_on,id",
)
ADOPTION_SPEC = ListSpec(
    filters={
        "park_id": AdoptionRecord.park_id,
        "enterprise_id": AdoptionRecord.enterprise_id,
        "kind": AdoptionRecord.kind,
    },
    search=[AdoptionRecord.name, AdoptionRecord.provider],
    sort={
        "id": AdoptionRecord.id,
        "enterprise_id": AdoptionRecord.enterprise_id,
        "kind": AdoptionRecord.kind,
        "started_on": AdoptionRecord.started_on,
    },
    default_sort="enterprise_id,kind,id",
)


def _own_permission(scope: Scope) -> str:
    return SELF_WRITE if scope.role == Role.ENTERPRISE else WRITE


def _check_level(scale: str, level: int) -> None:
    known = renovation.scales()[scale]
    if known.level_name(level) is None:
        raise field_error("level", f"{scale} has levels {', '.join(str(lv.level) for lv in known.levels)}")


def list_certificates(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[MaturityCertificate], int]:
    return CERTIFICATE_SPEC.apply(session, scope.readable(MaturityCertificate), query)


def get_certificate(session: Session, *, scope: Scope, ident: int) -> MaturityCertificate:
    return scope.get_or_404(session, MaturityCertificate, ident)


def create_certificate(session: Session, *, scope: Scope, data: CertificateCreate) -> MaturityCertificate:
    """Record a certificate; one entered by park staff is verified, one entered by an enterprise waits for them."""
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(_own_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    _check_level(data.scale.value, data.level)
    staff = scope.can(WRITE)
    row = MaturityCertificate(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        scale=data.scale.value,
        level=data.level,
        certificate_no=data.certificate_no,
        issuer=data.issuer,
        issued_on=data.issued_on,
        valid_to=data.valid_to,
        verified=staff,
        verified_by=scope.username if staff else None,
    )
    session.add(row)
    session.flush()
    return row


def update_certificate(session: Session, *, scope: Scope, ident: int, data: CertificateUpdate) -> MaturityCertificate:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(_own_permission(scope), row)
    values = data.model_dump(exclude_unset=True)
    for field in ("level", "certificate_no", "issuer", "issued_on"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    for field, value in values.items():
        setattr(row, field, value)
    _check_level(row.scale, row.level)
    if row.valid_to is not None and row.valid_to < row.issued_on:
        raise field_error("valid_to", "must not be before issued_on")
    if not scope.can(WRITE):  # an enterprise's change needs the park's verification again
        row.verified, row.verified_by = False, None
    session.flush()
    return row


def verify_certificate(session: Session, *, scope: Scope, ident: int, verified: bool = True) -> MaturityCertificate:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    row.verified = verified
    row.verified_by = scope.username if verified else None
    session.flush()
    return row


def attach_certificate_file(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> MaturityCertificate:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(_own_permission(scope), row)
    row.file_content_type = _check_file(filename, content_type, content)
    row.file_name = _safe_name(filename)
    row.file_size = len(content)
    row.file_content = content
    if not scope.can(WRITE):
        row.verified, row.verified_by = False, None
    session.flush()
    return row


def delete_certificate(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(_own_permission(scope), row)
    if row.verified and not scope.can(WRITE):
        raise PermissionDenied("a certificate the park has verified is removed by the park")
    session.delete(row)
    session.flush()


def _check_scenes(codes: builtins.list[str], field: str) -> builtins.list[str]:
    known = questionnaire().scene_by_code
    for code in codes:
        if code not in known:
            raise field_error(field, f"no scene {code!r}; scenes are S01–S{len(known):02d}")
    return builtins.list(dict.fromkeys(codes))


def list_adoption(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[AdoptionRecord], int]:
    return ADOPTION_SPEC.apply(session, scope.readable(AdoptionRecord), query)


def get_adoption(session: Session, *, scope: Scope, ident: int) -> AdoptionRecord:
    return scope.get_or_404(session, AdoptionRecord, ident)


def create_adoption(session: Session, *, scope: Scope, data: AdoptionCreate) -> AdoptionRecord:
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(_own_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    values = data.model_dump(exclude={"enterprise_id"})
    values["kind"] = data.kind.value
    values["scenarios"] = _check_scenes(data.scenarios, "scenarios")
    if data.kind != AdoptionKind.ROBOT:
        values["count"] = data.count
    row = AdoptionRecord(park_id=enterprise.park_id, enterprise_id=enterprise.id, **values)
    session.add(row)
    session.flush()
    return row


def update_adoption(session: Session, *, scope: Scope, ident: int, data: AdoptionUpdate) -> AdoptionRecord:
    row = get_adoption(session, scope=scope, ident=ident)
    scope.authorize_write_row(_own_permission(scope), row)
    values = data.model_dump(exclude_unset=True)
    for field in ("name", "started_on", "scenarios"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    if "scenarios" in values:
        values["scenarios"] = _check_scenes(values["scenarios"], "scenarios")
    for field, value in values.items():
        setattr(row, field, value)
    if row.kind == AdoptionKind.ROBOT.value and row.count is None:
        raise field_error("count", "required for industrial robots")
    if row.ended_on is not None and row.ended_on < row.started_on:
        raise field_error("ended_on", "must not be before started_on")
    session.flush()
    return row


def delete_adoption(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_adoption(session, scope=scope, ident=ident)
    scope.authorize_write_row(_own_permission(scope), row)
    session.delete(row)
    session.flush()


# ==================================================================================================================
# The catalogue and recommendations
# ==================================================================================================================
CATALOGUE_SPEC = ListSpec(
    filters={
        "park_id": CatalogueEntry.park_id,
        "kind": CatalogueEntry.kind,
        "demo": CatalogueEntry.demo,
        "active": CatalogueEntry.active,
    },
    search=[CatalogueEntry.name, CatalogueEntry.provider, CatalogueEntry.description],
    sort={"id": CatalogueEntry.id, "name": CatalogueEntry.name, "provider": CatalogueEntry.provider},
    default_sort="name",
)
RECOMMENDATIONS = 6


def _check_catalogue_codes(scenes: builtins.list[str] | None, indicators: builtins.list[str] | None) -> None:
    if scenes is not None:
        _check_scenes(scenes, "scenes")
    if indicators is not None:
        known = {i.code for i in questionnaire().indicators}
        for code in indicators:
            if code not in known:
                raise field_error("indicators", f"no indicator {code!r}; indicators are {', '.join(sorted(known))}")


def list_catalogue(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[CatalogueEntry], int]:
    return CATALOGUE_SPEC.apply(session, scope.readable(CatalogueEntry), query)


def get_catalogue_entry(session: Session, *, scope: Scope, ident: int) -> CatalogueEntry:
    return scope.get_or_404(session, CatalogueEntry, ident)


def create_catalogue_entry(
    session: Session, *, scope: Scope, data: CatalogueCreate, park_id: int | None = None
) -> CatalogueEntry:
    park = park_id if park_id is not None else scope.park_id
    scope.authorize_write(CATALOGUE_WRITE, park_id=park)
    _check_catalogue_codes(data.scenes, data.indicators)
    values = data.model_dump()
    values["kind"] = data.kind.value
    row = CatalogueEntry(park_id=park, **values)
    session.add(row)
    session.flush()
    return row


def update_catalogue_entry(session: Session, *, scope: Scope, ident: int, data: CatalogueUpdate) -> CatalogueEntry:
    row = get_catalogue_entry(session, scope=scope, ident=ident)
    scope.authorize_write(CATALOGUE_WRITE, park_id=row.park_id)
    values = data.model_dump(exclude_unset=True)
    for field in ("kind", "name", "provider", "scenes", "indicators", "demo", "active"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    _check_catalogue_codes(values.get("scenes"), values.get("indicators"))
    for field, value in values.items():
        setattr(row, field, value.value if hasattr(value, "value") else value)
    session.flush()
    return row


def delete_catalogue_entry(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_catalogue_entry(session, scope=scope, ident=ident)
    scope.authorize_write(CATALOGUE_WRITE, park_id=row.park_id)
    used = session.scalar(select(ProviderRequest.id).where(ProviderRequest.entry_id == row.id).limit(1))
    if used is not None:
        raise Conflict("the entry has provider requests; set it inactive instead")
    session.delete(row)
    session.flush()


@dataclasses.dataclass(frozen=True)
class RecommendationItem:
    entry: CatalogueEntry
    matched_indicators: builtins.list[str]
    matched_scenes: builtins.list[str]
    score: float


@dataclasses.dataclass(frozen=True)
class Recommendations:
    enterprise_id: int
    assessment_id: int | None
    assessment_year: int | None
    weakest_indicators: builtins.list[str]
    weak_scenes: builtins.list[str]
    items: builtins.list[RecommendationItem]


def weak_scenes(q: Questionnaire, answers: Mapping[str, Any], level: int) -> builtins.list[str]:
    """Scenes rated below the next level's scene level, constraint scenes first, lowest rated first."""
    target = next((r.min_scene_level for r in q.levels if r.rank == level + 1), q.levels[-1].min_scene_level)
    rated = {s.code: int(answers.get(s.code) or 0) for s in q.scenes}
    below = [s for s in q.scenes if rated[s.code] < target]
    below.sort(key=lambda s: (not s.constraint, rated[s.code], s.code))
    return [s.code for s in below]


def recommend(
    entries: builtins.list[CatalogueEntry], weakest: builtins.list[str], scenes: builtins.list[str], limit: int
) -> builtins.list[RecommendationItem]:
    """Rank catalogue entries by how well they address the weakest indicators (weakest first weighs most) and the
    weak scenes; entries addressing neither are left out."""
    items = []
    for entry in entries:
        ind = [code for code in weakest if code in entry.indicators]
        sc = [code for code in scenes if code in entry.scenes]
        if not ind and not sc:
            continue
        score = sum(len(weakest) - weakest.index(code) for code in ind) * 2 + sum(
            1.0 / (1 + scenes.index(code)) + 0.5 for code in sc
        )
        items.append(RecommendationItem(entry, ind, sc, round(score, 3)))
    items.sort(key=lambda item: (-item.score, item.entry.name))
    return items[:limit]


def recommendations(
    session: Session, *, scope: Scope, enterprise_id: int, limit: int = RECOMMENDATIONS
) -> Recommendations:
    """Catalogue entries for an enterprise's weakest indicators and scenes, from its latest assessment (a
    confirmed one before any other); without an assessment, entries for the constraint scenes."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    q = questionnaire()
    rows = enterprise_assessments(session, scope=scope, enterprise_id=enterprise.id)
    chosen = next((r for r in rows if r.status == AssessmentStatus.CONFIRMED.value), rows[0] if rows else None)
    if chosen is not None:
        result = score_answers(q, chosen.answers)
        weakest = [code for code in result.weakest_indicators]
        scenes = weak_scenes(q, chosen.answers, result.level)
    else:
        weakest, scenes = [], [s.code for s in q.scenes if s.constraint]
    entries = [
        *session.scalars(
            scope.readable(CatalogueEntry)
            .where(CatalogueEntry.park_id == enterprise.park_id, CatalogueEntry.active.is_(True))
            .order_by(CatalogueEntry.name)
        )
    ]
    return Recommendations(
        enterprise_id=enterprise.id,
        assessment_id=chosen.id if chosen else None,
        assessment_year=chosen.year if chosen else None,
        weakest_indicators=weakest,
        weak_scenes=scenes,
        items=recommend(entries, weakest, scenes, limit),
    )


# ==================================================================================================================
# Provider requests
# ==================================================================================================================
REQUEST_SPEC = ListSpec(
    filters={
        "park_id": ProviderRequest.park_id,
        "enterprise_id": ProviderRequest.enterprise_id,
        "entry_id": ProviderRequest.entry_id,
        "status": ProviderRequest.status,
    },
    sort={"id": ProviderRequest.id, "created_at": ProviderRequest.created_at, "status": ProviderRequest.status},
    default_sort="-id",
)


def list_requests(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[ProviderRequest], int]:
    return REQUEST_SPEC.apply(session, scope.readable(ProviderRequest), query)


def get_request(session: Session, *, scope: Scope, ident: int) -> ProviderRequest:
    return scope.get_or_404(session, ProviderRequest, ident)


def create_request(session: Session, *, scope: Scope, data: ProviderRequestCreate) -> ProviderRequest:
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(_own_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    entry = session.scalar(
        scope.readable(CatalogueEntry).where(
            CatalogueEntry.id == data.entry_id, CatalogueEntry.park_id == enterprise.park_id
        )
    )
    if entry is None:
        raise field_error("entry_id", f"no catalogue entry {data.entry_id} in the enterprise's park")
    if not entry.active:
        raise field_error("entry_id", "the catalogue entry is no longer offered")
    open_request = session.scalar(
        select(ProviderRequest.id).where(
            ProviderRequest.enterprise_id == enterprise.id,
            ProviderRequest.entry_id == entry.id,
            ProviderRequest.status.in_(["requested", "contacted", "in_progress"]),
        )
    )
    if open_request is not None:
        raise Conflict(f"request {open_request} for this entry is still open")
    now = utcnow()
    row = ProviderRequest(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        entry_id=entry.id,
        status=RequestStatus.REQUESTED.value,
        message=data.message,
        requested_by=scope.username,
        history=[{"status": "requested", "at": now.isoformat(), "by": scope.username, "note": data.message}],
    )
    session.add(row)
    session.flush()
    return row


def change_request_status(
    session: Session, *, scope: Scope, ident: int, data: ProviderRequestStatusChange
) -> ProviderRequest:
    """The park moves a request along: requested -> contacted -> in_progress -> done, or declined on the way."""
    row = get_request(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    target = data.status.value
    if target not in REQUEST_TRANSITIONS[row.status]:
        raise Conflict(f"a {row.status} request cannot become {target}")
    row.status = target
    row.note = data.note or row.note
    row.history = [
        *row.history,
        {"status": target, "at": utcnow().isoformat(), "by": scope.username, "note": data.note},
    ]
    session.flush()
    return row


# ==================================================================================================================
# The park's picture
# ==================================================================================================================
def park_summary(
    session: Session, *, scope: Scope, park_id: int | None = None, year: int | None = None, as_of: dt.date | None = None
) -> ParkSummary:
    """Every enterprise of the park with its assessment of `year` (default: this year), level and renovation;
    counts per level and per industry division (GB/T 4754)."""
    scope.require(READ)
    park = park_id if park_id is not None else scope.park_id
    if park is None or park not in scope.read_parks:
        raise NotFound(f"park {park} not found")
    as_of = as_of or today()
    year = year or as_of.year
    enterprises = [
        *session.scalars(
            scope.readable(Enterprise)
            .where(Enterprise.park_id == park, Enterprise.status == "active")
            .order_by(Enterprise.name)
        )
    ]
    assessments = {
        a.enterprise_id: a
        for a in session.scalars(scope.readable(Assessment).where(Assessment.park_id == park, Assessment.year == year))
    }
    status = renovation_status(session, park_id=park, as_of=as_of)
    items: builtins.list[EnterpriseLevel] = []
    by_level: dict[int | None, int] = defaultdict(int)
    by_industry: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in enterprises:
        a = assessments.get(e.id)
        confirmed = a is not None and a.status == AssessmentStatus.CONFIRMED.value
        level = a.level if confirmed and a is not None else None
        r = status.get(e.id)
        items.append(
            EnterpriseLevel(
                enterprise_id=e.id,
                name=e.name,
                industry_code=e.industry_code,
                above_scale=e.above_scale,
                industrial=e.industrial,
                assessment_id=a.id if a else None,
                assessment_status=a.status if a else None,
                level=level,
                base_score=a.base_score if confirmed and a is not None else None,
                renovated=r.renovated if r else None,
                basis=r.basis if r else None,
                lacks=builtins.list(r.lacks) if r else [],
            )
        )
        by_level[level] += 1
        by_industry[e.industry_code[:2]]["none" if level is None else str(level)] += 1
    levels: builtins.list[int | None] = [None, *range(0, len(questionnaire().levels) + 1)]
    above = [i for i in items if i.above_scale and i.industrial]
    return ParkSummary(
        park_id=park,
        year=year,
        as_of=as_of,
        enterprises=len(items),
        assessed=sum(1 for i in items if i.level is not None),
        submitted=sum(1 for i in items if i.assessment_status == AssessmentStatus.SUBMITTED.value),
        by_level=[LevelCount(level=lv, enterprises=by_level.get(lv, 0)) for lv in levels],
        by_industry=[
            IndustryLevels(division=division, counts=dict(counts)) for division, counts in sorted(by_industry.items())
        ],
        above_scale_industrial=len(above),
        above_scale_industrial_renovated=sum(1 for i in above if i.renovated),
        items=items,
    )


def summary_for_enterprise_ids(summary: ParkSummary) -> dict[int, EnterpriseLevel]:
    return {item.enterprise_id: item for item in summary.items}


def enterprise_renovation(session: Session, *, scope: Scope, enterprise_id: int) -> RenovationStatus | None:
    """The renovation status of one enterprise the caller may read (None when it is not industrial)."""
    enterprise = scope.get_or_404(session, Enterprise, enterprise_id)
    if not enterprise.industrial:
        return None
    assessments, certificates = renovation_facts(session, enterprise.park_id, enterprise.id)
    found = renovation.judge(
        renovation.default_rule(), assessments.get(enterprise.id, ()), certificates.get(enterprise.id, ()), today()
    )
    return RenovationStatus(enterprise.id, found.renovated, found.basis, found.lacks)


def question_codes() -> frozenset[str]:
    q = questionnaire()
    return frozenset([*q.questions, *q.scene_by_code])
