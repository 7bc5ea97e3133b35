"""Timers and call activities executed by SpiffWorkflow: the project filing's review escalates to the park office at
its statutory deadline in working days (across the National Day holiday, frozen time); the one-stop window's
completeness check is one process called by two; a version keeps the called process it was published with; an
instance's serialisation holds its state, not its definition."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import time_machine
from sqlalchemy.orm import Session

from digipark.approvals import deadlines, definitions, engine, service
from digipark.approvals.calendar import china
from digipark.approvals.models import InstanceState, TaskState
from tests.approvals.helpers import apply, install, join, open_tasks
from tests.conftest import World
from tests.notices.helpers import scope_of

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
OPENED = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)


def at(when: dt.datetime) -> time_machine.travel:
    return time_machine.travel(when, tick=False)


def test_the_filing_review_escalates_to_the_park_office_at_its_statutory_deadline(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "park_office", "economic_development")
    with at(OPENED):
        instance = apply(db, "project_filing")
        (intake,) = open_tasks(db, instance)
        service.decide(db, scope=reviewer, ident=intake.id, decision="approve")
    (review,) = open_tasks(db, instance)
    assert review.step == "filing_review"
    due = review.due_at.astimezone(SHANGHAI)
    # 5 working days after 09-30: the holiday (10-01..10-07) is skipped, the 调休 Saturday 10-10 counts
    assert due == dt.datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)
    assert due.date() == china().add_working_days(OPENED.date(), 5)

    def sweep_at(when: dt.datetime) -> deadlines.SweepResult:
        with at(when):
            return deadlines.sweep(db, now=when.astimezone(dt.UTC))

    assert sweep_at(dt.datetime(2026, 10, 8, 12, tzinfo=SHANGHAI)).escalated == []  # weekdays only: due 10-07
    assert [t.step for t in open_tasks(db, instance)] == ["filing_review"]
    assert sweep_at(due - dt.timedelta(minutes=1)).escalated == []
    assert [t.step for t in open_tasks(db, instance)] == ["filing_review"]  # the timer has not fired

    assert sweep_at(due + dt.timedelta(minutes=1)).escalated == [review.id]
    supervision = next(t for t in open_tasks(db, instance) if t.step == "filing_review_supervision")
    assert (supervision.department, supervision.title) == ("park_office", "逾期督办")
    assert review.state == TaskState.OPEN.value  # the timer does not interrupt the review
    assert "filing_review_supervision" in service.position(db, instance)
    assert sweep_at(due + dt.timedelta(hours=1)).escalated == []  # fired once

    with at(due + dt.timedelta(hours=2)):
        service.decide(db, scope=reviewer, ident=review.id, decision="approve")
    assert instance.state == InstanceState.APPROVED.value
    assert supervision.state == TaskState.CANCELLED.value  # the outcome ends the supervision still open


def test_the_completeness_check_is_one_process_called_by_two(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "park_office")
    admin = scope_of(db, "TA", "park_admin")
    shared = (definitions.PROCESSES / "document_completeness.bpmn").read_text(encoding="utf-8")
    for key in ("enterprise_entry", "project_filing"):
        definition = definitions.newest(db, scope=admin, key=key)
        assert definition is not None and definition.called_bpmn_xml == [shared]
        instance = apply(db, key)
        (check,) = open_tasks(db, instance)
        assert (check.step, check.department) == ("completeness_check", "park_office")
        assert {"intake", "completeness_check"} <= set(service.position(db, instance))
        service.decide(db, scope=reviewer, ident=check.id, decision="reject", reason="缺少营业执照")
        assert instance.state == InstanceState.REJECTED.value and not open_tasks(db, instance)


def test_a_version_keeps_the_called_process_it_was_published_with(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "park_office", "economic_development")
    admin = scope_of(db, "TA", "park_admin")
    old = apply(db, "project_filing")
    v1 = definitions.newest(db, scope=admin, key="project_filing")
    assert v1 is not None
    renamed = v1.called_bpmn_xml[0].replace('name="材料完整性核验"', 'name="材料核验（新版）"')
    v2 = definitions.publish(db, scope=admin, bpmn_xml=v1.bpmn_xml, called_bpmn_xml=[renamed])
    new = apply(db, "project_filing")
    assert [t.title for t in open_tasks(db, old)] == ["材料完整性核验"]
    assert [t.title for t in open_tasks(db, new)] == ["材料核验（新版）"]
    assert (old.definition_id, new.definition_id) == (v1.id, v2.id)
    for instance in (old, new):
        (check,) = open_tasks(db, instance)
        service.decide(db, scope=reviewer, ident=check.id, decision="approve")
        assert [t.step for t in open_tasks(db, instance)] == ["filing_review"]


def test_an_instance_stores_its_state_not_its_definition(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "park_office", "economic_development")
    instance = apply(db, "project_filing")
    stored = json.loads(instance.workflow)
    definition = definitions.get(db, scope=scope_of(db, "TA", "park_admin"), ident=instance.definition_id)
    assert "spec" not in stored and stored["definition"] == definitions.parsed(definition).fingerprint
    # a row written before, with the whole workflow and its specs, still runs (and is then stored as state)
    workflow, _ = engine.load(instance.workflow, lambda: definitions.parsed(definition))
    instance.workflow = engine.SERIALIZER.serialize_json(workflow)
    (check,) = open_tasks(db, instance)
    service.decide(db, scope=reviewer, ident=check.id, decision="approve")
    assert [t.step for t in open_tasks(db, instance)] == ["filing_review"]
    assert "spec" not in json.loads(instance.workflow)
