"""Shared helpers of the work-order tests: scopes of a park's accounts, a second resident, a tiny PNG."""

from __future__ import annotations

import struct
import zlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth import service as auth_service
from digipark.auth.models import Role, User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from tests.conftest import World


def scope_of(db: Session, park_code: str, account: str) -> Scope:
    user = db.scalar(select(User).where(User.username == f"{park_code}-{account}"))
    assert user is not None
    return scope_for(db, user)


def other_resident(db: Session, world: World, park_code: str = "TA") -> Scope:
    """A second resident of the park (made in the test's transaction)."""
    park_id = world.a.park_id if park_code == "TA" else world.b.park_id
    user = db.scalar(select(User).where(User.username == f"{park_code}-resident2"))
    if user is None:
        user = auth_service.create(
            db, username=f"{park_code}-resident2", password=World.password, role=Role.RESIDENT, park_id=park_id
        )
    return scope_for(db, user)


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid PNG image of grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
