"""The shell: the side menu grouped by the sections the module records declare, error pages inside the layout,
the theme choice, and pages that offer a role only what it may do (the reviewer's queue, the resident's
overview)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark import modules as _installs  # noqa: F401  (installs the module records)
from digipark.core import modules
from digipark.core.modules import MORE, MenuEntry
from digipark.transformation import service as transformation
from digipark.transformation.schemas import AssessmentCreate, AssessmentUpdate
from tests.conftest import World
from tests.transformation.helpers import EXAMPLE_A, own
from tests.web.helpers import login, visible_text


def _menu(page: str) -> str:
    found = re.search(r'<nav class="mainnav".*?</nav>', page, re.S)
    assert found
    return found.group(0)


def test_a_menu_entry_without_a_section_is_shown_under_more() -> None:
    entry = MenuEntry("/somewhere", "Somewhere", "*", order=5)
    assert entry.section is MORE
    # every installed entry names a section of its own choosing
    assert all(e.section is not MORE for m in modules.installed() for e in m.menu)


def test_the_menu_is_grouped_by_section_in_both_languages(client: TestClient) -> None:
    login(client, "TA-park_admin")
    menu = _menu(client.get("/").text)
    titles = re.findall(r'<div class="navsection-title">([^<]+)</div>', menu)
    assert titles[:3] == ["园区底座", "运行监测", "安全应急"] and "能碳环境" in titles and "评价" in titles
    foundation = menu.split("园区底座", 1)[1].split("navsection-title", 1)[0]
    assert re.findall(r'href="([^"]+)"', foundation)[:2] == ["/zones", "/buildings"]
    english = _menu(client.get("/?lang=en").text)
    assert "Park foundation" in english and "Energy and environment" in english


def test_error_pages_keep_the_menu_and_the_logout(client: TestClient) -> None:
    login(client, "TA-enterprise")
    for url, status in (("/no-such-page", 404), ("/accounts/0/edit", None), ("/platform/parks", 403)):
        response = client.get(url)
        if status is not None:
            assert response.status_code == status, url
        assert response.status_code >= 400, url
        assert 'href="/"' in _menu(response.text), url
        assert 'action="/logout"' in response.text, url


def test_theme_follows_the_system_until_chosen_and_the_choice_sticks(client: TestClient) -> None:
    login(client, "TA-operator")
    page = client.get("/").text
    assert "data-theme=" not in page.split(">", 2)[1] and 'content="light dark"' in page
    page = client.get("/?theme=dark").text
    assert '<html lang="zh-CN" data-theme="dark">' in page
    assert client.cookies.get("dp_theme") == "dark"
    assert '<html lang="zh-CN" data-theme="dark">' in client.get("/zones").text
    client.get("/?theme=system")
    assert "data-theme" not in client.get("/zones").text.split(">", 2)[1]
    assert client.get("/?theme=<script>").status_code == 200 and client.cookies.get("dp_theme") == "system"


def test_the_reviewer_reads_the_review_queue_without_review_buttons(
    client: TestClient, world: World, db: Session
) -> None:
    row = transformation.create_assessment(
        db, scope=own(world.a), data=AssessmentCreate(year=transformation.today().year, answers={})
    )
    transformation.save_draft(db, scope=own(world.a), ident=row.id, data=AssessmentUpdate(answers=EXAMPLE_A))
    transformation.submit_assessment(db, scope=own(world.a), ident=row.id)
    db.flush()
    login(client, "TA-reviewer")
    page = client.get("/transformation/review").text
    assert f'href="/transformation/assessments/{row.id}">查看</a>' in page
    assert "不能确认或退回" in visible_text(page) and ">审核</a>" not in page
    client.cookies.clear()
    login(client, "TA-park_admin")
    page = client.get("/transformation/review").text
    assert 'id="review-read-only"' not in page and ">审核</a>" in page


def test_the_resident_overview_offers_only_what_the_resident_may_open(client: TestClient) -> None:
    login(client, "TA-resident")
    page = client.get("/").text
    assert "telemetry-panel" not in page
    assert client.get("/telemetry/overview-panel").text.strip() == ""
    services = re.search(r'<section class="panel" id="your-services">.*?</section>', page, re.S)
    assert services
    links = re.findall(r'href="([^"]+)"', services.group(0))
    assert "/notices" in links and "/living" in links
    for link in re.findall(r'href="(/[^"?#]*)"', page.split("<main", 1)[1]):
        assert client.get(link).status_code == 200, link
