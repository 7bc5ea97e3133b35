"""Shared helpers of the safety tests: scopes of a park's roles."""

from __future__ import annotations

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from tests.conftest import ParkWorld


def scope_of(park: ParkWorld, role: Role, enterprise: int | None = None) -> Scope:
    return Scope.for_user(
        role=role, username=f"safety-test-{role.value}", user_id=None, park_id=park.park_id, enterprise_id=enterprise
    )


def admin(park: ParkWorld) -> Scope:
    return scope_of(park, Role.PARK_ADMIN)


def own(park: ParkWorld, index: int = 0) -> Scope:
    return scope_of(park, Role.ENTERPRISE, park.enterprise_ids[index])
