"""The environment demo on a freshly built demo park: outlets on every enterprise wastewater and flue gas
monitor, permits, a year of the waste ledger (balanced), manifests, one hazardous waste batch near its storage
limit; deterministic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from digipark.auth.scope import system_scope
from digipark.core import migrate
from digipark.core.db import make_engine
from digipark.environment import service, waste
from digipark.environment.demo import build_environment_demo
from digipark.environment.models import (
    HazardousBatch,
    Outlet,
    OutletFactor,
    PermitQuota,
    TransferManifest,
    WasteEntry,
)
from digipark.registry.models import Device
from digipark.sim.demo import DEMO_SEED, build_demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sessionmaker[Session], int]]:
    path: Path = tmp_path_factory.mktemp("envdemo") / "demo.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        result = build_demo(db)
    yield factory, result.park_id
    engine.dispose()


def test_demo_outlets_ledger_and_batches(demo_db: tuple[sessionmaker[Session], int]) -> None:
    factory, park_id = demo_db
    with factory() as db:

        def monitors_of(kind: str) -> int:
            return (
                db.scalar(
                    select(func.count())
                    .select_from(Device)
                    .where(Device.park_id == park_id, Device.kind == kind, Device.enterprise_id.is_not(None))
                )
                or 0
            )

        def outlets_of(medium: str) -> int:
            return db.scalar(select(func.count()).select_from(Outlet).where(Outlet.medium == medium)) or 0

        monitors, stacks = monitors_of("wastewater_monitor"), monitors_of("flue_gas_monitor")
        # a water outlet per wastewater monitor, an air outlet (SO2, NOx, PM, O2, flow) per flue gas monitor
        assert monitors and outlets_of("water") == monitors
        assert 0 < stacks <= 12 and outlets_of("air") == stacks
        assert db.scalar(select(func.count()).select_from(OutletFactor)) == 4 * monitors + 5 * stacks
        air = [service.outlet_read(db, o) for o in db.scalars(select(Outlet).where(Outlet.medium == "air"))]
        assert {o.standard for o in air} == {"GB13271-2014-T2-gas"}
        assert all({f.factor for f in o.factors} == {"so2", "nox", "pm", "o2", "gas_flow"} for o in air)
        assert db.scalar(
            select(func.count()).select_from(OutletFactor).where(OutletFactor.alarm_rule_id.is_not(None))
        ) == sum(  # a rule for every factor the outlet's standard limits (三级 does not limit NH3-N)
            len(service.outlet_read(db, o).factors)
            and sum(1 for f in service.outlet_read(db, o).factors if f.limit_max is not None)
            for o in db.scalars(select(Outlet))
        )
        for row in db.scalars(select(WasteEntry)):
            assert (
                waste.balance_problem(row.opening_t, row.generated_t, row.utilised_t, row.disposed_t, row.stored_t)
                is None
            )
        reads = service.batch_reads(db, db.scalars(select(HazardousBatch)).all())
        assert [r.storage_state for r in reads].count("due_soon") >= 1
        usage = service.permit_usage(db, scope=system_scope(park_id), year=service.today().year)
        assert usage and all(u.permitted_t > 0 for u in usage)


def test_demo_is_deterministic(demo_db: tuple[sessionmaker[Session], int]) -> None:
    factory, park_id = demo_db

    def snapshot(db: Session) -> list[tuple[object, ...]]:
        ledger = [
            (r.enterprise_id, r.category, r.month, r.generated_t, r.stored_t)
            for r in db.scalars(
                select(WasteEntry).order_by(WasteEntry.enterprise_id, WasteEntry.category, WasteEntry.month)
            )
        ]
        batches = [
            (b.code, b.quantity_t, b.stored_on)
            for b in db.scalars(select(HazardousBatch).order_by(HazardousBatch.code))
        ]
        return [*ledger, *batches]

    with factory() as db, db.begin():
        first = snapshot(db)
        for model in (TransferManifest, HazardousBatch, WasteEntry, PermitQuota, OutletFactor, Outlet):
            db.execute(delete(model))
        build_environment_demo(db, park_id=park_id, as_of=dt.date(2026, 10, 31), seed=DEMO_SEED)
        assert snapshot(db) == first
        db.rollback()
