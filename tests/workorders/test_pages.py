"""Work-order pages: a resident reports with a photo from the form, the operator dispatches and completes with a
photo, the resident rates; bad input re-renders the form; both languages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.workorders.models import WorkOrder, WorkOrderPhoto, WorkTeam
from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text
from tests.workorders.helpers import png


def _report(client: TestClient, world: World, title: str, photo: bytes | None = None) -> int:
    token = form_token(client.get("/workorders/new").text)
    files = {"photo": ("leak.png", photo, "image/png")} if photo is not None else {"photo": ("", b"", "")}
    response = client.post(
        "/workorders/new",
        data={
            "csrf_token": token,
            "category": "repair",
            "priority": "normal",
            "title": title,
            "building_id": str(world.a.building_id),
            "floor_id": str(world.a.floor_id),
            "room_id": str(world.a.room_id),
        },
        files=files,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    match = re.match(r"/workorders/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def test_report_dispatch_complete_and_rate_through_the_pages(client: TestClient, world: World, db: Session) -> None:
    db.add(WorkTeam(park_id=world.a.park_id, name="页面维修班"))
    db.flush()
    login(client, "TA-resident")
    ident = _report(client, world, "卫生间漏水", png())
    page = client.get(f"/workorders/{ident}")
    assert "卫生间漏水" in page.text and "/workorders/photos/" in page.text
    photo = db.scalar(select(WorkOrderPhoto).where(WorkOrderPhoto.order_id == ident))
    assert photo is not None and photo.stage == "report"
    assert client.get(f"/workorders/photos/{photo.id}").content == photo.content
    assert 'id="complete-form"' not in page.text  # a resident does not handle orders

    client.cookies.clear()
    login(client, "TA-operator")
    page = client.get(f"/workorders/{ident}")
    team = db.scalar(select(WorkTeam).where(WorkTeam.name == "页面维修班"))
    assert team is not None
    token = form_token(page.text)
    response = client.post(
        f"/workorders/{ident}",
        data={"csrf_token": token, "action": "assign", "team_id": str(team.id)},
        files={"photo": ("", b"", "")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    response = client.post(
        f"/workorders/{ident}",
        data={"csrf_token": token, "action": "complete", "note": "已更换密封圈"},
        files={"photo": ("done.png", png(3, 3), "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    row = db.get(WorkOrder, ident)
    assert row is not None
    db.refresh(row)
    assert row.state == "done" and row.completion_note == "已更换密封圈"

    client.cookies.clear()
    login(client, "TA-resident")
    token = form_token(client.get(f"/workorders/{ident}").text)
    response = client.post(
        f"/workorders/{ident}",
        data={"csrf_token": token, "action": "rate", "rating": "5", "comment": "很快"},
        files={"photo": ("", b"", "")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    db.refresh(row)
    assert (row.state, row.rating) == ("closed", 5)


def test_bad_input_shows_the_form_again(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-resident")
    token = form_token(client.get("/workorders/new").text)
    before = db.scalar(select(WorkOrder.id).order_by(WorkOrder.id.desc()).limit(1))
    response = client.post(
        "/workorders/new",
        data={"csrf_token": token, "title": "", "category": "repair", "priority": "normal"},
        files={"photo": ("x.png", b"not a png", "image/png")},
    )
    assert response.status_code == 422
    assert 'id="report-form"' in response.text and "has-error" in response.text
    response = client.post(
        "/workorders/new",
        data={"csrf_token": token, "title": "照片不对", "category": "repair", "priority": "normal"},
        files={"photo": ("x.png", b"not a png", "image/png")},
    )
    assert response.status_code in (415, 422)
    assert db.scalar(select(WorkOrder.id).order_by(WorkOrder.id.desc()).limit(1)) == before
    assert client.post("/workorders/new", data={"title": "无令牌"}).status_code in (400, 403)


def test_pages_in_both_languages(client: TestClient, world: World) -> None:
    login(client, "TA-resident")
    ident = _report(client, world, "路灯不亮")
    for url in ("/workorders", "/workorders/new", f"/workorders/{ident}"):
        zh = visible_text(client.get(url, params={"lang": "zh"}).text)
        en = visible_text(client.get(url, params={"lang": "en"}).text)
        assert "工单" in zh and "Work orders" not in zh, url
        assert "Work orders" in en, url
