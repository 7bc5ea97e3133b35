"""The devices module's record: commands to devices and the field-protocol connectors (HJ 212, Modbus TCP)."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

_VIEW = frozenset({"devices.view"})
_SEND = _VIEW | {"devices.command"}
_STAFF = _SEND | {"devices.confirm"}

MODULE = Module(
    name="devices",
    title="Device commands",
    models=("digipark.devices.models", "digipark.devices.attribute_models", "digipark.devices.profile_models"),
    routers=("digipark.devices.api:router", "digipark.devices.attributes_api:router"),
    pages=("digipark.devices.pages:router", "digipark.devices.attributes_pages:router"),
    menu=(MenuEntry("/device-commands", "Device commands", "devices.view", order=325, section=OPERATIONS),),
    # staff send commands and confirm safety commands (a second person); an enterprise commands its own devices
    # (its safety commands wait for the park's confirmation); reviewers read the history
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _SEND,
        Role.REVIEWER: _VIEW,
    },
    catalog="devices",
    provides="digipark.devices.provides",
    demo=("digipark.devices.demo:build_devices_demo",),
)
