"""Device tokens in tests. The database keeps only a token's SHA-256 digest (`Device.token_hash`), so a test that
needs a device's token gives the device one: `issue_token(db, device_id)` stores the digest of a token and returns
the token. Without `token`, the token is derived from the device id, so issuing it again for the same device
returns the same token (and keeps an earlier copy of it working)."""

from __future__ import annotations

import hashlib

from sqlalchemy import update
from sqlalchemy.orm import Session

from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Device


def derived_token(device_id: int) -> str:
    return f"test-{device_id}-" + hashlib.sha256(f"digipark test device {device_id}".encode()).hexdigest()[:20]


def issue_token(db: Session, device_id: int, token: str | None = None) -> str:
    token = derived_token(device_id) if token is None else token
    db.execute(update(Device).where(Device.id == device_id).values(token_hash=token_digest(token)))
    return token
