"""Test fixtures: a migrated database (SQLite, or PostgreSQL via DIGIPARK_TEST_DATABASE_URL), a
transaction rolled back after every test, and a small world of two parks with a user of every role."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

os.environ.setdefault("DIGIPARK_ARGON2_TIME_COST", "1")
os.environ.setdefault("DIGIPARK_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("DIGIPARK_LOG_LEVEL", "WARNING")

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis.database import DirectoryBasedExampleDatabase
from sqlalchemy import Engine, create_engine, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from digipark.app import create_app
from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.auth.scope import system_scope
from digipark.core import db as core_db
from digipark.core import migrate
from digipark.core.codes import make_uscc
from digipark.core.config import normalise_database_url
from digipark.core.db import make_engine
from digipark.registry import schemas
from digipark.registry import service as registry
from digipark.registry.models import Point
from tests.device_tokens import issue_token

# Property tests (hypothesis, schemathesis) see the same examples on every machine and every run: a fixed seed per
# test, no deadline and no health check that depends on the machine's speed. Failing examples are kept in
# .hypothesis/examples and tried first in the next run. DIGIPARK_HYPOTHESIS_RANDOM=1 is the randomised run
# (docs/dev/testing.md): a new seed per test and run, the examples it fails on kept for the next runs.
HYPOTHESIS_SEED = 20261206
HYPOTHESIS_RANDOM = os.environ.get("DIGIPARK_HYPOTHESIS_RANDOM") == "1"
hypothesis_settings.register_profile(
    "digipark",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    database=DirectoryBasedExampleDatabase(Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"),
    print_blob=True,
)
hypothesis_settings.load_profile("digipark")


# Tests whose subject does not depend on the database engine (who may call which route, what every form answers to
# garbage, the import contract): CI runs them once, on PostgreSQL, and the second pass on SQLite leaves them out.
ENGINE_NEUTRAL = ("tests/tenancy/", "tests/web/test_form_fuzz.py", "tests/test_import_contract.py")


# Tests that choose their engine from DIGIPARK_TEST_DATABASE_URL themselves (or are SQLite's own): kept in both passes.
READS_THE_ENGINE = (
    "tests/test_migrations.py",
    "tests/test_backup.py",
    "tests/test_cli.py",
    "tests/sim/",
    "tests/core/test_demo_first_start.py",
    "tests/core/test_sqlite_contention.py",
    "tests/services/test_concurrent_booking.py",
)


# Tests that talk to the shared MQTT broker or NATS server (fixed topics, streams and consumers): under pytest-xdist
# (`--dist loadgroup`) they all run on one worker, one after another.
SHARED_BROKERS = (
    "tests/alarms/test_mqtt_alarm.py",
    "tests/devices/test_mosquitto_downlink.py",
    "tests/living/test_device_events.py",
    "tests/safety/test_emergency_flow_mqtt.py",
    "tests/telemetry/",
    "tests/test_ingest_faults.py",
    "tests/test_operations.py",
    "tests/test_metrics.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SHARED_BROKERS):
            item.add_marker(pytest.mark.xdist_group("brokers"))
        no_database = not {"engine", "database_url"} & set(getattr(item, "fixturenames", ()))
        if item.nodeid.startswith(ENGINE_NEUTRAL) or (no_database and not item.nodeid.startswith(READS_THE_ENGINE)):
            item.add_marker(pytest.mark.engine_neutral)
    if HYPOTHESIS_RANDOM or config.getoption("hypothesis_seed", None) is not None:
        return
    for item in items:
        test = getattr(item, "obj", None)
        if getattr(test, "is_hypothesis_test", False):
            hypothesis_seed(HYPOTHESIS_SEED)(test)


def _worker_database_url(url: str | None) -> str | None:
    """Under pytest-xdist, each worker's PostgreSQL database: the test database's name and the worker's
    (`test_gw0`), set in the environment too so that tests reading it (scratch databases named after it) stay apart."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or not url.startswith("postgres"):
        return url
    server = make_url(normalise_database_url(url))
    worker_url = server.set(database=f"{server.database}_{worker}").render_as_string(hide_password=False)
    os.environ["DIGIPARK_TEST_DATABASE_URL"] = worker_url
    return worker_url


REQUIRE_SERVICES = os.environ.get("DIGIPARK_REQUIRE_SERVICES") == "1"
TEST_DATABASE_URL = _worker_database_url(os.environ.get("DIGIPARK_TEST_DATABASE_URL"))
TEST_MQTT_URL = os.environ.get("DIGIPARK_TEST_MQTT_URL")
TEST_NATS_URL = os.environ.get("DIGIPARK_TEST_NATS_URL", "nats://127.0.0.1:4222")


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = TEST_DATABASE_URL or "SQLite (temporary file)"
    return [
        f"digipark test database: {database}",
        f"digipark test MQTT broker: {TEST_MQTT_URL or 'none'}",
        f"digipark test NATS: {TEST_NATS_URL}",
        f"services required: {REQUIRE_SERVICES}",
    ]


def service_unavailable(what: str) -> None:
    """Skip, or fail under DIGIPARK_REQUIRE_SERVICES=1."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {what}")
    pytest.skip(f"service unavailable: {what}")


def reset_postgres(url: str) -> None:
    server = make_url(normalise_database_url(url))
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:  # a worker's database is made on its first run
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": server.database})
            if found.first() is None:
                conn.execute(text(f'CREATE DATABASE "{server.database}"'))
    finally:
        admin.dispose()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def tcp_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        if not tcp_reachable(TEST_DATABASE_URL, 5432):
            service_unavailable(f"PostgreSQL at {TEST_DATABASE_URL}")
        reset_postgres(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    core_db.use_engine(engine)
    yield engine
    core_db.use_engine(None)
    engine.dispose()


@dataclasses.dataclass
class ParkWorld:
    park_id: int
    zone_id: int
    parcel_id: int
    building_id: int
    floor_id: int
    room_id: int
    enterprise_ids: list[int]
    device_ids: list[int]  # [owned by enterprise 0, owned by the park]
    point_ids: list[int]
    tokens: dict[str, str]  # role name -> bearer token ("enterprise" = enterprise 0, "enterprise2" = 1)


@dataclasses.dataclass
class World:
    a: ParkWorld
    b: ParkWorld
    password: str = "correct-horse-9"


def polygon(x: float, y: float, size: float = 0.001) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _build_park(db: Session, code: str, region: str, serial: int, password: str) -> ParkWorld:
    park = registry.create_park(db, code=code, name=f"测试园区{code}", region_code=region)
    scope = system_scope(park.id)
    kinds = registry.KINDS
    zone = registry.create(
        db,
        scope=scope,
        kind=kinds["zone"],
        data=schemas.ZoneCreate(code="Z1", name="一区", function="industrial", geometry=polygon(120.7, 31.3, 0.01)),
    )
    parcel = registry.create(
        db,
        scope=scope,
        kind=kinds["land_parcel"],
        data=schemas.LandParcelCreate(zone_id=zone.id, code="P1", geometry=polygon(120.7, 31.3), land_use="M1"),
    )
    building = registry.create(
        db,
        scope=scope,
        kind=kinds["building"],
        data=schemas.BuildingCreate(
            zone_id=zone.id,
            parcel_id=parcel.id,
            code="B1",
            name="1号厂房",
            floors=3,
            use="factory",
            footprint=polygon(120.7001, 31.3001, 0.0005),
            gross_floor_area_m2=6000,
        ),
    )
    floor = registry.create(
        db, scope=scope, kind=kinds["floor"], data=schemas.FloorCreate(building_id=building.id, level=1)
    )
    enterprises = []
    for i in range(2):
        uscc = make_uscc("9", "1", region, f"{serial:02d}{i:01d}MA0001"[:8])
        enterprises.append(
            registry.create(
                db,
                scope=scope,
                kind=kinds["enterprise"],
                data=schemas.EnterpriseCreate(
                    name=f"{code}企业{i}", uscc=uscc, industry_code="3311", above_scale=i == 0, industrial=True
                ),
            )
        )
    room = registry.create(
        db,
        scope=scope,
        kind=kinds["room"],
        data=schemas.RoomCreate(floor_id=floor.id, code="101", area_m2=500, enterprise_id=enterprises[0].id),
    )
    devices = [
        registry.create(
            db,
            scope=scope,
            kind=kinds["device"],
            data=schemas.DeviceCreate(
                code="M1",
                name="企业电表",
                kind="electricity_meter",
                enterprise_id=enterprises[0].id,
                building_id=building.id,
            ),
        ),
        registry.create(
            db,
            scope=scope,
            kind=kinds["device"],
            data=schemas.DeviceCreate(code="G1", name="园区气体探测器", kind="gas_detector", building_id=building.id),
        ),
    ]
    for device in devices:  # tokens the tests can know (tests.device_tokens): the database keeps their digests
        issue_token(db, device.id)
    points = [
        pid for d in devices for pid in db.scalars(select(Point.id).where(Point.device_id == d.id).order_by(Point.id))
    ]
    tokens: dict[str, str] = {}
    users = {
        "park_admin": (Role.PARK_ADMIN, None),
        "operator": (Role.OPERATOR, None),
        "enterprise": (Role.ENTERPRISE, enterprises[0].id),
        "enterprise2": (Role.ENTERPRISE, enterprises[1].id),
        "reviewer": (Role.REVIEWER, None),
        "resident": (Role.RESIDENT, None),
    }
    for name, (role, enterprise_id) in users.items():
        user = auth_service.create(
            db, username=f"{code}-{name}", password=password, role=role, park_id=park.id, enterprise_id=enterprise_id
        )
        tokens[name], _ = auth_service.create_api_token(db, user=user, name="test")
    return ParkWorld(
        park.id,
        zone.id,
        parcel.id,
        building.id,
        floor.id,
        room.id,
        [e.id for e in enterprises],
        [d.id for d in devices],
        points,
        tokens,
    )


@pytest.fixture(scope="session")
def world(engine: Engine) -> World:
    """Two parks, committed once for the whole session; tests roll their own changes back."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        set_actor(db, Actor("test-setup"))
        a = _build_park(db, "TA", "320500", 1, World.password)
        b = _build_park(db, "TB", "110000", 2, World.password)
    return World(a, b)


@pytest.fixture
def db(engine: Engine, world: World) -> Iterator[Session]:
    """A session in a transaction that is rolled back after the test; the app shares it."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    core_db.use_engine(engine, factory)
    session = factory()
    try:
        yield session
    finally:
        session.close()
        core_db.use_engine(engine)
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def app_instance() -> Any:
    return create_app()


@pytest.fixture
def client(app_instance: Any, db: Session) -> Iterator[TestClient]:
    with TestClient(app_instance, base_url="http://testserver") as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
