"""The park notices module's record."""

from digipark.auth.models import Role
from digipark.core.modules import COMMUNITY, MenuEntry, Module

_READ = frozenset({"notices.view"})
# which audiences' notices a role reads besides everyone's
_FOR_ENTERPRISES = frozenset({"notices.audience.enterprises"})
_FOR_STAFF = _FOR_ENTERPRISES | {"notices.audience.staff"}
_WRITE = _READ | _FOR_STAFF | {"notices.write"}

MODULE = Module(
    name="notices",
    title="Notices",
    models=("digipark.notices.models",),
    routers=("digipark.notices.api:router",),
    pages=("digipark.notices.pages:router",),
    menu=(MenuEntry("/notices", "Notices", "notices.view", order=150, section=COMMUNITY),),
    # park staff write and publish; every member of the park reads the published notices meant for them
    permissions={
        Role.PARK_ADMIN: _WRITE,
        Role.OPERATOR: _WRITE,
        Role.ENTERPRISE: _READ | _FOR_ENTERPRISES,
        Role.REVIEWER: _READ | _FOR_STAFF,
        Role.RESIDENT: _READ,
    },
    catalog="notices",
    provides="digipark.notices.provides",
    demo=("digipark.notices.demo:build_notices_demo",),
)
