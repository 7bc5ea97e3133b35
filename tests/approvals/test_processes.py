"""Each demo process end to end on the engine: the happy path, a rejection, a return for correction; the parallel
review's join; the eligibility table over platform data; a definition upgrade leaving running instances alone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.approvals import definitions, documents, service
from digipark.approvals.models import ApprovalDefinition, ApprovalDocument, InstanceState
from digipark.audit.models import AuditEntry
from tests.approvals.helpers import DEPARTMENTS, apply, decide_all, install, join, open_tasks
from tests.conftest import World
from tests.notices.helpers import scope_of

STEPS = {  # the completeness check is the shared process `document_completeness`, called by both
    "enterprise_entry": ["completeness_check", "investment_review", "office_approval"],
    "project_filing": ["completeness_check", "filing_review"],
    "construction_precheck": ["environment_review", "fire_review", "safety_review", "office_approval"],
    "certificate_request": ["certificate_review"],
}
CORRECTED = {
    "enterprise_entry": "business_scope",
    "project_filing": "construction_content",
    "construction_precheck": "project_name",
    "certificate_request": "purpose",
    "policy_subsidy": "renovation_summary",
}


@pytest.mark.parametrize("key", sorted(STEPS))
def test_happy_path_approves_after_every_step(db: Session, world: World, key: str) -> None:
    install(db)
    reviewer = join(db, "reviewer", *DEPARTMENTS)
    instance = apply(db, key)
    assert decide_all(db, reviewer, instance) == STEPS[key]
    assert instance.state == InstanceState.APPROVED.value and instance.completed_at is not None
    assert instance.decision_sha256 is None  # made on the first request, not in the deciding step
    applicant = scope_of(db, "TA", "enterprise")
    document = documents.decision_document(db, scope=applicant, instance=instance)
    assert document.kind == "decision" and document.content.startswith(b"%PDF-")
    assert instance.decision_sha256 == document.sha256
    assert documents.decision_document(db, scope=applicant, instance=instance) is document
    assert documents.decision_content(db, instance) == document.content  # made again: the same bytes
    assert db.scalar(select(func.count()).where(ApprovalDocument.instance_id == instance.id)) == 1
    logged = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "approval.decision_issued", AuditEntry.entity_id == str(instance.id)
        )
    )
    assert logged is not None and logged.after["sha256"] == document.sha256


@pytest.mark.parametrize("key", sorted(STEPS))
def test_rejection_at_the_first_review_ends_the_application(db: Session, world: World, key: str) -> None:
    install(db)
    reviewer = join(db, "reviewer", *DEPARTMENTS)
    instance = apply(db, key)
    first = open_tasks(db, instance)[0]
    service.decide(db, scope=reviewer, ident=first.id, decision="reject", reason="不符合园区产业定位")
    decide_all(db, reviewer, instance)  # parallel siblings still give their opinion
    assert instance.state == InstanceState.REJECTED.value
    assert first.reason == "不符合园区产业定位" and first.completed_by == "TA-reviewer"
    assert not open_tasks(db, instance)


@pytest.mark.parametrize("key", sorted(STEPS))
def test_return_for_correction_then_approval(db: Session, world: World, key: str) -> None:
    install(db)
    reviewer = join(db, "reviewer", *DEPARTMENTS)
    applicant = scope_of(db, "TA", "enterprise")
    instance = apply(db, key)
    first = open_tasks(db, instance)[0]
    service.decide(db, scope=reviewer, ident=first.id, decision="return", reason="请补充说明")
    decide_all(db, reviewer, instance)
    (correction,) = open_tasks(db, instance)
    assert correction.department == "applicant" and instance.state == InstanceState.RUNNING.value
    field = CORRECTED[key]
    service.correct(db, scope=applicant, ident=correction.id, form={field: "补正后的内容"})
    assert instance.form_data[field] == "补正后的内容"
    decide_all(db, reviewer, instance)
    assert instance.state == InstanceState.APPROVED.value


def test_parallel_reviews_join_before_the_park_office(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "fire", "environment", "safety", "park_office")
    instance = apply(db, "construction_precheck")
    reviews = open_tasks(db, instance)
    assert [t.department for t in reviews] == ["environment", "fire", "safety"]
    for task in reviews[:2]:
        service.decide(db, scope=reviewer, ident=task.id, decision="approve")
        assert [t.step for t in open_tasks(db, instance)] == [r.step for r in reviews if r.state != "done"]
    service.decide(db, scope=reviewer, ident=reviews[2].id, decision="approve")
    assert [t.step for t in open_tasks(db, instance)] == ["office_approval"]


def test_a_return_in_one_branch_sends_all_departments_to_review_again(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "fire", "environment", "safety")
    applicant = scope_of(db, "TA", "enterprise")
    instance = apply(db, "construction_precheck")
    environment, fire, safety = open_tasks(db, instance)
    service.decide(db, scope=reviewer, ident=fire.id, decision="return", reason="疏散宽度不足")
    service.decide(db, scope=reviewer, ident=environment.id, decision="approve")
    service.decide(db, scope=reviewer, ident=safety.id, decision="approve")
    (correction,) = open_tasks(db, instance)
    service.correct(db, scope=applicant, ident=correction.id, form={"building_area_m2": 7800})
    assert [t.department for t in open_tasks(db, instance)] == ["environment", "fire", "safety"]


def test_an_upgrade_leaves_running_instances_on_their_version(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", *DEPARTMENTS)
    admin = scope_of(db, "TA", "park_admin")
    old = apply(db, "certificate_request")
    v1 = definitions.newest(db, scope=admin, key="certificate_request")
    assert v1 is not None
    # version 2 adds an office sign-off after the review
    bpmn = v1.bpmn_xml.replace('targetRef="approved" name="通过"', 'targetRef="office_sign" name="通过"').replace(
        '<bpmn:endEvent id="approved"',
        '<bpmn:userTask id="office_sign" name="主任签发"><bpmn:outgoing>flow_office_sign_approved</bpmn:outgoing>'
        "</bpmn:userTask>"
        '<bpmn:sequenceFlow id="flow_office_sign_approved" sourceRef="office_sign" targetRef="approved" />'
        '<bpmn:endEvent id="approved"',
    )
    v2 = definitions.publish(db, scope=admin, bpmn_xml=bpmn)
    assert (v2.key, v2.version, v2.form_schema) == ("certificate_request", 2, v1.form_schema)
    new = apply(db, "certificate_request")
    assert (old.definition_id, new.definition_id) == (v1.id, v2.id)
    assert decide_all(db, reviewer, old) == ["certificate_review"]
    assert old.state == InstanceState.APPROVED.value
    assert decide_all(db, reviewer, new) == ["certificate_review", "office_sign"]
    assert new.state == InstanceState.APPROVED.value
    versions = db.scalars(select(ApprovalDefinition.version).where(ApprovalDefinition.key == "certificate_request"))
    assert sorted(versions) == [1, 2]


def test_a_definition_that_does_not_parse_is_refused(db: Session, world: World) -> None:
    from digipark.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        definitions.publish(db, scope=scope_of(db, "TA", "park_admin"), bpmn_xml="<not-bpmn")
