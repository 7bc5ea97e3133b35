"""Handling: who sees which tasks and applications, claiming, reasons, deadlines in working days with reminders and
escalation across a holiday, statistics and the provider."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from sqlalchemy.orm import Session

from digipark.approvals import deadlines, provides, service, statistics
from digipark.approvals.calendar import china
from digipark.approvals.models import InstanceState
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.approvals.helpers import DEPARTMENTS, apply, decide_all, install, join, open_tasks
from tests.conftest import World
from tests.notices.helpers import scope_of

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_an_applicant_sees_only_its_own_applications(db: Session, world: World) -> None:
    install(db)
    install(db, "TB")
    mine = apply(db, "certificate_request")
    theirs = apply(db, "certificate_request", account="enterprise2")
    other_park = apply(db, "certificate_request", park="TB")
    enterprise = scope_of(db, "TA", "enterprise")
    assert {i.id for i in service.list_instances(db, scope=enterprise)} == {mine.id}
    with pytest.raises(NotFound):
        service.get_instance(db, scope=enterprise, ident=theirs.id)
    assert {t.instance_id for t in service.list_tasks(db, scope=enterprise)} == {mine.id}
    admin = scope_of(db, "TA", "park_admin")
    assert {i.id for i in service.list_instances(db, scope=admin)} >= {mine.id, theirs.id}
    assert other_park.id not in {i.id for i in service.list_instances(db, scope=admin)}
    with pytest.raises(NotFound):
        service.get_instance(db, scope=scope_of(db, "TB", "park_admin"), ident=mine.id)
    with pytest.raises(PermissionDenied):
        service.list_instances(db, scope=scope_of(db, "TA", "resident"))


def test_a_reviewer_sees_and_handles_only_its_departments_tasks(db: Session, world: World) -> None:
    install(db)
    fire = join(db, "reviewer", "fire")
    environment = join(db, "operator", "environment")
    instance = apply(db, "construction_precheck")
    assert [t.department for t in service.list_tasks(db, scope=fire)] == ["fire"]
    assert [t.department for t in service.list_tasks(db, scope=environment)] == ["environment"]
    safety_task = next(t for t in open_tasks(db, instance) if t.department == "safety")
    with pytest.raises(NotFound):
        service.get_task(db, scope=fire, ident=safety_task.id)
    with pytest.raises(NotFound):
        service.decide(db, scope=fire, ident=safety_task.id, decision="approve")
    assert service.list_tasks(db, scope=scope_of(db, "TA", "reviewer")) == service.list_tasks(db, scope=fire)
    assert not service.list_tasks(db, scope=scope_of(db, "TB", "reviewer"))
    assert len(service.list_tasks(db, scope=scope_of(db, "TA", "park_admin"))) == 3


def test_claim_and_decide(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "park_office")
    operator = join(db, "operator", "park_office")
    instance = apply(db, "certificate_request")
    (task,) = open_tasks(db, instance)
    service.claim(db, scope=reviewer, ident=task.id)
    assert (task.state, task.claimed_by) == ("claimed", "TA-reviewer")
    with pytest.raises(Conflict):
        service.claim(db, scope=operator, ident=task.id)
    with pytest.raises(Conflict):
        service.decide(db, scope=operator, ident=task.id, decision="approve")
    with pytest.raises(ValidationFailed):
        service.decide(db, scope=reviewer, ident=task.id, decision="reject", reason="  ")
    with pytest.raises(ValidationFailed):
        service.decide(db, scope=reviewer, ident=task.id, decision="maybe")
    with pytest.raises(PermissionDenied):  # the applicant does not review
        service.decide(db, scope=scope_of(db, "TA", "enterprise"), ident=task.id, decision="approve")
    service.decide(db, scope=reviewer, ident=task.id, decision="reject", reason="证明用途不明确")
    assert instance.state == InstanceState.REJECTED.value
    with pytest.raises(Conflict):
        service.decide(db, scope=reviewer, ident=task.id, decision="approve")


def test_only_the_applicant_corrects(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", "park_office")
    instance = apply(db, "certificate_request")
    (task,) = open_tasks(db, instance)
    service.decide(db, scope=reviewer, ident=task.id, decision="return", reason="请写明用途")
    (correction,) = open_tasks(db, instance)
    with pytest.raises(NotFound):  # a reviewer's task list has no applicant's tasks
        service.correct(db, scope=reviewer, ident=correction.id, form={"purpose": "贷款"})
    with pytest.raises(NotFound):
        service.correct(db, scope=scope_of(db, "TA", "enterprise2"), ident=correction.id, form={"purpose": "贷款"})
    with pytest.raises(ValidationFailed):
        service.correct(db, scope=scope_of(db, "TA", "enterprise"), ident=correction.id, form={"purpose": "x"})
    service.correct(db, scope=scope_of(db, "TA", "enterprise"), ident=correction.id, form={"purpose": "银行贷款"})
    assert [t.step for t in open_tasks(db, instance)] == ["certificate_review"]


def test_working_days_skip_the_national_day_holiday_and_count_the_makeup_saturday() -> None:
    calendar = china()
    assert calendar.add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)  # 10-10 is a 调休 Saturday
    assert not calendar.is_working_day(dt.date(2026, 10, 5))
    assert calendar.is_working_day(dt.date(2026, 2, 28))
    assert calendar.add_working_days(dt.date(2025, 1, 24), 2) == dt.date(2025, 1, 27)  # 01-26 is a 调休 Sunday
    assert calendar.covers(2026) and not calendar.covers(2030)


def test_deadline_reminder_and_escalation_across_a_holiday(db: Session, world: World) -> None:
    install(db)
    with time_machine.travel(dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        instance = apply(db, "certificate_request")  # the review has 3 working days
    (task,) = open_tasks(db, instance)
    assert task.due_at.astimezone(SHANGHAI) == dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)

    def sweep_at(*when: int) -> deadlines.SweepResult:
        now = dt.datetime(*when, tzinfo=SHANGHAI)
        with time_machine.travel(now, tick=False):
            return deadlines.sweep(db, now=now.astimezone(dt.UTC))

    assert sweep_at(2026, 10, 6, 12) == deadlines.SweepResult([], [])  # weekdays only, it would be due 10-05
    assert sweep_at(2026, 10, 9, 18) == deadlines.SweepResult([], [])
    assert sweep_at(2026, 10, 10, 9) == deadlines.SweepResult([task.id], [])
    assert sweep_at(2026, 10, 10, 20) == deadlines.SweepResult([], [])  # reminded once
    assert sweep_at(2026, 10, 11, 1) == deadlines.SweepResult([], [task.id])
    assert sweep_at(2026, 10, 12, 9) == deadlines.SweepResult([], [])  # escalated once
    assert task.escalated_at is not None and task.reminded_at is not None


def test_statistics_and_the_provider(db: Session, world: World) -> None:
    install(db)
    reviewer = join(db, "reviewer", *DEPARTMENTS)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert not provides.government_service_in_use(db, world.a.park_id, since)
    done = apply(db, "certificate_request")
    decide_all(db, reviewer, done)
    apply(db, "project_filing")
    assert provides.government_service_in_use(db, world.a.park_id, since)
    assert not provides.government_service_in_use(db, world.b.park_id, since)
    counts = provides.counts(db, world.a.park_id, since)
    assert (counts["submitted"], counts["running"], counts["approved"], counts["enterprises"]) == (2, 1, 1, 1)
    figures = statistics.summary(db, scope=scope_of(db, "TA", "park_admin"), since=since)
    assert figures["volumes"]["certificate_request"] == {"approved": 1, "total": 1}
    assert figures["processes"]["certificate_request"]["count"] == 1
    assert figures["on_time_rate"] == 1.0
    with pytest.raises(PermissionDenied):
        statistics.summary(db, scope=scope_of(db, "TA", "enterprise"))


def test_the_enterprise_archive_shows_its_applications(db: Session, world: World) -> None:
    from digipark.economy.provides import enterprise_archive

    install(db)
    mine = apply(db, "certificate_request")
    apply(db, "certificate_request", account="enterprise2")
    archive = enterprise_archive(db, scope=scope_of(db, "TA", "enterprise"), enterprise_id=world.a.enterprise_ids[0])
    (section,) = [s for s in archive.sections if s.key == "approvals"]
    assert section.available and section.data is not None
    assert [a["id"] for a in section.data["applications"]] == [mine.id]
