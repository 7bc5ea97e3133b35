"""The automation and energy-operations record: rules that act (triggers, conditions, actions, scenes, dry-runs,
the firing log), tenant electricity bills from sub-meters, energy plans and quotas, the energy flow Sankey and
forecasts with their backtests."""

from digipark.auth.models import Role
from digipark.core.modules import ENERGY_ENVIRONMENT, OPERATIONS, MenuEntry, Module

_STAFF = frozenset({"automation.view", "automation.write", "energyops.view", "energyops.read", "energyops.write"})

MODULE = Module(
    name="automation",
    title="Automation and energy operations",
    models=("digipark.automation.models", "digipark.automation.prepaid_models"),
    routers=("digipark.automation.api:router", "digipark.automation.api_ops:router"),
    pages=(
        "digipark.automation.pages:router",
        "digipark.automation.pages_ops:router",
        "digipark.automation.pages_network:router",
        "digipark.automation.pages_demand:router",
    ),
    menu=(
        MenuEntry("/automation", "Automation", "automation.view", order=335, section=OPERATIONS),
        MenuEntry("/energy-ops", "Energy bills and plans", "energyops.view", order=405, section=ENERGY_ENVIRONMENT),
    ),
    # Staff keep rules, scenes, plans and billing; an enterprise reads its own bill and plan progress
    # (`energyops.view`, limited to itself by the scope); reviewers read the park's figures.
    permissions={
        Role.PARK_ADMIN: _STAFF | {"automation.admin"},  # the allow-list of inside networks (webhooks, robots)
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: frozenset({"energyops.view"}),
        Role.REVIEWER: frozenset({"automation.view", "energyops.view", "energyops.read"}),
    },
    catalog="automation",
    background=("digipark.automation.engine:start_automation",),
    provides=None,
    demo=("digipark.automation.demo:build_automation_demo",),
)
