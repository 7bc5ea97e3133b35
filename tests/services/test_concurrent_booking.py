"""No double booking under concurrent requests: many enterprises request overlapping slots of the same machines at
the same moment, over HTTP against a real server (uvicorn in a thread, each request its own transaction). On
PostgreSQL (DIGIPARK_TEST_DATABASE_URL) this is the database's unique index at work between concurrent
transactions; on SQLite the writes are serialised by its lock.

The test commits: it builds a park of its own (its code is unique per run), so the shared test world is untouched."""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from digipark.audit.service import Actor, set_actor
from digipark.auth import service as auth_service
from digipark.auth.models import Role
from digipark.auth.scope import system_scope
from digipark.core.codes import make_uscc
from digipark.registry import schemas as rs
from digipark.registry import service as registry
from digipark.services import catalogue
from digipark.services.common import zone
from digipark.services.models import Booking
from digipark.services.schemas import OfferingCreate
from tests.conftest import World

ENTERPRISES = 12
REQUESTS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(app_instance: Any, engine: Engine, world: World) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(app_instance, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def _park(engine: Engine) -> tuple[int, list[int], list[str]]:
    """A park with a one-unit and a two-unit machine and enterprises with API tokens (committed)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    code = "CB" + secrets.token_hex(3).upper()
    with factory() as db, db.begin():
        set_actor(db, Actor("test-setup"))
        park = registry.create_park(db, code=code, name=f"并发预约园区{code}", name_en=code, region_code="320500")
        scope = system_scope(park.id)
        tokens = []
        for i in range(ENTERPRISES):
            enterprise = registry.create(
                db,
                scope=scope,
                kind=registry.KINDS["enterprise"],
                data=rs.EnterpriseCreate(
                    name=f"{code}企业{i}",
                    uscc=make_uscc("9", "1", "320500", f"{code[2:6]}{i:04d}"),
                    industry_code="3311",
                ),
            )
            user = auth_service.create(
                db,
                username=f"{code}-e{i}",
                password=World.password,
                role=Role.ENTERPRISE,
                park_id=park.id,
                enterprise_id=enterprise.id,
            )
            token, _ = auth_service.create_api_token(db, user=user, name="test")
            tokens.append(token)
        machines = [
            catalogue.OFFERINGS.create(
                db,
                scope=scope,
                data=OfferingCreate(
                    kind="shared_equipment",
                    name=f"加工中心{units}",
                    provider_name="园区",
                    unit_price_yuan=100,
                    price_unit="hour",
                    bookable=True,
                    units=units,
                ),
            ).id
            for units in (1, 2)
        ]
    return park.id, machines, tokens


def test_concurrent_requests_never_double_book(server: str, engine: Engine) -> None:
    park_id, machines, tokens = _park(engine)
    day = dt.datetime.now(zone()).date() + dt.timedelta(days=3)
    base = dt.datetime.combine(day, dt.time(8), zone())

    def attempt(n: int) -> tuple[int, int, int]:
        machine = machines[n % 2]
        start = base + dt.timedelta(hours=n % 4)  # four starting hours, each request three hours long
        body = {
            "offering_id": machine,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
        }
        headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
        response = httpx.post(f"{server}/api/v1/services/bookings", json=body, headers=headers, timeout=60)
        return machine, n % 4, response.status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(attempt, range(REQUESTS)))
    statuses = {status for _, _, status in results}
    assert statuses <= {201, 409}, results  # no 500, no deadlock surfacing as an error
    assert 201 in statuses and 409 in statuses

    factory = sessionmaker(bind=engine)
    with factory() as db:
        rows = db.scalars(select(Booking).where(Booking.park_id == park_id, Booking.status == "requested")).all()
    units = {machines[0]: 1, machines[1]: 2}
    assert len(rows) == sum(status == 201 for _, _, status in results)
    for machine, capacity in units.items():
        booked = [(b.starts_at, b.ends_at) for b in rows if b.offering_id == machine]
        for hour in range(8):
            moment = base + dt.timedelta(hours=hour, minutes=30)
            holding = sum(1 for start, end in booked if start <= moment < end)
            assert holding <= capacity, (machine, hour, holding)
        assert booked, machine
