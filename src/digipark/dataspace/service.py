"""Data products, contracts and the connector: an enterprise (or the park) publishes a product over data the
platform holds; another enterprise requests it under a usage policy; the provider agrees, rejects or revokes; every
access goes through `access`, which checks the agreed ODRL terms, meters the download and writes the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope, system_scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.dataspace import ledger, policy
from digipark.dataspace.models import Contract, ContractState, DataProduct, Dataset, LedgerKind, Source
from digipark.dataspace.schemas import ContractRequest, ProductCreate
from digipark.energy import provides as energy
from digipark.registry.models import Enterprise

VIEW = "dataspace.view"
PUBLISH = "dataspace.publish"
REQUEST = "dataspace.request"
MANAGE = "dataspace.manage"  # park staff: revoke any contract of the park
ENERGY_COLUMNS = ("month", "tce_equivalent", "tce_equal", "tco2", "electricity_kwh")


class PolicyDenied(PermissionDenied):
    type_slug = "policy-denied"
    title = "Denied by the usage policy"


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# -- products --------------------------------------------------------------------------------------------------
def source_columns(session: Session, product_source: str, dataset: Dataset | None) -> list[str]:
    if product_source == Source.ENERGY_MONTHLY:
        return list(ENERGY_COLUMNS)
    return list(dataset.columns) if dataset is not None else []


def create_product(session: Session, *, scope: Scope, data: ProductCreate) -> DataProduct:
    """Publish a product: an enterprise over its own data, park staff over the park's datasets."""
    scope.require(PUBLISH)
    park_id = scope.acting_write_park()
    owner = scope.enterprise_id if scope.role == Role.ENTERPRISE else None
    scope.authorize_write(PUBLISH, park_id=park_id, enterprise_id=owner)
    dataset: Dataset | None = None
    if data.source == Source.ENERGY_MONTHLY:
        if owner is None:
            raise field_error("source", "energy data is an enterprise's: the park publishes datasets")
        if data.year is None:
            raise field_error("year", "required for energy data")
    else:
        if data.dataset_id is None:
            raise field_error("dataset_id", "required for a dataset product")
        dataset = session.scalar(scope.readable(Dataset).where(Dataset.id == data.dataset_id))
        if dataset is None or dataset.park_id != park_id or dataset.enterprise_id != owner:
            raise field_error("dataset_id", "no such dataset of yours")
    available = source_columns(session, data.source, dataset)
    unknown = [c for c in data.columns if c not in available]
    if unknown:
        raise field_error("columns", f"not columns of the source: {', '.join(unknown)}")
    row = DataProduct(
        park_id=park_id,
        enterprise_id=owner,
        title=data.title,
        title_en=data.title_en or None,
        description=data.description,
        source=data.source.value,
        dataset_id=dataset.id if dataset else None,
        year=data.year if data.source == Source.ENERGY_MONTHLY else None,
        columns=list(dict.fromkeys(data.columns)),
        purposes=sorted(set(data.purposes)),
        max_accesses=data.max_accesses,
        max_days=data.max_days,
        active=True,
        published_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def list_products(session: Session, *, scope: Scope, include_withdrawn: bool = False) -> list[DataProduct]:
    scope.require(VIEW)
    stmt = scope.readable(DataProduct)
    if not include_withdrawn:
        stmt = stmt.where(DataProduct.active.is_(True))
    return list(session.scalars(stmt.order_by(DataProduct.id.desc()).limit(500)))


def get_product(session: Session, *, scope: Scope, ident: int) -> DataProduct:
    scope.require(VIEW)
    row: DataProduct | None = session.scalar(scope.readable(DataProduct).where(DataProduct.id == ident))
    if row is None:
        raise NotFound(f"data product {ident} not found")
    return row


def _authorize_provider(scope: Scope, park_id: int, provider: int | None) -> None:
    """The provider acts: the enterprise's own users for its product, park staff for the park's."""
    if provider is None and scope.role == Role.ENTERPRISE:
        raise PermissionDenied("the park's products are decided by park staff")
    if provider is not None and (scope.role != Role.ENTERPRISE or scope.enterprise_id != provider):
        raise PermissionDenied("only the providing enterprise decides over its data")
    scope.authorize_write(PUBLISH, park_id=park_id, enterprise_id=provider)


def withdraw_product(session: Session, *, scope: Scope, ident: int) -> DataProduct:
    """Take a product out of the catalogue (agreed contracts keep running until revoked)."""
    row = get_product(session, scope=scope, ident=ident)
    _authorize_provider(scope, row.park_id, row.enterprise_id)
    row.active = False
    session.flush()
    return row


# -- contracts -------------------------------------------------------------------------------------------------
def contract_condition(scope: Scope) -> ColumnElement[bool]:
    """Staff read every contract of their parks; an enterprise the contracts it provides or consumes."""
    if not scope.can(VIEW):
        return false()
    if scope.is_staff:
        return true()
    if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
        return or_(
            Contract.provider_enterprise_id == scope.enterprise_id,
            Contract.consumer_enterprise_id == scope.enterprise_id,
        )
    return false()


def list_contracts(session: Session, *, scope: Scope) -> list[Contract]:
    stmt = scope.readable(Contract).where(contract_condition(scope)).order_by(Contract.id.desc()).limit(500)
    return list(session.scalars(stmt))


def get_contract(session: Session, *, scope: Scope, ident: int) -> Contract:
    row: Contract | None = session.scalar(
        scope.readable(Contract).where(and_(contract_condition(scope), Contract.id == ident))
    )
    if row is None:
        raise NotFound(f"contract {ident} not found")
    return row


def _document(contract: Contract, product: DataProduct, purposes: list[str], start: dt.datetime, count: int) -> Any:
    return policy.agreement(
        uid=policy.urn("contract", contract.id),
        assigner=policy.urn("enterprise", product.enterprise_id),
        assignee=policy.urn("enterprise", contract.consumer_enterprise_id),
        target=policy.urn("product", product.id),
        purposes=purposes,
        start=start,
        end=start + dt.timedelta(days=contract.days),
        count=count,
    )


def request_contract(session: Session, *, scope: Scope, product_id: int, data: ContractRequest) -> Contract:
    """An enterprise asks for a product under the terms it names (within the product's)."""
    scope.require(REQUEST)
    product = get_product(session, scope=scope, ident=product_id)
    consumer = scope.enterprise_id
    if consumer is None:
        raise PermissionDenied("only an enterprise requests data products")
    scope.authorize_write(REQUEST, park_id=product.park_id, enterprise_id=consumer)
    if not product.active:
        raise Conflict("the product has been withdrawn")
    if product.enterprise_id == consumer:
        raise Conflict("this is your own product")
    outside = sorted(set(data.purposes) - set(product.purposes))
    if outside:
        raise field_error("purposes", f"not offered for: {', '.join(outside)}")
    if data.max_accesses > product.max_accesses:
        raise field_error("max_accesses", f"at most {product.max_accesses}")
    if data.days > product.max_days:
        raise field_error("days", f"at most {product.max_days}")
    row = Contract(
        park_id=product.park_id,
        product_id=product.id,
        provider_enterprise_id=product.enterprise_id,
        consumer_enterprise_id=consumer,
        state=ContractState.REQUESTED.value,
        policy={},
        days=data.days,
        accesses=0,
        requested_by=scope.username,
    )
    session.add(row)
    session.flush()
    row.policy = _document(row, product, list(data.purposes), utcnow(), data.max_accesses)
    session.flush()
    ledger.append(session, row, LedgerKind.REQUESTED, actor=scope.username, detail={"policy": row.policy})
    return row


def _decide(session: Session, scope: Scope, ident: int, expected: ContractState) -> tuple[Contract, DataProduct]:
    row = get_contract(session, scope=scope, ident=ident)
    _authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    if row.state != expected.value:
        raise Conflict(f"contract {ident} is {row.state}")
    product = session.get(DataProduct, row.product_id)
    assert product is not None
    return row, product


def agree(session: Session, *, scope: Scope, ident: int) -> Contract:
    """The provider agrees: the period starts now; the agreed document is what every access is checked against."""
    row, product = _decide(session, scope, ident, ContractState.REQUESTED)
    asked = policy.terms(row.policy)
    now = utcnow()
    row.policy = _document(row, product, sorted(asked.purposes), now, asked.count)
    row.state = ContractState.AGREED.value
    row.decided_by, row.decided_at = scope.username, now
    session.flush()
    ledger.append(session, row, LedgerKind.AGREED, actor=scope.username, detail={"policy": row.policy})
    return row


def reject(session: Session, *, scope: Scope, ident: int) -> Contract:
    row, _ = _decide(session, scope, ident, ContractState.REQUESTED)
    row.state = ContractState.REJECTED.value
    row.decided_by, row.decided_at = scope.username, utcnow()
    session.flush()
    ledger.append(session, row, LedgerKind.REJECTED, actor=scope.username)
    return row


def revoke(session: Session, *, scope: Scope, ident: int) -> Contract:
    """The provider (or park staff managing the data space) ends an agreed contract now."""
    row = get_contract(session, scope=scope, ident=ident)
    if not (scope.can(MANAGE) and row.park_id in scope.write_parks):
        _authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    if row.state != ContractState.AGREED.value:
        raise Conflict(f"contract {ident} is {row.state}")
    row.state = ContractState.REVOKED.value
    row.revoked_at = utcnow()
    session.flush()
    ledger.append(session, row, LedgerKind.REVOKED, actor=scope.username)
    return row


# -- the connector ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Access:
    decision: policy.Decision
    columns: list[str]
    rows: list[list[Any]]
    remaining: int
    terms: policy.Terms | None


def check(contract: Contract, *, caller_enterprise: int | None, purpose: str, at: dt.datetime) -> policy.Decision:
    """The policy decision for one access (no side effects)."""
    try:
        terms = policy.terms(contract.policy)
    except policy.PolicyError:
        return policy.Decision(False, "policy not enforceable")
    return policy.decide(
        terms,
        active=contract.state == ContractState.AGREED.value,
        revoked=contract.state == ContractState.REVOKED.value,
        used=contract.accesses,
        assignee=policy.urn("enterprise", caller_enterprise) if caller_enterprise is not None else "",
        purpose=purpose,
        at=at,
    )


def access(session: Session, *, scope: Scope, ident: int, purpose: str) -> Access:
    """One access through the connector: refused (and logged) unless the agreed terms allow it now; allowed, it is
    counted, logged and answered with the product's columns of the provider's data."""
    scope.require(VIEW)
    contract = get_contract(session, scope=scope, ident=ident)
    caller = scope.enterprise_id if scope.role == Role.ENTERPRISE else None
    now = utcnow()
    decision = check(contract, caller_enterprise=caller, purpose=purpose, at=now)
    if not decision.allowed:
        ledger.append(
            session,
            contract,
            LedgerKind.REFUSED,
            actor=scope.username,
            detail={"purpose": purpose, "reason": decision.reason},
        )
        return Access(decision, [], [], _remaining(contract), None)
    product = session.get(DataProduct, contract.product_id)
    assert product is not None
    columns, rows = product_rows(session, product)
    contract.accesses += 1
    session.flush()
    ledger.append(
        session,
        contract,
        LedgerKind.ACCESS,
        actor=scope.username,
        detail={"purpose": purpose, "rows": len(rows), "columns": columns, "n": contract.accesses},
    )
    return Access(decision, columns, rows, _remaining(contract), policy.terms(contract.policy))


def _remaining(contract: Contract) -> int:
    try:
        return max(policy.terms(contract.policy).count - contract.accesses, 0)
    except policy.PolicyError:
        return 0


def product_rows(session: Session, product: DataProduct) -> tuple[list[str], list[list[Any]]]:
    """The product's data: only its columns, only its provider's rows (read as the system, after the check)."""
    columns = list(product.columns)
    if product.source == Source.ENERGY_MONTHLY:
        if product.enterprise_id is None or product.year is None:
            return columns, []
        account = energy.enterprise_account(
            session, scope=system_scope(product.park_id), enterprise_id=product.enterprise_id, year=product.year
        )
        months = [m.model_dump() for m in account.months]
        return columns, [[m.get(c) for c in columns] for m in months]
    dataset = session.get(Dataset, product.dataset_id) if product.dataset_id is not None else None
    if dataset is None:
        return columns, []
    return columns, [[r.get(c) for c in columns] for r in dataset.rows]


def enterprise_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted)))
    return {int(ident): str(name) for ident, name in rows}
