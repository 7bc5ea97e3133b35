"""The dashboards module's record: dashboards composed from widgets as data, scheduled reports and the duty
staff's phone app (Web Push of alarms)."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

_VIEW = frozenset({"dashboards.view"})
_STAFF = _VIEW | {"reports.subscribe", "duty.app", "duty.push"}
_ADMIN = _STAFF | {"dashboards.write"}

MODULE = Module(
    name="dashboards",
    title="Dashboards",
    models=("digipark.dashboards.models",),
    routers=(
        "digipark.dashboards.api:router",
        "digipark.dashboards.api:reports_router",
        "digipark.dashboards.api:duty_router",
    ),
    pages=(
        "digipark.dashboards.pages:router",
        "digipark.dashboards.report_pages:router",
        "digipark.dashboards.duty_pages:router",
    ),
    menu=(
        MenuEntry("/dashboards", "Dashboards", "dashboards.view", order=205, section=OPERATIONS),
        MenuEntry("/reports/subscriptions", "Scheduled reports", "reports.subscribe", order=206, section=OPERATIONS),
        MenuEntry("/duty", "Duty app", "duty.app", order=207, section=OPERATIONS),
    ),
    # park admins compose dashboards; admins and operators subscribe to reports and use the duty app; enterprises
    # and reviewers open the dashboards shared with their role (residents have none: the park's figures are staff's);
    # enterprise users use the phone app for their alarms and their monthly statistics form
    permissions={
        Role.PARK_ADMIN: _ADMIN,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _VIEW | {"duty.app"},
        Role.REVIEWER: _VIEW,
    },
    catalog="dashboards",
    background=(
        "digipark.dashboards.scheduler:start_report_scheduler",
        "digipark.dashboards.push_worker:start_alarm_push",
    ),
)
