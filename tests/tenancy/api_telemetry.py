"""Telemetry (digipark.telemetry): ingestion, dead letters, traffic, series, device states, live points."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from digipark.registry.models import Point
from tests.conftest import bearer
from tests.device_tokens import issue_token
from tests.tenancy.exercises import IdentView, ident_view
from tests.tenancy.helpers import API, B_ROLES, Ctx, Exercise, all_attackers, assert_problem, items_of


# -- telemetry ingestion, dead letters, device traffic (digipark.telemetry.ingest_api) ---------------------------
def _device_token(ctx: Ctx, device_id: int) -> str:
    return issue_token(ctx.db, device_id)


def _dead_letter(ctx: Ctx, index: int = 0) -> int:
    """A dead letter of park A's device `index` (0: enterprise 0's meter, 1: the park's detector), made by an
    unknown point key posted over HTTP."""
    key = f"dead_letter_{index}"
    if key not in ctx.cache:
        device_id = ctx.world.a.device_ids[index]
        response = ctx.client.post(f"{API}/devices/{_device_token(ctx, device_id)}/telemetry", json={"probe_x": 1})
        assert response.status_code == 200 and response.json()["rejected_by_reason"] == {"unknown_point": 1}
        listed = ctx.as_a_admin("GET", f"{API}/dead-letters", params={"device_id": device_id, "page_size": 500})
        ctx.cache[key] = max(item["id"] for item in listed.json()["items"])
    return int(ctx.cache[key])


def check_device_telemetry(ctx: Ctx) -> None:
    """The device token in the path is the only credential: users' tokens are no device tokens, and a device
    writes only its own points (park B's meter has the same point keys as park A's)."""
    from digipark.telemetry.models import Reading

    w = ctx.world
    point = ctx.db.scalar(select(Point.id).where(Point.device_id == w.a.device_ids[0], Point.key == "power_kw"))

    def a_readings() -> int:
        return ctx.db.scalar(select(func.count()).select_from(Reading).where(Reading.point_id == point)) or 0

    for pw in (w.a, w.b):
        for role in ("park_admin", "enterprise"):
            response = ctx.client.post(
                f"{API}/devices/{pw.tokens[role]}/telemetry", json={"power_kw": 1}, headers=bearer(pw.tokens[role])
            )
            assert_problem(response, 404)
    before = a_readings()
    response = ctx.client.post(
        f"{API}/devices/{_device_token(ctx, w.b.device_ids[0])}/telemetry",
        json={"power_kw": 1},
        headers=bearer(w.a.tokens["park_admin"]),
    )
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert a_readings() == before
    response = ctx.client.post(f"{API}/devices/{_device_token(ctx, w.a.device_ids[0])}/telemetry", json={"power_kw": 2})
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert a_readings() == before + 1


def check_dead_letter_list(ctx: Ctx) -> None:
    w = ctx.world
    own, park_owned = _dead_letter(ctx, 0), _dead_letter(ctx, 1)
    made = {own, park_owned}

    def seen(park: str, role: str) -> set[int]:
        response = ctx.call("GET", f"{API}/dead-letters", role, park, params={"page_size": 500})
        assert response.status_code == 200, (park, role, response.text)
        items = items_of(response.json())
        if park == "b":
            assert all(item["park_id"] in (w.b.park_id, None) for item in items), role
        return {item["id"] for item in items}

    for role in B_ROLES:
        assert not seen("b", role) & made, role
    expected = {"enterprise": {own}, "enterprise2": set(), "resident": set(), "reviewer": made}
    for role, visible in expected.items():
        assert seen("a", role) & made == visible, role
    assert seen("a", "park_admin") & made == made and seen("a", "operator") & made == made


def check_dead_letter_action(path: str) -> Exercise:
    def check(ctx: Ctx) -> None:
        ident = _dead_letter(ctx)
        url = f"{API}/dead-letters/{path}"
        for park, role in all_attackers():
            # park A's enterprise 0 and reviewer see the letter but may not act; everyone else does not see it
            denial = 403 if park == "a" and role in ("enterprise", "reviewer") else 404
            assert_problem(ctx.call("POST", url, role, park, json={"ids": [ident]}), denial)
        assert ctx.as_a_admin("GET", f"{API}/dead-letters/{ident}").json()["status"] == "open"
        response = ctx.as_a_admin("POST", url, json={"ids": [ident]})
        assert response.status_code == 200, response.text

    return check


def check_park_traffic(ctx: Ctx) -> None:
    w = ctx.world
    url = f"{API}/parks/{w.a.park_id}/traffic"
    for role in B_ROLES:
        assert_problem(ctx.call("GET", url, role, "b"), 404)
    expected = {
        "enterprise": {w.a.device_ids[0]},
        "enterprise2": set(),
        "resident": set(),
        "reviewer": set(w.a.device_ids),
        "operator": set(w.a.device_ids),
        "park_admin": set(w.a.device_ids),
    }
    for role, devices in expected.items():
        response = ctx.call("GET", url, role, params={"page_size": 500})
        assert response.status_code == 200, (role, response.text)
        assert {item["device_id"] for item in response.json()["items"]} == devices, role


TELEMETRY: dict[tuple[str, str], Exercise] = {
    ("POST", f"{API}/devices/{{token}}/telemetry"): check_device_telemetry,
    ("GET", f"{API}/dead-letters"): check_dead_letter_list,
    ("GET", f"{API}/dead-letters/{{ident}}"): lambda ctx: ident_view(
        IdentView("dead-letters/{ident}", _dead_letter, frozenset({"enterprise"})), ctx
    ),
    ("POST", f"{API}/dead-letters/replay"): check_dead_letter_action("replay"),
    ("POST", f"{API}/dead-letters/discard"): check_dead_letter_action("discard"),
    ("GET", f"{API}/devices/{{ident}}/traffic"): lambda ctx: ident_view(
        IdentView("devices/{ident}/traffic", lambda c: c.world.a.device_ids[0], frozenset({"enterprise"})), ctx
    ),
    ("GET", f"{API}/parks/{{ident}}/traffic"): check_park_traffic,
}


# -- telemetry reads: series, park series, latest values (digipark.telemetry.api) --------------------------------
_SERIES_RANGE = {"from": "2026-03-01T00:00:00+08:00", "to": "2026-03-03T00:00:00+08:00"}


def _with_readings(ctx: Ctx) -> list[int]:
    """Readings of park A's enterprise-0 meter (point 0) and of the park's gas detector (point 4)."""
    from digipark.telemetry.store import ReadingRow, write_readings

    if "series" not in ctx.cache:
        w = ctx.world
        start = 1772294400000  # 2026-02-28T16:00Z, 1 March local midnight
        rows = [ReadingRow(w.a.point_ids[0], start + i * 900_000, 100.0 + i) for i in range(8)]
        rows += [ReadingRow(w.a.point_ids[4], start + i * 900_000, 5.0) for i in range(8)]
        write_readings(ctx.db, rows)
        ctx.cache["series"] = [w.a.point_ids[0], w.a.point_ids[4]]
    return list(ctx.cache["series"])


def _point_reads(ctx: Ctx, method: str, url: str, params: Any = None, body: Any = None) -> None:
    """Enterprise 0's meter point: readable by park A's staff and enterprise 0 only; the rest get 404."""
    pid = _with_readings(ctx)[0]
    for park, role in all_attackers():
        kwargs: dict[str, Any] = {"params": params(pid)} if params else {"json": body(pid)}
        response = ctx.call(method, url, role, park, **kwargs)
        if park == "a" and role in ("enterprise", "reviewer"):
            assert response.status_code == 200, (role, response.text)
        else:
            assert_problem(response, 404)
    kwargs = {"params": params(pid)} if params else {"json": body(pid)}
    assert ctx.as_a_admin(method, url, **kwargs).status_code == 200


def check_park_series(ctx: Ctx) -> None:
    w = ctx.world
    _with_readings(ctx)
    url = f"{API}/parks/{w.a.park_id}/series"
    params = {**_SERIES_RANGE, "quantity": "electric_energy", "resolution": "15m", "agg": "delta"}
    for role in B_ROLES:
        assert_problem(ctx.call("GET", url, role, "b", params=params), 404)
    sums = {}
    for role in ("park_admin", "reviewer", "enterprise", "enterprise2", "resident"):
        response = ctx.call("GET", url, role, params=params)
        assert response.status_code == 200, (role, response.text)
        sums[role] = [value for _, value in response.json()["points"]]
    assert sums["park_admin"] == sums["reviewer"] == sums["enterprise"] == [0.0, *[1.0] * 7]
    assert sums["enterprise2"] == sums["resident"] == []  # no readable meter: nothing of enterprise 0's leaks


TELEMETRY.update(
    {
        ("GET", f"{API}/points/{{ident}}/series"): lambda ctx: ident_view(
            IdentView(
                "points/{ident}/series", lambda c: _with_readings(c)[0], frozenset({"enterprise"}), _SERIES_RANGE
            ),
            ctx,
        ),
        ("GET", f"{API}/series"): lambda ctx: _point_reads(
            ctx, "GET", f"{API}/series", params=lambda pid: {**_SERIES_RANGE, "point_id": [pid]}
        ),
        ("POST", f"{API}/series"): lambda ctx: _point_reads(
            ctx, "POST", f"{API}/series", body=lambda pid: {**_SERIES_RANGE, "point_ids": [pid]}
        ),
        ("GET", f"{API}/points/latest"): lambda ctx: _point_reads(
            ctx, "GET", f"{API}/points/latest", params=lambda pid: {"point_id": [pid]}
        ),
        ("GET", f"{API}/devices/{{ident}}/latest"): lambda ctx: ident_view(
            IdentView("devices/{ident}/latest", lambda c: c.world.a.device_ids[0], frozenset({"enterprise"})), ctx
        ),
        ("GET", f"{API}/parks/{{ident}}/series"): check_park_series,
    }
)


# -- telemetry device state and live stream (digipark.telemetry.live_api) -----------------------------------------
def check_device_states(ctx: Ctx) -> None:
    w = ctx.world
    meter, detector = w.a.device_ids
    url = f"{API}/telemetry/devices"
    every = {"page_size": 500}
    seen = {
        (park, role): {item["id"] for item in items_of(ctx.call("GET", url, role, park, params=every).json())}
        for park, role in all_attackers()
    }
    for park, role in all_attackers():
        expected = {
            ("a", "reviewer"): {meter, detector},
            ("a", "enterprise"): {meter},
        }.get((park, role), set())
        assert seen[park, role] & {meter, detector} == expected, (park, role)
    assert {meter, detector} <= {item["id"] for item in items_of(ctx.as_a_admin("GET", url).json())}


def check_live_points(ctx: Ctx) -> None:
    """Only refusals are requested here (a granted stream never ends); tests/telemetry/test_live.py streams."""
    w = ctx.world
    meter_point, park_point = w.a.point_ids[0], w.a.point_ids[4]
    for park, role in all_attackers():
        if park == "a" and role == "reviewer":
            continue
        points = [meter_point] if (park, role) != ("a", "enterprise") else [meter_point, park_point]
        response = ctx.call("GET", f"{API}/live/points", role, park, params={"point_id": points})
        assert_problem(response, 403, 404)


TELEMETRY.update(
    {
        ("GET", f"{API}/telemetry/devices"): check_device_states,
        ("GET", f"{API}/telemetry/devices/{{ident}}"): lambda ctx: ident_view(
            IdentView("telemetry/devices/{ident}", lambda c: c.world.a.device_ids[0], frozenset({"enterprise"})), ctx
        ),
        ("GET", f"{API}/live/points"): check_live_points,
    }
)
