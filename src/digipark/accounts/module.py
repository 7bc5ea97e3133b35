"""The accounts module's record: the REST API and pages of users and their tokens, and the REST API of the audit log
(auth and audit sit below the registry and have no routes; the sign-in pages, second factor and single sign-on, are
the web shell's: `digipark.web.signin`). The enterprise administrator's permission (`user.manage_enterprise`) is
not a role's: `auth.service.scope_for` adds it for an enterprise user flagged as its enterprise's administrator."""

from digipark.auth.models import Role
from digipark.core.modules import SYSTEM, MenuEntry, Module

_AUDIT = frozenset({"audit.read"})

MODULE = Module(
    name="accounts",
    title="Accounts",
    routers=("digipark.accounts.api:router", "digipark.accounts.audit_api:router"),
    pages=("digipark.accounts.pages:router",),
    menu=(
        MenuEntry("/accounts", "Accounts", "user.manage|user.manage_enterprise", order=900, section=SYSTEM),
        MenuEntry("/account", "My account", "*", order=910, section=SYSTEM),
    ),
    catalog="accounts",
    permissions={
        Role.PARK_ADMIN: _AUDIT | {"user.manage"},
        Role.OPERATOR: _AUDIT,
        Role.REVIEWER: _AUDIT,
    },
)
