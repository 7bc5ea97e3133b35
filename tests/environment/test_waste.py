"""Solid waste, hand-worked: the monthly ledger's balance and carried storage, utilisation and disposal rates,
hazardous waste batches against the one-year storage limit, transfer manifests; bad input changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.environment import service
from digipark.environment.models import HazardousBatch, TransferManifest, WasteEntry
from digipark.environment.schemas import (
    HazardousBatchCreate,
    ManifestCreate,
    ManifestUpdate,
    WasteEntryCreate,
    WasteEntryUpdate,
)
from tests.conftest import World
from tests.environment.helpers import admin, own, scope_of

NOW = dt.datetime(2026, 2, 10, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _entry(db: Session, world: World, month: dt.date, **amounts: float) -> WasteEntry:
    return service.create_waste(
        db,
        scope=own(world.a),
        data=WasteEntryCreate(category="SW07", month=month, **amounts),  # type: ignore[arg-type]
    )


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_ledger_carries_storage_and_computes_rates(db: Session, world: World) -> None:
    # January: opening 5 + generated 10 = utilised 6 + disposed 3 + in storage 6
    jan = _entry(db, world, dt.date(2026, 1, 1), opening=5, generated=10, utilised=6, disposed=3, stored=6)
    # February: opening 6 (January's closing) + 8 = 5 + 2 + 7; given in kg
    feb = service.create_waste(
        db,
        scope=own(world.a),
        data=WasteEntryCreate(
            category="SW07",
            month=dt.date(2026, 2, 1),
            generated=8000,
            utilised=5000,
            disposed=2000,
            stored=7000,
            unit="kg",
        ),
    )
    assert feb.opening_t == 6 and feb.generated_t == pytest.approx(8)
    assert service.waste_read(jan).unaccounted_t == 0 and service.waste_read(feb).unaccounted_t == pytest.approx(0)
    totals = service.general_totals(db, enterprise_ids=[world.a.enterprise_ids[0]], year=2026)
    # utilisation 11 / (18 + 5) = 47.83 %, disposal 5 / 23 = 21.74 %, in storage at the end 7 t
    assert (totals.opening_t, totals.generated_t, totals.utilised_t, totals.disposed_t) == pytest.approx((5, 18, 11, 5))
    assert totals.utilisation_rate == pytest.approx(11 / 23 * 100)
    assert totals.disposal_rate == pytest.approx(5 / 23 * 100)
    assert totals.stored_t == pytest.approx(7)
    # a smaller January closing leaves February short: refused, nothing changes
    with pytest.raises(ValidationFailed) as failed:
        service.update_waste(db, scope=own(world.a), ident=jan.id, data=WasteEntryUpdate(stored=2, utilised=10))
    assert failed.value.errors[0]["month"] == "2026-02-01"
    db.rollback()  # what the request's transaction does on the error


def test_outflows_beyond_what_was_there_are_refused(db: Session, world: World) -> None:
    before = _count(db, WasteEntry)
    with pytest.raises(ValidationFailed) as failed:
        # opening 0 + generated 1 < utilised 5 + in storage 7
        _entry(db, world, dt.date(2026, 1, 1), generated=1, utilised=5, stored=7)
    assert "exceed" in failed.value.errors[0]["reason"]
    db.rollback()
    assert _count(db, WasteEntry) == before


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"category": "SW99"}, "category"),
        ({"unit": "kWh"}, "unit"),
        ({"unit": "bananas"}, "unit"),
        ({"month": dt.date(2026, 5, 1)}, "month"),
    ],
)
def test_bad_ledger_input_is_a_field_error(db: Session, world: World, changes: dict[str, object], field: str) -> None:
    before = _count(db, WasteEntry)
    body = {"category": "SW07", "month": dt.date(2026, 1, 1), "generated": 1.0} | changes
    with pytest.raises(ValidationFailed) as failed:
        service.create_waste(db, scope=own(world.a), data=WasteEntryCreate.model_validate(body))
    assert failed.value.errors[0]["field"] == field
    assert _count(db, WasteEntry) == before


def test_ledger_tenancy(db: Session, world: World) -> None:
    row = _entry(db, world, dt.date(2026, 1, 1), generated=1, utilised=1)
    with pytest.raises(NotFound):
        service.get_waste(db, scope=own(world.a, 1), ident=row.id)
    with pytest.raises(NotFound):
        service.get_waste(db, scope=admin(world.b), ident=row.id)
    from digipark.auth.models import Role

    with pytest.raises(PermissionDenied):
        service.update_waste(
            db, scope=scope_of(world.a, Role.REVIEWER), ident=row.id, data=WasteEntryUpdate(generated=2, utilised=2)
        )
    with pytest.raises(ValidationFailed):  # someone else's enterprise is not visible to an enterprise user
        service.create_waste(
            db,
            scope=own(world.a, 1),
            data=WasteEntryCreate(enterprise_id=world.a.enterprise_ids[0], category="SW07", month=dt.date(2026, 1, 1)),
        )
    assert service.get_waste(db, scope=admin(world.a), ident=row.id).id == row.id


def _batch(db: Session, world: World, **changes: object) -> HazardousBatch:
    body = {
        "code": "HW-2025-001",
        "category": "HW08",
        "waste_code": "900-249-08",
        "name": "废矿物油",
        "quantity": 2.0,
        "stored_on": dt.date(2025, 3, 1),
    } | changes
    return service.create_batch(db, scope=own(world.a), data=HazardousBatchCreate.model_validate(body))


def test_hazardous_storage_limit(db: Session, world: World, frozen: time_machine.Traveller) -> None:
    batch = _batch(db, world)
    read = service.batch_reads(db, [batch])[0]
    # stored 2025-03-01 + 365 days = 2026-03-01; on 2026-02-10 19 days are left (warning from 30 days before)
    assert (read.deadline, read.days_left, read.storage_state) == (dt.date(2026, 3, 1), 19, "due_soon")
    service.create_manifest(
        db,
        scope=own(world.a),
        data=ManifestCreate(
            batch_id=batch.id,
            number="3205002026000001",
            quantity=500,
            unit="kg",
            carrier="苏州危运物流有限公司",
            receiver="苏州市固废处置有限公司",
            receiver_licence="JSSZ0500OOD001-3",
            shipped_on=dt.date(2026, 2, 5),
        ),
    )
    frozen.move_to(dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC))
    read = service.batch_reads(db, [batch])[0]
    assert (read.remaining_t, read.days_left, read.storage_state) == (pytest.approx(1.5), -1, "overdue")
    summary = service.enterprise_summary(db, scope=own(world.a), enterprise_id=world.a.enterprise_ids[0], year=2026)
    assert summary.hazardous.overdue == 1 and summary.hazardous.stored_t == pytest.approx(1.5)
    assert summary.hazardous.manifests == 1 and summary.hazardous.transferred_t == pytest.approx(0.5)
    assert any("beyond the limit" in w for w in summary.warnings)
    with pytest.raises(ValidationFailed) as failed:  # only 1.5 t are left
        service.create_manifest(
            db,
            scope=own(world.a),
            data=ManifestCreate(
                batch_id=batch.id,
                number="3205002026000002",
                quantity=2,
                carrier="运输",
                receiver="接收",
                receiver_licence="JS-1",
                shipped_on=dt.date(2026, 3, 2),
            ),
        )
    assert failed.value.errors[0]["field"] == "quantity"
    last = service.create_manifest(
        db,
        scope=own(world.a),
        data=ManifestCreate(
            batch_id=batch.id,
            number="3205002026000003",
            quantity=1.5,
            carrier="运输",
            receiver="接收",
            receiver_licence="JS-1",
            shipped_on=dt.date(2026, 3, 2),
        ),
    )
    assert service.batch_reads(db, [batch])[0].storage_state == "cleared"
    # an extension approved by the authority moves the deadline
    extended = _batch(db, world, code="HW-2025-002", extended_to=dt.date(2026, 9, 1))
    assert service.batch_reads(db, [extended])[0].storage_state == "ok"
    # manifest life cycle
    service.update_manifest(db, scope=own(world.a), ident=last.id, data=ManifestUpdate(status="in_transit"))
    with pytest.raises(ValidationFailed):
        service.update_manifest(db, scope=own(world.a), ident=last.id, data=ManifestUpdate(status="received"))
    done = service.update_manifest(
        db, scope=own(world.a), ident=last.id, data=ManifestUpdate(status="received", received_on=dt.date(2026, 3, 3))
    )
    assert done.status == "received"
    with pytest.raises(Conflict):
        service.update_manifest(db, scope=own(world.a), ident=last.id, data=ManifestUpdate(status="cancelled"))
    audited = db.execute(
        select(AuditEntry.entity_type, func.count())
        .where(AuditEntry.entity_type.in_(["env_hazardous_batch", "env_transfer_manifest"]))
        .group_by(AuditEntry.entity_type)
    ).all()
    assert dict(audited) == {"env_hazardous_batch": 2, "env_transfer_manifest": 4}  # 2 created, 2 changed


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"category": "HW99"}, "category"),
        ({"waste_code": "900-249-12"}, "waste_code"),  # an HW12 code in an HW08 batch
        ({"waste_code": "90024908"}, "waste_code"),
        ({"unit": "m"}, "unit"),
        ({"stored_on": dt.date(2026, 6, 1)}, "stored_on"),
    ],
)
def test_bad_batch_input(db: Session, world: World, changes: dict[str, object], field: str) -> None:
    before = (_count(db, HazardousBatch), _count(db, TransferManifest))
    with pytest.raises(ValidationFailed) as failed:
        _batch(db, world, **changes)
    assert failed.value.errors[0]["field"] == field
    assert (_count(db, HazardousBatch), _count(db, TransferManifest)) == before
