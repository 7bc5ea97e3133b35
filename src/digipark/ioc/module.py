"""The operations centre's record: the park map and the operations screen (大屏), read-only views over the other
domains' provides."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, MenuEntry, Module

VIEW = frozenset({"ioc.view"})

MODULE = Module(
    name="ioc",
    title="Operations centre",
    routers=("digipark.ioc.api:router",),
    pages=("digipark.ioc.pages:router",),
    menu=(
        MenuEntry("/ioc/map", "Park map", "ioc.view", order=150, section=OPERATIONS),
        MenuEntry("/ioc/screen", "Operations screen", "ioc.view", order=151, section=OPERATIONS),
    ),
    permissions={Role.PARK_ADMIN: VIEW, Role.OPERATOR: VIEW, Role.REVIEWER: VIEW},
    catalog="ioc",
)
