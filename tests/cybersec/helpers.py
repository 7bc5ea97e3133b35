"""Scopes the cybersec tests share."""

from __future__ import annotations

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from tests.conftest import ParkWorld


def scope(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role,
        username=f"cyber-{role.value}-{enterprise}",
        user_id=None,
        park_id=park.park_id,
        enterprise_id=enterprise,
    )


def admin(park: ParkWorld) -> Scope:
    return scope(park, Role.PARK_ADMIN)


def enterprise(park: ParkWorld, index: int) -> Scope:
    return scope(park, Role.ENTERPRISE, park.enterprise_ids[index])
