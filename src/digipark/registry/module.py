"""The registry's record: park, zone, land parcel, building, floor, room, enterprise, device, point (the park's
digital-twin skeleton). Its pages are the platform's record pages (`digipark.web.registry_pages`)."""

from digipark.auth.models import Role
from digipark.core.modules import FOUNDATION, MenuEntry, Module

KINDS = ("park", "zone", "land_parcel", "building", "floor", "room", "enterprise", "device", "point")
_STAFF_READ = frozenset({"registry.view", "land_parcel.read", "registry.export"})

MODULE = Module(
    name="registry",
    title="Registry",
    models=("digipark.registry.models",),
    routers=("digipark.registry.api:router", "digipark.registry.parks_api:router"),
    pages=("digipark.web.registry_pages:router", "digipark.web.platform_parks:router"),
    # zones and buildings are public within the park; land parcels are the staff's; enterprises, devices and points
    # are the staff's and, for its own rows, the enterprise's (the scope decides which rows)
    menu=(
        MenuEntry("/zones", "Zones", "*", order=10, section=FOUNDATION),
        MenuEntry("/buildings", "Buildings", "*", order=20, section=FOUNDATION),
        MenuEntry("/land-parcels", "Land parcels", "land_parcel.read", order=30, section=FOUNDATION),
        MenuEntry("/enterprises", "Enterprises", "registry.view", order=40, section=FOUNDATION),
        MenuEntry("/devices", "Devices", "registry.view", order=50, section=FOUNDATION),
        MenuEntry("/points", "Points", "registry.view", order=60, section=FOUNDATION),
    ),
    permissions={
        Role.PARK_ADMIN: _STAFF_READ
        | {f"{kind}.write" for kind in KINDS}
        | {"registry.import", "enterprise.self_update"},
        Role.OPERATOR: _STAFF_READ
        | {f"{kind}.write" for kind in ("zone", "building", "floor", "room", "device", "point")}
        | {"registry.import"},
        Role.ENTERPRISE: frozenset({"registry.view", "enterprise.self_update", "registry.export"}),
        Role.REVIEWER: _STAFF_READ,
    },
)
