"""The approvals module's record: one-stop government services as BPMN processes."""

from digipark.auth.models import Role
from digipark.core.modules import SERVICES, ArchiveSection, MenuEntry, Module

_VIEW = frozenset({"approvals.view"})
_HANDLE = _VIEW | {"approvals.handle", "approvals.statistics"}

MODULE = Module(
    name="approvals",
    title="Approvals",
    models=("digipark.approvals.models",),
    routers=("digipark.approvals.api:router",),
    pages=("digipark.approvals.pages:router",),
    menu=(MenuEntry("/approvals", "One-stop services", "approvals.view", order=240, section=SERVICES),),
    # An enterprise applies and corrects its own applications; reviewers (and operators) handle the tasks of the
    # departments they belong to; park admins manage the definitions and the departments, see every task, report
    # upward.
    permissions={
        Role.PARK_ADMIN: _HANDLE | {"approvals.manage", "approvals.apply", "approvals.report"},
        Role.OPERATOR: _HANDLE,
        Role.REVIEWER: _HANDLE,
        Role.ENTERPRISE: _VIEW | {"approvals.apply"},
    },
    catalog="approvals",
    background=("digipark.approvals.deadlines:start_deadline_scanner",),
    archive=(ArchiveSection("approvals", "Approvals", "digipark.approvals.provides:archive_section", 110),),
    provides="digipark.approvals.provides",
    demo=("digipark.approvals.demo:build_approvals_demo",),
)
