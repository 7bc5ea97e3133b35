"""Security: an NVR's event with its snapshot opens a security work order dispatched to the security team;
patrol rounds show the checkpoints still missing."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy.orm import Session

from digipark.alarms import service as alarms
from digipark.core.errors import DomainError, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.living import security
from digipark.living.schemas import Checkpoint, PatrolRouteCreate, PatrolScan, SecurityEventCreate
from digipark.workorders import service as workorders
from digipark.workorders.schemas import RuleCreate, TeamCreate
from tests.conftest import World
from tests.living.helpers import scope_of
from tests.workorders.helpers import png


def test_a_camera_event_opens_a_security_work_order(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    team = workorders.TEAMS.create(db, scope=admin, data=TeamCreate(name="安保队")).id
    workorders.RULES.create(db, scope=admin, data=RuleCreate(category="security", team_id=team))
    nvr = scope_of(db, "TA", "operator")
    row = security.report_event(
        db,
        scope=nvr,
        data=SecurityEventCreate(
            kind="intrusion",
            source="CAM-07",
            building_id=world.a.building_id,
            location="北侧围界",
            snapshot_base64=base64.b64encode(png()).decode(),
        ),
    )
    assert row.snapshot_type == "image/png" and security.snapshot_of(db, scope=nvr, ident=row.id)[0] == png()
    order = workorders.get_order(db, scope=nvr, ident=row.work_order_id or 0)
    assert (order.category, order.priority, order.origin_kind) == ("security", "urgent", "alarm")
    assert order.origin_ref == f"security-event:{row.id}" and order.team_id == team and order.state == "assigned"
    raised = alarms.list(db, scope=nvr, query=ListQuery(filters={"building_id": world.a.building_id}))[0]
    assert [(a.message, a.severity, a.state) for a in raised] == [("Security: intrusion", "critical", "raised")]
    assert f"#{row.id}" in (raised[0].comment or "")  # the alarm leads to the event and its snapshot
    with pytest.raises(DomainError) as refused:  # a snapshot must be an image
        security.report_event(
            db,
            scope=nvr,
            data=SecurityEventCreate(kind="smoke", source="CAM-1", snapshot_base64=base64.b64encode(b"text").decode()),
        )
    assert refused.value.status in (415, 422)
    with pytest.raises(PermissionDenied):
        security.report_event(
            db, scope=scope_of(db, "TA", "resident"), data=SecurityEventCreate(kind="smoke", source="x")
        )


def test_patrol_round_shows_missing_checkpoints(db: Session) -> None:
    operator = scope_of(db, "TA", "operator")
    route = security.ROUTES.create(
        db,
        scope=operator,
        data=PatrolRouteCreate(
            name="夜间巡更",
            every_minutes=60,
            checkpoints=[
                Checkpoint(code="C1", name="东门"),
                Checkpoint(code="C2", name="配电房"),
                Checkpoint(code="C3", name="仓库"),
            ],
        ),
    )
    now = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)
    security.scan(
        db, scope=operator, data=PatrolScan(route_id=route.id, checkpoint="C1", at=now - dt.timedelta(minutes=90))
    )
    security.scan(
        db, scope=operator, data=PatrolScan(route_id=route.id, checkpoint="C2", at=now - dt.timedelta(minutes=20))
    )
    found = security.status(db, scope=operator, ident=route.id, now=now)
    assert (found.visited, found.missing) == (["C2"], ["C1", "C3"])  # C1 was in the round before
    with pytest.raises(ValidationFailed):
        security.scan(db, scope=operator, data=PatrolScan(route_id=route.id, checkpoint="C9"))
