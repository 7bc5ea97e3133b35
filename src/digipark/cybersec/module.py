"""The cybersec module's record: network and compute inventory (indicators S4.1, S4.2), enterprises' security
grading, data classification and ICS assets (S4.4), advisories, security events and incidents."""

from digipark.auth.models import Role
from digipark.core.modules import FOUNDATION, MenuEntry, Module

_VIEW = frozenset({"cybersec.view"})
_STAFF = _VIEW | {"cybersec.write"}

MODULE = Module(
    name="cybersec",
    title="Infrastructure and security",
    models=("digipark.cybersec.models",),
    routers=("digipark.cybersec.api:router",),
    pages=(
        "digipark.cybersec.pages:router",
        "digipark.cybersec.pages_ics:router",
        "digipark.cybersec.pages_sources:router",
    ),
    menu=(
        MenuEntry("/infrastructure", "Digital infrastructure", "cybersec.view", order=480, section=FOUNDATION),
        MenuEntry("/security", "Network security", "cybersec.view", order=485, section=FOUNDATION),
    ),
    # staff keep the inventory and watch events; an enterprise reads the infrastructure and keeps its own security
    # records; reviewers read everything of their parks; residents none of it
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _VIEW | {"cybersec.own"},
        Role.REVIEWER: _VIEW,
    },
    catalog="cybersec",
    provides="digipark.cybersec.provides",
    indicators={
        "double_gigabit": "digipark.cybersec.inventory:double_gigabit",
        "compute_in_use": "digipark.cybersec.inventory:compute_in_use",
        "security_grading": "digipark.cybersec.security:security_grading",
    },
    demo=("digipark.cybersec.demo:build_cybersec_demo",),
    # syslog over UDP and TCP from allow-listed log sources, where DIGIPARK_SYSLOG_LISTEN is set
    background=("digipark.cybersec.listener:start_syslog_listener",),
)
