"""The living services module's record: visitors and access, smart parking, bills of units, deliveries."""

from digipark.auth.models import Role
from digipark.core.modules import COMMUNITY, MenuEntry, Module

_MEMBER = frozenset({"living.view", "living.invite", "living.deliver"})
_STAFF = _MEMBER | {"living.gate", "living.manage", "living.bills.view"}

MODULE = Module(
    name="living",
    title="Living services",
    models=("digipark.living.models",),
    routers=("digipark.living.api:router",),
    pages=("digipark.living.pages:router", "digipark.living.staff_pages:router"),
    menu=(MenuEntry("/living", "Living services", "living.view", order=165, section=COMMUNITY),),
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _MEMBER | {"living.bills.view"},
        Role.REVIEWER: frozenset({"living.view", "living.bills.view"}),
        Role.RESIDENT: _MEMBER,
    },
    catalog="living",
    # gates, vehicles and cameras over MQTT: where readings are stored (ingest processes, the demo)
    background=("digipark.living.device_events:start_device_events",),
    provides="digipark.living.provides",
    indicators={"public_service_domains": "digipark.living.public_services:public_service_domains"},
    demo=("digipark.living.demo:build_living_demo",),
)
