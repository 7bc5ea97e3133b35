"""The telemetry read API: resolutions (auto's choice), aggregates, bulk series, the park series, latest
values, CSV/Excel export, scope (another tenant's point is 404) and bad parameters (problem+json)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from digipark.core.config import get_settings
from digipark.registry.models import Point
from digipark.telemetry import query
from digipark.telemetry.models import Resolution
from digipark.telemetry.store import ReadingRow, write_readings
from tests.conftest import World, bearer

API = "/api/v1"
DAY = 86_400_000
Q = 900_000
START = int(dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC).timestamp() * 1000)  # 1 March 2026, local midnight


def fill(db: Session, world: World, days: int = 3) -> tuple[int, int]:
    """Park A's meter (cumulative, +1 kWh per 15 min) and power (value = quarter-hour of the day) for `days`."""
    energy, power = world.a.point_ids[0], world.a.point_ids[1]
    rows = []
    for i in range(days * 96):
        rows.append(ReadingRow(energy, START + i * Q, 1000.0 + i))
        rows.append(ReadingRow(power, START + i * Q, float(i % 96)))
    write_readings(db, rows)
    return energy, power


def get(client: TestClient, world: World, url: str, role: str = "park_admin", **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get(url, params=params, headers=bearer(world.a.tokens[role]))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def problem(client: TestClient, world: World, url: str, status: int, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get(url, params=params, headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


def test_auto_picks_the_coarsest_rollup_with_enough_points() -> None:
    wanted = get_settings().chart_min_points
    year = 365 * DAY
    assert query.choose_resolution(0, year) is Resolution.D1
    assert query.choose_resolution(0, 30 * DAY) is Resolution.H1
    assert query.choose_resolution(0, 3 * DAY) is Resolution.M15
    assert query.choose_resolution(0, DAY) is Resolution.RAW
    assert query.choose_resolution(0, wanted * 30 * DAY) is Resolution.MO1


def test_resolutions_and_aggregates(client: TestClient, db: Session, world: World) -> None:
    energy, power = fill(db, world)
    url = f"{API}/points/{energy}/series"
    three_days = {"from": START, "to": START + 3 * DAY}
    body = get(client, world, url, **three_days, resolution="1d")
    assert (body["resolution"], body["agg"], body["unit"]) == ("1d", "delta", "kWh")  # a meter: delta by default
    assert body["points"] == [[START, 95.0], [START + DAY, 96.0], [START + 2 * DAY, 96.0]]
    assert get(client, world, url, **three_days)["resolution"] == "15m"  # auto: 288 buckets
    body = get(client, world, url, **three_days, resolution="1h", agg="last")
    assert body["points"][1] == [START + 3_600_000, 1007.0]
    body = get(client, world, f"{API}/points/{power}/series", **three_days, resolution="1d")
    assert body["agg"] == "avg" and body["points"][0] == [START, 47.5]
    for agg, value in (("min", 0.0), ("max", 95.0), ("sum", 4560.0), ("count", 96.0), ("first", 0.0), ("last", 95.0)):
        points = get(client, world, f"{API}/points/{power}/series", **three_days, resolution="1d", agg=agg)["points"]
        assert points[0] == [START, value], agg
    month = get(client, world, url, **three_days, resolution="1mo")["points"]
    assert month == [[START, 287.0]]
    # ISO-8601 with and without offset (local time)
    iso = get(client, world, url, resolution="1d", **{"from": "2026-03-02T00:00:00", "to": "2026-03-03T00:00+08:00"})
    assert iso["points"] == [[START + DAY, 96.0]]


def test_raw_and_raw_delta(client: TestClient, db: Session, world: World) -> None:
    energy, power = fill(db, world, days=1)
    window = {"from": START + 4 * Q, "to": START + 8 * Q}
    body = get(client, world, f"{API}/points/{energy}/series", **window)
    assert body["resolution"] == "raw" and body["agg"] == "delta"
    assert body["points"] == [[START + i * Q, 1.0] for i in range(4, 8)]
    body = get(client, world, f"{API}/points/{power}/series", **window, resolution="raw")
    assert body["points"] == [[START + i * Q, float(i)] for i in range(4, 8)]


def test_too_many_raw_points(client: TestClient, db: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    energy, _ = fill(db, world, days=2)
    monkeypatch.setattr(get_settings(), "series_max_points", 50)
    url = f"{API}/points/{energy}/series"
    body = problem(client, world, url, 422, **{"from": START, "to": START + DAY}, resolution="raw")
    assert "50" in body["detail"]
    assert get(client, world, url, **{"from": START, "to": START + DAY})["resolution"] == "15m"  # auto falls back


def test_bad_parameters_are_problems(client: TestClient, db: Session, world: World) -> None:
    energy, _ = fill(db, world, days=1)
    url = f"{API}/points/{energy}/series"
    problem(client, world, url, 422, **{"from": START + DAY, "to": START})
    problem(client, world, url, 422, **{"from": START, "to": START + DAY}, resolution="5m")
    problem(client, world, url, 422, **{"from": START, "to": START + DAY}, agg="median")
    problem(client, world, url, 422, **{"from": "yesterday", "to": START + DAY})
    problem(client, world, url, 422, **{"from": START, "to": START + DAY}, format="pdf")
    problem(client, world, f"{API}/points/999999/series", 404, **{"from": START, "to": START + DAY})
    park = f"{API}/parks/{world.a.park_id}/series"
    problem(
        client, world, park, 422, quantity="electric_energy", resolution="raw", **{"from": START, "to": START + DAY}
    )


def test_bulk_series_get_and_post(client: TestClient, db: Session, world: World) -> None:
    energy, power = fill(db, world, days=1)
    params = {"from": START, "to": START + DAY, "resolution": "1h"}
    body = get(client, world, f"{API}/series", point_id=[energy, power], **params)
    assert [(s["point_id"], s["agg"], len(s["points"])) for s in body["items"]] == [
        (energy, "delta", 24),
        (power, "avg", 24),
    ]
    response = client.post(
        f"{API}/series",
        json={"point_ids": [power], "from": "2026-03-01T00:00:00", "to": "2026-03-02T00:00:00", "resolution": "1d"},
        headers=bearer(world.a.tokens["park_admin"]),
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["points"] == [[START, 47.5]]
    # one unreadable point fails the whole request with 404
    response = client.get(
        f"{API}/series",
        params={**params, "point_id": [energy, world.b.point_ids[0]]},
        headers=bearer(world.a.tokens["park_admin"]),
    )
    assert response.status_code == 404


def test_park_series_sums_readable_points(client: TestClient, db: Session, world: World) -> None:
    fill(db, world, days=2)
    other = world.a.point_ids[4]  # the park's gas detector, made a meter of the same quantity for this test
    db.execute(
        update(Point)
        .where(Point.id == other)
        .values(quantity="electric_energy", state_class="total_increasing", valid_max=None)
    )
    write_readings(db, [ReadingRow(other, START + i * Q, 10.0 * i) for i in range(2 * 96)])
    url = f"{API}/parks/{world.a.park_id}/series"
    params = {"from": START, "to": START + 2 * DAY, "quantity": "electric_energy", "resolution": "1d", "agg": "delta"}
    admin = get(client, world, url, **params)
    assert admin["point_count"] == 2 and admin["agg"] == "delta"
    assert admin["points"] == [[START, 95.0 + 950.0], [START + DAY, 96.0 + 960.0]]
    mine = get(client, world, url, role="enterprise", **params)  # enterprise 0 owns the meter, not the detector
    assert mine["point_count"] == 1 and mine["points"] == [[START, 95.0], [START + DAY, 96.0]]
    assert get(client, world, url, **{**params, "agg": None, "resolution": "auto"})["resolution"] == "15m"
    response = client.get(
        f"{API}/parks/{world.b.park_id}/series", params=params, headers=bearer(world.a.tokens["park_admin"])
    )
    assert response.status_code == 404


def test_latest_values(client: TestClient, db: Session, world: World) -> None:
    energy, power = fill(db, world, days=1)
    body = get(client, world, f"{API}/points/latest", point_id=[power, energy])
    assert [(i["point_id"], i["ts"], i["value"]) for i in body["items"]] == [
        (energy, START + 95 * Q, 1095.0),
        (power, START + 95 * Q, 95.0),
    ]
    device = get(client, world, f"{API}/devices/{world.a.device_ids[0]}/latest", role="enterprise")
    by_key = {i["key"]: i for i in device["items"]}
    assert by_key["energy_kwh"]["value"] == 1095.0 and by_key["voltage_v"]["ts"] is None
    response = client.get(
        f"{API}/points/latest", params={"point_id": [energy]}, headers=bearer(world.a.tokens["enterprise2"])
    )
    assert response.status_code == 404


def test_csv_and_excel_export(client: TestClient, db: Session, world: World) -> None:
    energy, _ = fill(db, world, days=2)
    params = {"from": START, "to": START + 2 * DAY, "resolution": "1d"}
    response = client.get(
        f"{API}/points/{energy}/series", params={**params, "format": "csv"}, headers=bearer(world.a.tokens["operator"])
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1:] == [["2026-03-01 00:00:00", str(START), "95.0"], ["2026-03-02 00:00:00", str(START + DAY), "96.0"]]
    response = client.get(
        f"{API}/parks/{world.a.park_id}/series",
        params={**params, "format": "xlsx", "quantity": "electric_energy"},
        headers=bearer(world.a.tokens["park_admin"]),
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [["2026-03-01 00:00:00", START, 95.0], ["2026-03-02 00:00:00", START + DAY, 96.0]]


def test_another_tenants_point_is_not_found(client: TestClient, db: Session, world: World) -> None:
    energy, _ = fill(db, world, days=1)
    params = {"from": START, "to": START + DAY}
    for park, role in (("b", "park_admin"), ("a", "enterprise2"), ("a", "resident")):
        tokens = world.a.tokens if park == "a" else world.b.tokens
        response = client.get(f"{API}/points/{energy}/series", params=params, headers=bearer(tokens[role]))
        assert response.status_code == 404, role
    assert get(client, world, f"{API}/points/{energy}/series", role="enterprise", **params)["points"]
