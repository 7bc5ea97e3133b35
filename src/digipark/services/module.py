"""The production services module's record: the service catalogue and bookings of shared resources, group
purchasing and joint selling, supply-chain collaboration, logistics and finance, and the coverage indicator S2.2."""

from digipark.auth.models import Role
from digipark.core.modules import SERVICES, ArchiveSection, MenuEntry, Module

_VIEW = frozenset({"services.view"})
# staff keep the catalogue, decide the park's own services, run group purchases and read every request
_STAFF = _VIEW | {"services.write", "services.read"}
# an enterprise books, demands, posts, applies and shares its own; it provides its own offerings
_ENTERPRISE = _VIEW | {"services.use"}

MODULE = Module(
    name="services",
    title="Services",
    models=("digipark.services.models",),
    routers=("digipark.services.api:router",),
    pages=(
        "digipark.services.pages:router",
        "digipark.services.purchase_pages:router",
        "digipark.services.collab_pages:router",
    ),
    menu=(MenuEntry("/services", "Services", "services.view", order=320, section=SERVICES),),
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _ENTERPRISE,
        Role.REVIEWER: _VIEW | {"services.read"},
    },
    catalog="services",
    archive=(ArchiveSection("services", "Services used", "digipark.services.provides:archive_section", 120),),
    indicators={"production_service_coverage": "digipark.services.coverage:production_service_coverage"},
    provides="digipark.services.provides",
    demo=("digipark.services.demo:build_services_demo", "digipark.services.demo:build_services_bookings_demo"),
)
