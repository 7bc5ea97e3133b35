"""Signed checkpoints of the audit chain.

The chain's hashes are unkeyed and its head lives in the same database, so whoever can write the database can
rewrite history and recompute every hash, or cut the tail and move the head back. A checkpoint is an HMAC-SHA256
signature, with a key that is NOT in the database (setting `audit_checkpoint_key` or `audit_checkpoint_key_file`),
over "the chain had `last_id` entries, the last hashing to `last_hash`". Checkpoints are stored in the database
(made periodically in the background and by `digipark audit checkpoint`) and can be exported to a file kept
elsewhere; `verify` checks the chain and then that the entry a checkpoint names still exists with the signed hash.

Without the key nobody can make a checkpoint that verifies; deleting stored checkpoints is caught only by an
exported one (or by a later stored one), which is why exporting them off the machine is recommended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit import service
from digipark.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from digipark.core.background import Handle, SharedService
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import ValidationFailed
from digipark.core.periodic import PeriodicThread

log = logging.getLogger("digipark.audit.checkpoints")

ALGORITHM = "HMAC-SHA256"
FORMAT_VERSION = 1
MIN_KEY_BYTES = 32
KEY_ID_CONTEXT = b"digipark audit checkpoint key id\x00"
FIRST_RUN_AFTER_S = 30.0


class CheckpointKeyMissing(ValidationFailed):
    """No signing key is configured."""


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    created_at: dt.datetime
    last_id: int
    last_hash: str
    key_id: str
    signature: str
    algorithm: str = ALGORITHM

    def signed_text(self) -> str:
        return signed_text(self.created_at, self.last_id, self.last_hash, self.key_id, self.algorithm)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "digipark-audit-checkpoint",
            "version": FORMAT_VERSION,
            "algorithm": self.algorithm,
            "key_id": self.key_id,
            "created_at": self.created_at.astimezone(dt.UTC).isoformat(),
            "last_id": self.last_id,
            "last_hash": self.last_hash,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        if not isinstance(data, dict) or data.get("format") != "digipark-audit-checkpoint":
            raise ValidationFailed("not a digipark audit checkpoint")
        try:
            created = dt.datetime.fromisoformat(str(data["created_at"]))
            return cls(
                created_at=created if created.tzinfo else created.replace(tzinfo=dt.UTC),
                last_id=int(data["last_id"]),
                last_hash=str(data["last_hash"]),
                key_id=str(data["key_id"]),
                signature=str(data["signature"]),
                algorithm=str(data["algorithm"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationFailed(f"audit checkpoint is incomplete or malformed: {exc}") from None

    @classmethod
    def from_row(cls, row: AuditCheckpoint) -> Checkpoint:
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
        return cls(created, row.last_id, row.last_hash, row.key_id, row.signature, row.algorithm)


def signed_text(created_at: dt.datetime, last_id: int, last_hash: str, key_id: str, algorithm: str) -> str:
    return service.canonical_json(
        {
            "algorithm": algorithm,
            "created_at": created_at.astimezone(dt.UTC).isoformat(),
            "key_id": key_id,
            "last_hash": last_hash,
            "last_id": last_id,
            "version": FORMAT_VERSION,
        }
    )


def signing_key() -> bytes | None:
    """The key from the settings (the value, or else the file), or None when neither is set."""
    settings = get_settings()
    if settings.audit_checkpoint_key:
        key = settings.audit_checkpoint_key.encode("utf-8")
    elif settings.audit_checkpoint_key_file is not None:
        key = settings.audit_checkpoint_key_file.read_bytes().strip()
    else:
        return None
    if len(key) < MIN_KEY_BYTES:
        raise ValidationFailed(f"the audit checkpoint key must be at least {MIN_KEY_BYTES} bytes")
    return key


def required_key() -> bytes:
    key = signing_key()
    if key is None:
        raise CheckpointKeyMissing(
            "no audit checkpoint key: set DIGIPARK_AUDIT_CHECKPOINT_KEY or DIGIPARK_AUDIT_CHECKPOINT_KEY_FILE"
        )
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(KEY_ID_CONTEXT + key).hexdigest()[:16]


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def chain_head(session: Session) -> tuple[int, str]:
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    return (0, service.GENESIS_HASH) if head is None else (int(head.last_id), str(head.last_hash))


def make(session: Session, key: bytes, *, now: dt.datetime | None = None) -> Checkpoint:
    """Sign the current head of the chain and store the checkpoint (the caller commits)."""
    last_id, last_hash = chain_head(session)
    created = (now or utcnow()).replace(microsecond=0)
    ident = key_id(key)
    checkpoint = Checkpoint(
        created, last_id, last_hash, ident, _sign(key, signed_text(created, last_id, last_hash, ident, ALGORITHM))
    )
    session.add(
        AuditCheckpoint(
            created_at=checkpoint.created_at,
            last_id=checkpoint.last_id,
            last_hash=checkpoint.last_hash,
            algorithm=checkpoint.algorithm,
            key_id=checkpoint.key_id,
            signature=checkpoint.signature,
        )
    )
    session.flush()
    return checkpoint


def latest(session: Session) -> Checkpoint | None:
    row = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.last_id.desc(), AuditCheckpoint.id.desc()).limit(1)
    ).first()
    return None if row is None else Checkpoint.from_row(row)


def export(checkpoint: Checkpoint, path: Path) -> None:
    path.write_text(json.dumps(checkpoint.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load(path: Path) -> Checkpoint:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ValidationFailed(f"{path} is not JSON") from None
    return Checkpoint.from_json(data)


@dataclasses.dataclass
class CheckpointResult:
    ok: bool
    checked: int
    checkpoint: Checkpoint | None
    reason: str | None = None
    first_broken_id: int | None = None


def check(session: Session, checkpoint: Checkpoint, key: bytes) -> str | None:
    """Why the chain does not match the checkpoint, or None when it does (the chain itself verified first)."""
    if checkpoint.algorithm != ALGORITHM:
        return f"checkpoint algorithm {checkpoint.algorithm!r} is not {ALGORITHM}"
    if checkpoint.key_id != key_id(key):
        return f"checkpoint was signed with another key (key id {checkpoint.key_id}, configured {key_id(key)})"
    if not hmac.compare_digest(_sign(key, checkpoint.signed_text()), checkpoint.signature):
        return "checkpoint signature does not match: the checkpoint was forged or altered"
    if checkpoint.last_id == 0:
        return None
    stored = session.execute(select(AuditEntry.hash).where(AuditEntry.id == checkpoint.last_id)).scalar_one_or_none()
    if stored is None:
        return f"entry {checkpoint.last_id} of the signed checkpoint is missing: the chain was cut"
    if stored != checkpoint.last_hash:
        return f"entry {checkpoint.last_id} differs from the signed checkpoint: the chain was rewritten"
    return None


def verify(session: Session, *, key: bytes, checkpoint: Checkpoint | None = None) -> CheckpointResult:
    """The chain's own links, then the given checkpoint (or else the latest stored one)."""
    chain = service.verify(session)
    against = checkpoint if checkpoint is not None else latest(session)
    if not chain.ok:
        return CheckpointResult(False, chain.checked, against, chain.reason, chain.first_broken_id)
    if against is None:
        return CheckpointResult(True, chain.checked, None)
    reason = check(session, against, key)
    if reason is not None:
        return CheckpointResult(False, chain.checked, against, reason, against.last_id or None)
    return CheckpointResult(True, chain.checked, against)


class Checkpointer(PeriodicThread):
    """A daemon thread signing the chain head every `audit_checkpoint_interval_s` when it moved (with a key)."""

    thread_name, failure, logger = "digipark-audit-checkpoint", "audit: checkpoint failed", log

    def __init__(self, *, first_after_s: float = FIRST_RUN_AFTER_S, every_s: float | None = None) -> None:
        interval = get_settings().audit_checkpoint_interval_s if every_s is None else every_s
        super().__init__(first_after_s=first_after_s, every_s=interval)

    def run_once(self) -> Checkpoint | None:
        from digipark.core.db import transaction

        key = signing_key()
        if key is None:
            return None
        with transaction(write=True) as session:
            head = chain_head(session)
            previous = latest(session)
            if previous is not None and (previous.last_id, previous.last_hash) == head:
                return None
            checkpoint = make(session, key)
        log.info("audit: checkpoint signed at entry %d", checkpoint.last_id)
        return checkpoint

    def start(self) -> None:
        if self.every_s <= 0:
            return
        try:
            key = signing_key()
        except (ValidationFailed, OSError) as exc:
            log.error("audit: checkpoint key unusable, the audit chain is not checkpointed: %s", exc)
            return
        if key is None:
            log.warning("audit: no checkpoint key configured, the audit chain is not checkpointed")
            return
        super().start()


_checkpointer: SharedService[Checkpointer] = SharedService(Checkpointer)


def start_checkpointer() -> Handle[Checkpointer]:
    """Start the process's audit checkpointer (or join the running one)."""
    return _checkpointer.acquire()
