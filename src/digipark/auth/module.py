"""The auth module's record: users, roles, API tokens and web sessions (their HTTP API is the accounts module's)."""

from digipark.core.modules import Module

MODULE = Module(name="auth", title="Accounts", models=("digipark.auth.models",))
