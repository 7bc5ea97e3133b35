"""The devices module's record: commands to devices, the field-protocol connectors, device profiles, provisioning keys
and claiming."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

_VIEW = frozenset({"devices.view"})
_SEND = _VIEW | {"devices.command"}
_STAFF = _SEND | {"devices.confirm", "devices.profile.view", "devices.claim"}

MODULE = Module(
    name="devices",
    title="Device commands",
    models=("digipark.devices.models", "digipark.devices.attribute_models", "digipark.devices.profile_models"),
    routers=(
        "digipark.devices.api:router",
        "digipark.devices.attributes_api:router",
        "digipark.devices.profiles_api:router",
        "digipark.devices.bulk_api:router",
    ),
    pages=(
        "digipark.devices.pages:router",
        "digipark.devices.attributes_pages:router",
        "digipark.devices.profile_pages:router",
        "digipark.devices.key_pages:router",
        "digipark.devices.bulk_pages:router",
    ),
    menu=(
        MenuEntry("/device-commands", "Device commands", "devices.view", order=325, section=OPERATIONS),
        MenuEntry("/device-profiles", "Device profiles", "devices.profile.view", order=326, section=OPERATIONS),
        MenuEntry("/device-claims", "Device claiming", "devices.claim", order=328, section=OPERATIONS),
    ),
    # staff send commands and confirm safety commands (a second person); an enterprise commands its own devices
    # (its safety commands wait for the park's confirmation); reviewers read the history. Park admins edit the
    # park's device profiles, staff read them; staff issue claim codes and enterprises claim devices with them.
    permissions={
        Role.PARK_ADMIN: _STAFF | {"devices.profile.edit"},
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _SEND | {"devices.claim"},
        Role.REVIEWER: _VIEW,
    },
    catalog="devices",
    provides="digipark.devices.provides",
    demo=("digipark.devices.demo:build_devices_demo",),
)
