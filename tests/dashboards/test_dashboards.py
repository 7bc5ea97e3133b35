"""Dashboards as data: composing, sharing with roles, each widget's data, export → import round trip, and a bad
import that changes nothing and says why."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.dashboards import service, widgets
from digipark.dashboards.models import Dashboard
from digipark.dashboards.schemas import DashboardCreate
from tests.conftest import World, bearer
from tests.notices.helpers import scope_of

URL = "/api/v1/dashboards"


def spec(world: World) -> dict[str, object]:
    return {
        "time_range": "7d",
        "widgets": [
            {"kind": "timeseries", "title": "温度", "width": 8, "points": world.a.point_ids[:2]},
            {"kind": "kpi", "title": "在线告警", "figure": "alarms.active"},
            {"kind": "gauge", "title": "能耗", "figure": "energy.tce", "min": 0, "max": 5000},
            {"kind": "table", "title": "经济", "width": 6, "figures": ["economy.reporting", "dataspace.products"]},
            {"kind": "alarms", "title": "最新告警", "limit": 5},
        ],
    }


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Dashboard)) or 0)


def test_export_then_import_round_trips(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    data = DashboardCreate(name="运行总览", description="值班大屏", spec=spec(world), shared_roles=["operator"])
    original = service.DASHBOARDS.create(db, scope=admin, data=data)
    exported = service.export(db, scope=admin, ident=original.id)
    assert exported["format"] == "digipark.dashboard" and "id" not in exported and "park_id" not in exported

    # through text, as a file travels; into another park
    other = scope_of(db, "TB", "park_admin")
    document = service.parse_file(json.dumps(exported, ensure_ascii=False).encode())
    copy = service.import_file(db, scope=other, document=document)
    assert copy.id != original.id and copy.park_id == world.b.park_id
    assert service.export(db, scope=other, ident=copy.id) == exported
    assert copy.spec == original.spec and copy.shared_roles == ["operator"]


def test_a_bad_import_changes_nothing_and_names_the_field(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    good = {"format": "digipark.dashboard", "version": 1, "name": "x", "spec": spec(world)}
    before = _count(db)
    cases = {
        "not json {": "(file)",
        json.dumps({**good, "version": 2}): "version",
        json.dumps({**good, "spec": {"widgets": [{"kind": "pie", "title": "t"}]}}): "spec.widgets.0",
        json.dumps({**good, "spec": {"widgets": [{"kind": "kpi", "title": "t", "figure": "x"}]}}): "figure",
        json.dumps({**good, "spec": {"widgets": [{"kind": "gauge", "title": "", "figure": "a.b"}]}}): "title",
        json.dumps({**good, "extra": 1}): "extra",
    }
    for content, field in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            service.parse_file(content)
        assert any(field in e["field"] for e in caught.value.errors), (content, caught.value.errors)
    assert _count(db) == before
    service.import_file(db, scope=admin, document=service.parse_document(good))
    assert _count(db) == before + 1


def test_shared_with_roles_only_and_written_by_admins(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    row = service.DASHBOARDS.create(
        db, scope=admin, data=DashboardCreate(name="共享", spec=spec(world), shared_roles=["operator", "reviewer"])
    )
    for account, sees in (("operator", True), ("reviewer", True), ("enterprise", False), ("resident", False)):
        scope = scope_of(db, "TA", account)
        rows, _ = service.DASHBOARDS.list(db, scope=scope, query=ListQuery(page_size=100))
        assert (row.id in {r.id for r in rows}) is sees, account
    with pytest.raises(NotFound):
        service.DASHBOARDS.get(db, scope=scope_of(db, "TB", "park_admin"), ident=row.id)
    with pytest.raises(PermissionDenied):
        service.DASHBOARDS.create(db, scope=scope_of(db, "TA", "operator"), data=DashboardCreate(name="mine"))


def test_widget_data_follows_the_spec_and_the_viewer(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    row = service.DASHBOARDS.create(db, scope=admin, data=DashboardCreate(name="数据", spec=spec(world)))
    found = widgets.widget_data(db, scope=admin, row=row)
    assert found["time_range"] == "7d" and found["to_ms"] - found["from_ms"] == 7 * 86_400_000
    kinds = [w["kind"] for w in found["widgets"]]
    assert kinds == ["timeseries", "kpi", "gauge", "table", "alarms"]
    assert [s["point_id"] for s in found["widgets"][0]["series"]] == world.a.point_ids[:2]
    assert found["widgets"][1]["value"] == 0.0  # no active alarm in the test park
    assert found["widgets"][2]["max"] == 5000
    assert [r[0] for r in found["widgets"][3]["rows"]] == ["economy.reporting", "dataspace.products"]
    short = widgets.widget_data(db, scope=admin, row=row, time_range="1h")
    assert short["to_ms"] - short["from_ms"] == 3_600_000


def test_api_round_trip_and_bad_import(client: TestClient, world: World, db: Session) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    created = client.post(URL, headers=admin, json={"name": "API 看板", "spec": spec(world)})
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    exported = client.get(f"{URL}/{ident}/export", headers=admin)
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    document = exported.json()
    again = client.post(f"{URL}/import", headers=admin, json=document, params={"name": "API 看板 2"})
    assert again.status_code == 201, again.text
    assert client.get(f"{URL}/{again.json()['id']}/export", headers=admin).json() == {**document, "name": "API 看板 2"}
    clash = client.post(f"{URL}/import", headers=admin, json=document)
    assert clash.status_code == 409
    bad = client.post(f"{URL}/import", headers=admin, json={**document, "spec": {"widgets": [{"kind": "kpi"}]}})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith("spec.widgets.0") for e in bad.json()["errors"])
    assert client.get(f"{URL}/schema", headers=admin).json()["title"] == "DashboardFile"
    data = client.get(f"{URL}/{ident}/data", headers=admin, params={"time_range": "24h"})
    assert data.status_code == 200 and data.json()["time_range"] == "24h"
    hidden = client.get(f"{URL}/{ident}", headers=bearer(world.a.tokens["enterprise"]))
    assert hidden.status_code == 404
