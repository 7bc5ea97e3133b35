"""The telemetry module's record: device data in, stored, rolled up, queried and pushed live."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

_VIEW = frozenset({"telemetry.view"})
_STAFF = _VIEW | {"telemetry.deadletters"}

MODULE = Module(
    name="telemetry",
    title="Device monitoring",
    models=("digipark.telemetry.models",),
    # before the registry's: /points/latest must precede /points/{ident}
    routers=(
        "digipark.telemetry.api:router",
        "digipark.telemetry.ingest_api:router",
        "digipark.telemetry.live_api:router",
    ),
    pages=("digipark.telemetry.pages:router",),
    menu=(MenuEntry("/telemetry/devices", "Device monitoring", "telemetry.view", order=320, section=OPERATIONS),),
    # Device data follows the device's visibility (staff, and the owning enterprise for its own devices); replaying
    # and discarding dead letters is the duty staff's; dead letters of unknown devices (no park) are park admins'.
    permissions={
        Role.PARK_ADMIN: _STAFF | {"telemetry.unknown_devices"},
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _VIEW,
        Role.REVIEWER: _VIEW,
    },
    # dead letters past their retention are purged where readings are stored (ingest processes, the demo)
    background=("digipark.telemetry.retention:start_dead_letter_purge",),
    catalog="telemetry",
    provides="digipark.telemetry.provides",
)
