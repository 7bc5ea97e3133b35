"""The transformation service: drafts and submission, review, revisions, evidence, certificates, the renovation
rule (each branch), adoption, recommendations, provider requests, tenancy and audit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.transformation import renovation, service
from digipark.transformation.models import AssessmentStatus
from digipark.transformation.schemas import (
    AdoptionCreate,
    AssessmentCreate,
    AssessmentUpdate,
    CatalogueCreate,
    CertificateCreate,
    ProviderRequestCreate,
    ProviderRequestStatusChange,
    ReviewDecision,
)
from tests.conftest import World
from tests.transformation.helpers import EXAMPLE_A, admin, own, scope_of

PDF = b"%PDF-1.4\n%test\n"
NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _draft(db: Session, world: World, year: int = 2026, index: int = 0, **answers: object) -> int:
    row = service.create_assessment(
        db, scope=own(world.a, index), data=AssessmentCreate(year=year, answers=dict(answers))
    )
    return row.id


def _confirmed(db: Session, world: World, answers: dict[str, object], year: int = 2026, index: int = 0) -> int:
    ident = _draft(db, world, year, index)
    service.save_draft(db, scope=own(world.a, index), ident=ident, data=AssessmentUpdate(answers=answers))
    service.submit_assessment(db, scope=own(world.a, index), ident=ident)
    service.review_assessment(db, scope=admin(world.a), ident=ident, data=ReviewDecision(decision="confirm"))
    return ident


def test_a_draft_takes_partial_answers_and_submit_wants_them_all(db: Session, world: World) -> None:
    ident = _draft(db, world, Q01=["B", "C"])
    row = service.save_draft(db, scope=own(world.a), ident=ident, data=AssessmentUpdate(answers={"Q02": "C"}))
    assert row.answers == {"Q01": ["B", "C"], "Q02": "C"} and row.base_score == 7 and row.status == "draft"
    with pytest.raises(ValidationFailed) as caught:
        service.submit_assessment(db, scope=own(world.a), ident=ident)
    fields = {e["field"] for e in caught.value.errors}
    assert "answers.Q03" in fields and "answers.S16" in fields and "answers.Q01" not in fields
    # null clears an answer
    row = service.save_draft(db, scope=own(world.a), ident=ident, data=AssessmentUpdate(answers={"Q01": None}))
    assert "Q01" not in row.answers
    with pytest.raises(ValidationFailed):
        service.save_draft(db, scope=own(world.a), ident=ident, data=AssessmentUpdate(answers={"Q01": ["A", "B"]}))


def test_one_assessment_per_enterprise_and_year(db: Session, world: World) -> None:
    _draft(db, world)
    with pytest.raises(Conflict):
        _draft(db, world)
    with pytest.raises(ValidationFailed):
        _draft(db, world, year=2027)  # has not begun (frozen 2026)
    _draft(db, world, year=2025)


def test_review_flow_returns_and_confirms_and_keeps_revisions(db: Session, world: World) -> None:
    ident = _draft(db, world)
    service.save_draft(db, scope=own(world.a), ident=ident, data=AssessmentUpdate(answers=EXAMPLE_A))
    row = service.submit_assessment(db, scope=own(world.a), ident=ident)
    assert (row.status, row.revision, row.level) == ("submitted", 1, 2)
    with pytest.raises(Conflict):  # submitted: no longer editable
        service.save_draft(db, scope=own(world.a), ident=ident, data=AssessmentUpdate(answers={"Q05": "A"}))
    with pytest.raises(PermissionDenied):  # an enterprise does not review
        service.review_assessment(db, scope=own(world.a), ident=ident, data=ReviewDecision(decision="confirm"))
    with pytest.raises(PermissionDenied):  # nor does a reviewer of the authority
        service.review_assessment(
            db, scope=scope_of(world.a, Role.REVIEWER), ident=ident, data=ReviewDecision(decision="confirm")
        )
    with pytest.raises(ValueError):
        ReviewDecision(decision="return")  # a return needs a comment
    row = service.review_assessment(
        db, scope=admin(world.a), ident=ident, data=ReviewDecision(decision="return", comment="Q05 证明材料不足")
    )
    assert row.status == "returned" and row.review_comment == "Q05 证明材料不足" and row.confirmed_on is None
    service.save_draft(db, scope=own(world.a), ident=ident, data=AssessmentUpdate(answers={"Q05": "D"}))
    service.submit_assessment(db, scope=own(world.a), ident=ident)
    row = service.review_assessment(db, scope=admin(world.a), ident=ident, data=ReviewDecision(decision="confirm"))
    assert row.status == "confirmed" and row.confirmed_on == dt.date(2026, 6, 15)
    assert row.base_score == pytest.approx(41.925 + 2.5)  # Q05 C 5 -> D 7.5
    revisions = service.assessment_revisions(db, scope=own(world.a), ident=ident)
    assert [(r.revision, r.decision, r.comment) for r in revisions] == [
        (2, "confirmed", None),
        (1, "returned", "Q05 证明材料不足"),
    ]
    assert revisions[1].answers["Q05"] == "C" and revisions[0].answers["Q05"] == "D"
    with pytest.raises(Conflict):  # confirmed is final
        service.review_assessment(db, scope=admin(world.a), ident=ident, data=ReviewDecision(decision="confirm"))
    levels = service.assessment_levels(db, park_id=world.a.park_id, year=2026)
    assert levels == {world.a.enterprise_ids[0]: 2, world.a.enterprise_ids[1]: None}
    assert service.assessment_levels(db, park_id=world.a.park_id, year=2025)[world.a.enterprise_ids[0]] is None


def test_writes_are_audited(db: Session, world: World) -> None:
    ident = _confirmed(db, world, EXAMPLE_A)
    db.flush()
    entries = db.execute(
        select(AuditEntry.action, AuditEntry.entity_type).where(
            AuditEntry.entity_type.in_(["digital_assessment", "digital_assessment_revision"]),
            AuditEntry.entity_id == str(ident),
        )
    ).all()
    assert ("insert", "digital_assessment") in entries or ("create", "digital_assessment") in entries
    assert len([e for e in entries if e[1] == "digital_assessment"]) >= 4  # create, save, submit, confirm


def test_an_enterprise_cannot_see_or_change_another_enterprises_assessment(db: Session, world: World) -> None:
    ident = _draft(db, world, Q01=["B"])
    other = own(world.a, 1)
    with pytest.raises(NotFound):
        service.get_assessment(db, scope=other, ident=ident)
    with pytest.raises(NotFound):
        service.save_draft(db, scope=other, ident=ident, data=AssessmentUpdate(answers={"Q01": ["C"]}))
    with pytest.raises(NotFound):
        service.submit_assessment(db, scope=other, ident=ident)
    rows, total = service.list_assessments(db, scope=other, query=ListQuery())
    assert total == 0 and rows == []
    with pytest.raises(ValidationFailed):  # creating one for the other enterprise names an invisible enterprise
        service.create_assessment(
            db, scope=other, data=AssessmentCreate(enterprise_id=world.a.enterprise_ids[0], year=2024)
        )
    with pytest.raises(NotFound):  # park B's admin
        service.get_assessment(db, scope=admin(world.b), ident=ident)
    assert service.get_assessment(db, scope=scope_of(world.a, Role.REVIEWER), ident=ident).id == ident


def test_evidence_size_type_and_who_may_read_it(db: Session, world: World) -> None:
    ident = _draft(db, world)
    evidence = service.add_evidence(
        db, scope=own(world.a), ident=ident, filename="../证明.pdf", content_type="application/pdf", content=PDF,
        question="Q05",
    )  # fmt: skip
    assert evidence.filename == "证明.pdf" and evidence.size == len(PDF)
    with pytest.raises(FileTooLarge):
        service.add_evidence(
            db, scope=own(world.a), ident=ident, filename="big.pdf", content_type="application/pdf",
            content=PDF + b"0" * service.MAX_EVIDENCE_BYTES,
        )  # fmt: skip
    with pytest.raises(UnsupportedFile):  # claims PDF, is not
        service.add_evidence(
            db, scope=own(world.a), ident=ident, filename="x.pdf", content_type="application/pdf", content=b"MZ\x90"
        )
    with pytest.raises(UnsupportedFile):  # a type not accepted
        service.add_evidence(
            db, scope=own(world.a), ident=ident, filename="x.exe", content_type="application/x-msdownload",
            content=b"MZ\x90",
        )  # fmt: skip
    with pytest.raises(ValidationFailed):
        service.add_evidence(
            db, scope=own(world.a), ident=ident, filename="x.pdf", content_type="application/pdf", content=PDF,
            question="Q77",
        )  # fmt: skip
    assert service.get_evidence(db, scope=admin(world.a), ident=evidence.id).content == PDF
    with pytest.raises(NotFound):
        service.get_evidence(db, scope=own(world.a, 1), ident=evidence.id)
    with pytest.raises(NotFound):
        service.get_evidence(db, scope=admin(world.b), ident=evidence.id)
    assert [e.id for e in service.list_evidence(db, scope=own(world.a), ident=ident)] == [evidence.id]


def _certificate(db: Session, world: World, scale: str, level: int, **extra: object) -> int:
    data = CertificateCreate(
        scale=scale,  # type: ignore[arg-type]
        level=level,
        certificate_no=f"CERT-{scale}-{level}",
        issuer="中国电子技术标准化研究院",
        issued_on=dt.date(2025, 3, 1),
        **extra,  # type: ignore[arg-type]
    )
    return service.create_certificate(db, scope=own(world.a), data=data).id


def test_renovation_rule_each_branch(db: Session, world: World) -> None:
    a = world.a
    first = a.enterprise_ids[0]

    def status() -> service.RenovationStatus:
        return service.renovation_status(db, park_id=a.park_id, as_of=dt.date(2026, 6, 15))[first]

    # nothing at all
    found = status()
    assert not found.renovated and renovation.LACK_NO_ASSESSMENT in found.lacks
    assert renovation.LACK_NO_GBT39116 in found.lacks and renovation.LACK_NO_SMART_FACTORY in found.lacks
    # a confirmed level-1 assessment: too low
    low = {**EXAMPLE_A, "Q05": "A"}
    ident = _confirmed(db, world, low, year=2025)
    assert status().lacks[0] == renovation.LACK_LOW_LEVEL
    # a level-2 assessment submitted but not reviewed
    draft = _draft(db, world, year=2026)
    service.save_draft(db, scope=own(a), ident=draft, data=AssessmentUpdate(answers=EXAMPLE_A))
    service.submit_assessment(db, scope=own(a), ident=draft)
    assert status().lacks[0] == renovation.LACK_AWAITING_REVIEW
    # confirmed: renovated through the SME branch
    service.review_assessment(db, scope=admin(a), ident=draft, data=ReviewDecision(decision="confirm"))
    found = status()
    assert found.renovated and found.basis is not None and "二级" in found.basis and "2026" in found.basis
    # ... but not on a date before the confirmation, nor three years on (window of 3 years: 2026..2028)
    before = service.renovation_status(db, park_id=a.park_id, as_of=dt.date(2026, 6, 14))[first]
    assert not before.renovated
    assert service.renovation_status(db, park_id=a.park_id, as_of=dt.date(2028, 12, 31))[first].renovated
    assert not service.renovation_status(db, park_id=a.park_id, as_of=dt.date(2029, 1, 1))[first].renovated
    assert ident  # the 2025 level-1 assessment stays in the history


def test_renovation_by_certificates(db: Session, world: World) -> None:
    a = world.a
    first = a.enterprise_ids[0]

    def status() -> service.RenovationStatus:
        return service.renovation_status(db, park_id=a.park_id, as_of=dt.date(2026, 6, 15))[first]

    gbt1 = _certificate(db, world, "GBT39116", 1)
    assert not status().renovated  # level 1 < 2
    gbt2 = _certificate(db, world, "GBT39116", 2)
    assert not status().renovated and renovation.LACK_UNVERIFIED in status().lacks  # entered by the enterprise
    service.verify_certificate(db, scope=admin(a), ident=gbt2)
    found = status()
    assert found.renovated and found.basis is not None and "CERT-GBT39116-2" in found.basis
    service.delete_certificate(db, scope=admin(a), ident=gbt2)
    # expired smart-factory certificate does not count; a valid one does
    sf = _certificate(db, world, "SMART_FACTORY", 1, valid_to=dt.date(2026, 1, 1))
    service.verify_certificate(db, scope=admin(a), ident=sf)
    assert not status().renovated
    sf2 = _certificate(db, world, "SMART_FACTORY", 1)
    service.verify_certificate(db, scope=admin(a), ident=sf2)
    assert status().renovated and "基础级智能工厂" in (status().basis or "")
    with pytest.raises(ValidationFailed):  # the smart-factory gradient has four levels
        _certificate(db, world, "SMART_FACTORY", 5)
    assert gbt1


def test_a_configured_rule_is_applied() -> None:
    rule = renovation.parse_rule({"any_of": [{"scale": "SME2024", "min_level": 3}]})
    facts = [renovation.AssessmentFact(2026, "confirmed", 2, dt.date(2026, 3, 1))]
    assert not renovation.judge(rule, facts, [], dt.date(2026, 6, 1)).renovated
    assert renovation.judge(renovation.default_rule(), facts, [], dt.date(2026, 6, 1)).renovated
    with pytest.raises(ValueError):
        renovation.parse_rule({"any_of": [{"scale": "ISO9001", "min_level": 1}]})


def test_adoption_as_of(db: Session, world: World) -> None:
    a = world.a
    first, second = a.enterprise_ids

    def add(kind: str, start: str, end: str | None = None, count: int | None = None) -> None:
        data = AdoptionCreate(
            kind=kind,  # type: ignore[arg-type]
            name=f"{kind}-record",
            started_on=dt.date.fromisoformat(start),
            ended_on=dt.date.fromisoformat(end) if end else None,
            count=count,
            scenarios=["S06"],
        )
        service.create_adoption(db, scope=own(a), data=data)

    add("industrial_internet", "2025-01-01")
    add("robot", "2025-01-01", count=4)
    add("robot", "2026-01-01", count=2)
    add("cloud", "2024-01-01", "2025-12-31")
    add("digital_production_service", "2026-07-01")
    june = service.adoption(db, park_id=a.park_id, as_of=dt.date(2026, 6, 15))
    assert june[first] == service.Adoption(first, True, False, False, 6, False)
    assert june[second] == service.Adoption(second, False, False, False, 0, False)
    older = service.adoption(db, park_id=a.park_id, as_of=dt.date(2025, 6, 1))[first]
    assert (older.cloud, older.robots, older.digital_production_services) == (True, 4, False)
    later = service.adoption(db, park_id=a.park_id, as_of=dt.date(2026, 8, 1))[first]
    assert later.digital_production_services
    with pytest.raises(ValueError):
        AdoptionCreate(kind="robot", name="x", started_on=dt.date(2026, 1, 1))  # robots need a count
    with pytest.raises(NotFound):  # another enterprise's record is invisible
        rows, _ = service.list_adoption(db, scope=own(a), query=ListQuery())
        service.get_adoption(db, scope=own(a, 1), ident=rows[0].id)


def _entry(db: Session, world: World, name: str, scenes: list[str], indicators: list[str]) -> int:
    data = CatalogueCreate(
        kind="product", name=name, provider="某服务商", scenes=scenes, indicators=indicators, demo=True
    )  # type: ignore[arg-type]
    return service.create_catalogue_entry(db, scope=admin(world.a), data=data).id


def test_recommendations_follow_the_weakest_indicators(db: Session, world: World) -> None:
    a = world.a
    security = _entry(db, world, "安全套件", ["S09"], ["D1.4"])
    talent = _entry(db, world, "数字化人才培训", [], ["D2.2"])
    mes = _entry(db, world, "轻量MES", ["S06", "S05"], ["D1.2"])
    _entry(db, world, "无关产品", [], ["D3.1"])  # D3.1 is full in example A: never recommended
    without = service.recommendations(db, scope=own(a), enterprise_id=a.enterprise_ids[0])
    assert without.assessment_id is None and {i.entry.id for i in without.items} == {security, mes}
    _confirmed(db, world, EXAMPLE_A)
    found = service.recommendations(db, scope=own(a), enterprise_id=a.enterprise_ids[0])
    assert found.weakest_indicators == ["D2.2", "D1.2", "D1.4"]
    assert [i.entry.id for i in found.items] == [talent, mes, security]
    # scenes below the next level's scene level (3), constraint scenes first: S06 (2, constraint), S05 (1)
    assert found.items[1].matched_scenes == ["S06", "S05"]
    with pytest.raises(NotFound):
        service.recommendations(db, scope=own(a, 1), enterprise_id=a.enterprise_ids[0])


def test_provider_requests_are_tracked(db: Session, world: World) -> None:
    a = world.a
    entry = _entry(db, world, "设备上云", ["S08"], ["D1.1"])
    request = service.create_request(db, scope=own(a), data=ProviderRequestCreate(entry_id=entry, message="请联系"))
    assert request.status == "requested" and request.enterprise_id == a.enterprise_ids[0]
    with pytest.raises(Conflict):  # one open request per entry
        service.create_request(db, scope=own(a), data=ProviderRequestCreate(entry_id=entry))
    with pytest.raises(PermissionDenied):  # the enterprise does not move its request along
        service.change_request_status(
            db,
            scope=own(a),
            ident=request.id,
            data=ProviderRequestStatusChange(status="done"),  # type: ignore[arg-type]
        )
    for target in ("contacted", "in_progress", "done"):
        request = service.change_request_status(
            db,
            scope=admin(a),
            ident=request.id,
            data=ProviderRequestStatusChange(status=target, note=target),  # type: ignore[arg-type]
        )
    assert [h["status"] for h in request.history] == ["requested", "contacted", "in_progress", "done"]
    with pytest.raises(Conflict):
        service.change_request_status(
            db,
            scope=admin(a),
            ident=request.id,
            data=ProviderRequestStatusChange(status="declined"),  # type: ignore[arg-type]
        )
    with pytest.raises(NotFound):
        service.get_request(db, scope=own(a, 1), ident=request.id)
    with pytest.raises(ValidationFailed):  # park B cannot request park A's entry
        service.create_request(db, scope=own(world.b), data=ProviderRequestCreate(entry_id=entry))
    db.flush()
    audited = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity_type == "provider_request", AuditEntry.entity_id == str(request.id)
        )
    ).all()
    assert len(audited) >= 4


def test_park_summary_counts_levels_and_renovation(db: Session, world: World) -> None:
    _confirmed(db, world, EXAMPLE_A)
    summary = service.park_summary(db, scope=admin(world.a), year=2026)
    assert summary.enterprises == 2 and summary.assessed == 1
    counts = {c.level: c.enterprises for c in summary.by_level}
    assert counts[2] == 1 and counts[None] == 1
    assert (summary.above_scale_industrial, summary.above_scale_industrial_renovated) == (1, 1)
    assert summary.by_industry[0].division == "33" and summary.by_industry[0].counts == {"2": 1, "none": 1}
    with pytest.raises(PermissionDenied):
        service.park_summary(db, scope=own(world.a), year=2026)
    with pytest.raises(NotFound):
        service.park_summary(db, scope=admin(world.b), park_id=world.a.park_id)
    assert AssessmentStatus.CONFIRMED.value == "confirmed"
