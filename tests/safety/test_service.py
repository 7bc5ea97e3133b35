"""The safety service: the register, hazard sources, hidden-danger workflow (invalid transitions change nothing),
plans, resources, incidents (report, photos, tasks, timeline, nearest resources, close, report and its push to a
local HTTP server), the risk picture, tenancy and audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.core.config import get_settings
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.safety import service
from digipark.safety.models import HiddenDanger
from digipark.safety.schemas import (
    Assign,
    Close,
    HazardSourceCreate,
    HiddenDangerCreate,
    IncidentCreate,
    PlanCreate,
    Rectify,
    ResourceCreate,
    RiskPointCreate,
    RiskPointUpdate,
    SubstanceIn,
    TaskCreate,
    TaskStatusChange,
    Verify,
)
from tests.conftest import World
from tests.safety.helpers import admin, own, scope_of

NOW = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def frozen() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _point(db: Session, world: World, **extra: Any) -> int:
    data = {
        "code": "RP-1",
        "name": "液氯储罐区",
        "responsible_person": "张工",
        "hazards": ["氯气泄漏"],
        "controls": ["气体检测报警", "应急吸收装置"],
        "method": "LEC",
        "l_value": 3,
        "e_value": 6,
        "c_value": 15,
        "building_id": world.a.building_id,
        **extra,
    }
    return service.create_risk_point(db, scope=admin(world.a), data=RiskPointCreate(**data)).id


def test_risk_point_level_from_lec_and_ls(db: Session, world: World) -> None:
    ident = _point(db, world, point_ids=[world.a.point_ids[4]])
    row = service.get_risk_point(db, scope=admin(world.a), ident=ident)
    assert (row.score, row.level, row.zone_id) == (270, "orange", world.a.zone_id)  # zone from the building
    row = service.update_risk_point(
        db, scope=admin(world.a), ident=ident, data=RiskPointUpdate(method="LS", l_value=4, s_value=5)
    )
    assert (row.score, row.level, row.e_value, row.c_value) == (20, "red", None, None)
    with pytest.raises(ValidationFailed) as caught:
        service.update_risk_point(db, scope=admin(world.a), ident=ident, data=RiskPointUpdate(s_value=7))
    assert caught.value.errors[0]["field"] == "s_value"
    assert service.get_risk_point(db, scope=admin(world.a), ident=ident).s_value == 5
    with pytest.raises(ValidationFailed):  # another park's point
        _point(db, world, code="RP-2", point_ids=[world.b.point_ids[4]])
    with pytest.raises(ValidationFailed):  # another park's building
        _point(db, world, code="RP-3", building_id=world.b.building_id)


def test_enterprise_keeps_only_its_own_register(db: Session, world: World) -> None:
    mine = service.create_risk_point(
        db,
        scope=own(world.a),
        data=RiskPointCreate(code="E-1", name="喷涂间", responsible_person="李", method="LS", l_value=2, s_value=3),
    )
    assert mine.enterprise_id == world.a.enterprise_ids[0]
    park_row = _point(db, world)
    with pytest.raises(NotFound):
        service.get_risk_point(db, scope=own(world.a), ident=park_row)
    with pytest.raises(NotFound):
        service.get_risk_point(db, scope=own(world.a, 1), ident=mine.id)
    with pytest.raises(PermissionDenied):
        service.create_risk_point(
            db,
            scope=own(world.a),
            data=RiskPointCreate(
                enterprise_id=world.a.enterprise_ids[1],
                code="E-2",
                name="x",
                responsible_person="李",
                method="LS",
                l_value=2,
                s_value=3,
            ),
        )
    rows, _ = service.list_risk_points(db, scope=own(world.a), query=ListQuery())
    assert {r.id for r in rows} == {mine.id}
    with pytest.raises(PermissionDenied):  # a reviewer reads, never writes
        service.update_risk_point(
            db, scope=scope_of(world.a, Role.REVIEWER), ident=park_row, data=RiskPointUpdate(name="x")
        )


def test_hazard_source_graded_and_stored(db: Session, world: World) -> None:
    row = service.create_hazard_source(
        db,
        scope=admin(world.a),
        data=HazardSourceCreate(
            code="HS-1",
            name="液氯库",
            unit_kind="storage",
            exposed_people=60,
            substances=[SubstanceIn(name="液氯", quantity_t=20)],
            enterprise_id=world.a.enterprise_ids[0],
        ),
    )
    assert (row.s_value, row.is_major, row.alpha, row.r_value, row.grade) == (4, True, 1.5, 24, 3)
    assert row.substances[0]["critical_t"] == 5 and row.substances[0]["beta"] == 4
    with pytest.raises(ValidationFailed) as caught:
        service.create_hazard_source(
            db,
            scope=admin(world.a),
            data=HazardSourceCreate(
                code="HS-2",
                name="溶剂库",
                unit_kind="storage",
                exposed_people=0,
                substances=[SubstanceIn(name="二甲苯", quantity_t=20)],
            ),
        )
    assert caught.value.errors[0]["field"] == "substances.0.categories"


def _danger(db: Session, world: World, scope: Any = None, **extra: Any) -> int:
    data = {"title": "消防通道堵塞", "grade": "general", "building_id": world.a.building_id, **extra}
    return service.create_hidden_danger(db, scope=scope or admin(world.a), data=HiddenDangerCreate(**data)).id


def _state(db: Session, ident: int) -> tuple[Any, ...]:
    db.expire_all()
    row = db.get(HiddenDanger, ident)
    assert row is not None
    return (row.status, row.assignee, row.deadline, row.rectification, row.verified_by, len(row.history))


def test_hidden_danger_workflow_and_overdue(db: Session, world: World, frozen: Any) -> None:
    ident = _danger(db, world, enterprise_id=world.a.enterprise_ids[0])
    boss = admin(world.a)
    before = _state(db, ident)
    for wrong in (
        lambda: service.rectify_hidden_danger(db, scope=boss, ident=ident, data=Rectify(rectification="清理")),
        lambda: service.verify_hidden_danger(db, scope=boss, ident=ident, data=Verify(passed=True)),
    ):
        with pytest.raises(Conflict):
            wrong()
        assert _state(db, ident) == before
    service.assign_hidden_danger(
        db, scope=own(world.a), ident=ident, data=Assign(assignee="王班长", deadline=dt.date(2026, 6, 20))
    )
    assert not service.is_overdue(db.get(HiddenDanger, ident))  # type: ignore[arg-type]
    frozen.move_to(dt.datetime(2026, 6, 21, 4, 0, tzinfo=dt.UTC))
    assert service.is_overdue(db.get(HiddenDanger, ident))  # type: ignore[arg-type]
    rows, _ = service.list_hidden_dangers(db, scope=boss, query=ListQuery(), overdue=True)
    assert ident in {r.id for r in rows}
    assert service.overview_counts(db, scope=boss, park_id=world.a.park_id)["overdue_dangers"] >= 1
    service.rectify_hidden_danger(db, scope=own(world.a), ident=ident, data=Rectify(rectification="已清理通道"))
    with pytest.raises(PermissionDenied):  # the enterprise may not verify its own rectification
        service.verify_hidden_danger(db, scope=own(world.a), ident=ident, data=Verify(passed=True))
    service.verify_hidden_danger(db, scope=boss, ident=ident, data=Verify(passed=False, note="仍有杂物"))
    assert _state(db, ident)[0] == "assigned"
    service.rectify_hidden_danger(db, scope=boss, ident=ident, data=Rectify(rectification="彻底清理"))
    service.verify_hidden_danger(db, scope=boss, ident=ident, data=Verify(passed=True))
    final = _state(db, ident)
    assert final[0] == "verified" and final[4] == boss.username
    history = [h["status"] for h in db.get(HiddenDanger, ident).history]  # type: ignore[union-attr]
    assert history == ["found", "assigned", "rectified", "verification_failed", "rectified", "verified"]
    with pytest.raises(Conflict):
        service.assign_hidden_danger(
            db, scope=boss, ident=ident, data=Assign(assignee="x", deadline=dt.date(2026, 7, 1))
        )
    assert _state(db, ident) == final
    audited = db.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity_type == "safety_hidden_danger", AuditEntry.entity_id == str(ident)
        )
    ).all()
    assert audited.count("update") == 5 and audited.count("create") == 1


def test_hidden_danger_input_checks(db: Session, world: World) -> None:
    with pytest.raises(ValidationFailed):
        _danger(db, world, found_on=dt.date(2026, 6, 16))  # the future
    with pytest.raises(ValidationFailed):
        _danger(db, world, found_on=dt.date(2026, 6, 10), deadline=dt.date(2026, 6, 9))
    ident = _danger(db, world, found_on=dt.date(2026, 6, 10))
    with pytest.raises(ValidationFailed):
        service.assign_hidden_danger(
            db, scope=admin(world.a), ident=ident, data=Assign(assignee="x", deadline=dt.date(2026, 6, 1))
        )
    assert _state(db, ident)[0] == "found"


class _Command(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), body))
        status = 503 if len(type(self).received) <= type(self).fail_first else 202
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def command_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _Command.received = []
    _Command.fail_first = 1
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Command)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/command/incidents"
    settings = get_settings()
    monkeypatch.setattr(settings, "safety_command_webhook_url", url)
    monkeypatch.setattr(settings, "safety_command_webhook_secret", "s3cret")
    monkeypatch.setattr(settings, "safety_command_webhook_backoff_s", 0.0)
    yield url
    server.shutdown()
    thread.join()


def _team(db: Session, world: World, name: str, lon: float, lat: float, kind: str = "team") -> int:
    data = ResourceCreate(kind=kind, name=name, lon=lon, lat=lat, phone="119")  # type: ignore[arg-type]
    return service.create_resource(db, scope=admin(world.a), data=data).id


def test_incident_reported_handled_closed_and_pushed(db: Session, world: World, command_server: str) -> None:
    boss = admin(world.a)
    plan = service.create_plan(
        db,
        scope=boss,
        data=PlanCreate(
            code="P-LEAK",
            title="危化品泄漏专项预案",
            plan_type="special",
            incident_kinds=["leak"],
            levels=[{"level": "III", "criteria": "单个企业范围内泄漏"}],  # type: ignore[list-item]
            roles=[{"role": "现场指挥", "duty": "统一指挥"}],  # type: ignore[list-item]
            steps=[{"title": "警戒疏散", "role": "现场指挥", "within_minutes": 10}],  # type: ignore[list-item]
        ),
    )
    near = _team(db, world, "园区消防站", 120.7003, 31.3003)
    far = _team(db, world, "远处救援队", 120.75, 31.35)
    shelter = _team(db, world, "一号避难场所", 120.7010, 31.3010, kind="shelter")
    incident = service.create_incident(
        db,
        scope=own(world.a),
        data=IncidentCreate(title="储罐区异味", kind="leak", level="III", lon=120.7002, lat=31.3002),
    )
    assert incident.enterprise_id == world.a.enterprise_ids[0] and incident.plan_id == plan.id
    assert incident.code.startswith(f"IN{world.a.park_id}-20260615-")
    service.add_photo(
        db, scope=own(world.a), ident=incident.id, filename="现场.png", content_type="image/png", content=PNG
    )
    with pytest.raises(UnsupportedFile):
        service.add_photo(
            db, scope=own(world.a), ident=incident.id, filename="x.png", content_type="image/png", content=b"GIF89a"
        )
    with pytest.raises(UnsupportedFile):
        service.add_photo(
            db,
            scope=own(world.a),
            ident=incident.id,
            filename="x.pdf",
            content_type="application/pdf",
            content=b"%PDF-1",
        )
    with pytest.raises(FileTooLarge):
        service.add_photo(
            db,
            scope=own(world.a),
            ident=incident.id,
            filename="big.png",
            content_type="image/png",
            content=PNG + b"\x00" * service.MAX_PHOTO_BYTES,
        )
    nearest = service.nearest_resources(db, scope=boss, ident=incident.id)
    assert [r.id for r, _ in nearest] == [near, far, shelter]
    assert nearest[0][1] < 100 < nearest[1][1]
    with pytest.raises(PermissionDenied):  # the enterprise reports; the command assigns
        service.add_task(
            db,
            scope=own(world.a),
            ident=incident.id,
            data=TaskCreate(title="x", team_id=near, deadline=NOW + dt.timedelta(hours=1)),
        )
    task = service.add_task(
        db,
        scope=boss,
        ident=incident.id,
        data=TaskCreate(title="堵漏处置", team_id=near, deadline=NOW + dt.timedelta(minutes=30)),
    )
    assert service.get_incident(db, scope=boss, ident=incident.id).status == "responding"
    with pytest.raises(ValidationFailed):
        service.add_task(
            db,
            scope=boss,
            ident=incident.id,
            data=TaskCreate(title="x", team_id=shelter, deadline=NOW + dt.timedelta(hours=1)),
        )
    with pytest.raises(Conflict):  # an open task blocks closing
        service.close_incident(db, scope=boss, ident=incident.id, data=Close(summary="处置完毕"))
    service.change_task(db, scope=boss, ident=task.id, data=TaskStatusChange(status="done", note="已堵漏"))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        service.change_task(db, scope=boss, ident=task.id, data=TaskStatusChange(status="cancelled"))  # type: ignore[arg-type]
    closed = service.close_incident(
        db, scope=boss, ident=incident.id, data=Close(summary="阀门密封失效，已更换", injuries=1)
    )
    assert closed.status == "closed" and closed.report_pushed_at is not None
    attempts = service.pushes(db, scope=boss, ident=incident.id)
    assert [(p.attempt, p.ok, p.status_code) for p in attempts] == [(1, False, 503), (2, True, 202)]
    headers, body = _Command.received[-1]
    document = json.loads(body)
    assert document["$schema"] == service.REPORT_SCHEMA
    assert document["incident"]["code"] == incident.code and document["incident"]["casualties"]["injuries"] == 1
    assert [t["status"] for t in document["tasks"]] == ["done"]
    assert [e["kind"] for e in document["timeline"]] == ["opened", "photo", "task_assigned", "task_done", "closed"]
    assert document["photos"][0]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert document["plan"]["code"] == "P-LEAK"
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Digipark-Signature"] == f"sha256={expected}"
    with pytest.raises(Conflict):
        service.add_note(db, scope=boss, ident=incident.id, text="too late")
    kinds = [e.kind for e in service.timeline(db, scope=boss, ident=incident.id)]
    assert kinds[-1] == "report_pushed"
    entity_types = set(db.scalars(select(AuditEntry.entity_type).where(AuditEntry.entity_type.like("safety_%"))))
    assert {
        "safety_incident",
        "safety_incident_task",
        "safety_incident_photo",
        "safety_report_push",
        "safety_incident_event",
    } <= entity_types


def test_incident_visibility_and_location(db: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_incident(db, scope=admin(world.a), data=IncidentCreate(title="x", kind="fire"))
    assert caught.value.errors[0]["field"] == "location"
    row = service.create_incident(
        db, scope=own(world.a), data=IncidentCreate(title="小火情", kind="fire", building_id=world.a.building_id)
    )
    with pytest.raises(NotFound):
        service.get_incident(db, scope=own(world.a, 1), ident=row.id)
    with pytest.raises(NotFound):
        service.get_incident(db, scope=admin(world.b), ident=row.id)
    assert service.get_incident(db, scope=scope_of(world.a, Role.REVIEWER), ident=row.id).id == row.id
    with pytest.raises(PermissionDenied):  # drills are the command's
        service.create_incident(
            db, scope=own(world.a), data=IncidentCreate(title="演练", kind="fire", location="一号楼", drill=True)
        )
    drill = service.create_incident(
        db, scope=admin(world.a), data=IncidentCreate(title="消防演练", kind="fire", location="一号楼", drill=True)
    )
    assert drill.source == "drill" and drill.code.startswith("DR")


def test_risk_picture_colours_and_reasons(db: Session, world: World) -> None:
    boss = admin(world.a)
    empty = service.risk_picture(db, scope=boss)
    zone = next(z for z in empty.zones if z.key == world.a.zone_id)
    assert zone.level == "blue"
    # an overdue major hidden danger (6 open + 30 overdue = 36 ≥ 30 → orange) in enterprise 0's building
    ident = _danger(db, world, grade="major", enterprise_id=world.a.enterprise_ids[0], found_on=dt.date(2026, 6, 5))
    service.assign_hidden_danger(db, scope=boss, ident=ident, data=Assign(assignee="x", deadline=dt.date(2026, 6, 10)))
    picture = service.risk_picture(db, scope=boss)
    zone = next(z for z in picture.zones if z.key == world.a.zone_id)
    kinds = {(r.kind, r.detail): r.points for r in zone.reasons}
    assert kinds[("hidden_dangers_overdue", "major")] == 30 and kinds[("hidden_dangers_open", "major")] == 6
    # found on 6-05: in the week (6-02..6-08) before the last one (6-09..6-15), so no rising trend
    assert zone.index == 36 and zone.level == "orange"
    assert "trend" not in {r.kind for r in zone.reasons}
    # two general ones found today: open 2 × 1, and the trend 1 → 2 adds (2 - 1) × 3
    _danger(db, world, title="灭火器过期")
    _danger(db, world, title="配电箱未上锁")
    again = next(z for z in service.risk_picture(db, scope=boss).zones if z.key == world.a.zone_id)
    assert {(r.kind, r.detail): r.points for r in again.reasons}[("trend", "1->2")] == 3
    assert again.index == 36 + 2 + 3
    enterprise = next(e for e in picture.enterprises if e.key == world.a.enterprise_ids[0])
    assert enterprise.level == "orange"
    other = next(e for e in picture.enterprises if e.key == world.a.enterprise_ids[1])
    assert other.level == "blue" and other.reasons == []
    # the other enterprise's user sees nothing of it
    theirs = service.risk_picture(db, scope=own(world.a, 1))
    assert all(z.index == 0 for z in theirs.zones)
    with pytest.raises(NotFound):
        service.risk_picture(db, scope=admin(world.b), park_id=world.a.park_id)
    with pytest.raises(PermissionDenied):
        service.risk_picture(db, scope=scope_of(world.a, Role.RESIDENT))
