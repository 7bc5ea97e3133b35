"""Connector keys: a consumer's systems download a contract's data without a user session. A key is scoped to one
contract and the purposes named when it was made, and metered against a daily quota (429 beyond it); the contract's
policy is still checked on every download, so a key never outlives its contract's terms."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import ROLE_PERMISSIONS
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import DomainError, NotAuthenticated, PermissionDenied, field_error
from digipark.dataspace import policy, service
from digipark.dataspace.models import ConnectorKey, Contract, ContractState

PREFIX = "dsk_"
MAX_DAILY_QUOTA = 100_000


class QuotaExceeded(DomainError):
    type_slug = "quota-exceeded"
    status = 429
    title = "Daily quota used up"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def create(
    session: Session, *, scope: Scope, contract_id: int, purposes: list[str], daily_quota: int
) -> tuple[str, ConnectorKey]:
    """A key for the caller's agreed contract (the consumer only); the raw key is returned once."""
    contract = service.get_contract(session, scope=scope, ident=contract_id)
    if scope.role != Role.ENTERPRISE or scope.enterprise_id != contract.consumer_enterprise_id:
        raise PermissionDenied("only the contract's consumer makes keys for it")
    scope.authorize_write(service.REQUEST, park_id=contract.park_id, enterprise_id=scope.enterprise_id)
    if contract.state != ContractState.AGREED.value:
        raise field_error("contract", f"the contract is {contract.state}")
    permitted = policy.terms(contract.policy).purposes
    outside = sorted(set(purposes) - permitted)
    if outside:
        raise field_error("purposes", f"not permitted by the contract: {', '.join(outside)}")
    if not 1 <= daily_quota <= MAX_DAILY_QUOTA:
        raise field_error("daily_quota", f"between 1 and {MAX_DAILY_QUOTA}")
    raw = PREFIX + secrets.token_urlsafe(24)
    row = ConnectorKey(
        park_id=contract.park_id,
        enterprise_id=scope.enterprise_id,
        contract_id=contract.id,
        key_hash=_digest(raw),
        hint=raw[: len(PREFIX) + 4],
        purposes=sorted(set(purposes)),
        daily_quota=daily_quota,
        used_today=0,
        used_on=None,
        revoked=False,
        created_by=scope.username,
    )
    session.add(row)
    session.flush()
    return raw, row


def key_scope(key: ConnectorKey) -> Scope:
    """The consumer enterprise's scope a key acts with (read-only use of its own contract)."""
    return Scope(
        role=Role.ENTERPRISE,
        username=f"key:{key.hint}",
        park_id=key.park_id,
        read_parks=frozenset({key.park_id}),
        enterprise_id=key.enterprise_id,
        permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
    )


def admit(session: Session, *, raw: str | None, contract_id: int, purpose: str) -> tuple[ConnectorKey, Scope]:
    """Check a key for one download: known and not revoked (401), scoped to this contract and purpose (403), within
    its daily quota (429); counts the use."""
    if not raw or not raw.startswith(PREFIX):
        raise NotAuthenticated("an X-Api-Key header with a connector key is required")
    key: ConnectorKey | None = session.scalar(
        select(ConnectorKey).where(ConnectorKey.key_hash == _digest(raw), ConnectorKey.revoked.is_(False))
    )
    if key is None:
        raise NotAuthenticated("unknown or revoked connector key")
    if key.contract_id != contract_id:
        raise PermissionDenied("the key is not for this contract")
    if purpose not in key.purposes:
        raise PermissionDenied("the key is not for this purpose")
    day = today()
    if key.used_on != day:
        key.used_on, key.used_today = day, 0
    if key.used_today >= key.daily_quota:
        raise QuotaExceeded(f"the key's daily quota of {key.daily_quota} downloads is used up")
    key.used_today += 1
    session.flush()
    return key, key_scope(key)


def context_scope(session: Session, *, raw: str) -> Scope:
    """The read-only scope a connector key gives on the NGSI-LD API: its consumer enterprise's view, while the key
    is unrevoked and its contract agreed (401 otherwise). Not metered: the quota counts the contract's downloads."""
    if not raw.startswith(PREFIX):
        raise NotAuthenticated("an X-Api-Key header with a connector key is required")
    key: ConnectorKey | None = session.scalar(
        select(ConnectorKey).where(ConnectorKey.key_hash == _digest(raw), ConnectorKey.revoked.is_(False))
    )
    if key is None:
        raise NotAuthenticated("unknown or revoked connector key")
    contract = session.get(Contract, key.contract_id)
    if contract is None or contract.state != ContractState.AGREED.value:
        raise NotAuthenticated("the key's contract is no longer agreed")
    return key_scope(key)


def list_keys(session: Session, *, scope: Scope) -> list[ConnectorKey]:
    """The keys the caller may read: an enterprise its own, staff and reviewers the park's (never the keys)."""
    scope.require(service.VIEW)
    return list(session.scalars(scope.readable(ConnectorKey).order_by(ConnectorKey.id.desc())))


def revoke(session: Session, *, scope: Scope, ident: int) -> ConnectorKey:
    """Revoke a key (its consumer, or park staff who manage the data space); a revoked key opens nothing."""
    key: ConnectorKey = scope.get_or_404(session, ConnectorKey, ident)
    if scope.role == Role.ENTERPRISE:
        scope.authorize_write_row(service.REQUEST, key)
    else:
        scope.authorize_write(service.MANAGE, park_id=key.park_id)
    if key.revoked:
        raise field_error("key", "the key is already revoked")
    key.revoked = True
    session.flush()
    return key
