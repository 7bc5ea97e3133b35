"""The data space module's record: data products and their catalogue, contracts with usage policies checked by the
connector on every access, the contract ledger, datasets with cleaning rules and lineage, industrial internet
identifiers."""

from digipark.auth.models import Role
from digipark.core.modules import FOUNDATION, ArchiveSection, MenuEntry, Module

_VIEW = frozenset({"dataspace.view"})
_STAFF = _VIEW | {"dataspace.publish", "dataspace.manage", "dataspace.identify"}
_ENTERPRISE = _VIEW | {"dataspace.publish", "dataspace.request", "dataspace.identify"}

MODULE = Module(
    name="dataspace",
    title="Data space",
    models=("digipark.dataspace.models",),
    routers=(
        "digipark.dataspace.api:router",
        "digipark.dataspace.ngsi_api:router",
        "digipark.dataspace.ngsi_sub_api:router",
        "digipark.dataspace.jobs_api:router",
    ),
    pages=(
        "digipark.dataspace.pages:router",
        "digipark.dataspace.pages_data:router",
        "digipark.dataspace.pages_jobs:router",
    ),
    menu=(MenuEntry("/dataspace", "Data space", "dataspace.view", order=330, section=FOUNDATION),),
    permissions={
        Role.PARK_ADMIN: _STAFF,
        Role.OPERATOR: _STAFF,
        Role.ENTERPRISE: _ENTERPRISE,
        Role.REVIEWER: _VIEW,
    },
    catalog="dataspace",
    archive=(ArchiveSection("dataspace", "Data space", "digipark.dataspace.provides:archive_section", 130),),
    provides="digipark.dataspace.provides",
    indicators={"data_sharing": "digipark.dataspace.provides:data_sharing"},
    demo=("digipark.dataspace.demo:build_dataspace_demo",),
    background=(
        "digipark.dataspace.ngsi_notify:start_ngsi_notifier",
        "digipark.dataspace.ngsi_notify:start_change_notifier",
        "digipark.dataspace.jobs:start_collection_scheduler",
    ),
)
