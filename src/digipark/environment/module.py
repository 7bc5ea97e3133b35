"""The environment module's record: pollution monitoring and the solid waste ledger."""

from digipark.auth.models import Role
from digipark.core.modules import ENERGY_ENVIRONMENT, ArchiveSection, MenuEntry, Module

_STAFF = frozenset({"environment.view", "environment.read", "environment.write", "waste.write"})

MODULE = Module(
    name="environment",
    title="Environment monitoring",
    models=("digipark.environment.models",),
    routers=("digipark.environment.api:router",),
    pages=("digipark.environment.intensity_pages:router", "digipark.environment.pages:router"),
    menu=(MenuEntry("/environment", "Environment", "environment.view", order=410, section=ENERGY_ENVIRONMENT),),
    # Outlets, limits, permitted quantities and exceedance scans are the park's to keep; an enterprise reads its own
    # outlets, permits and exceedances (by the scope) and keeps its own solid and hazardous waste records; staff may
    # keep them for any enterprise; reviewers read.
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: frozenset({"environment.view", "waste.self_write"}),
        Role.REVIEWER: frozenset({"environment.view", "environment.read"}),
    },
    catalog="environment",
    background=(
        "digipark.environment.scheduler:start_exceedance_scanner",
        "digipark.environment.discharge_keeper:start_discharge_keeper",
    ),
    archive=(
        ArchiveSection(
            "environment",
            "Environment: discharge and solid waste",
            "digipark.environment.provides:archive_section",
            85,
        ),
    ),
    provides="digipark.environment.provides",
    demo=("digipark.environment.demo:build_environment_demo",),
)
