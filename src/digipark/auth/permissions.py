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

# Industry chains and investment attraction (digipark.economy.chains, .leads). A chain's structure (chains,
# segments, edges) is public within the park and an enterprise sees its own segment mappings; the analysis
# (chain graph with enterprises and strengths, everyone's mappings, supply relations) is for staff, reviewers
# included (`chain.read`); candidates and leads are the park's investment team's only (`lead.read`), never
# reviewers', enterprises' or residents'.
CHAIN_LEAD_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"chain.read", "chain.write", "lead.read", "lead.write"}),
    Role.OPERATOR: frozenset({"chain.read", "chain.write", "lead.read", "lead.write"}),
    Role.REVIEWER: frozenset({"chain.read"}),
}
for _role, _extra in CHAIN_LEAD_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Monthly statistics, economic monitoring and enterprise archives (digipark.economy). An enterprise submits and
# corrects its own statistics and keeps its own key products up to date; staff submit for any enterprise,
# import, chase missing submissions and maintain qualifications and intellectual property (certificates the
# park verifies); reviewers read the park's figures (`economy.read`) but write nothing.
ECONOMY_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset(
        {"statistics.submit", "statistics.import", "statistics.remind", "economy.read", "archive.write"}
    ),
    Role.OPERATOR: frozenset(
        {"statistics.submit", "statistics.import", "statistics.remind", "economy.read", "archive.write"}
    ),
    Role.ENTERPRISE: frozenset({"statistics.submit", "product.self_write"}),
    Role.REVIEWER: frozenset({"economy.read"}),
}
for _role, _extra in ECONOMY_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra
