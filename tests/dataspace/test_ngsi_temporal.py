"""NGSI-LD temporal retrieval (ETSI GS CIM 009 §5.7.3, API 6.19) as the spec writes it:
`GET /temporal/entities/{id}?timerel=between&timeAt=…Z&endTimeAt=…Z`, the normalised temporal representation (an
array of instances with observedAt), `options=temporalValues` (`values: [[value, time]]`), an aggregation
(`aggrMethods=avg,max&aggrPeriodDuration=PT1H`: `avg: [[value, startAt, endAt]]`), and who may read it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.registry.models import Point
from digipark.telemetry.models import Reading, Rollup1h
from digipark.telemetry.store import ensure_partitions
from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
T0 = 1_796_083_200_000  # 2026-12-01T00:00:00Z
WINDOW = {"timerel": "between", "timeAt": "2026-12-01T00:00:00Z", "endTimeAt": "2026-12-01T02:00:00Z"}


def _history(db: Session, world: World) -> tuple[str, str]:
    point = db.scalar(select(Point).where(Point.device_id == world.a.device_ids[0]).order_by(Point.id))
    assert point is not None
    if db.get_bind().dialect.name == "postgresql":
        ensure_partitions(db, {T0})  # readings are partitioned by month there
    for k in range(12):  # every 10 minutes for two hours, and one reading after the window
        db.add(Reading(point_id=point.id, ts=T0 + k * 600_000, value=float(k), quality=0, park_id=point.park_id))
    db.add(Reading(point_id=point.id, ts=T0 + 7_200_000, value=99.0, quality=0, park_id=point.park_id))
    for hour in range(2):
        values = [float(6 * hour + k) for k in range(6)]
        db.add(
            Rollup1h(
                point_id=point.id,
                bucket=T0 + hour * 3_600_000,
                count=6,
                bad_count=0,
                min=min(values),
                max=max(values),
                sum=sum(values),
                first_ts=None,
                first_value=None,
                last_ts=None,
                last_value=None,
                delta=None,
            )
        )
    db.flush()
    return f"urn:ngsi-ld:Device:digipark-{world.a.device_ids[0]}", point.key


def _get(client: TestClient, world: World, path: str, who: str = "enterprise", **params: Any) -> Any:
    return client.get(f"{BASE}{path}", params=params, headers=bearer(world.a.tokens[who]))


def test_a_devices_history_as_instances_and_temporal_values(client: TestClient, world: World, db: Session) -> None:
    ident, key = _history(db, world)
    attribute = key  # the core context's @vocab compacts the default vocabulary back to the term
    found = _get(client, world, f"/temporal/entities/{ident}", **WINDOW)
    assert found.status_code == 200, found.text
    instances = found.json()[attribute]
    assert [i["value"] for i in instances] == [float(k) for k in range(12)]
    assert instances[0] == {**instances[0], "type": "Property", "observedAt": "2026-12-01T00:00:00Z"}
    assert found.json()["id"] == ident

    simplified = _get(client, world, f"/temporal/entities/{ident}", options="temporalValues", **WINDOW).json()
    assert simplified[attribute]["type"] == "Property"
    assert simplified[attribute]["values"][1] == [1.0, "2026-12-01T00:10:00Z"]

    after = _get(client, world, f"/temporal/entities/{ident}", timerel="after", timeAt="2026-12-01T01:55:00Z").json()
    assert [i["value"] for i in after[attribute]] == [99.0]


def test_an_aggregated_history(client: TestClient, world: World, db: Session) -> None:
    ident, key = _history(db, world)
    attribute = key  # the core context's @vocab compacts the default vocabulary back to the term
    found = _get(
        client, world, f"/temporal/entities/{ident}", aggrMethods="avg,max", aggrPeriodDuration="PT1H", **WINDOW
    )
    assert found.status_code == 200, found.text
    body = found.json()[attribute]
    assert body["avg"] == [
        [2.5, "2026-12-01T00:00:00Z", "2026-12-01T01:00:00Z"],
        [8.5, "2026-12-01T01:00:00Z", "2026-12-01T02:00:00Z"],
    ]
    assert [v[0] for v in body["max"]] == [5.0, 11.0]


def test_temporal_refusals_and_who_reads(client: TestClient, world: World, db: Session) -> None:
    ident, _ = _history(db, world)
    for params in (
        {},
        {"timerel": "between", "timeAt": "2026-12-01T00:00:00Z"},
        {"timerel": "during", "timeAt": "2026-12-01T00:00:00Z"},
        {"timerel": "between", "timeAt": "2026-12-01T00:00:00Z", "endTimeAt": "2027-03-01T00:00:00Z"},
        {"timerel": "after", "timeAt": "yesterday"},
        {**WINDOW, "aggrMethods": "avg"},
        {**WINDOW, "aggrMethods": "median", "aggrPeriodDuration": "PT1H"},
    ):
        response = _get(client, world, f"/temporal/entities/{ident}", **params)
        assert response.status_code == 400 and response.json()["type"] == ERRORS + "BadRequestData", params
    other = _get(client, world, f"/temporal/entities/urn:ngsi-ld:Device:digipark-{world.a.device_ids[1]}", **WINDOW)
    assert other.status_code == 404 and other.json()["type"] == ERRORS + "ResourceNotFound"
    assert _get(client, world, f"/temporal/entities/{ident}", "enterprise2", **WINDOW).status_code == 404
    assert _get(client, world, f"/temporal/entities/{ident}", "park_admin", **WINDOW).status_code == 200


DEVICE = "https://smartdatamodels.org/dataModel.Device/Device"  # the Smart Data Models type, without a Link header


def _many(client: TestClient, world: World, who: str = "enterprise", **params: Any) -> Any:
    return _get(client, world, "/temporal/entities", who, **params)


def test_a_temporal_query_over_the_devices_of_a_type(client: TestClient, world: World, db: Session) -> None:
    """`GET /temporal/entities?type=Device` (API 6.18): every device the caller reads, with its history; paged, the
    count in NGSILD-Results-Count; another enterprise's device is not listed."""
    ident, key = _history(db, world)
    mine = _many(client, world, type=DEVICE, count="true", **WINDOW)
    assert mine.status_code == 200, mine.text
    ids = [e["id"] for e in mine.json()]
    assert ident in ids and f"urn:ngsi-ld:Device:digipark-{world.a.device_ids[1]}" not in ids
    assert mine.headers["NGSILD-Results-Count"] == str(len(ids))
    entry = next(e for e in mine.json() if e["id"] == ident)
    assert [i["value"] for i in entry[key]] == [float(k) for k in range(12)]

    staff = _many(client, world, "park_admin", type=DEVICE, count="true", **WINDOW)
    staff_ids = [e["id"] for e in staff.json()]
    assert {ident, f"urn:ngsi-ld:Device:digipark-{world.a.device_ids[1]}"} <= set(staff_ids)
    first = _many(client, world, "park_admin", type=DEVICE, limit=1, **WINDOW).json()
    second = _many(client, world, "park_admin", type=DEVICE, limit=1, offset=1, **WINDOW)
    assert [e["id"] for e in first] == staff_ids[:1] and [e["id"] for e in second.json()] == staff_ids[1:2]

    aggregated = _get(
        client,
        world,
        "/temporal/entities",
        type=DEVICE,
        id=ident,
        aggrMethods="max",
        aggrPeriodDuration="PT1H",
        **WINDOW,
    ).json()
    assert [v[0] for v in aggregated[0][key]["max"]] == [5.0, 11.0]
    values = _many(client, world, type=DEVICE, options="temporalValues", **WINDOW).json()
    assert next(e for e in values if e["id"] == ident)[key]["values"][1] == [1.0, "2026-12-01T00:10:00Z"]

    assert _many(client, world, "enterprise2", id=ident, type=DEVICE, **WINDOW).json() == []
    for params in ({**WINDOW}, {"type": "Device"}, {**WINDOW, "type": "Device", "limit": 101}):
        refused = _many(client, world, **params)
        assert refused.status_code == 400 and refused.json()["type"] == ERRORS + "BadRequestData", params
