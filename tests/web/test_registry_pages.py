"""Registry pages: lists, details and forms for every kind; tenancy, CSRF and bad input on forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.registry.models import Enterprise, Room, Zone
from digipark.registry.service import KINDS
from digipark.web.shell import kind_path
from tests.conftest import ParkWorld, World
from tests.web.helpers import login, visible_text


def record_id(park: ParkWorld, kind: str) -> int:
    return {
        "park": park.park_id,
        "zone": park.zone_id,
        "land_parcel": park.parcel_id,
        "building": park.building_id,
        "floor": park.floor_id,
        "room": park.room_id,
        "enterprise": park.enterprise_ids[0],
        "device": park.device_ids[0],
        "point": park.point_ids[0],
    }[kind]


def fresh(db: Session, model: type, ident: int) -> object:
    return db.scalar(select(model).where(model.id == ident).execution_options(populate_existing=True))  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_list_detail_and_edit_pages_render_for_park_admin(
    client: TestClient, world: World, kind: str, lang: str
) -> None:
    login(client, "TA-park_admin")
    path = kind_path(kind)
    ident = record_id(world.a, kind)
    for url in (f"{path}?lang={lang}", f"{path}/{ident}?lang={lang}", f"{path}/{ident}/edit?lang={lang}"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        assert ('lang="zh-CN"' if lang == "zh" else '<html lang="en">') in response.text
    if kind != "park":
        assert client.get(f"{path}/new?lang={lang}").status_code == 200


def test_list_searches_sorts_filters_and_pages(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    everything = client.get("/enterprises")
    assert "TA企业0" in everything.text and "TA企业1" in everything.text
    assert "TB企业0" not in everything.text  # another park
    searched = client.get("/enterprises", params={"q": "企业1"})
    assert "TA企业1" in searched.text and "TA企业0" not in searched.text
    filtered = client.get("/enterprises", params={"above_scale": "true"})
    assert "TA企业0" in filtered.text and "TA企业1" not in filtered.text
    descending = client.get("/enterprises", params={"sort": "-name"}).text
    assert descending.index("TA企业1") < descending.index("TA企业0")
    assert 'aria-sort="descending"' in descending
    paged = client.get("/enterprises", params={"page_size": "1", "page": "2"})
    assert "TA企业1" in paged.text and "TA企业0" not in paged.text
    assert "第 2–2 条，共 2 条" in visible_text(paged.text)
    assert client.get("/enterprises", params={"sort": "nonsense"}).status_code == 422
    assert client.get("/enterprises", params={"page": "x"}).status_code == 422


def test_list_links_excel_and_csv_downloads_with_the_same_filters(client: TestClient) -> None:
    login(client, "TA-park_admin")
    page = client.get("/enterprises", params={"q": "企业", "above_scale": "true", "page": "1"}).text
    assert 'href="/api/v1/enterprises.xlsx?q=%E4%BC%81%E4%B8%9A&amp;above_scale=true"' in page
    assert 'href="/api/v1/enterprises.csv?q=%E4%BC%81%E4%B8%9A&amp;above_scale=true"' in page
    assert ".xlsx" not in client.get("/zones").text  # zones are not an Excel kind


def test_htmx_search_request_gets_the_results_region(client: TestClient) -> None:
    login(client, "TA-park_admin")
    response = client.get("/enterprises", params={"q": "企业0"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="results"' in response.text


def test_detail_pages_list_related_records(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    enterprise = client.get(f"/enterprises/{world.a.enterprise_ids[0]}").text
    assert "租用单元" in enterprise and f'href="/rooms/{world.a.room_id}"' in enterprise
    assert f'href="/devices/{world.a.device_ids[0]}"' in enterprise
    building = client.get(f"/buildings/{world.a.building_id}").text
    assert f'href="/floors/{world.a.floor_id}"' in building and f'href="/rooms/{world.a.room_id}"' in building
    assert f'href="/devices/{world.a.device_ids[1]}"' in building
    device = client.get(f"/devices/{world.a.device_ids[0]}").text
    assert f'href="/points/{world.a.point_ids[0]}"' in device


def test_enterprise_user_sees_only_its_own_enterprise(client: TestClient, world: World, db: Session) -> None:
    token = login(client, "TA-enterprise")
    own, other = world.a.enterprise_ids
    listing = client.get("/enterprises").text
    assert "TA企业0" in listing and "TA企业1" not in listing
    assert client.get(f"/enterprises/{own}").status_code == 200
    assert client.get(f"/enterprises/{other}").status_code == 404
    assert client.get(f"/enterprises/{other}/edit").status_code == 404
    assert client.get(f"/enterprises/{world.b.enterprise_ids[0]}").status_code == 404
    response = client.post(
        f"/enterprises/{other}/edit", data={"csrf_token": token, "contact_phone": "021-5555"}, follow_redirects=False
    )
    assert response.status_code == 404
    assert "页面或记录不存在" in visible_text(response.text)
    assert fresh(db, Enterprise, other).contact_phone is None  # type: ignore[attr-defined]
    # navigation: no land parcels for an enterprise user
    nav = client.get("/").text
    assert 'href="/land-parcels"' not in nav and 'href="/enterprises"' in nav


def test_enterprise_user_edits_only_its_contact_fields(client: TestClient, world: World, db: Session) -> None:
    token = login(client, "TA-enterprise")
    own = world.a.enterprise_ids[0]
    form = client.get(f"/enterprises/{own}/edit").text
    assert 'name="contact_phone"' in form and 'name="uscc"' not in form and 'name="name"' not in form
    response = client.post(
        f"/enterprises/{own}/edit",
        data={
            "csrf_token": token,
            "contact_phone": "0512-6666 8888",
            "employees": "120",
            "name": "Renamed",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/enterprises/{own}?saved=1"
    enterprise = fresh(db, Enterprise, own)
    assert enterprise.contact_phone == "0512-6666 8888" and enterprise.employees == 120  # type: ignore[attr-defined]
    assert enterprise.name == "TA企业0"  # type: ignore[attr-defined]
    assert "修改已保存" in client.get(response.headers["location"]).text


def test_operator_may_not_edit_an_enterprise(client: TestClient, world: World) -> None:
    token = login(client, "TA-operator")
    ident = world.a.enterprise_ids[0]
    assert client.get(f"/enterprises/{ident}/edit").status_code == 403
    assert client.post(f"/enterprises/{ident}/edit", data={"csrf_token": token, "name": "x"}).status_code == 403
    assert "/edit" not in client.get(f"/enterprises/{ident}").text
    assert client.get("/enterprises/new").status_code == 403


def test_forms_reject_a_missing_or_wrong_csrf_token(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-park_admin")
    ident = world.a.enterprise_ids[1]
    for data in ({"name": "Changed"}, {"name": "Changed", "csrf_token": "forged"}):
        response = client.post(f"/enterprises/{ident}/edit", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "无权访问" in visible_text(response.text)
    assert fresh(db, Enterprise, ident).name == "TA企业1"  # type: ignore[attr-defined]
    created = client.post(
        "/zones/new", data={"code": "Z9", "name": "九区", "function": "office"}, follow_redirects=False
    )
    assert created.status_code == 403
    assert db.scalar(select(Zone.id).where(Zone.code == "Z9")) is None


def test_bad_input_shows_errors_and_changes_nothing(client: TestClient, world: World, db: Session) -> None:
    token = login(client, "TA-park_admin")
    ident = world.a.enterprise_ids[1]
    form = client.get(f"/enterprises/{ident}/edit").text
    fields = dict(re.findall(r'<input id="f-(\w+)" name="\w+" value="([^"]*)"', form))
    fields.update({"csrf_token": token, "name": "New name", "employees": "-5", "contact_email": "not-an-email"})
    response = client.post(f"/enterprises/{ident}/edit", data=fields, follow_redirects=False)
    assert response.status_code == 422
    text = visible_text(response.text)
    assert "请修改标出的字段" in text and "不能小于 0" in text and "格式不正确" in text
    assert 'value="New name"' in response.text  # what the user typed is kept
    enterprise = fresh(db, Enterprise, ident)
    assert enterprise.name == "TA企业1" and enterprise.employees is None  # type: ignore[attr-defined]


def test_service_errors_roll_back_the_partial_change(client: TestClient, world: World, db: Session) -> None:
    """The service sets attributes before it finds the bad lease period; the savepoint undoes them."""
    token = login(client, "TA-park_admin")
    response = client.post(
        f"/rooms/{world.a.room_id}/edit?lang=en",
        data={
            "csrf_token": token,
            "code": "101",
            "area_m2": "800",
            "lease_from": "2030-01-01",
            "lease_to": "2029-01-01",
            "enterprise_id": str(world.a.enterprise_ids[0]),
        },
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "must not be below lease_from" in visible_text(response.text)
    room = fresh(db, Room, world.a.room_id)
    assert room.area_m2 == 500 and room.lease_from is None  # type: ignore[attr-defined]


def test_create_through_the_form_and_conflict_on_duplicate_code(client: TestClient, world: World, db: Session) -> None:
    token = login(client, "TA-park_admin")
    response = client.post(
        "/zones/new",
        data={"csrf_token": token, "code": "Z2", "name": "二区", "function": "logistics"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    zone_id = db.scalar(select(Zone.id).where(Zone.park_id == world.a.park_id, Zone.code == "Z2"))
    assert zone_id is not None and response.headers["location"] == f"/zones/{zone_id}?created=1"
    duplicate = client.post(
        "/zones/new",
        data={"csrf_token": token, "code": "Z2", "name": "又一个二区", "function": "office"},
        follow_redirects=False,
    )
    assert duplicate.status_code == 409
    assert "already exists" in visible_text(duplicate.text)
    missing = client.post("/zones/new", data={"csrf_token": token, "code": "Z3"}, follow_redirects=False)
    assert missing.status_code == 422 and "此项为必填项" in visible_text(missing.text)
    assert db.scalar(select(Zone.id).where(Zone.code == "Z3")) is None


def test_new_form_takes_the_parent_from_the_query(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    page = client.get(f"/floors/new?building_id={world.a.building_id}").text
    assert re.search(rf'<option value="{world.a.building_id}" selected>', page)


def test_page_errors_are_html_and_api_errors_stay_problem_json(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    page = client.get("/buildings/999999?lang=en")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Not found" in visible_text(page.text)
    assert client.get("/buildings/abc").status_code == 422
    assert client.get("/no-such-page").status_code == 404
    api = client.get("/api/v1/buildings/999999")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"


def test_create_a_device_with_its_catalogue_points_through_the_form(
    client: TestClient, world: World, db: Session
) -> None:
    token = login(client, "TA-operator")
    form = client.get(f"/devices/new?building_id={world.a.building_id}").text
    assert '<select name="kind"' in form and 'name="create_points" id="f-create_points" checked' in form
    response = client.post(
        "/devices/new",
        data={
            "csrf_token": token,
            "code": "WM9",
            "name": "新水表",
            "kind": "water_meter",
            "building_id": str(world.a.building_id),
            "status": "active",
            "create_points": "on",
            "installed_on": "2025-03-01",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    detail = client.get(response.headers["location"])
    assert "记录已创建" in detail.text and "新水表" in detail.text
    assert "测点" in visible_text(detail.text) and 'href="/points/' in detail.text
    bad_date = client.post(
        "/devices/new",
        data={"csrf_token": token, "code": "WM10", "name": "x", "kind": "water_meter", "installed_on": "1.3.2025"},
        follow_redirects=False,
    )
    assert bad_date.status_code == 422 and "请按 YYYY-MM-DD 格式输入日期" in visible_text(bad_date.text)


def test_download_links_work_with_the_browser_session(client: TestClient) -> None:
    login(client, "TA-park_admin")
    page = client.get("/enterprises", params={"above_scale": "true"}).text
    for fmt in ("xlsx", "csv"):
        match = re.search(rf'href="(/api/v1/enterprises\.{fmt}\?[^"]*)"', page)
        assert match
        response = client.get(match.group(1).replace("&amp;", "&"))
        assert response.status_code == 200, response.text
    assert "TA企业0" in response.text and "TA企业1" not in response.text  # the csv, with the page's filter
