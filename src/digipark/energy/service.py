"""The energy domain's front door: meters (hierarchy, telemetry-linked, manual, virtual), manual monthly entries
with evidence and their Excel import, declarations (process emissions, product output), tariffs and settings; and
the figures: consumption, standard coal, carbon accounts, intensity, load curves, 峰/平/谷 split and cost,
rankings, anomalies and optimisation suggestions. Each part lives in its own module; this one re-exports what the
api, the pages and the tests call.

Everything takes `(session, *, scope, ...)`, reads through the scope and never commits.
"""

from __future__ import annotations

from digipark.energy.accounts import enterprise_account, enterprise_figures, meter_consumption, park_summary
from digipark.energy.common import READ, WRITE, local_zone, today
from digipark.energy.declarations import DECLARATIONS
from digipark.energy.entries import (
    ENTRY_SPEC,
    MAX_EVIDENCE_BYTES,
    attach_evidence,
    create_entry,
    delete_entry,
    get_entry,
    import_entries,
    list_entries,
    template_xlsx,
    update_entry,
)
from digipark.energy.load import anomalies, load_curve, suggestions, tariff_split
from digipark.energy.meters import METER_SPEC, create_meter, delete_meter, get_meter, list_meters, update_meter
from digipark.energy.settings import TARIFFS, factor_info, get_settings_read, update_settings

create_declaration = DECLARATIONS.create  # the name the tests call

__all__ = [
    "DECLARATIONS",
    "ENTRY_SPEC",
    "MAX_EVIDENCE_BYTES",
    "METER_SPEC",
    "READ",
    "TARIFFS",
    "WRITE",
    "anomalies",
    "attach_evidence",
    "create_declaration",
    "create_entry",
    "create_meter",
    "delete_entry",
    "delete_meter",
    "enterprise_account",
    "enterprise_figures",
    "factor_info",
    "get_entry",
    "get_meter",
    "get_settings_read",
    "import_entries",
    "list_entries",
    "list_meters",
    "load_curve",
    "local_zone",
    "meter_consumption",
    "park_summary",
    "suggestions",
    "tariff_split",
    "template_xlsx",
    "today",
    "update_entry",
    "update_meter",
    "update_settings",
]
