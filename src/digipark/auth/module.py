"""The accounts module's record: users, roles, API tokens and web sessions."""

from digipark.auth.models import Role
from digipark.core.modules import Module

MODULE = Module(
    name="auth",
    title="Accounts",
    models=("digipark.auth.models",),
    routers=("digipark.auth.api:router",),
    permissions={Role.PARK_ADMIN: frozenset({"user.manage"})},
)
