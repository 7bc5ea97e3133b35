"""The demo's telemetry simulator: meters only increase, load follows the day and the week, the weather drives
temperatures, faults happen, everything is deterministic; the back-fill writes history, raw days and rollups once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import types
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.core import progress
from digipark.sim import telemetry_backfill as tb
from digipark.sim import telemetry_demo as td
from digipark.sim import telemetry_model as tm
from digipark.sim.telemetry_backfill import Backfill
from digipark.sim.telemetry_model import SimDevice, SimModel, SimPoint
from digipark.telemetry.models import Reading, Rollup1d, Rollup1h, Rollup1mo, Rollup15m
from tests.conftest import World

HOUR = 3_600_000
DAY = 86_400_000
T = int(dt.datetime(2026, 7, 15, 4, 0, tzinfo=dt.UTC).timestamp() * 1000)  # a Wednesday, 12:00 in Suzhou


def _point(
    pid: int, key: str, quantity: str, *, cumulative: bool = False, interval: int = 60, vmax: float = 1e9
) -> SimPoint:
    return SimPoint(
        point_id=pid,
        key=key,
        quantity=quantity,
        state_class="total_increasing" if cumulative else "measurement",
        interval_s=interval,
        valid_min=-50.0,
        valid_max=vmax,
        seed=tm._stable(f"test:{pid}:{key}"),
    )


def _device(ident: int, kind: str, profile: str, points: tuple[SimPoint, ...], size: float = 400.0) -> SimDevice:
    return SimDevice(
        device_id=ident,
        code=f"D{ident}",
        token=f"tok{ident}",
        kind=kind,
        profile=profile,
        size=size,
        installed_ms=None,
        seed=tm._stable(f"test:D{ident}"),
        points=points,
    )


def _meter(ident: int, profile: str = "factory_2shift") -> SimDevice:
    base = ident * 10
    return _device(
        ident,
        "electricity_meter",
        profile,
        (
            _point(base + 1, "energy_kwh", "electric_energy", cumulative=True, interval=900),
            _point(base + 2, "power_kw", "electric_power"),
        ),
    )


def test_meter_registers_only_increase_and_match_the_power() -> None:
    model = SimModel()
    device = _meter(1)
    energy = device.points[0]
    values = [model.value(device, energy, T - 40 * DAY + i * 600_000) for i in range(40 * 144)]
    assert all(b >= a for a, b in itertools.pairwise(values))
    assert values[-1] > values[0]
    # a day's consumption equals the integral of the (noise-free) rate
    day_start = T - 10 * DAY
    used = model.consumed(device, "electric_energy", day_start + DAY) - model.consumed(
        device, "electric_energy", day_start
    )
    integral = sum(model.rate(device, "electric_energy", day_start + m * 60_000) for m in range(1440)) / 60
    assert abs(used - integral) / used < 0.01


def test_load_follows_the_day_and_the_week() -> None:
    model = SimModel()
    office = _meter(2, "office")
    rate = model.rate
    wednesday_noon, wednesday_3am = T, T - 9 * HOUR
    saturday_noon = T + 3 * DAY
    assert rate(office, "electric_energy", wednesday_noon) > 3 * rate(office, "electric_energy", wednesday_3am)
    assert rate(office, "electric_energy", wednesday_noon) > 2 * rate(office, "electric_energy", saturday_noon)


def test_weather_is_seasonal_and_daily() -> None:
    weather = SimModel().weather
    july = [weather.temperature(T + h * HOUR) for h in range(24 * 30)]
    january = [weather.temperature(T - 181 * DAY + h * HOUR) for h in range(24 * 30)]
    assert sum(july) / len(july) > sum(january) / len(january) + 15
    day = [weather.temperature(T - 4 * HOUR + h * HOUR) for h in range(24)]  # from 08:00 local
    assert max(day) - min(day) > 4
    model = SimModel()
    sensor = _device(3, "temp_humidity", "office", (_point(31, "temperature_c", "temperature", vmax=85),))
    summer = model.value(sensor, sensor.points[0], T - 10 * HOUR)  # 02:00, unoccupied: follows outdoors
    winter = model.value(sensor, sensor.points[0], T - 10 * HOUR - 182 * DAY)
    assert summer > winter + 5


def test_faults_happen() -> None:
    model = SimModel()
    devices = [_meter(100 + i) for i in range(40)]
    sensors = [
        _device(200 + i, "temp_humidity", "office", (_point(2000 + i, "temperature_c", "temperature", vmax=85),))
        for i in range(40)
    ]
    offline = sum(model.offline(d, T + m * 60_000) for d in devices for m in range(0, 7 * 1440, 10))
    assert offline > 0
    spikes = 0
    for d in devices:
        for m in range(3 * 1440):
            t = T + m * 60_000
            spiky = model.value(d, d.points[1], t)
            calm = model.rate(d, "electric_energy", t)
            spikes += spiky > 2 * calm
    assert spikes > 0
    bad = sum(
        s.points[0].quality(model.value(s, s.points[0], T + m * 60_000)) for s in sensors for m in range(3 * 1440)
    )
    assert bad > 0
    drifting = {
        s.device_id for s in sensors for day in range(0, 120, 5) if model.drift(s.points[0], T + day * DAY) != 0
    }
    assert drifting


def test_the_same_seed_gives_the_same_values() -> None:
    device = _meter(7)
    a = [SimModel().sample(device, T + i * 5000) for i in range(200)]
    b = [SimModel().sample(device, T + i * 5000) for i in range(200)]
    assert a == b
    c = [SimModel(seed=1).sample(device, T + i * 5000) for i in range(200)]
    assert a != c


def test_publish_uses_the_native_topic() -> None:
    sent: list[tuple[str, Any, int]] = []

    class Client:
        def publish(self, topic: str, payload: bytes, qos: int) -> Any:
            sent.append((topic, orjson.loads(payload), qos))
            return types.SimpleNamespace(rc=0)

    device = _meter(8)
    sim = td.LiveSimulator([device], host="127.0.0.1", port=1)
    sim._clients = [Client()]
    t = next(t for t in range(T, T + DAY, 60_000) if not sim.model.offline(device, t))
    assert sim.publish(device, t)
    topic, payload, qos = sent[0]
    assert topic == "digipark/v1/tok8/telemetry" and qos == 1
    assert payload["ts"] == t and set(payload["values"]) == {"energy_kwh", "power_kw"}
    assert device.period_s == 15  # a 60 s point published every 15 s in the live demo


def test_readings_beyond_the_bounded_queue_are_dropped_not_kept() -> None:
    """A connection holds at most `max_queued` unacknowledged readings (here: no broker at all, so none is ever
    acknowledged); the rest are counted as dropped instead of growing the process's memory."""
    device = _meter(9)
    sim = td.LiveSimulator([device], host="127.0.0.1", port=1, connections=1)
    sim.max_queued = 5
    sim._connect()
    try:
        times = [t for t in range(T, T + DAY, 60_000) if not sim.model.offline(device, t)][:20]
        for t in times:
            sim.publish(device, t)
        assert (sim.published, sim.dropped) == (5, 15)
        assert len(sim._clients[0]._out_messages) == 5
    finally:
        sim.stop()


def _counts(db: Session, point_ids: list[int]) -> dict[str, int]:
    out = {}
    for name, model in (("raw", Reading), ("15m", Rollup15m), ("1h", Rollup1h), ("1d", Rollup1d), ("1mo", Rollup1mo)):
        out[name] = int(db.scalar(select(func.count()).select_from(model).where(model.point_id.in_(point_ids))) or 0)
    return out


def _between_runs(db: Session) -> None:
    """The test's transactions are savepoints of one connection, never committed: on PostgreSQL the store's
    ON COMMIT DELETE ROWS scratch tables keep the previous run's rows, which a real commit clears."""
    if db.get_bind().dialect.name == "postgresql":
        from digipark.telemetry import store

        db.connection().exec_driver_sql(store._PG_CLEAR)


def test_backfill_writes_history_and_raw_days_once(db: Session, world: World) -> None:
    devices = tm.load_devices(db, park_id=world.a.park_id)
    assert {d.kind for d in devices} == {"electricity_meter", "gas_detector"}
    plan = Backfill(now_ms=T, days=5, raw_days=1, step_s=3600, raw_step_s=900, raw_native_hours=0.25)
    stages: list[str] = []
    report = tb.run_backfill(
        park_id=world.a.park_id, plan=plan, devices=devices, progress=lambda s, d, t: stages.append(s)
    )
    assert stages[0] == "checking" and stages[-1] == "done" and {"raw", "history", "rollups"} <= set(stages)
    energy, power = world.a.point_ids[0], world.a.point_ids[1]
    assert report.history_points == 1 and report.history_rows > 80  # 4 days of hourly readings of the meter
    assert report.raw_readings > 5 * 96  # a day of every point, every 15 min at least
    # history before the raw day as rollups only; the raw day as readings
    oldest_raw = db.scalar(select(func.min(Reading.ts)).where(Reading.point_id == energy))
    assert oldest_raw is not None and oldest_raw >= plan.raw_start
    oldest_rollup = db.scalar(select(func.min(Rollup15m.bucket)).where(Rollup15m.point_id == energy))
    assert oldest_rollup is not None and oldest_rollup < plan.raw_start - 3 * DAY
    days = db.scalars(select(Rollup1d).where(Rollup1d.point_id == energy).order_by(Rollup1d.bucket)).all()
    assert len(days) >= 5 and all((d.delta or 0) >= 0 for d in days)
    assert db.scalar(select(func.count()).select_from(Rollup1mo).where(Rollup1mo.point_id == energy))
    assert db.scalar(select(func.count()).select_from(Reading).where(Reading.point_id == power)) > 96
    before = _counts(db, world.a.point_ids)
    _between_runs(db)
    again = tb.run_backfill(park_id=world.a.park_id, plan=plan, devices=devices)
    assert (again.history_rows, again.raw_readings, again.skipped_history) == (0, 0, 1)
    assert _counts(db, world.a.point_ids) == before
    # a restart a day later fills the gap only
    later = dataclasses.replace(plan, now_ms=T + DAY)
    _between_runs(db)
    gap = tb.run_backfill(park_id=world.a.park_id, plan=later, devices=devices)
    assert gap.history_rows == 0 and 0 < gap.raw_readings < report.raw_readings * 1.5
    assert db.scalar(select(func.max(Reading.ts)).where(Reading.point_id == power)) > T + DAY - HOUR


def test_progress_is_shown_on_the_overview_panel(client: Any, db: Session, world: World) -> None:
    from tests.web.helpers import login, visible_text

    progress.report(tb.BACKFILL, "history", 50, 200)
    try:
        login(client, "TA-park_admin")
        panel = client.get("/telemetry/overview-panel?lang=en")
        text = visible_text(panel.text)
        assert "One year of history" in text and "25%" in text
        assert 'hx-trigger="every 2s"' in panel.text  # polls while it runs
        progress.report(tb.BACKFILL, "done", 1, 1)
        panel = client.get("/telemetry/overview-panel?lang=zh")
        assert "历史数据已补齐" in visible_text(panel.text) and "every 2s" not in panel.text
    finally:
        progress.report(tb.BACKFILL, "idle", 0, 0)
    assert tb.backfill_progress() == ("idle", 0, 0)


def test_the_fast_meter_history_equals_the_general_one() -> None:
    model = SimModel()
    device = _meter(9)
    energy = device.points[0]
    calendar = tb._Calendar(model.offset_ms)
    start, end = T - 70 * DAY, T - DAY
    fast = tb._meter_history(model, device, energy, start, end, HOUR, calendar)
    general = tb._history_rows(model, device, energy, start, end, HOUR, calendar)
    assert [len(rows) for rows in fast] == [len(rows) for rows in general]
    assert len(fast[2]) == 70 and len(fast[3]) == 3  # the days (the first and last in part) and months
    for fast_rows, general_rows in zip(fast, general, strict=True):
        for a, b in zip(fast_rows, general_rows, strict=True):
            assert a[:4] == b[:4] and a[7] == b[7] and a[9] == b[9]
            for x, y in zip(a[4:], b[4:], strict=True):
                assert (x is None and y is None) or abs(x - y) <= 1e-3 * max(1.0, abs(y))


def test_lights_and_air_conditioning_are_on_while_busy_and_draw_power_only_then() -> None:
    from digipark.sim.telemetry_model import SimDevice, SimModel, SimPoint

    def point(key: str, quantity: str, n: int) -> SimPoint:
        return SimPoint(n, key, quantity, "measurement", 300, 0, 500, n)

    model = SimModel()
    hvac = SimDevice(
        1,
        "B01-AC01",
        "",
        "hvac_unit",
        "office",
        1.0,
        None,
        7,
        (
            point("switch_on", "switch_state", 1),
            point("setpoint_c", "temperature", 2),
            point("power_kw", "electric_power", 3),
        ),
    )
    # a Wednesday in the demo's time zone: 10:00 busy, 03:00 off
    wednesday = int(dt.datetime(2026, 11, 4, tzinfo=dt.UTC).timestamp() * 1000) - model.offset_ms
    busy = model.sample(hvac, wednesday + 10 * 3_600_000)
    night = model.sample(hvac, wednesday + 3 * 3_600_000)
    assert busy is not None and night is not None
    assert busy["switch_on"] == 1.0 and 15 * 0.8 <= busy["power_kw"] <= 60 * 1.1
    assert night["switch_on"] == 0.0 and night["power_kw"] < 1.5
    assert busy["setpoint_c"] in (20.0, 26.0)
