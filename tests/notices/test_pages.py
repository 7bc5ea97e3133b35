"""Notice pages: writing, publishing, reading with unread marks, read receipts, escaping, CSRF, languages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.notices.helpers import notice
from tests.web.helpers import form_token, login, visible_text


def _write(client: TestClient, **fields: str) -> str:
    """Fill in the new-notice form as the logged-in writer; returns the notice's page URL."""
    token = form_token(client.get("/notices/new").text)
    body = {"title": "消防演练", "body": "第一段\n第二行\n\n第二段 <script>alert(1)</script>", "category": "event"}
    response = client.post(
        "/notices/new", data={**body, "audience": "everyone", **fields, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return response.headers["location"].split("?")[0]


def test_admin_writes_and_publishes_the_enterprise_reads_and_the_admin_sees_the_receipt(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "TA-park_admin")
    url = _write(client)
    draft = client.get(url).text
    assert "草稿" in visible_text(draft) and 'id="publish-form"' in draft
    assert "<p>第一段<br>第二行</p>" in draft
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in draft and "<script>alert(1)" not in draft
    published = client.post(f"{url}/publish", data={"csrf_token": form_token(draft)}, follow_redirects=False)
    assert published.status_code == 303
    ident = url.rsplit("/", 1)[1]
    assert f'<tr class="notice-row" data-id="{ident}">' in client.get("/notices").text  # its writers read, unmarked

    client.cookies.clear()
    login(client, "TA-enterprise")
    listing = client.get("/notices").text
    row = re.search(rf'<tr class="notice-row notice-unread" data-id="{ident}">', listing)
    assert row, "the new notice is marked unread"
    assert "新建" not in visible_text(listing) and "发布公告" not in visible_text(listing)  # no writing for readers
    opened = client.get(url).text
    assert "消防演练" in opened and 'id="receipts"' not in opened and 'id="publish-form"' not in opened
    assert f'<tr class="notice-row" data-id="{ident}">' in client.get("/notices").text

    client.cookies.clear()
    login(client, "TA-park_admin")
    page = client.get(url).text
    receipts = visible_text(page[page.index('id="receipts"') :])
    assert "已读 1 人" in receipts and "TA企业0" in receipts


def test_forms_need_the_csrf_token_and_show_bad_input(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-operator")
    refused = client.post("/notices/new", data={"title": "t", "body": "b", "category": "notice"})
    assert refused.status_code == 403
    token = form_token(client.get("/notices/new").text)
    bad = client.post("/notices/new", data={"title": " ", "body": "b", "category": "notice", "csrf_token": token})
    assert bad.status_code == 422 and "请修改标出的字段" in visible_text(bad.text)
    url = _write(client, pinned="1", expires_on="2099-01-31")
    edit = client.get(f"{url}/edit").text
    assert 'name="pinned" value="1" id="f-pinned" checked' in edit and 'value="2099-01-31"' in edit
    saved = client.post(
        f"{url}/edit",
        data={"title": "改期", "body": "改到下周。", "category": "event", "audience": "staff", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    text = visible_text(client.get(url).text)
    assert "改期" in text and "仅园区工作人员" in text
    assert client.post(f"{url}/delete", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get(url).status_code == 404


def test_readers_may_not_write_and_see_only_their_notices(client: TestClient, world: World, db: Session) -> None:
    staff_only = notice(db, title="内部通知", audience="staff")
    draft = notice(db, title="未发布草稿", publish=False)
    login(client, "TA-resident")
    assert client.get("/notices/new").status_code == 403
    listing = visible_text(client.get("/notices").text)
    assert "内部通知" not in listing and "未发布草稿" not in listing
    assert client.get(f"/notices/{staff_only.id}").status_code == 404
    assert client.get(f"/notices/{draft.id}").status_code == 404
    assert "公告" in visible_text(client.get("/").text)  # the menu entry


def test_pages_in_english(client: TestClient, world: World, db: Session) -> None:
    row = notice(db, title="停电通知", category="outage")
    login(client, "TA-park_admin")
    text = visible_text(client.get("/notices", params={"lang": "en"}).text)
    assert "Notices" in text and "Water or power outage" in text and "New notice" in text
    zh = visible_text(client.get(f"/notices/{row.id}", params={"lang": "zh"}).text)
    assert "停水停电" in zh and "阅读回执" in zh and "Read receipts" not in zh
