"""Shared helpers of the data-space tests: scopes of the test parks' accounts, a product, a contract."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from digipark.dataspace import datasets, service
from digipark.dataspace.models import Contract, DataProduct, Source
from digipark.dataspace.schemas import ContractRequest, ProductCreate


def scope_of(db: Session, account: str, park_code: str = "TA") -> Scope:
    user = db.scalar(select(User).where(User.username == f"{park_code}-{account}"))
    assert user is not None
    return scope_for(db, user)


def dataset_product(db: Session, account: str = "enterprise", **fields: Any) -> DataProduct:
    """A product over a small dataset of `account`'s enterprise (a secret column it does not share)."""
    owner = scope_of(db, account)
    rows = [{"machine": f"M{i}", "value": i * 1.5, "secret": f"s{i}"} for i in range(1, 5)]
    data = datasets.import_rows(db, scope=owner, name="readings", rows=rows, rules=[])
    values: dict[str, Any] = {
        "title": "Readings",
        "source": Source.DATASET,
        "dataset_id": data.id,
        "columns": ["machine", "value"],
        "purposes": ["maintenance", "research"],
        "max_accesses": 5,
        "max_days": 30,
        **fields,
    }
    return service.create_product(db, scope=owner, data=ProductCreate(**values))


def contract(
    db: Session, product: DataProduct, account: str = "enterprise2", *, agree: bool = True, count: int = 2
) -> Contract:
    row = service.request_contract(
        db,
        scope=scope_of(db, account),
        product_id=product.id,
        data=ContractRequest(purposes=["maintenance"], days=10, max_accesses=count),
    )
    if agree:
        provider = "enterprise" if product.enterprise_id is not None else "park_admin"
        service.agree(db, scope=scope_of(db, provider), ident=row.id)
    return row
