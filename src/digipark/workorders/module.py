"""The work-orders module's record: one work-order mechanism for property services (living) and equipment
maintenance (assets)."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

_MEMBER = frozenset({"workorders.view", "workorders.report"})
_STAFF = _MEMBER | {"workorders.handle", "workorders.manage"}

MODULE = Module(
    name="workorders",
    title="Work orders",
    models=("digipark.workorders.models",),
    routers=("digipark.workorders.api:router",),
    pages=("digipark.workorders.pages:router",),
    menu=(MenuEntry("/workorders", "Work orders", "workorders.view", order=160, section=OPERATIONS),),
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _MEMBER,
        Role.REVIEWER: frozenset({"workorders.view"}),
        Role.RESIDENT: _MEMBER,
    },
    catalog="workorders",
    background=("digipark.workorders.scheduler:start_sla_timer",),
    provides="digipark.workorders.provides",
    demo=("digipark.workorders.demo:build_workorders_demo",),
)
