"""Products and contracts through the connector: publish, request, agree, download within the policy, refusal
beyond it; who may read what (a consumer never reads a product without an active contract); the ledger and
tampering with it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.dataspace import ledger, service
from digipark.dataspace.models import ContractState, LedgerEntry, LedgerKind, Source
from digipark.dataspace.provides import sharing_figures
from digipark.dataspace.schemas import ContractRequest, ProductCreate
from tests.conftest import World
from tests.dataspace.helpers import contract, dataset_product, scope_of


def _access(db: Session, ident: int, account: str = "enterprise2", purpose: str = "maintenance") -> service.Access:
    return service.access(db, scope=scope_of(db, account), ident=ident, purpose=purpose)


def test_a_download_within_the_policy_then_refused_beyond_the_count(db: Session, world: World) -> None:
    product = dataset_product(db)
    row = contract(db, product, count=2)
    assert row.state == ContractState.AGREED.value
    first = _access(db, row.id)
    assert first.decision.allowed and first.columns == ["machine", "value"]  # the column filter: no "secret"
    assert first.rows[0] == ["M1", 1.5] and first.remaining == 1
    assert _access(db, row.id).decision.allowed
    third = _access(db, row.id)
    assert third.decision == service.policy.Decision(False, "download count used up") and third.rows == []
    kinds = [e.kind for e in ledger.entries(db, row.id)]
    assert kinds == ["requested", "agreed", "access", "access", "refused"]
    assert ledger.verify(db, row.id).intact


def test_a_consumer_never_reads_a_product_without_an_active_contract(db: Session, world: World) -> None:
    product = dataset_product(db)
    requested = contract(db, product, agree=False)
    assert _access(db, requested.id).decision.reason == "contract not agreed"
    agreed = contract(db, product)
    # a member of the park who is no party to the contract does not even see it
    for account in ("resident",):
        with pytest.raises((NotFound, PermissionDenied)):
            service.access(db, scope=scope_of(db, account), ident=agreed.id, purpose="maintenance")
    # another park's enterprise and staff: not found
    for account in ("enterprise", "enterprise2", "park_admin"):
        with pytest.raises(NotFound):
            service.access(db, scope=scope_of(db, account, "TB"), ident=agreed.id, purpose="maintenance")
    # the provider and the park's staff read the contract but are not its consumer
    assert _access(db, agreed.id, "enterprise").decision.reason == "not the contract's consumer"
    assert _access(db, agreed.id, "park_admin").decision.reason == "not the contract's consumer"
    assert _access(db, agreed.id, purpose="research").decision.reason == "purpose not permitted"
    service.revoke(db, scope=scope_of(db, "enterprise"), ident=agreed.id)
    assert _access(db, agreed.id).decision.reason == "contract revoked"


def test_period_of_an_agreed_contract(db: Session, world: World) -> None:
    row = contract(db, dataset_product(db))
    consumer = scope_of(db, "enterprise2").enterprise_id
    now = utcnow()
    assert service.check(row, caller_enterprise=consumer, purpose="maintenance", at=now).allowed
    later = now + dt.timedelta(days=10, minutes=1)
    assert service.check(row, caller_enterprise=consumer, purpose="maintenance", at=later).reason == "period ended"


def test_who_reads_contracts_and_who_decides(db: Session, world: World) -> None:
    product = dataset_product(db)
    row = contract(db, product, agree=False)
    with pytest.raises(PermissionDenied):  # the consumer cannot agree to its own request
        service.agree(db, scope=scope_of(db, "enterprise2"), ident=row.id)
    with pytest.raises(PermissionDenied):  # park staff do not decide for an enterprise's product
        service.agree(db, scope=scope_of(db, "park_admin"), ident=row.id)
    with pytest.raises(NotFound):
        service.get_contract(db, scope=scope_of(db, "resident"), ident=row.id)
    with pytest.raises(NotFound):
        service.get_contract(db, scope=scope_of(db, "park_admin", "TB"), ident=row.id)
    assert service.get_contract(db, scope=scope_of(db, "reviewer"), ident=row.id).id == row.id
    service.reject(db, scope=scope_of(db, "enterprise"), ident=row.id)
    with pytest.raises(Conflict):
        service.agree(db, scope=scope_of(db, "enterprise"), ident=row.id)


def test_requests_stay_within_the_products_terms(db: Session, world: World) -> None:
    product = dataset_product(db)
    consumer = scope_of(db, "enterprise2")

    def ask(**fields: object) -> None:
        values: dict[str, object] = {"purposes": ["maintenance"], "days": 10, "max_accesses": 1, **fields}
        service.request_contract(db, scope=consumer, product_id=product.id, data=ContractRequest(**values))  # type: ignore[arg-type]

    with pytest.raises(ValidationFailed):
        ask(purposes=["carbon_accounting"])
    with pytest.raises(ValidationFailed):
        ask(max_accesses=6)  # the quota of the product is 5
    with pytest.raises(ValidationFailed):
        ask(days=31)
    with pytest.raises(Conflict):  # its own product
        service.request_contract(
            db,
            scope=scope_of(db, "enterprise"),
            product_id=product.id,
            data=ContractRequest(purposes=["maintenance"], days=1, max_accesses=1),
        )
    with pytest.raises(PermissionDenied):  # staff do not consume
        service.request_contract(
            db,
            scope=scope_of(db, "park_admin"),
            product_id=product.id,
            data=ContractRequest(purposes=["maintenance"], days=1, max_accesses=1),
        )


def test_a_product_only_over_the_publishers_own_data(db: Session, world: World) -> None:
    theirs = dataset_product(db, "enterprise")
    with pytest.raises(ValidationFailed):
        service.create_product(
            db,
            scope=scope_of(db, "enterprise2"),
            data=ProductCreate(
                title="x",
                source=Source.DATASET,
                dataset_id=theirs.dataset_id,
                columns=["machine"],
                purposes=["research"],
            ),
        )
    with pytest.raises(ValidationFailed):  # a column the source does not have
        dataset_product(db, columns=["machine", "salary"])
    with pytest.raises(ValidationFailed):  # energy data is an enterprise's
        service.create_product(
            db,
            scope=scope_of(db, "park_admin"),
            data=ProductCreate(
                title="x", source=Source.ENERGY_MONTHLY, year=2026, columns=["month"], purposes=["research"]
            ),
        )
    with pytest.raises(PermissionDenied):
        dataset_product(db, "reviewer")


def test_energy_product_reads_the_providers_months_through_energy(db: Session, world: World) -> None:
    product = service.create_product(
        db,
        scope=scope_of(db, "enterprise"),
        data=ProductCreate(
            title="能耗", source=Source.ENERGY_MONTHLY, year=2026, columns=["month", "tco2"], purposes=["research"]
        ),
    )
    row = service.request_contract(
        db,
        scope=scope_of(db, "enterprise2"),
        product_id=product.id,
        data=ContractRequest(purposes=["research"], days=5, max_accesses=1),
    )
    service.agree(db, scope=scope_of(db, "enterprise"), ident=row.id)
    got = _access(db, row.id, purpose="research")
    assert got.columns == ["month", "tco2"] and [r[0] for r in got.rows] == list(range(1, 13))


def test_tampering_with_the_ledger_is_detected(db: Session, world: World) -> None:
    row = contract(db, dataset_product(db), count=3)
    _access(db, row.id)
    _access(db, row.id)
    assert ledger.verify(db, row.id).intact
    third = db.scalar(select(LedgerEntry).where(LedgerEntry.contract_id == row.id, LedgerEntry.seq == 3))
    assert third is not None and third.kind == LedgerKind.ACCESS.value
    original = dict(third.detail)
    db.execute(update(LedgerEntry).where(LedgerEntry.id == third.id).values(detail={**original, "rows": 0}))
    db.expire_all()
    check = ledger.verify(db, row.id)
    assert not check.intact and check.broken_at == 3
    # removing an entry breaks the chain too
    db.execute(update(LedgerEntry).where(LedgerEntry.id == third.id).values(detail=original))
    db.expire_all()
    entries = ledger.entries(db, row.id)
    assert ledger.verify_entries(row.id, entries).intact
    assert ledger.verify_entries(row.id, entries[:2] + entries[3:]).broken_at == 4


def test_sharing_figures(db: Session, world: World) -> None:
    park_id = scope_of(db, "park_admin").park_id
    assert park_id is not None
    before = sharing_figures(db, park_id=park_id)
    product = dataset_product(db)
    contract(db, product)
    after = sharing_figures(db, park_id=park_id)
    assert after["products"] == before["products"] + 1
    assert after["contracts"] == before["contracts"] + 1
    assert after["enterprises"] >= 2


def test_archive_section_shows_what_the_caller_may_read(db: Session, world: World) -> None:
    from digipark.dataspace.provides import archive_section
    from digipark.registry.models import Enterprise

    product = dataset_product(db)
    contract(db, product)
    provider = db.get(Enterprise, world.a.enterprise_ids[0])
    consumer = db.get(Enterprise, world.a.enterprise_ids[1])
    assert provider is not None and consumer is not None
    staff = archive_section(db, scope_of(db, "park_admin"), provider)
    assert product.id in [p["id"] for p in staff["products"]] and staff["provided"]["agreed"] >= 1
    assert archive_section(db, scope_of(db, "enterprise2"), consumer)["consumed"]["agreed"] >= 1
    other_park = archive_section(db, scope_of(db, "park_admin", "TB"), provider)
    assert other_park["products"] == [] and other_park["provided"] == {}
