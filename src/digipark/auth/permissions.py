"""What each role may do, as data. Tenancy (which rows) is the scope's job; this says which actions."""

from __future__ import annotations

from digipark.auth.models import Role

REGISTRY_KINDS = ("park", "zone", "land_parcel", "building", "floor", "room", "enterprise", "device", "point")

STAFF_ROLES = frozenset({Role.PARK_ADMIN, Role.OPERATOR, Role.REVIEWER})
WRITING_ROLES = frozenset({Role.PARK_ADMIN, Role.OPERATOR, Role.ENTERPRISE})

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset(
        {f"{kind}.write" for kind in REGISTRY_KINDS}
        | {"user.manage", "audit.read", "registry.import", "registry.export", "enterprise.self_update"}
    ),
    Role.OPERATOR: frozenset(
        {f"{kind}.write" for kind in ("zone", "building", "floor", "room", "device", "point")}
        | {"registry.import", "registry.export", "audit.read"}
    ),
    Role.ENTERPRISE: frozenset({"enterprise.self_update", "registry.export"}),
    Role.REVIEWER: frozenset({"registry.export", "audit.read"}),
    Role.RESIDENT: frozenset(),
}

# Fields an enterprise user may change on its own enterprise record; the rest is the park's to maintain.
ENTERPRISE_SELF_FIELDS = frozenset(
    {"name_en", "employees", "contact_name", "contact_phone", "contact_email", "address"}
)
