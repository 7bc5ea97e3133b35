"""Dashboard, subscription and duty pages: the admin composes a dashboard in the editor (a bad widget is refused
with its reason), opens it in both languages, imports a file; the operator subscribes to a report and opens the
duty app."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text


def test_admin_composes_opens_and_imports_a_dashboard(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-park_admin")
    listing = client.get("/dashboards")
    assert listing.status_code == 200
    created = client.post(
        "/dashboards/new", data={"name": "运行看板", "csrf_token": form_token(listing.text)}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    ident = int(edit_url.split("/")[2])
    editor = client.get(edit_url)
    token = form_token(editor.text)
    widgets = [
        {"kind": "kpi", "title": "告警", "figure": "alarms.active"},
        {"kind": "gauge", "title": "能耗", "figure": "energy.tce", "max": "9000"},
        {"kind": "timeseries", "title": "曲线", "points": f"{world.a.point_ids[0]}，{world.a.point_ids[1]}"},
        {"kind": "table", "title": "指标", "fig_economy.reporting": "1", "fig_evaluation.met_standards": "1"},
        {"kind": "alarms", "title": "最新告警", "limit": "5"},
    ]
    for widget in widgets:
        added = client.post(
            f"/dashboards/{ident}/widgets", data={**widget, "csrf_token": token}, follow_redirects=False
        )
        assert added.status_code == 303, added.text
    refused = client.post(
        f"/dashboards/{ident}/widgets", data={"kind": "timeseries", "title": "空", "points": "", "csrf_token": token}
    )
    assert refused.status_code == 422 and "points" in refused.text
    for lang, heading in (("zh", "时间范围"), ("en", "Time range")):
        page = client.get(f"/dashboards/{ident}", params={"lang": lang, "range": "30d"})
        assert page.status_code == 200, page.text
        assert page.text.count('class="panel dash-widget') == 5 and heading in page.text
        data = json.loads(page.text.split('id="dash-data">')[1].split("</script>")[0])
        assert data["time_range"] == "30d" and [w["kind"] for w in data["widgets"]][:2] == ["kpi", "gauge"]
    exported = client.get(f"/api/v1/dashboards/{ident}/export").text
    imported = client.post(
        "/dashboards/import",
        data={"document": exported, "import_name": "导入的看板", "csrf_token": token},
        follow_redirects=False,
    )
    assert imported.status_code == 303, imported.text
    bad = client.post("/dashboards/import", data={"document": '{"format": "x"}', "csrf_token": token})
    assert bad.status_code == 422 and "format" in visible_text(bad.text)
    shared = client.post(
        f"/dashboards/{ident}/edit",
        data={"name": "运行看板", "time_range": "7d", "role_operator": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert shared.status_code == 303
    client.cookies.clear()
    login(client, "TA-operator")
    assert client.get(f"/dashboards/{ident}").status_code == 200
    assert client.get(f"/dashboards/{ident}/edit").status_code == 403


def test_operator_subscribes_and_opens_the_duty_app(client: TestClient, world: World) -> None:
    login(client, "TA-operator")
    listing = client.get("/reports/subscriptions")
    assert listing.status_code == 200
    body = {
        "name": "周报",
        "report": "safety",
        "format_pdf": "1",
        "cron": "0 8 * * 1",
        "working_days_only": "1",
        "emails": "a@park.example.cn, b@park.example.cn",
        "csrf_token": form_token(listing.text),
    }
    bad = client.post("/reports/subscriptions", data={**body, "cron": "每周一"})
    assert bad.status_code == 422 and "cron" in bad.text
    made = client.post("/reports/subscriptions", data=body, follow_redirects=False)
    assert made.status_code == 303, made.text
    detail = client.get(made.headers["location"])
    assert detail.status_code == 200 and "b@park.example.cn" in detail.text
    run = client.post(
        made.headers["location"] + "/run", data={"csrf_token": form_token(detail.text)}, follow_redirects=False
    )
    assert run.status_code == 303
    assert "待处理" in client.get(made.headers["location"]).text
    duty = client.get("/duty")
    assert duty.status_code == 200 and 'rel="manifest"' in duty.text
    assert client.get("/duty/manifest.webmanifest").json()["start_url"] == "/duty"
    assert client.get("/duty/sw.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/duty/offline").status_code == 200


def test_the_duty_app_and_its_push_show_an_external_alarms_title_translated(
    client: TestClient, world: World, db: Session
) -> None:
    from digipark.alarms import provides as alarms
    from digipark.dashboards import push
    from digipark.web import i18n

    alarm = alarms.raise_external(
        db,
        park_id=world.a.park_id,
        source_kind="security:intrusion",
        source_ref="CAM-7",
        severity="critical",
        title_key="Security: intrusion",
        detail="北门",
        building_id=world.a.building_id,
    )
    db.commit()
    zh = i18n.translations("zh").gettext("Security: intrusion")
    assert zh != "Security: intrusion"
    login(client, "TA-operator")
    shown = visible_text(client.get("/duty?lang=zh").text)
    assert zh in shown and "Security: intrusion" not in shown
    assert push.payload(alarm.id, "critical", alarm.message, "zh")["body"] == zh
    assert push.payload(alarm.id, "critical", alarm.message, "en")["body"] == "Security: intrusion"


def test_the_alarm_list_widget_names_each_open_alarm_and_a_count_shows_no_decimals(
    client: TestClient, world: World, db: Session
) -> None:
    from digipark.alarms import provides as alarms
    from digipark.web import i18n

    for ref in ("CAM-1", "CAM-2"):
        alarms.raise_external(
            db,
            park_id=world.a.park_id,
            source_kind="security:intrusion",
            source_ref=ref,
            severity="major",
            title_key="Security: intrusion",
            detail="北门",
            building_id=world.a.building_id,
        )
    db.commit()
    login(client, "TA-park_admin")
    listing = client.get("/dashboards")
    created = client.post(
        "/dashboards/new", data={"name": "告警看板", "csrf_token": form_token(listing.text)}, follow_redirects=False
    )
    ident = int(created.headers["location"].split("/")[2])
    token = form_token(client.get(created.headers["location"]).text)
    for widget in (
        {"kind": "kpi", "title": "告警", "figure": "alarms.active"},
        {"kind": "alarms", "title": "最新告警", "limit": "5"},
    ):
        added = client.post(
            f"/dashboards/{ident}/widgets", data={**widget, "csrf_token": token}, follow_redirects=False
        )
        assert added.status_code == 303, added.text
    shown = visible_text(client.get(f"/dashboards/{ident}?lang=zh").text)
    title = i18n.translations("zh").gettext("Security: intrusion")
    assert shown.count(title) == 2 and "Security: intrusion" not in shown
    assert "2.00" not in shown


def test_a_team_lead_starts_and_completes_their_work_orders_in_the_duty_app(
    client: TestClient, world: World, db: Session
) -> None:
    import datetime as dt

    from sqlalchemy import select

    from digipark.auth.models import User
    from digipark.workorders.models import WorkOrder, WorkTeam

    operator = db.scalar(select(User).where(User.username == "TA-operator"))
    assert operator is not None
    now = dt.datetime.now(dt.UTC)
    mine = WorkTeam(park_id=world.a.park_id, name="值班维修班", lead=operator.display_name or operator.username)
    other = WorkTeam(park_id=world.a.park_id, name="别的班组", lead="别人")
    db.add_all([mine, other])
    db.flush()

    def order(code: str, team: WorkTeam, title: str) -> WorkOrder:
        row = WorkOrder(
            park_id=world.a.park_id, code=code, category="repair", priority="urgent", title=title,
            team_id=team.id, state="assigned", reported_at=now, due_at=now + dt.timedelta(hours=4), assigned_at=now,
        )  # fmt: skip
        db.add(row)
        return row

    assigned, done_later, not_mine = (
        order("DUTY-1", mine, "水泵漏水"),
        order("DUTY-2", mine, "门禁失灵"),
        order("DUTY-3", other, "别人的工单"),
    )
    db.commit()
    login(client, "TA-operator")
    page = client.get("/duty?lang=zh")
    shown = visible_text(page.text)
    assert "我的工单" in shown and "水泵漏水" in shown and "门禁失灵" in shown and "别人的工单" not in shown
    token = form_token(page.text)
    started = client.post(f"/duty/orders/{assigned.id}/start", data={"csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303, started.text
    db.expire_all()
    assert db.get(WorkOrder, assigned.id).state == "in_progress"  # type: ignore[union-attr]
    assert "处理中" in visible_text(client.get("/duty?lang=zh").text)
    again = client.post(f"/duty/orders/{assigned.id}/start", data={"csrf_token": token})
    assert again.status_code == 409  # already started: a conflict, nothing changes
    completed = client.post(
        f"/duty/orders/{done_later.id}/complete",
        data={"csrf_token": token, "note": "更换读卡器"},
        follow_redirects=False,
    )
    assert completed.status_code == 303, completed.text
    db.expire_all()
    finished = db.get(WorkOrder, done_later.id)
    assert finished is not None and finished.state == "done" and finished.completion_note == "更换读卡器"
    refused = client.post(f"/duty/orders/{not_mine.id}/complete", data={"csrf_token": token, "note": "x"})
    assert refused.status_code == 404
    db.expire_all()
    assert db.get(WorkOrder, not_mine.id).state == "assigned"  # type: ignore[union-attr]
    forged = client.post(f"/duty/orders/{assigned.id}/complete", data={"csrf_token": "bad"})
    assert forged.status_code in (400, 403)
    db.expire_all()
    assert db.get(WorkOrder, assigned.id).state == "in_progress"  # type: ignore[union-attr]
