"""The environment domain's front door: pollution outlets and their factors, averages, exceedance scans, permitted
annual quantities and their use; the general industrial solid waste ledger, hazardous waste batches and transfer
manifests; an enterprise's environment summary. Each part lives in its own module; this one re-exports what the
api, the pages, the scheduler and the tests call.

Every function takes `(session, *, scope, ...)`, reads through the scope, never commits.
"""

from __future__ import annotations

from digipark.environment.common import READ, WASTE_SELF, WRITE, today
from digipark.environment.hazardous import (
    BATCH_SPEC,
    MANIFEST_SPEC,
    batch_reads,
    create_batch,
    create_manifest,
    delete_batch,
    get_batch,
    get_manifest,
    list_batches,
    list_manifests,
    update_batch,
    update_manifest,
)
from digipark.environment.outlets import (
    EXCEEDANCE_SPEC,
    MAX_SCAN_DAYS,
    OUTLET_SPEC,
    compute_averages,
    create_outlet,
    delete_outlet,
    factors_of,
    get_outlet,
    latest,
    latest_of,
    list_exceedances,
    list_outlets,
    outlet_averages,
    outlet_read,
    scan_exceedances,
    scan_outlet,
    update_outlet,
)
from digipark.environment.permits import PERMITS, permit_usage
from digipark.environment.summary import enterprise_summary
from digipark.environment.waste_ledger import (
    WASTE_SPEC,
    create_waste,
    delete_waste,
    general_totals,
    get_waste,
    list_waste,
    update_waste,
    waste_read,
)

create_permit = PERMITS.create  # the name the demo builders and tests call

__all__ = [
    "BATCH_SPEC",
    "EXCEEDANCE_SPEC",
    "MANIFEST_SPEC",
    "MAX_SCAN_DAYS",
    "OUTLET_SPEC",
    "PERMITS",
    "READ",
    "WASTE_SELF",
    "WASTE_SPEC",
    "WRITE",
    "batch_reads",
    "compute_averages",
    "create_batch",
    "create_manifest",
    "create_outlet",
    "create_permit",
    "create_waste",
    "delete_batch",
    "delete_outlet",
    "delete_waste",
    "enterprise_summary",
    "factors_of",
    "general_totals",
    "get_batch",
    "get_manifest",
    "get_outlet",
    "get_waste",
    "latest",
    "latest_of",
    "list_batches",
    "list_exceedances",
    "list_manifests",
    "list_outlets",
    "list_waste",
    "outlet_averages",
    "outlet_read",
    "permit_usage",
    "scan_exceedances",
    "scan_outlet",
    "today",
    "update_batch",
    "update_manifest",
    "update_outlet",
    "update_waste",
    "waste_read",
]
