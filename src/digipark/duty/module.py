"""The duty module's record: on-duty rosters (teams, members, shifts, date overrides) and who is on duty now."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

MODULE = Module(
    name="duty",
    title="Duty rosters",
    models=("digipark.duty.models",),
    pages=("digipark.duty.pages:router",),
    menu=(MenuEntry("/duty-roster", "Duty rosters", "duty.view", order=335, section=OPERATIONS),),
    # the park's administrators keep the rosters; operators read who is on duty
    permissions={
        Role.PARK_ADMIN: frozenset({"duty.view", "duty.write"}),
        Role.OPERATOR: frozenset({"duty.view"}),
    },
    catalog="duty",
    provides="digipark.duty.provides",
    demo=("digipark.duty.demo:build_duty_demo",),
)
