"""The transformation domain's service, one door for its callers: SME digital-level assessments (`assessment_flow`:
draft, submit, review, evidence), maturity certificates and adoption records (`records`), the 小快轻准 catalogue
with recommendations (`catalogue`), provider requests (`provider_requests`), the park's picture by level
(`park_picture`) and what the indicators and the archive read of a park (`facts`); `common` holds the permissions
and shared checks.

Everything takes `(session, *, scope, ...)`, reads through the scope and never commits.
"""

from __future__ import annotations

from digipark.transformation.assessment import (
    QUESTIONNAIRE_CODE,
    AssessmentResult,
    Questionnaire,
    questionnaire,
    score_answers,
)
from digipark.transformation.assessment_flow import (
    ASSESSMENT_SPEC,
    EDITABLE,
    add_evidence,
    assessment_revisions,
    create_assessment,
    delete_evidence,
    enterprise_assessments,
    get_assessment,
    get_assessment_by_year,
    get_evidence,
    list_assessments,
    list_evidence,
    result_of,
    review_assessment,
    save_draft,
    submit_assessment,
)
from digipark.transformation.catalogue import (
    CATALOGUE,
    RECOMMENDATIONS,
    RecommendationItem,
    Recommendations,
    recommend,
    recommendations,
    weak_scenes,
)
from digipark.transformation.common import (
    CATALOGUE_WRITE,
    EVIDENCE_UPLOAD,
    FILL,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_FILES,
    READ,
    REVIEW,
    SELF_WRITE,
    VIEW,
    WRITE,
    checked_scenes,
    record_enterprise,
    today,
    writer_permission,
)
from digipark.transformation.facts import (
    Adoption,
    RenovationStatus,
    adoption,
    assessment_levels,
    renovation_facts,
    renovation_status,
)
from digipark.transformation.park_picture import (
    enterprise_renovation,
    park_summary,
    question_codes,
    summary_for_enterprise_ids,
)
from digipark.transformation.provider_requests import (
    REQUEST_SPEC,
    REQUEST_TRANSITIONS,
    change_request_status,
    create_request,
    get_request,
    list_requests,
)
from digipark.transformation.records import (
    ADOPTIONS,
    CERTIFICATES,
    attach_certificate_file,
    verify_certificate,
)

# the derived functions under the names their callers (pages, the demo builder, tests) use
list_certificates = CERTIFICATES.list
get_certificate = CERTIFICATES.get
create_certificate = CERTIFICATES.create
delete_certificate = CERTIFICATES.delete
list_adoption = ADOPTIONS.list
get_adoption = ADOPTIONS.get
create_adoption = ADOPTIONS.create
delete_adoption = ADOPTIONS.delete
list_catalogue = CATALOGUE.list
create_catalogue_entry = CATALOGUE.create

__all__ = [
    "ADOPTIONS",
    "ASSESSMENT_SPEC",
    "CATALOGUE",
    "CATALOGUE_WRITE",
    "CERTIFICATES",
    "EDITABLE",
    "EVIDENCE_UPLOAD",
    "FILL",
    "MAX_EVIDENCE_BYTES",
    "MAX_EVIDENCE_FILES",
    "QUESTIONNAIRE_CODE",
    "READ",
    "RECOMMENDATIONS",
    "REQUEST_SPEC",
    "REQUEST_TRANSITIONS",
    "REVIEW",
    "SELF_WRITE",
    "VIEW",
    "WRITE",
    "Adoption",
    "AssessmentResult",
    "Questionnaire",
    "RecommendationItem",
    "Recommendations",
    "RenovationStatus",
    "add_evidence",
    "adoption",
    "assessment_levels",
    "assessment_revisions",
    "attach_certificate_file",
    "change_request_status",
    "checked_scenes",
    "create_adoption",
    "create_assessment",
    "create_catalogue_entry",
    "create_certificate",
    "create_request",
    "delete_adoption",
    "delete_certificate",
    "delete_evidence",
    "enterprise_assessments",
    "enterprise_renovation",
    "get_adoption",
    "get_assessment",
    "get_assessment_by_year",
    "get_certificate",
    "get_evidence",
    "get_request",
    "list_adoption",
    "list_assessments",
    "list_catalogue",
    "list_certificates",
    "list_evidence",
    "list_requests",
    "park_summary",
    "question_codes",
    "questionnaire",
    "recommend",
    "recommendations",
    "record_enterprise",
    "renovation_facts",
    "renovation_status",
    "result_of",
    "review_assessment",
    "save_draft",
    "score_answers",
    "submit_assessment",
    "summary_for_enterprise_ids",
    "today",
    "verify_certificate",
    "weak_scenes",
    "writer_permission",
]
