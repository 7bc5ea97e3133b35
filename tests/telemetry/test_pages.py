"""Telemetry pages in Chinese and English: device monitoring list and device page (charts' data and the live
stream wired in), dead letters with CSRF-checked replay and discard, the overview panel; scope on pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.telemetry.ingest import Ingestor, get_ingestor, now_ms
from digipark.telemetry.models import DeadLetter, PointLatest
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import World
from tests.telemetry.test_ingest import message, native, token_of
from tests.web.helpers import form_token, login, visible_text


@pytest.fixture(autouse=True)
def fresh_ingestor() -> Iterator[None]:
    get_ingestor().invalidate()
    yield
    get_ingestor().invalidate()


def _readings(db: Session, world: World) -> int:
    """An hour of readings of park A's meter, the newest a few seconds ago; returns its power point."""
    power = world.a.point_ids[1]
    now = now_ms()
    rows = [ReadingRow(power, now - i * 60_000, 100.0 + i) for i in range(60)]
    rows += [ReadingRow(world.a.point_ids[0], now - i * 900_000, 5000.0 - i * 10) for i in range(4)]
    write_readings(db, rows)
    db.flush()
    return power


def _dead_letter(db: Session, token: str, values: dict[str, object]) -> int:
    Ingestor(refresh_interval_s=0.0).ingest(db, [message(native(token), {"ts": now_ms() - 60_000, "values": values})])
    found = db.scalar(select(DeadLetter.id).order_by(DeadLetter.id.desc()))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("lang", "title", "online"), [("zh", "设备监测", "在线"), ("en", "Device monitoring", "Online now")]
)
def test_device_list_in_both_languages(
    client: TestClient, db: Session, world: World, lang: str, title: str, online: str
) -> None:
    _readings(db, world)
    login(client, "TA-operator")
    response = client.get(f"/telemetry/devices?lang={lang}")
    assert response.status_code == 200, response.text
    text = visible_text(response.text)
    assert title in text and "企业电表" in text and "园区气体探测器" in text
    assert online in text  # the meter's points reported just now
    assert f'href="/telemetry/devices/{world.a.device_ids[0]}"' in response.text
    assert 'href="/telemetry/devices"' in response.text  # the navigation entry
    if lang == "zh":
        for english in ("Device monitoring", "Last reading", "Messages", "Rejected", "No data yet"):
            assert english not in text
    filtered = client.get("/telemetry/devices?state=no_data")
    assert "园区气体探测器" in visible_text(filtered.text) and "企业电表" not in visible_text(filtered.text)
    assert client.get("/telemetry/devices?state=asleep").status_code == 422


def test_device_page_has_charts_and_the_live_stream(client: TestClient, db: Session, world: World) -> None:
    power = _readings(db, world)
    meter = world.a.device_ids[0]
    login(client, "TA-park_admin")
    response = client.get(f"/telemetry/devices/{meter}?lang=en")
    assert response.status_code == 200, response.text
    html = response.text
    assert "Active power" in visible_text(html) and "Last value" in visible_text(html)
    found = re.search(rf'<script type="application/json" id="tm-chart-{power}-data">(.*?)</script>', html, re.S)
    assert found, "no chart data for the power point"
    chart = json.loads(found.group(1))
    assert chart["point_id"] == power and len(chart["points"]) == 60 and chart["unit"] == "kW"
    stream = re.search(r'data-stream="([^"]+)"', html)
    assert stream and f"point_id={power}" in stream.group(1).replace("&amp;", "&")
    assert f"/api/v1/points/{power}/series?" in html and "format=csv" in html and "format=xlsx" in html
    assert 'src="/static/js/telemetry.js"' in html
    assert client.get("/static/js/telemetry.js").status_code == 200
    zh = client.get(f"/telemetry/devices/{meter}?lang=zh")
    assert "有功功率" in visible_text(zh.text) and "最新值" in visible_text(zh.text)
    assert "Last value" not in visible_text(zh.text)


def test_device_pages_follow_the_scope(client: TestClient, db: Session, world: World) -> None:
    meter, detector = world.a.device_ids
    login(client, "TA-enterprise")
    assert client.get(f"/telemetry/devices/{meter}").status_code == 200
    assert client.get(f"/telemetry/devices/{detector}").status_code == 404
    listed = visible_text(client.get("/telemetry/devices").text)
    assert "企业电表" in listed and "园区气体探测器" not in listed
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert client.get(f"/telemetry/devices/{meter}").status_code == 404
    assert client.get(f"/telemetry/live?point_id={world.a.point_ids[0]}").status_code == 404
    client.cookies.clear()
    login(client, "TA-resident")
    assert client.get("/telemetry/devices").status_code == 403
    assert 'href="/telemetry/devices"' not in client.get("/").text


def test_dead_letters_replay_and_discard_with_csrf(client: TestClient, db: Session, world: World) -> None:
    meter = world.a.device_ids[0]
    token = token_of(db, meter)
    unknown = _dead_letter(db, token, {"nope": 1})
    wrong = _dead_letter(db, token, {"power_kw": "high"})
    login(client, "TA-operator")
    page = client.get("/telemetry/dead-letters?lang=en")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Unknown point" in text and "Not a number" in text and "high" in text
    csrf = form_token(page.text)
    # without the form's token nothing happens
    assert client.post("/telemetry/dead-letters/discard", data={"ids": [str(wrong)]}).status_code == 403
    assert db.get(DeadLetter, wrong).status == "open"  # type: ignore[union-attr]
    response = client.post(
        "/telemetry/dead-letters/discard", data={"ids": [str(wrong)], "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303 and "discarded=1" in response.headers["location"]
    db.expire_all()
    assert db.get(DeadLetter, wrong).status == "discarded"  # type: ignore[union-attr]
    response = client.post(
        "/telemetry/dead-letters/replay", data={"ids": [str(unknown)], "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303 and "open=1" in response.headers["location"]  # the point still is unknown
    shown = client.get(response.headers["location"] + "&lang=zh")
    assert "仍失败 1 条" in visible_text(shown.text) and "未知测点" in visible_text(shown.text)


def test_dead_letters_read_only_for_reviewers_and_own_for_enterprises(
    client: TestClient, db: Session, world: World
) -> None:
    meter, detector = world.a.device_ids
    _dead_letter(db, token_of(db, meter), {"nope": 1})
    _dead_letter(db, token_of(db, detector), {"smoke": 1})
    login(client, "TA-reviewer")
    page = client.get("/telemetry/dead-letters")
    assert page.status_code == 200 and "nope" in page.text and "smoke" in page.text
    assert 'formaction="/telemetry/dead-letters/replay"' not in page.text
    client.cookies.clear()
    login(client, "TA-enterprise")
    page = client.get("/telemetry/dead-letters")
    assert "nope" in page.text and "smoke" not in page.text


def test_overview_panel_counts_devices(client: TestClient, db: Session, world: World) -> None:
    _readings(db, world)
    login(client, "TA-park_admin")
    overview = client.get("/")
    assert 'hx-get="/telemetry/overview-panel"' in overview.text
    panel = client.get("/telemetry/overview-panel")
    assert panel.status_code == 200
    assert "设备监测" in visible_text(panel.text) and 'href="/telemetry/devices?state=online"' in panel.text
    db.add(PointLatest(point_id=world.a.point_ids[4], ts=1, value=0.0, quality=0))
    db.flush()
    panel = client.get("/telemetry/overview-panel?lang=en")
    assert "Offline" in visible_text(panel.text)
