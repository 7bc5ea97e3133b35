"""What each role may do, as data. Tenancy (which rows) is the scope's job; this says which actions.

Each module record declares the permissions it grants to each role (`Module.permissions`); `digipark.modules`
adds them here with `grant` when the records are installed."""

from __future__ import annotations

from collections.abc import Mapping

from digipark.auth.models import Role

STAFF_ROLES = frozenset({Role.PARK_ADMIN, Role.OPERATOR, Role.REVIEWER})
WRITING_ROLES = frozenset({Role.PARK_ADMIN, Role.OPERATOR, Role.ENTERPRISE})

# Held by an enterprise user flagged as its enterprise's administrator (not by a role): manage that enterprise's
# accounts.
ENTERPRISE_ADMIN = "user.manage_enterprise"

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {role: frozenset() for role in Role}


def grant(permissions: Mapping[str, frozenset[str]]) -> None:
    """Add a module's permissions (role value -> permissions) to the roles'."""
    for role, extra in permissions.items():
        ROLE_PERMISSIONS[Role(role)] = ROLE_PERMISSIONS[Role(role)] | extra


def all_permissions() -> frozenset[str]:
    """Every permission any role has (what a system scope may do)."""
    return frozenset(p for perms in ROLE_PERMISSIONS.values() for p in perms)


# Fields an enterprise user may change on its own enterprise record; the rest is the park's to maintain.
ENTERPRISE_SELF_FIELDS = frozenset(
    {"name_en", "employees", "contact_name", "contact_phone", "contact_email", "address"}
)
