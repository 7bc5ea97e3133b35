"""Automation pages and API: a scene built on the form (bad input re-rendered, CSRF), its rule's dry-run and
enabling, a loop refused through the API, bad rules as problems, the energy pages in both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World, bearer
from tests.web.helpers import form_token, login, visible_text

API = "/api/v1/automation"


def test_a_scene_built_on_the_form_is_dry_run_and_enabled(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-operator")
    form = client.get("/automation/scenes/new").text
    key = f"off-{world.a.building_id}-lighting"
    assert f'name="{key}"' in form
    token = form_token(form)
    empty = client.post(
        "/automation/scenes/new", data={"name": "空场景", "at": "19:00", "days": "working", "csrf_token": token}
    )
    assert empty.status_code == 422
    assert "请勾选要关闭的楼宇系统，或填写要发送的消息" in visible_text(empty.text)
    assert "choose at least one action" not in empty.text
    bad_time = client.post(
        "/automation/scenes/new",
        data={"name": "坏时间", "at": "25:00", "days": "working", key: "1", "csrf_token": token},
    )
    assert bad_time.status_code == 422
    assert "请按 时:分 填写时间" in visible_text(bad_time.text) and "not a time of day" not in bad_time.text
    english = client.post(
        "/automation/scenes/new?lang=en",
        data={"name": "bad time", "at": "25:00", "days": "working", key: "1", "csrf_token": token},
    )
    assert english.status_code == 422 and "At: Enter a time of day as HH:MM." in visible_text(english.text)
    client.get("/automation", params={"lang": "zh"})
    no_token = client.post("/automation/scenes/new", data={"name": "x", "at": "19:00", key: "1"})
    assert no_token.status_code == 403
    made = client.post(
        "/automation/scenes/new",
        data={"name": "下班<b>模式</b>", "at": "19:00", "days": "working", key: "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"].split("?")[0]
    page = client.get(url).text
    assert "下班&lt;b&gt;模式&lt;/b&gt;" in page and "已停用" in visible_text(page)
    dry = client.get(url, params={"dry_run": "1"}).text
    assert 'id="dry-run-result"' in dry and dry.count('class="dry-firing"') >= 3
    enabled = client.post(
        f"{url}/enable", data={"enabled": "1", "csrf_token": form_token(page)}, follow_redirects=False
    )
    assert enabled.status_code == 303
    assert 'id="toggle-rule">停用' in client.get(url).text
    english = client.get(url, params={"lang": "en"}).text
    assert "Dry-run over the last week" in english and "Enabled" in english


def test_rules_through_the_api_loops_and_bad_input(client: TestClient, world: World) -> None:
    headers = bearer(world.a.tokens["park_admin"])
    bad = client.post(f"{API}/rules", headers=headers, json={"name": "x", "trigger": {"kind": "moon"}, "actions": []})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "trigger.kind"
    body = {
        "name": "告警再告警",
        "trigger": {"kind": "alarm_raised", "min_severity": "minor"},
        "actions": [{"kind": "raise_alarm", "title": "again", "severity": "major"}],
    }
    rule = client.post(f"{API}/rules", headers=headers, json=body)
    assert rule.status_code == 201 and rule.json()["enabled"] is False
    ident = rule.json()["id"]
    refused = client.post(f"{API}/rules/{ident}/enable", headers=headers)
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "actions"
    fixed = client.patch(
        f"{API}/rules/{ident}", headers=headers, json={"actions": [{"kind": "notify", "to": "值班", "text": "x"}]}
    )
    assert fixed.status_code == 200
    assert client.post(f"{API}/rules/{ident}/enable", headers=headers).json()["enabled"] is True
    dry = client.get(f"{API}/rules/{ident}/dry-run", headers=headers, params={"days": 3})
    assert dry.status_code == 200 and dry.json()["to_ms"] - dry.json()["from_ms"] == 3 * 86_400_000
    assert client.get(f"{API}/rules/{ident}/dry-run", headers=headers, params={"days": 99}).status_code == 422


def test_energy_pages_in_both_languages(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    for url, zh, en in (
        ("/energy-ops", "能源账单与计划", "Energy bills and plans"),
        ("/energy-ops/sankey", "能流图", "Energy flows"),
        ("/energy-ops/forecast", "日用电量预测", "Daily electricity forecast"),
        ("/automation", "自动化", "Automation"),
    ):
        assert zh in visible_text(client.get(url, params={"lang": "zh"}).text), url
        assert en in visible_text(client.get(url, params={"lang": "en"}).text), url
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/energy-ops").status_code == 200
    assert client.get("/energy-ops/sankey").status_code == 403
    assert client.get("/automation").status_code == 403
