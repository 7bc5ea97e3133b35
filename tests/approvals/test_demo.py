"""The demo builder: processes installed, reviewers in departments, applications in various states."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.approvals.demo import build_approvals_demo
from digipark.approvals.models import ApprovalInstance
from tests.conftest import World


def test_demo_builds_applications_in_various_states_once(db: Session, world: World) -> None:
    counts = build_approvals_demo(db, park_id=world.a.park_id, as_of=dt.date(2026, 11, 30), seed=1)
    assert counts["approval_instances"] == 4  # the test park has two enterprises: the plan's others are left out
    states = sorted(db.scalars(select(ApprovalInstance.state).where(ApprovalInstance.park_id == world.a.park_id)))
    assert states == ["approved", "approved", "ineligible", "rejected"]
    again = build_approvals_demo(db, park_id=world.a.park_id, as_of=dt.date(2026, 11, 30), seed=1)
    assert again == {"approval_instances": 0}
    first = db.scalar(select(ApprovalInstance).order_by(ApprovalInstance.id).limit(1))
    assert first is not None and first.submitted_at.date() == dt.date(2026, 10, 31)
