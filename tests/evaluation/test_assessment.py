"""Declared values versus computed ones, the signed annual snapshot (immutable), year on year, comparison."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.evaluation import service
from digipark.evaluation.models import EvaluationSnapshot
from digipark.registry import schemas as rs
from digipark.registry import service as registry
from tests.evaluation.helpers import EXPECTED, NOW, NOW_MS, SmallPark, build


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def park(db: Session, frozen: None) -> SmallPark:
    return build(db)


def _role(park: SmallPark, role: Role, username: str = "someone") -> Scope:
    return Scope.for_user(role=role, username=username, user_id=None, park_id=park.park_id)


def _declare(db: Session, park: SmallPark, indicator: str, value: float, scope: Scope | None = None) -> None:
    service.declare(
        db,
        scope=scope or _role(park, Role.OPERATOR, "operator-1"),
        indicator=indicator,
        value=value,
        note="园区算力中心 2025 年运营报告",
        evidence_name="report.pdf",
        evidence_type="application/pdf",
        evidence_content=b"%PDF-1.4 evidence",
    )


def test_a_declared_value_counts_and_is_marked_declared(db: Session, park: SmallPark) -> None:
    _declare(db, park, "compute_in_use", 4)
    found = service.evaluate(db, scope=park.scope, park_id=park.park_id, now_ms=NOW_MS)
    result = found.indicator("compute_in_use")
    assert result is not None
    assert result.value_source == "declared" and result.value == 4 and result.met
    assert result.declaration is not None and result.declaration.declared_by == "operator-1"
    assert result.declaration.evidence_name == "report.pdf" and result.declaration.note.startswith("园区算力中心")
    assert found.declared_indicators == 1 and found.met_indicators == 1
    # a newer declaration supersedes it; both are kept
    _declare(db, park, "compute_in_use", 0)
    result = service.evaluate(db, scope=park.scope, park_id=park.park_id, now_ms=NOW_MS).indicator("compute_in_use")
    assert result is not None and result.value == 0 and not result.met
    assert [g.action for g in result.gaps] == ["improve_declared"]
    history = service.list_declarations(db, scope=park.scope, park_id=park.park_id, indicator="compute_in_use")
    assert [d.value for d in history] == [0, 4]


def test_computed_indicators_take_no_declaration(db: Session, park: SmallPark) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _declare(db, park, "double_gigabit", 100)
    assert caught.value.errors[0]["field"] == "indicator"
    result = service.evaluate(db, scope=park.scope, park_id=park.park_id, now_ms=NOW_MS).indicator("double_gigabit")
    assert result is not None and result.value == pytest.approx(EXPECTED["double_gigabit"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"value": 120.0, "indicator": "security_grading"}, "value"),
        ({"value": -1.0}, "value"),
        ({"note": "  "}, "note"),
        ({"evidence_content": None}, "evidence"),
        ({"indicator": "nonsense"}, "indicator"),
    ],
)
def test_declarations_need_a_value_a_note_and_evidence(
    db: Session, park: SmallPark, changes: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "indicator": "compute_in_use",
        "value": 3.0,
        "note": "说明",
        "evidence_name": "a.pdf",
        "evidence_type": "application/pdf",
        "evidence_content": b"x",
        **changes,
    }
    with pytest.raises(ValidationFailed) as caught:
        service.declare(db, scope=park.scope, **arguments)  # type: ignore[arg-type]
    assert caught.value.errors[0]["field"] == field


def test_who_may_declare_and_sign(db: Session, park: SmallPark) -> None:
    for role in (Role.REVIEWER, Role.RESIDENT):
        with pytest.raises(PermissionDenied):
            _declare(db, park, "compute_in_use", 1, _role(park, role))
    with pytest.raises(PermissionDenied):
        service.sign(db, scope=_role(park, Role.OPERATOR), year=2025)
    enterprise = Scope.for_user(
        role=Role.ENTERPRISE, username="e", user_id=None, park_id=park.park_id, enterprise_id=park.enterprises["E1"]
    )
    with pytest.raises(PermissionDenied):
        service.evaluate(db, scope=enterprise)


def test_the_snapshot_does_not_change_when_records_change_afterwards(db: Session, park: SmallPark) -> None:
    _declare(db, park, "data_sharing", 2)
    snapshot = service.sign(db, scope=_role(park, Role.PARK_ADMIN, "admin-1"), year=2025, note="2025 年度自评")
    frozen_data = service.canonical(snapshot.data)
    before = service.snapshot_evaluation(snapshot)
    assert before.signed_by == "admin-1" and before.year == 2025 and before.note == "2025 年度自评"
    assert service.verify_snapshot(snapshot)
    # every record behind it changes: buildings, enterprises, statistics, declarations
    registry.update(
        db,
        scope=park.scope,
        kind=registry.KINDS["building"],
        ident=park.buildings["B3"],
        data=rs.BuildingUpdate(gigabit_fibre=True, coverage_5g=True),
    )
    registry.update(
        db,
        scope=park.scope,
        kind=registry.KINDS["enterprise"],
        ident=park.enterprises["E2"],
        data=rs.EnterpriseUpdate(above_scale=False),
    )
    _declare(db, park, "data_sharing", 9)
    live = service.evaluate(db, scope=park.scope, park_id=park.park_id, now_ms=NOW_MS)
    live_gigabit = live.indicator("double_gigabit")
    assert live_gigabit is not None and live_gigabit.value == pytest.approx(200 / 3)
    db.expire_all()
    stored = db.get(EvaluationSnapshot, snapshot.id)
    assert stored is not None and service.canonical(stored.data) == frozen_data
    again = service.for_year(db, scope=park.scope, park_id=park.park_id, year=2025)
    assert again.snapshot_id == snapshot.id
    gigabit = again.indicator("double_gigabit")
    renovation = again.indicator("renovation_coverage")
    sharing = again.indicator("data_sharing")
    assert gigabit is not None and gigabit.value == pytest.approx(100 / 3)
    assert renovation is not None and renovation.denominator == 3
    assert sharing is not None and sharing.value == 2 and sharing.value_source == "declared"
    assert again.model_dump(exclude={"snapshot_id"}) == before.model_dump(exclude={"snapshot_id"})
    # a year is signed once
    with pytest.raises(Conflict):
        service.sign(db, scope=_role(park, Role.PARK_ADMIN), year=2025)
    # the signature is audited (the frozen data itself is kept out of the audit log)
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.entity_type == "evaluation_snapshot", AuditEntry.entity_id == str(snapshot.id)
        )
    )
    assert entry is not None and entry.after is not None and "data" not in entry.after
    assert entry.after["digest"] == snapshot.digest


def test_a_past_year_is_evaluated_as_of_its_end(db: Session, park: SmallPark) -> None:
    assert service.as_of_year(2024, now=dt.date(2025, 6, 15)) == dt.date(2025, 1, 1)
    assert service.as_of_year(2025, now=dt.date(2025, 6, 15)) == dt.date(2025, 6, 15)
    with pytest.raises(ValidationFailed):
        service.as_of_year(2026, now=dt.date(2025, 6, 15))
    snapshot = service.sign(db, scope=_role(park, Role.PARK_ADMIN), year=2024)
    found = service.snapshot_evaluation(snapshot)
    statistics = found.indicator("statistics_reporting")
    assert found.as_of == dt.date(2025, 1, 1) and statistics is not None and statistics.note == "2024-12"
    assert statistics.numerator == 0  # nobody reported December 2024


def test_year_on_year(db: Session, park: SmallPark) -> None:
    service.sign(db, scope=_role(park, Role.PARK_ADMIN), year=2024)
    registry.update(
        db,
        scope=park.scope,
        kind=registry.KINDS["building"],
        ident=park.buildings["B2"],
        data=rs.BuildingUpdate(coverage_5g=True),
    )
    years = service.year_on_year(db, scope=park.scope, park_id=park.park_id)
    assert [(y.year, y.live) for y in years.years] == [(2024, False), (2025, True)]
    assert years.years[0].values["double_gigabit"] == pytest.approx(100 / 3)
    assert years.years[1].values["double_gigabit"] == pytest.approx(200 / 3)
    assert years.changes["double_gigabit"] == pytest.approx(100 / 3)
    assert years.changes["statistics_reporting"] == pytest.approx(60.0)


def test_a_reviewer_of_several_parks_compares_them(db: Session, frozen: None) -> None:
    first, second = build(db, "EVA", 1), build(db, "EVB", 2)
    registry.update(
        db,
        scope=second.scope,
        kind=registry.KINDS["building"],
        ident=second.buildings["B3"],
        data=rs.BuildingUpdate(gigabit_fibre=True, coverage_5g=True),
    )
    reviewer = Scope.for_user(
        role=Role.REVIEWER,
        username="province",
        user_id=None,
        park_id=None,
        extra_parks=frozenset({first.park_id, second.park_id}),
    )
    found = service.compare(db, scope=reviewer, year=2025)
    values = {p.park_id: p.values["double_gigabit"] for p in found.parks}
    assert values == {first.park_id: pytest.approx(100 / 3), second.park_id: pytest.approx(200 / 3)}
    assert all(p.live for p in found.parks)
    only_first = Scope.for_user(role=Role.REVIEWER, username="city", user_id=None, park_id=first.park_id)
    with pytest.raises(NotFound):
        service.compare(db, scope=only_first, park_ids=[first.park_id, second.park_id], year=2025)
    with pytest.raises(NotFound):
        service.evaluate(db, scope=only_first, park_id=second.park_id)


def test_a_reviewer_of_several_parks_says_which_park_to_evaluate(db: Session, frozen: None) -> None:
    """The acting park is never guessed: without a park of its own and with several to read, the caller names one."""
    first, second = build(db, "EVA", 1), build(db, "EVB", 2)
    reviewer = Scope.for_user(
        role=Role.REVIEWER,
        username="province",
        user_id=None,
        park_id=None,
        extra_parks=frozenset({first.park_id, second.park_id}),
    )
    with pytest.raises(ValidationFailed):
        service.evaluate(db, scope=reviewer, now_ms=NOW_MS)
    assert service.evaluate(db, scope=reviewer, park_id=second.park_id, now_ms=NOW_MS).park_id == second.park_id
    alone = Scope.for_user(
        role=Role.REVIEWER, username="city", user_id=None, park_id=None, extra_parks=frozenset({first.park_id})
    )
    assert service.evaluate(db, scope=alone, now_ms=NOW_MS).park_id == first.park_id
