"""The assets module's record: the asset register, lifecycle and depreciation, maintenance plans (work orders
through workorders.provides), condition monitoring and prediction."""

from digipark.auth.models import Role
from digipark.core.modules import OPERATIONS, ArchiveSection, MenuEntry, Module

_VIEW = frozenset({"assets.view"})
_STAFF = _VIEW | {"assets.write"}

MODULE = Module(
    name="assets",
    title="Assets",
    models=("digipark.assets.models",),
    routers=("digipark.assets.api:router",),
    pages=(
        "digipark.assets.store_pages:router",
        "digipark.assets.map_pages:router",
        "digipark.assets.class_pages:router",
        "digipark.assets.pages:router",
    ),
    menu=(
        MenuEntry("/assets", "Assets", "assets.view", order=170, section=OPERATIONS),
        MenuEntry("/assets/parts", "Spare parts", "assets.write", order=171, section=OPERATIONS),
    ),
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _VIEW,
        Role.REVIEWER: _VIEW,
    },
    catalog="assets",
    background=("digipark.assets.alarm_orders:start_alarm_orders", "digipark.assets.scheduler:start_maintenance_day"),
    archive=(ArchiveSection("assets", "Assets", "digipark.assets.provides:archive_section", 130),),
    provides="digipark.assets.provides",
    indicators={"asset_equipment": "digipark.assets.indicators:asset_equipment"},
    demo=("digipark.assets.demo:build_assets_demo",),
)
