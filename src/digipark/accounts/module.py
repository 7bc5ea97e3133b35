"""The accounts module's record: the REST API of users and of the audit log (auth and audit themselves sit below
the registry and have no routes)."""

from digipark.auth.models import Role
from digipark.core.modules import Module

_AUDIT = frozenset({"audit.read"})

MODULE = Module(
    name="accounts",
    title="Accounts",
    routers=("digipark.accounts.api:router", "digipark.accounts.audit_api:router"),
    permissions={
        Role.PARK_ADMIN: _AUDIT | {"user.manage"},
        Role.OPERATOR: _AUDIT,
        Role.REVIEWER: _AUDIT,
    },
)
