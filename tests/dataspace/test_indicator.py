"""Indicator S4.3 (数据开放共享) computed from the data space's records of a hand-built park: products listed on the
assessment's day, the contracts agreed over them, identifiers resolved; declared while nothing was published."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from digipark.core.db import utcnow
from digipark.core.errors import ValidationFailed
from digipark.dataspace import identifiers, service
from digipark.dataspace.models import DataProduct
from digipark.evaluation import service as evaluation
from tests.conftest import World
from tests.dataspace.helpers import contract, dataset_product, scope_of


def _sharing(db: Session, world: World, as_of: dt.date | None = None) -> Any:
    found = evaluation.evaluate(db, scope=scope_of(db, "park_admin"), park_id=world.a.park_id, as_of=as_of)
    result = found.indicator("data_sharing")
    assert result is not None
    return result


def test_data_sharing_counts_the_products_listed_with_their_contracts(db: Session, world: World) -> None:
    before = _sharing(db, world)
    assert before.value_source == "none" and before.value is None and not before.met  # nothing published yet
    first = dataset_product(db, title="注塑检测数据")
    second = dataset_product(db, "enterprise2", title="能耗月度数据")
    withdrawn = dataset_product(db, title="已下架")
    service.withdraw_product(db, scope=scope_of(db, "enterprise"), ident=withdrawn.id)
    contract(db, first)  # agreed
    contract(db, second, "enterprise", agree=False)  # only requested: not shared yet
    handle = "88.131.20261/P-001"
    identifiers.register(
        db, scope=scope_of(db, "enterprise"), handle=handle, kind="product", name="注塑件", attributes={}
    )
    identifiers.register(
        db, scope=scope_of(db, "enterprise"), handle="88.131.20261/P-002", kind="product", name="x", attributes={}
    )
    identifiers.resolve(db, scope=scope_of(db, "enterprise2"), handle=handle)

    result = _sharing(db, world)
    assert result.value_source == "computed" and result.value == 2 and result.met
    assert {r["product"]: r["contracts"] for r in result.rows} == {"注塑检测数据": 1, "能耗月度数据": 0}
    parts = {p.key: (p.numerator, p.denominator) for p in result.parts}
    assert parts == {"products_under_contract": (1, 2), "identifiers_resolved": (1, 2)}
    # computed now, so the park can no longer declare it
    with pytest.raises(ValidationFailed):
        evaluation.declare(
            db,
            scope=scope_of(db, "park_admin"),
            indicator="data_sharing",
            value=9,
            note="x",
            evidence_name=None,
            evidence_type=None,
            evidence_content=None,
            park_id=world.a.park_id,
        )


def test_data_sharing_on_an_earlier_day_counts_what_was_listed_then(db: Session, world: World) -> None:
    product = dataset_product(db)
    db.execute(
        update(DataProduct).where(DataProduct.id == product.id).values(created_at=utcnow() - dt.timedelta(days=40))
    )
    dataset_product(db, title="新上架")
    earlier = _sharing(db, world, as_of=(utcnow() - dt.timedelta(days=10)).date())
    assert earlier.value == 1 and [r["product"] for r in earlier.rows] == ["Readings"]
    service.withdraw_product(db, scope=scope_of(db, "enterprise"), ident=product.id)
    assert _sharing(db, world).value == 1
