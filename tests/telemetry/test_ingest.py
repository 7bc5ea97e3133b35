"""The Ingestor on the database: every payload format, every rejection reason, counters, duplicates, registry
refresh, and atomic counters under concurrent batches."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.auth.scope import system_scope
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device, Point
from digipark.telemetry import payloads
from digipark.telemetry.ingest import InboundMessage, Ingestor, IngestSummary
from digipark.telemetry.models import DeadLetter, DeviceRejection, DeviceTraffic, Quality, Reading
from tests.conftest import World
from tests.device_tokens import issue_token

NOW = 1_760_000_000_000  # the server clock of these tests (ms)
TS = NOW - 60_000


def native(token: str) -> str:
    return f"digipark/v1/{token}/telemetry"


def message(topic: str | None, body: Any, *, username: str | None = None, received_ms: int = NOW) -> InboundMessage:
    payload = body if isinstance(body, bytes) else orjson.dumps(body)
    return InboundMessage("mqtt" if topic else "http", topic, username, payload, received_ms)


def token_of(db: Session, device_id: int) -> str:
    return issue_token(db, device_id)


def point_of(db: Session, device_id: int, key: str) -> int:
    found = db.scalar(select(Point.id).where(Point.device_id == device_id, Point.key == key))
    assert found is not None
    return found


def readings(db: Session, point_id: int) -> list[tuple[int, float, int]]:
    rows = db.execute(select(Reading.ts, Reading.value, Reading.quality).where(Reading.point_id == point_id))
    return sorted((ts, value, quality) for ts, value, quality in rows)


def traffic(db: Session, device_id: int) -> dict[str, Any]:
    row = db.get(DeviceTraffic, device_id)
    if row is None:
        return {}
    db.refresh(row)
    return {
        k: getattr(row, k)
        for k in ("messages", "readings", "duplicates", "bad_quality", "rejected", "last_seen_ms", "park_id")
    }


def rejections(db: Session, device_id: int) -> dict[str, int]:
    rows = db.execute(
        select(DeviceRejection.reason, DeviceRejection.count).where(DeviceRejection.device_id == device_id)
    )
    return {reason: count for reason, count in rows}


def letters(db: Session, **where: Any) -> list[DeadLetter]:
    stmt = select(DeadLetter).order_by(DeadLetter.id)
    for key, value in where.items():
        if key == "token":  # a dead letter keeps the digest of the token it claimed
            stmt = stmt.where(DeadLetter.token_hash == token_digest(value))
        else:
            stmt = stmt.where(getattr(DeadLetter, key) == value)
    return list(db.scalars(stmt))


def entries_of(letter: DeadLetter) -> list[tuple[str | None, list[payloads.Entry]]]:
    parsed = payloads.parse(letter.topic, letter.token, letter.payload.encode())
    return [(d.device_code, d.entries) for d in parsed.devices]


@pytest.fixture
def ingestor() -> Ingestor:
    return Ingestor(clock=lambda: NOW, refresh_interval_s=0.0)


@pytest.fixture
def meter(db: Session, world: World) -> tuple[int, str]:
    """Park A's enterprise meter (energy_kwh 0..1e10, power_kw ±1e5, voltage_v 0..12000, power_factor ±1)."""
    return world.a.device_ids[0], token_of(db, world.a.device_ids[0])


def make_gateway(db: Session, world: World, code: str = "GW1") -> tuple[int, str]:
    gateway = registry.create(
        db,
        scope=system_scope(world.a.park_id),
        kind=registry.KINDS["device"],
        data=schemas.DeviceCreate(code=code, name="网关", kind="temp_humidity", create_points=False),
    )
    db.flush()
    assert gateway.issued_token is not None  # the token is in the creation's answer only
    return gateway.id, gateway.issued_token


# -- formats -----------------------------------------------------------------------------------------------------
def test_native_message_is_stored(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    body = {"ts": TS, "values": {"power_kw": 12.5, "energy_kwh": 1000}}
    summary = ingestor.ingest(db, [message(native(token), body)])
    assert summary == IngestSummary(messages=1, stored=2, duplicates=0, bad_quality=0, rejected=0)
    assert readings(db, point_of(db, device_id, "power_kw")) == [(TS, 12.5, Quality.GOOD)]
    assert readings(db, point_of(db, device_id, "energy_kwh")) == [(TS, 1000.0, Quality.GOOD)]
    assert traffic(db, device_id) == {
        "messages": 1,
        "readings": 2,
        "duplicates": 0,
        "bad_quality": 0,
        "rejected": 0,
        "last_seen_ms": NOW,
        "park_id": db.get(Device, device_id).park_id,  # type: ignore[union-attr]
    }


def test_native_list(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    body = [{"ts": TS + i * 1000, "values": {"voltage_v": 220 + i}} for i in range(3)]
    assert ingestor.ingest(db, [message(native(token), body)]).stored == 3
    assert [v for _ts, v, _q in readings(db, point_of(db, device_id, "voltage_v"))] == [220.0, 221.0, 222.0]


def test_thingsboard_device_api(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    batch = [
        message(payloads.TB_DEVICE_TOPIC, {"power_kw": 3}, username=token, received_ms=NOW - 5000),
        message(payloads.TB_DEVICE_TOPIC, {"ts": TS, "values": {"power_kw": 4}}, username=token),
        message(payloads.TB_DEVICE_TOPIC, [{"ts": TS + 1, "values": {"power_kw": 5}}, {"power_kw": 6}], username=token),
    ]
    summary = ingestor.ingest(db, batch)
    assert (summary.messages, summary.stored, summary.rejected) == (3, 4, 0)
    assert readings(db, point_of(db, device_id, "power_kw")) == [
        (TS, 4.0, 0),
        (TS + 1, 5.0, 0),
        (NOW - 5000, 3.0, 0),  # no ts: the receive time
        (NOW, 6.0, 0),
    ]
    assert traffic(db, device_id)["messages"] == 3


def test_gateway_reports_for_devices_of_its_park(db: Session, world: World, ingestor: Ingestor) -> None:
    gateway_id, gateway_token = make_gateway(db, world)
    meter_id, detector_id = world.a.device_ids
    body = {
        "M1": [{"ts": TS, "values": {"power_kw": 1}}, {"ts": TS + 1000, "values": {"power_kw": 2}}],
        "G1": [{"ts": TS, "values": {"lel_pct": 3}}],
        "NOPE": [{"ts": TS, "values": {"x": 1}}],
    }
    summary = ingestor.ingest(db, [message(payloads.TB_GATEWAY_TOPIC, body, username=gateway_token)])
    assert (summary.stored, summary.rejected, summary.rejected_by_reason) == (3, 1, {"unknown_token": 1})
    assert len(readings(db, point_of(db, meter_id, "power_kw"))) == 2
    assert readings(db, point_of(db, detector_id, "lel_pct")) == [(TS, 3.0, 0)]
    assert traffic(db, meter_id)["messages"] == 1 and traffic(db, meter_id)["readings"] == 2
    assert traffic(db, detector_id)["readings"] == 1
    assert traffic(db, gateway_id)["messages"] == 1 and traffic(db, gateway_id)["rejected"] == 1
    assert rejections(db, gateway_id) == {"unknown_token": 1}
    (letter,) = letters(db, device_id=gateway_id)
    assert (
        letter.park_id == world.a.park_id
        and letter.token_hash == token_digest(gateway_token)
        and "NOPE" in letter.detail
    )
    assert entries_of(letter) == [("NOPE", [(TS, {"x": 1})])]


def test_gateway_cannot_report_for_another_park(db: Session, world: World, ingestor: Ingestor) -> None:
    _gateway_id, gateway_token = make_gateway(db, world)
    other = db.get(Device, world.b.device_ids[0])
    assert other is not None and other.code == "M1"  # park B has an M1 too: the gateway's park decides
    ingestor.ingest(db, [message(payloads.TB_GATEWAY_TOPIC, {"M1": {"power_kw": 7}}, username=gateway_token)])
    assert readings(db, point_of(db, world.b.device_ids[0], "power_kw")) == []
    assert [v for _t, v, _q in readings(db, point_of(db, world.a.device_ids[0], "power_kw"))] == [7.0]


def test_http_message(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    summary = ingestor.ingest(db, [message(None, {"ts": TS, "values": {"power_factor": 0.9}}, username=token)])
    assert summary.stored == 1
    assert readings(db, point_of(db, device_id, "power_factor")) == [(TS, 0.9, 0)]


# -- rejections --------------------------------------------------------------------------------------------------
def test_unknown_token_is_dead_lettered_without_a_park(db: Session, ingestor: Ingestor) -> None:
    summary = ingestor.ingest(db, [message(native("no-such-token"), {"power_kw": 1, "voltage_v": 2})])
    assert (summary.rejected, summary.rejected_by_reason) == (2, {"unknown_token": 2})
    (letter,) = letters(db, token="no-such-token")
    assert (letter.park_id, letter.device_id, letter.reason, letter.status) == (None, None, "unknown_token", "open")
    assert entries_of(letter) == [(None, [(NOW, {"power_kw": 1, "voltage_v": 2})])]  # ts filled in


def test_thingsboard_without_username_is_unknown_token(db: Session, ingestor: Ingestor) -> None:
    summary = ingestor.ingest(db, [message(payloads.TB_DEVICE_TOPIC, {"a": 1})])
    assert summary.rejected_by_reason == {"unknown_token": 1}


def test_disabled_device(db: Session, world: World, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    registry.update(
        db,
        scope=system_scope(world.a.park_id),
        kind=registry.KINDS["device"],
        ident=device_id,
        data=schemas.DeviceUpdate(status="inactive"),  # type: ignore[arg-type]
    )
    db.flush()
    summary = ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"power_kw": 1}})])
    assert summary.rejected_by_reason == {"device_disabled": 1} and summary.stored == 0
    assert traffic(db, device_id)["messages"] == 1 and rejections(db, device_id) == {"device_disabled": 1}
    (letter,) = letters(db, device_id=device_id)
    assert letter.reason == "device_disabled" and "inactive" in letter.detail


def test_maintenance_device_still_reports(
    db: Session, world: World, ingestor: Ingestor, meter: tuple[int, str]
) -> None:
    device_id, token = meter
    device = db.get(Device, device_id)
    assert device is not None
    device.status = "maintenance"
    db.flush()
    assert ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"power_kw": 1}})]).stored == 1


def test_value_rejections_are_grouped_by_reason(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    body = (
        b'[{"ts": %d, "values": {"power_kw": 1, "nope": 2, "voltage_v": "230", "power_factor": true, '
        b'"energy_kwh": NaN}}, {"ts": %d, "values": {"power_kw": null, "nope": 3, "voltage_v": 1e999}}]'
    ) % (TS, TS + 1000)
    summary = ingestor.ingest(db, [message(native(token), body)])
    assert summary.stored == 1
    assert summary.rejected_by_reason == {"unknown_point": 2, "not_numeric": 3, "not_finite": 2}
    assert summary.rejected == 7
    # the device's counters count dead letters (one per message and reason); each letter counts its values
    assert rejections(db, device_id) == {"unknown_point": 1, "not_numeric": 1, "not_finite": 1}
    assert traffic(db, device_id)["rejected"] == 3 and traffic(db, device_id)["readings"] == 1
    by_reason = {letter.reason: letter for letter in letters(db, device_id=device_id)}
    assert set(by_reason) == {"unknown_point", "not_numeric", "not_finite"}
    assert {reason: letter.value_count for reason, letter in by_reason.items()} == {
        "unknown_point": 2,
        "not_numeric": 3,
        "not_finite": 2,
    }
    assert entries_of(by_reason["unknown_point"]) == [(None, [(TS, {"nope": 2}), (TS + 1000, {"nope": 3})])]
    assert entries_of(by_reason["not_numeric"]) == [
        (None, [(TS, {"voltage_v": "230", "power_factor": True}), (TS + 1000, {"power_kw": None})])
    ]
    ((_code, finite_entries),) = entries_of(by_reason["not_finite"])
    assert [(ts, sorted(values)) for ts, values in finite_entries] == [(TS, ["energy_kwh"]), (TS + 1000, ["voltage_v"])]
    assert math.isnan(finite_entries[0][1]["energy_kwh"]) and finite_entries[1][1]["voltage_v"] == math.inf
    assert "nope" in by_reason["unknown_point"].detail and by_reason["unknown_point"].park_id is not None


def test_future_timestamp_beyond_the_allowed_skew(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    body = [
        {"ts": NOW + 4 * 60_000, "values": {"power_kw": 1}},  # within 5 min: a device clock slightly ahead
        {"ts": NOW + 6 * 60_000, "values": {"power_kw": 2, "voltage_v": 3}},
    ]
    summary = ingestor.ingest(db, [message(native(token), body)])
    assert summary.stored == 1 and summary.rejected_by_reason == {"future_timestamp": 2}
    (letter,) = letters(db, device_id=device_id)
    assert entries_of(letter) == [(None, [(NOW + 6 * 60_000, {"power_kw": 2, "voltage_v": 3})])]
    assert "360 s ahead" in letter.detail


def test_skew_is_configurable(db: Session, meter: tuple[int, str]) -> None:
    _device_id, token = meter
    strict = Ingestor(clock=lambda: NOW, max_future_skew_ms=1000)
    summary = strict.ingest(db, [message(native(token), {"ts": NOW + 2000, "values": {"power_kw": 1}})])
    assert summary.rejected_by_reason == {"future_timestamp": 1}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed"),
        (b'{"ts": 1760000000000, "values": [1]}', "malformed"),
        (b'{"ts": 1760000000, "values": {"power_kw": 1}}', "bad_timestamp"),
        (b'{"ts": "yesterday", "values": {"power_kw": 1}}', "bad_timestamp"),
    ],
)
def test_unreadable_messages(db: Session, ingestor: Ingestor, meter: tuple[int, str], body: bytes, reason: str) -> None:
    device_id, token = meter
    summary = ingestor.ingest(db, [message(native(token), body)])
    assert (summary.rejected, summary.rejected_by_reason) == (1, {reason: 1})
    (letter,) = letters(db, device_id=device_id)
    assert letter.reason == reason and letter.payload == body.decode() and letter.token_hash == token_digest(token)
    assert traffic(db, device_id)["messages"] == 1 and rejections(db, device_id) == {reason: 1}


def test_unsupported_topic_is_malformed(db: Session, ingestor: Ingestor) -> None:
    summary = ingestor.ingest(db, [message("devices/x/data", {"a": 1}, username="u")])
    assert summary.rejected_by_reason == {"malformed": 1}
    (letter,) = letters(db, topic="devices/x/data")
    assert letter.park_id is None and "unsupported topic" in letter.detail


def test_out_of_range_is_stored_bad(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    summary = ingestor.ingest(
        db, [message(native(token), {"ts": TS, "values": {"power_factor": 1.5, "voltage_v": 230}})]
    )
    assert (summary.stored, summary.bad_quality, summary.rejected) == (2, 1, 0)
    assert readings(db, point_of(db, device_id, "power_factor")) == [(TS, 1.5, Quality.BAD)]
    assert readings(db, point_of(db, device_id, "voltage_v")) == [(TS, 230.0, Quality.GOOD)]
    assert traffic(db, device_id)["bad_quality"] == 1


def test_repeats_are_idempotent_and_counted(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    first = ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"power_kw": 1, "voltage_v": 220}})])
    again = ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"power_kw": 9, "voltage_v": 220}})])
    assert (first.stored, first.duplicates) == (2, 0)
    assert (again.stored, again.duplicates) == (0, 2)
    assert readings(db, point_of(db, device_id, "power_kw")) == [(TS, 1.0, 0)]  # the first value wins
    counters = traffic(db, device_id)
    assert (counters["messages"], counters["readings"], counters["duplicates"]) == (2, 2, 2)


def test_counters_accumulate_across_batches(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    for i in range(3):
        batch = [
            message(native(token), {"ts": TS + i, "values": {"power_kw": 1, "nope": 1}}, received_ms=NOW - 100 + i)
            for _ in range(2)
        ]
        ingestor.ingest(db, batch)
    counters = traffic(db, device_id)
    assert (counters["messages"], counters["readings"], counters["duplicates"], counters["rejected"]) == (6, 3, 3, 6)
    assert counters["last_seen_ms"] == NOW - 98
    assert rejections(db, device_id) == {"unknown_point": 6}
    row = db.scalar(select(DeviceRejection).where(DeviceRejection.device_id == device_id))
    assert row is not None and row.last_ms == NOW - 98


def test_an_empty_batch_and_empty_messages(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    """A message without any value is not silently dropped: it is dead-lettered as malformed and counted."""
    device_id, token = meter
    assert ingestor.ingest(db, []) == IngestSummary()
    summary = ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {}}), message(native(token), [])])
    assert (summary.messages, summary.stored, summary.rejected) == (2, 0, 2)
    assert summary.rejected_by_reason == {"malformed": 2}
    assert traffic(db, device_id)["messages"] == 2 and traffic(db, device_id)["rejected"] == 2


def test_a_values_object_without_ts_is_dead_lettered(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    """Not stored at the time of receipt: the device is told (dead letter, counted); the flat shape is the way to
    send readings for the time of receipt."""
    device_id, token = meter
    summary = ingestor.ingest(db, [message(native(token), {"values": {"power_kw": 1}})])
    assert (summary.stored, summary.rejected, summary.rejected_by_reason) == (0, 1, {"bad_timestamp": 1})
    assert traffic(db, device_id)["rejected"] == 1
    assert ingestor.ingest(db, [message(native(token), {"power_kw": 2})]).stored == 1


# -- the registry cache ------------------------------------------------------------------------------------------
def test_a_point_added_later_is_picked_up(
    db: Session, world: World, ingestor: Ingestor, meter: tuple[int, str]
) -> None:
    device_id, token = meter
    body = {"ts": TS, "values": {"current_a": 5}}
    assert ingestor.ingest(db, [message(native(token), body)]).rejected_by_reason == {"unknown_point": 1}
    _add_point(db, world, device_id, "current_a")
    assert ingestor.ingest(db, [message(native(token), {"ts": TS + 1, "values": {"current_a": 6}})]).stored == 1


def test_a_device_added_later_is_picked_up(db: Session, world: World, ingestor: Ingestor) -> None:
    assert ingestor.ingest(db, []) == IngestSummary()  # the cache is loaded
    device_id, token = make_gateway(db, world, code="NEW1")
    _add_point(db, world, device_id, "temperature_c")
    summary = ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"temperature_c": 21}})])
    assert summary.stored == 1


def test_refreshes_are_rate_limited(db: Session, world: World, meter: tuple[int, str]) -> None:
    device_id, token = meter
    slow = Ingestor(clock=lambda: NOW, refresh_interval_s=3600)
    assert slow.ingest(db, [message(native(token), {"ts": TS, "values": {"current_a": 5}})]).rejected == 1
    _add_point(db, world, device_id, "current_a")
    # within the interval a miss does not query the registry again ...
    assert slow.ingest(db, [message(native(token), {"ts": TS, "values": {"current_a": 5}})]).rejected == 1
    # ... unless forced (a replay), or after the registry changed (invalidate)
    assert (
        slow.ingest(db, [message(native(token), {"ts": TS, "values": {"current_a": 5}})], force_refresh=True).stored
        == 1
    )
    _add_point(db, world, device_id, "current_b")
    slow.invalidate()
    assert slow.ingest(db, [message(native(token), {"ts": TS, "values": {"current_b": 5}})]).stored == 1


def test_a_disabled_device_enabled_again_reports(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    device = db.get(Device, device_id)
    assert device is not None
    device.status = "retired"
    db.flush()
    assert ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"power_kw": 1}})]).rejected == 1
    device.status = "active"
    db.flush()
    assert ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"power_kw": 1}})]).stored == 1


def _add_point(db: Session, world: World, device_id: int, key: str) -> int:
    point = registry.create(
        db,
        scope=system_scope(world.a.park_id),
        kind=registry.KINDS["point"],
        data=schemas.PointCreate(
            device_id=device_id, key=key, name=key, quantity="electric_current", unit="A", device_class="current"
        ),
    )
    db.flush()
    return int(point.id)


# -- concurrency -------------------------------------------------------------------------------------------------
@pytest.fixture
def committed_device(engine: Engine, world: World) -> Iterator[tuple[int, str]]:
    """A device with one point, committed (so two transactions can race on its counters), removed after."""
    with engine.begin() as conn:
        device_id = conn.execute(
            insert(Device)
            .values(
                park_id=world.a.park_id,
                code="RACE1",
                name="race",
                kind="gas_detector",
                token_hash=token_digest("race-token"),
            )
            .returning(Device.id)
        ).scalar_one()
        conn.execute(
            insert(Point).values(
                park_id=world.a.park_id,
                device_id=device_id,
                key="lel_pct",
                name="lel",
                quantity="combustible_gas",
                unit="%LEL",
                device_class="gas_concentration",
            )
        )
    yield device_id, "race-token"
    with engine.begin() as conn:
        conn.execute(delete(DeadLetter).where(DeadLetter.device_id == device_id))
        # readings have no foreign key to point (telemetry.models): removed by hand
        conn.execute(delete(Reading).where(Reading.point_id.in_(select(Point.id).where(Point.device_id == device_id))))
        conn.execute(delete(Device).where(Device.id == device_id))


def test_concurrent_batches_do_not_lose_counts(engine: Engine, committed_device: tuple[int, str]) -> None:
    """Two workers' transactions incrementing the same device's counters at once (PostgreSQL: the deployment
    with several ingest workers; SQLite has one writer, and two deferred transactions upgrading their read
    locks at once fail with "database is locked" whatever the statements)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent ingest workers run on PostgreSQL")
    device_id, token = committed_device
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(offset: int) -> None:
        try:
            ingestor = Ingestor(clock=lambda: NOW)
            batch = [
                message(native(token), {"ts": TS + offset * 1000 + i, "values": {"lel_pct": 1, "x": 2}})
                for i in range(50)
            ]
            start.wait()
            for _ in range(4):
                with factory() as session, session.begin():
                    ingestor.ingest(session, batch)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with factory() as session:
        counters = traffic(session, device_id)
        assert (counters["messages"], counters["readings"], counters["duplicates"]) == (400, 100, 300)
        assert counters["rejected"] == 400 and rejections(session, device_id) == {"unknown_point": 400}


def test_disabled_gateway_and_late_gateway(db: Session, world: World) -> None:
    ingestor = Ingestor(clock=lambda: NOW, refresh_interval_s=0.0)
    assert ingestor.ingest(db, []) == IngestSummary()  # the cache is loaded before the gateway exists
    gateway_id, gateway_token = make_gateway(db, world, code="GW2")
    body = {"M1": {"ts": TS, "values": {"power_kw": 1}}, "G1": {"ts": TS, "values": {"lel_pct": 2}}}
    summary = ingestor.ingest(db, [message(payloads.TB_GATEWAY_TOPIC, body, username=gateway_token)])
    assert summary.stored == 2 and traffic(db, gateway_id)["messages"] == 1  # found on the refresh, counted once
    gateway = db.get(Device, gateway_id)
    assert gateway is not None
    gateway.status = "inactive"
    db.flush()
    ingestor.invalidate()
    summary = ingestor.ingest(db, [message(payloads.TB_GATEWAY_TOPIC, body, username=gateway_token)])
    assert summary.rejected_by_reason == {"device_disabled": 2} and summary.stored == 0
    assert traffic(db, gateway_id)["messages"] == 2 and rejections(db, gateway_id) == {"device_disabled": 2}
    assert {letter.reason for letter in letters(db, device_id=gateway_id)} == {"device_disabled"}


def test_an_unreadable_message_is_kept_cut(db: Session, ingestor: Ingestor, meter: tuple[int, str]) -> None:
    device_id, token = meter
    huge = b"{" + b"x" * (300 * 1024)
    assert ingestor.ingest(db, [message(native(token), huge)]).rejected_by_reason == {"malformed": 1}
    (letter,) = letters(db, device_id=device_id)
    assert len(letter.payload) < 300 * 1024 and letter.payload.endswith("bytes, cut)")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    topic=st.sampled_from(["native", payloads.TB_DEVICE_TOPIC, payloads.TB_GATEWAY_TOPIC, None, "x/y"]),
    payload=st.binary(max_size=120)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=12,
    ).map(lambda data: payloads.dumps(data).encode()),
)
def test_any_message_is_accounted_for(
    db: Session, ingestor: Ingestor, meter: tuple[int, str], topic: str | None, payload: bytes
) -> None:
    """Whatever arrives, ingest() returns normally, and what it did not store it dead-lettered."""
    _device_id, token = meter
    real_topic = native(token) if topic == "native" else topic
    before = len(letters(db))
    summary = ingestor.ingest(db, [message(real_topic, payload, username=token)])
    assert summary.messages == 1
    assert sum(summary.rejected_by_reason.values()) == summary.rejected
    assert (len(letters(db)) > before) == (summary.rejected > 0)


def test_a_device_deleted_behind_the_cache_does_not_fail_the_batch(
    db: Session, world: World, ingestor: Ingestor
) -> None:
    device_id, token = make_gateway(db, world, code="GONE1")
    _add_point(db, world, device_id, "current_a")
    assert ingestor.ingest(db, [message(native(token), {"ts": TS, "values": {"current_a": 1}})]).stored == 1
    db.execute(delete(DeviceTraffic).where(DeviceTraffic.device_id == device_id))
    db.execute(delete(Point).where(Point.device_id == device_id))
    db.execute(delete(Device).where(Device.id == device_id))  # as another process would, no event here
    summary = ingestor.ingest(db, [message(native(token), {"ts": TS + 1, "values": {"current_a": 2, "nope": 3}})])
    assert summary.stored == 0 and summary.rejected == 1  # the cache still knew it: the unknown key is kept
    (letter,) = letters(db, token=token)
    assert letter.device_id is None and letter.reason == "unknown_point"
    assert traffic(db, device_id) == {}
    # the cache reloaded: the token is now unknown
    assert ingestor.ingest(db, [message(native(token), {"current_a": 3})]).rejected_by_reason == {"unknown_token": 1}
