"""The alarms module's record: rules, their evaluation on arriving readings, the alarm lifecycle, notifications."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

_STAFF = frozenset({"alarm.view", "alarm_rule.write", "alarm.handle", "alarm_contact.write"})

MODULE = Module(
    name="alarms",
    title="Alarms",
    models=("digipark.alarms.models",),
    routers=("digipark.alarms.api:router",),
    pages=("digipark.alarms.ack_pages:router", "digipark.alarms.pages:router"),
    menu=(MenuEntry("/alarms", "Alarms", "alarm.view", order=330, section=OPERATIONS),),
    # Rules and contacts are the duty staff's to keep; staff and the owning enterprise acknowledge and close alarms
    # (an enterprise its own points' alarms only); reviewers read.
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: frozenset({"alarm.view", "alarm.handle"}),
        Role.REVIEWER: frozenset({"alarm.view"}),
    },
    catalog="alarms",
    # the rules engine first: the automatic incidents (safety) drain its last alarms when stopping
    background=("digipark.alarms.engine:start_rules_engine",),
    on_receive=("digipark.alarms.engine:on_received",),
    provides="digipark.alarms.provides",
    demo=("digipark.alarms.demo:build_alarms_demo",),
)
