"""The safety and emergency module's record."""

from digipark.auth.models import Role
from digipark.core.modules import SAFETY, ArchiveSection, MenuEntry, Module

_STAFF = frozenset({"safety.view", "safety.read", "safety.write", "emergency.command"})

MODULE = Module(
    name="safety",
    title="Safety",
    models=("digipark.safety.models",),
    routers=("digipark.safety.api:router",),
    pages=(
        "digipark.safety.pages:router",
        "digipark.safety.register_pages:router",
        "digipark.safety.danger_pages:router",
        "digipark.safety.incident_pages:router",
        "digipark.safety.emergency_pages:router",
    ),
    menu=(MenuEntry("/safety", "Safety", "safety.view", order=420, section=SAFETY),),
    # Park staff keep the register, hazard sources, hidden dangers, plans and resources of the whole park and command
    # incidents; an enterprise keeps its own risk points, hazard sources and hidden dangers (it may not verify its own
    # rectification) and reports incidents of its own; reviewers read the park's safety picture.
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: frozenset({"safety.view", "safety.self_write"}),
        Role.REVIEWER: frozenset({"safety.view", "safety.read"}),
    },
    catalog="safety",
    background=("digipark.safety.automation:start_auto_incidents", "digipark.safety.forecasts:start_forecast_refresh"),
    archive=(ArchiveSection("safety", "Safety record", "digipark.safety.provides:archive_section", 100),),
    indicators={"safety_risk_sensors": "digipark.safety.provides:safety_risk_sensors"},
    provides="digipark.safety.provides",
    # the next-week trend once the demo's safety events are written (the alarms' part writes rules, no alarm)
    demo=("digipark.safety.demo:build_safety_demo", "digipark.safety.forecasts:build_demo_forecasts"),
)
