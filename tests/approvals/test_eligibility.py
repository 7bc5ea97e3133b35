"""The subsidy's eligibility table decides over platform data (industry, 规上, digital level, tax paid), which the
applicant is never asked for."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.approvals import documents, service
from digipark.approvals.models import ApprovalInstance, InstanceState
from digipark.core.errors import ValidationFailed
from digipark.economy.models import MonthlyStatistic
from digipark.registry.models import Enterprise
from digipark.transformation.models import Assessment
from tests.approvals.helpers import apply, decide_all, install, join, open_tasks
from tests.conftest import World
from tests.notices.helpers import scope_of


def platform_data(db: Session, enterprise_id: int, *, level: int, tax_per_month: float) -> None:
    enterprise = db.get(Enterprise, enterprise_id)
    assert enterprise is not None
    db.add(
        Assessment(
            park_id=enterprise.park_id,
            enterprise_id=enterprise_id,
            year=2026,
            questionnaire="SME2024",
            status="confirmed",
            answers={},
            level=level,
            dimension_scores={},
            weakest=[],
        )
    )
    for month in range(1, 13):
        db.add(
            MonthlyStatistic(
                park_id=enterprise.park_id,
                enterprise_id=enterprise_id,
                period=dt.date(2025, month, 1),
                output_value_wan_yuan=1000,
                sales_revenue_wan_yuan=900,
                tax_paid_wan_yuan=tax_per_month,
                total_profit_wan_yuan=50,
                employees=100,
                electricity_kwh=10000,
                submitted_by="test",
            )
        )
    db.flush()


def subsidy(db: Session, account: str) -> ApprovalInstance:
    return apply(db, "policy_subsidy", account=account)


def test_an_above_scale_manufacturer_below_level_two_with_enough_tax_is_eligible(db: Session, world: World) -> None:
    install(db)
    platform_data(db, world.a.enterprise_ids[0], level=1, tax_per_month=5)  # 60 万元 a year, 规上
    instance = subsidy(db, "enterprise")
    assert instance.platform_data == {
        "enterprise_name": "TA企业0",
        "uscc": instance.platform_data["uscc"],
        "industry_section": "C",
        "above_scale": True,
        "digital_level": 1,
        "tax_paid_wan_yuan": 60.0,
    }
    assert [t.department for t in open_tasks(db, instance)] == ["economic_development"]
    reviewer = join(db, "reviewer", "economic_development", "finance")
    assert decide_all(db, reviewer, instance) == ["economy_review", "finance_review"]
    assert instance.state == InstanceState.APPROVED.value
    assert instance.amount_wan_yuan == 60  # requested 60, within the cap of 100 for 规上


@pytest.mark.parametrize(
    ("level", "tax_per_month", "cap"),
    # 规下: renovation (below level 2) from 10 万元 tax a year, capped at 30; level 3 and above a reward of 50
    [(1, 1.0, 30), (0, 0.9, 30), (1, 0.5, None), (2, 5.0, None), (3, 0.1, 50)],
)
def test_a_smaller_manufacturer_by_level_and_tax(
    db: Session, world: World, level: int, tax_per_month: float, cap: int | None
) -> None:
    install(db)
    platform_data(db, world.a.enterprise_ids[1], level=level, tax_per_month=tax_per_month)
    instance = subsidy(db, "enterprise2")
    if cap is not None:
        assert instance.state == InstanceState.RUNNING.value
        reviewer = join(db, "reviewer", "economic_development", "finance")
        decide_all(db, reviewer, instance)
        assert instance.amount_wan_yuan == cap  # requested 60, capped
    else:
        assert instance.state == InstanceState.INELIGIBLE.value and not open_tasks(db, instance)
        document = documents.decision_document(db, scope=scope_of(db, "TA", "enterprise2"), instance=instance)
        assert instance.decision_sha256 == document.sha256


def test_no_platform_data_is_not_eligible(db: Session, world: World) -> None:
    install(db)
    instance = subsidy(db, "enterprise")
    assert (instance.platform_data["digital_level"], instance.platform_data["tax_paid_wan_yuan"]) == (0, 0.0)
    assert instance.state == InstanceState.INELIGIBLE.value


def test_the_platform_fields_cannot_be_entered(db: Session, world: World) -> None:
    install(db)
    platform_data(db, world.a.enterprise_ids[1], level=1, tax_per_month=0.1)
    instance = apply(db, "policy_subsidy", account="enterprise2", digital_level=4, tax_paid_wan_yuan=999)
    assert instance.platform_data["digital_level"] == 1 and "digital_level" not in instance.form_data
    assert instance.state == InstanceState.INELIGIBLE.value


def test_bad_input_names_the_field_and_starts_nothing(db: Session, world: World) -> None:
    install(db)

    with pytest.raises(ValidationFailed) as raised:
        service.apply(
            db,
            scope=scope_of(db, "TA", "enterprise"),
            key="policy_subsidy",
            form={"requested_wan_yuan": -1, "renovation_summary": "x" * 5},
        )
    fields = {e["field"] for e in raised.value.errors}
    assert fields == {"requested_wan_yuan", "renovation_investment_wan_yuan"}
    assert not service.list_instances(db, scope=scope_of(db, "TA", "enterprise"))
