"""The energy-carbon centre's record (能碳管理中心)."""

from digipark.auth.models import Role
from digipark.core.modules import ENERGY_ENVIRONMENT, ArchiveSection, MenuEntry, Module

_STAFF = frozenset({"energy.view", "energy.read", "energy.write", "energy.entry", "energy.import"})

MODULE = Module(
    name="energy",
    title="Energy and carbon",
    models=("digipark.energy.models",),
    routers=("digipark.energy.api:router",),
    pages=("digipark.energy.pages:router",),
    menu=(MenuEntry("/energy", "Energy and carbon", "energy.view", order=400, section=ENERGY_ENVIRONMENT),),
    # Staff keep meters, tariffs and the accounting settings, enter and import monthly fuel entries and declarations
    # for any enterprise; an enterprise enters and declares its own (`energy.entry`, limited to itself by the
    # scope) and reads only its own account; reviewers read the park's figures.
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: frozenset({"energy.view", "energy.entry"}),
        Role.REVIEWER: frozenset({"energy.view", "energy.read"}),
    },
    catalog="energy",
    archive=(ArchiveSection("energy_carbon", "Energy and carbon", "digipark.energy.archive:energy_section", 80),),
    indicators={"energy_metered_online": "digipark.energy.indicators:energy_metered_online"},
    provides="digipark.energy.provides",
    demo=("digipark.energy.demo:build_energy_demo",),
)
