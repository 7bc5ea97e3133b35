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

# Telemetry dead letters (digipark.telemetry.deadletters): reading them follows the device's visibility (staff,
# and the owning enterprise for its own devices); replaying and discarding them is the park's duty staff's.
TELEMETRY_INGEST_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"telemetry.deadletters"}),
    Role.OPERATOR: frozenset({"telemetry.deadletters"}),
}
for _role, _extra in TELEMETRY_INGEST_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Digital transformation (digipark.transformation). An enterprise fills in its own SME digital-level assessment
# and keeps its own certificates, adoption records and provider requests (`transformation.self_write`); park
# staff may fill in for an enterprise, review (confirm or return) assessments, verify certificates, keep the
# 小快轻准 catalogue and handle provider requests; reviewers read the park's picture (`transformation.read`).
TRANSFORMATION_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset(
        {"transformation.read", "transformation.write", "assessment.fill", "assessment.review", "catalogue.write"}
    ),
    Role.OPERATOR: frozenset(
        {"transformation.read", "transformation.write", "assessment.fill", "assessment.review", "catalogue.write"}
    ),
    Role.ENTERPRISE: frozenset({"assessment.fill", "transformation.self_write"}),
    Role.REVIEWER: frozenset({"transformation.read"}),
}
for _role, _extra in TRANSFORMATION_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# The guide's evaluation (digipark.evaluation). Staff and reviewers of a park read it (it names enterprises'
# gaps, so enterprise users and residents do not); park staff declare values for indicators without a platform
# source; only the park admin signs the annual assessment.
EVALUATION_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"evaluation.read", "evaluation.declare", "evaluation.sign"}),
    Role.OPERATOR: frozenset({"evaluation.read", "evaluation.declare"}),
    Role.REVIEWER: frozenset({"evaluation.read"}),
}
for _role, _extra in EVALUATION_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Safety and emergency (digipark.safety). Park staff keep the risk register, hazard sources, hidden dangers, plans
# and resources of the whole park and command incidents (`emergency.command`); an enterprise keeps its own risk
# points, hazard sources and hidden dangers (it may not verify its own rectification) and reports incidents of its
# own (`safety.self_write`); reviewers read the park's safety picture (`safety.read`).
SAFETY_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"safety.read", "safety.write", "emergency.command"}),
    Role.OPERATOR: frozenset({"safety.read", "safety.write", "emergency.command"}),
    Role.ENTERPRISE: frozenset({"safety.self_write"}),
    Role.REVIEWER: frozenset({"safety.read"}),
}
for _role, _extra in SAFETY_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Alarms (digipark.alarms). Rules and notification contacts are the park's duty staff's to keep; staff and the
# owning enterprise acknowledge and close alarms (an enterprise its own points' alarms only); reviewers read.
ALARMS_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"alarm_rule.write", "alarm.handle", "alarm_contact.write"}),
    Role.OPERATOR: frozenset({"alarm_rule.write", "alarm.handle", "alarm_contact.write"}),
    Role.ENTERPRISE: frozenset({"alarm.handle"}),
}
for _role, _extra in ALARMS_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Energy and carbon (digipark.energy). Staff keep meters, tariffs and the accounting settings (`energy.write`),
# enter and import monthly fuel entries and declarations for any enterprise; an enterprise enters and declares
# its own (`energy.entry`, limited to itself by the scope) and reads only its own account; reviewers read the
# park's figures (`energy.read`).
ENERGY_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"energy.read", "energy.write", "energy.entry", "energy.import"}),
    Role.OPERATOR: frozenset({"energy.read", "energy.write", "energy.entry", "energy.import"}),
    Role.ENTERPRISE: frozenset({"energy.entry"}),
    Role.REVIEWER: frozenset({"energy.read"}),
}
for _role, _extra in ENERGY_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra

# Environment (digipark.environment): pollution outlets, their limits and alarm rules, permitted quantities and
# exceedance scans are the park's to keep (`environment.write`); an enterprise reads its own outlets, permits and
# exceedances (by the scope) and keeps its own solid waste ledger, hazardous waste batches and transfer manifests
# (`waste.self_write`); staff may keep them for any enterprise (`waste.write`); reviewers read (`environment.read`).
ENVIRONMENT_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.PARK_ADMIN: frozenset({"environment.read", "environment.write", "waste.write"}),
    Role.OPERATOR: frozenset({"environment.read", "environment.write", "waste.write"}),
    Role.ENTERPRISE: frozenset({"waste.self_write"}),
    Role.REVIEWER: frozenset({"environment.read"}),
}
for _role, _extra in ENVIRONMENT_PERMISSIONS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra
