"""The contract ledger: every event of a contract (requested, agreed, rejected, revoked, each access and each
refusal) is appended to the contract's own hash chain. Each entry's hash is SHA-256 over its canonical JSON
(contract, seq, kind, time, actor, detail) and the previous entry's hash, so the provider and the consumer can
each recompute their contract's chain (`verify`) and see whether any entry was changed, removed or reordered."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.core.db import utcnow
from digipark.dataspace.models import Contract, LedgerEntry, LedgerKind

GENESIS = "0" * 64


def _utc_text(at: dt.datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *, contract_id: int, seq: int, kind: str, at: dt.datetime, actor: str, detail: dict[str, Any], prev: str
) -> str:
    body = {
        "contract": contract_id,
        "seq": seq,
        "kind": kind,
        "at": _utc_text(at),
        "actor": actor,
        "detail": detail,
        "prev": prev,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _last(session: Session, contract_id: int) -> LedgerEntry | None:
    stmt = select(LedgerEntry).where(LedgerEntry.contract_id == contract_id).order_by(LedgerEntry.seq.desc())
    return session.scalars(stmt.limit(1)).first()


def append(
    session: Session, contract: Contract, kind: LedgerKind, *, actor: str, detail: dict[str, Any] | None = None
) -> LedgerEntry:
    """Append an event to the contract's chain (the caller holds the write transaction)."""
    last = _last(session, contract.id)
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = utcnow()
    body = dict(detail or {})
    entry = LedgerEntry(
        park_id=contract.park_id,
        contract_id=contract.id,
        seq=seq,
        kind=kind.value,
        at=at,
        actor=actor,
        detail=body,
        prev_hash=prev,
        hash=entry_hash(contract_id=contract.id, seq=seq, kind=kind.value, at=at, actor=actor, detail=body, prev=prev),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclasses.dataclass(frozen=True)
class Verification:
    entries: int
    intact: bool
    broken_at: int | None  # the first seq whose hash or link does not match
    head: str | None  # the last entry's hash


def verify_entries(contract_id: int, entries: list[LedgerEntry]) -> Verification:
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        recomputed = entry_hash(
            contract_id=contract_id,
            seq=entry.seq,
            kind=entry.kind,
            at=entry.at,
            actor=entry.actor,
            detail=entry.detail,
            prev=prev,
        )
        if entry.seq != expected_seq or entry.prev_hash != prev or entry.hash != recomputed:
            return Verification(len(entries), False, entry.seq, entries[-1].hash)
        prev = entry.hash
    return Verification(len(entries), True, None, entries[-1].hash if entries else None)


def entries(session: Session, contract_id: int) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.contract_id == contract_id).order_by(LedgerEntry.seq)
    return list(session.scalars(stmt))


def verify(session: Session, contract_id: int) -> Verification:
    """Recompute a contract's chain from the stored entries (the caller has checked it may read the contract)."""
    return verify_entries(contract_id, entries(session, contract_id))
