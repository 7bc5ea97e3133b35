"""The audit log's record."""

from digipark.auth.models import Role
from digipark.core.modules import Module

_READ = frozenset({"audit.read"})

MODULE = Module(
    name="audit",
    title="Audit log",
    models=("digipark.audit.models",),
    routers=("digipark.audit.api:router",),
    permissions={Role.PARK_ADMIN: _READ, Role.OPERATOR: _READ, Role.REVIEWER: _READ},
)
