"""The operations screen: its figures through the other domains' provides (the live load from the top-level
electricity meters only, devices online, open alarms for the ticker, incidents, the four construction standards), the
live stream that sends them again when a reading is stored, and the pages in both languages."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digipark.core.errors import DomainError
from digipark.energy.models import EnergyMeter
from digipark.ioc import live, service
from digipark.registry.models import Point
from digipark.telemetry.provides import PointLatest, ReadingsStored
from tests.conftest import World
from tests.living.helpers import scope_of
from tests.web.helpers import login, visible_text


@pytest.fixture(autouse=True)
def _fresh_slow_figures() -> None:
    service.forget_slow_figures()


def _meter_points(db: Session, world: World) -> tuple[int, int]:
    """(energy point, power point) of park A's electricity meter device."""
    device = world.a.device_ids[0]
    rows = {key: ident for key, ident in db.execute(select(Point.key, Point.id).where(Point.device_id == device))}
    return rows["energy_kwh"], rows["power_kw"]


def _latest(db: Session, point: int, value: float) -> None:
    db.execute(delete(PointLatest).where(PointLatest.point_id == point))
    db.add(PointLatest(point_id=point, ts=int(time.time() * 1000), value=value, quality=0))
    db.flush()


def _top_meter(db: Session, world: World, energy_point: int | None, *, parent: int | None = None) -> EnergyMeter:
    meter = EnergyMeter(
        park_id=world.a.park_id,
        code=f"EM{energy_point}-{parent}",
        name="总表",
        carrier="electricity",
        level="park" if parent is None else "sub",
        source="telemetry",
        unit="kWh",
        point_id=energy_point,
        parent_id=parent,
    )
    db.add(meter)
    db.flush()
    return meter


def test_the_live_load_counts_top_level_meters_only(db: Session, world: World) -> None:
    energy_point, power_point = _meter_points(db, world)
    assert service.live_load_kw(db, park_id=world.a.park_id) == (None, None)  # no meter tree: no figure, not 0
    top = _top_meter(db, world, energy_point)
    _latest(db, power_point, 812.5)
    load, ts = service.live_load_kw(db, park_id=world.a.park_id)
    assert load == 812.5 and ts is not None
    manual = _top_meter(db, world, None)  # a top meter without a point (monthly entries)
    top.parent_id, top.level = manual.id, "sub"  # the metered one is now under it: a sub-meter is not the park's load
    db.flush()
    assert service.live_load_kw(db, park_id=world.a.park_id) == (None, None)


def test_the_figures_as_each_role_may_read_them(db: Session, world: World) -> None:
    energy_point, power_point = _meter_points(db, world)
    _top_meter(db, world, energy_point)
    _latest(db, power_point, 40.0)
    admin = scope_of(db, "TA", "park_admin")
    figures = service.screen_figures(db, scope=admin, park_id=world.a.park_id, user_id=1)
    assert figures["live"]["load_kw"] == 40.0
    assert figures["live"]["devices_online"] == 1 and figures["live"]["devices_active"] == 2
    assert [s["code"] for s in figures["standards"]] and all("met" in s for s in figures["standards"])
    assert set(figures["safety"]) >= {"red_points", "major_hazards", "open_dangers", "open_incidents"}
    assert figures["alarms"] == [] and figures["incidents"] == []
    json.dumps(figures)  # what the stream sends
    with pytest.raises(DomainError):
        service.screen_figures(db, scope=scope_of(db, "TA", "enterprise"), park_id=world.a.park_id)
    with pytest.raises(DomainError):  # another park's operator
        service.screen_figures(db, scope=scope_of(db, "TB", "operator"), park_id=world.a.park_id)


def _figures(message: str) -> dict[str, object]:
    event, data = message.strip().split("\n", 1)
    assert event == f"event: {live.FIGURES}"
    parsed: dict[str, object] = json.loads(data.removeprefix("data: "))
    return parsed


def test_a_stored_reading_is_pushed_to_the_screen(db: Session, world: World) -> None:
    energy_point, power_point = _meter_points(db, world)
    _top_meter(db, world, energy_point)
    _latest(db, power_point, 100.0)
    operator = scope_of(db, "TA", "operator")
    first = service.screen_figures(db, scope=operator, park_id=world.a.park_id, user_id=2)
    response = live.open_stream(operator, world.a.park_id, 2, first)
    before = live.streams().subscriptions()
    assert before >= 1

    async def run() -> list[str]:
        body = response.body_iterator
        got = [await anext(body), await anext(body)]  # retry hint, the figures now
        _latest(db, power_point, 250.0)
        live.streams()._wake(ReadingsStored(park_id=world.a.park_id, latest={power_point: (0, 250.0, 0)}))  # type: ignore[call-arg]
        got.append(await asyncio.wait_for(anext(body), 10))
        await body.aclose()  # type: ignore[attr-defined]
        return got

    retry, now, pushed = asyncio.run(run())
    assert retry.startswith("retry:")
    assert _figures(now)["live"]["load_kw"] == 100.0  # type: ignore[index]
    assert _figures(pushed)["live"]["load_kw"] == 250.0  # type: ignore[index]
    assert live.streams().subscriptions() == before - 1  # closed: unsubscribed


def test_pages_in_both_languages_and_who_may_open_them(client: TestClient, world: World) -> None:
    login(client, "TA-park_admin")
    for lang, words in (("zh", ("园区地图", "图层", "在线")), ("en", ("Park map", "Layers", "Online now"))):
        page = client.get(f"/ioc/map?lang={lang}")
        assert page.status_code == 200 and all(w in visible_text(page.text) for w in words)
        assert 'id="ioc-style"' in page.text
    screen = client.get("/ioc/screen?lang=zh")
    assert screen.status_code == 200
    text = visible_text(screen.text)
    assert "运营大屏" in text and "数据已过时" in text and "建设标准" in text
    assert 'data-stream="/ioc/screen/live"' in screen.text
    layers = client.get("/ioc/map/layers.json")
    assert layers.status_code == 200 and layers.json()["layers"]["park"]["type"] == "FeatureCollection"
    assert client.get("/ioc/screen/figures.json").json()["park_id"] == world.a.park_id
    assert client.get("/ioc/screen?stale=1").status_code == 422  # out of bounds

    client.cookies.clear()
    login(client, "TA-enterprise")
    for path in ("/ioc/map", "/ioc/screen", "/ioc/map/layers.json", "/ioc/screen/figures.json", "/ioc/screen/live"):
        assert client.get(path).status_code == 403, path


def test_a_quick_first_read_is_completed_by_the_stream_at_once(db: Session, world: World) -> None:
    operator = scope_of(db, "TA", "operator")
    first = service.screen_figures(db, scope=operator, park_id=world.a.park_id, user_id=3, quick=True)
    assert first["standards"] == [] and first["economy"] is None  # nothing kept yet: the page paints without them
    sub = live.streams().subscribe()

    async def run() -> list[str]:
        # an hour between refreshes: the complete figures can only come from the stream's first read
        body = live.figure_stream(sub, operator, world.a.park_id, 3, first, refresh_s=3600)
        got = [await anext(body), await anext(body)]
        got.append(await asyncio.wait_for(anext(body), 300))
        await body.aclose()  # type: ignore[attr-defined]
        return got

    _, quick, complete = asyncio.run(run())
    assert _figures(quick)["standards"] == []
    assert len(_figures(complete)["standards"]) == 4  # type: ignore[arg-type]


def test_the_ticker_and_the_map_show_an_external_alarms_title_in_the_readers_language(
    db: Session, world: World
) -> None:
    """Another domain's alarm is stored with its title as a msgid ("Security: intrusion"): the screen's ticker and
    the map's alarm layer show it as the alarm pages do, translated; without a language it stays as stored."""
    from digipark.alarms import provides as alarms
    from digipark.web import i18n

    alarms.raise_external(
        db,
        park_id=world.a.park_id,
        source_kind="security:intrusion",
        source_ref="CAM-1",
        severity="critical",
        title_key="Security: intrusion",
        detail="北门",
        building_id=world.a.building_id,
    )
    admin = scope_of(db, "TA", "park_admin")
    zh = i18n.translations("zh").gettext
    assert zh("Security: intrusion") != "Security: intrusion"
    shown = service.screen_figures(db, scope=admin, park_id=world.a.park_id, user_id=1, quick=True, translate=zh)
    assert [a["message"] for a in shown["alarms"]] == [zh("Security: intrusion")]
    stored = service.screen_figures(db, scope=admin, park_id=world.a.park_id, user_id=1, quick=True)
    assert [a["message"] for a in stored["alarms"]] == ["Security: intrusion"]
    layers = json.dumps(service.map_layers(db, scope=admin, park_id=world.a.park_id, translate=zh), ensure_ascii=False)
    assert zh("Security: intrusion") in layers and "Security: intrusion" not in layers
