"""REST API of automation (/api/v1/automation: scenes, rules, enabling, dry-runs, the firing log) and of energy
operations (/api/v1/energy-ops: plans and their progress, meter replacements, the billing setting, monthly bills,
the Sankey of energy flows)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.automation import allowlist, exports, ops, service
from digipark.automation.schemas import BillingSettingWrite, BillRead, DryRunRead, FiringRead, ProgressRead, RuleRead
from digipark.core.downloads import file_response
from digipark.core.spreadsheet import XLSX_MEDIA_TYPE
from digipark.crud.routes import add_routes

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["automation"]
OPS_TAGS: list[str | Enum] = ["energy-ops"]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
Year = Annotated[int, Query(ge=2000, le=2100)]


def _firing(row: Any) -> dict[str, Any]:
    return {
        "rule_id": row.rule_id,
        "ts": row.ts,
        "at": dt.datetime.fromtimestamp(row.ts / 1000, dt.UTC),
        "inputs": row.inputs,
        "actions": list(row.actions),
    }


@router.get("/automation/firings", response_model=list[FiringRead], tags=TAGS)
def firings(
    db: DbSession, scope: CurrentScope, rule_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> Any:
    """The newest firings (of one rule, or every rule), each with its inputs and what its actions did."""
    return [_firing(row) for row in service.firings(db, scope=scope, rule_id=rule_id)]


add_routes(router, service.SCENES, "/automation/scenes", tags=TAGS)
add_routes(router, service.RULES, "/automation/rules", tags=TAGS)
add_routes(router, allowlist.ALLOWED, "/automation/allowed-networks", tags=TAGS)


@router.post("/automation/rules/{ident}/enable", response_model=RuleRead, tags=TAGS)
def enable(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    """Enable a rule; 409 when its actions would trigger it again (a loop)."""
    return service.set_enabled(db, scope=scope, ident=ident, enabled=True)


@router.post("/automation/rules/{ident}/disable", response_model=RuleRead, tags=TAGS)
def disable(ident: Ident, db: DbSession, scope: CurrentScope) -> Any:
    return service.set_enabled(db, scope=scope, ident=ident, enabled=False)


@router.get("/automation/rules/{ident}/dry-run", response_model=DryRunRead, tags=TAGS)
def dry_run(
    ident: Ident, db: DbSession, scope: CurrentScope, days: Annotated[int, Query(ge=1, le=service.MAX_DRY_RUN_DAYS)] = 7
) -> Any:
    """What the rule would have done over the last `days` days of history (nothing is written)."""
    rule, from_ms, to_ms, found = service.dry_run_rule(db, scope=scope, ident=ident, days=days)
    return {
        "rule_id": rule.id,
        "from_ms": from_ms,
        "to_ms": to_ms,
        "firings": [
            {
                "rule_id": f.rule_id,
                "ts": f.ts,
                "at": dt.datetime.fromtimestamp(f.ts / 1000, dt.UTC),
                "inputs": f.inputs,
                "actions": list(f.actions),
            }
            for f in found
        ],
    }


@router.get("/energy-ops/plans/progress", response_model=list[ProgressRead], tags=OPS_TAGS)
def progress(db: DbSession, scope: CurrentScope, year: Year, months: Annotated[int, Query(ge=1, le=12)] = 12) -> Any:
    """Progress of the plans of `year` you may read over its first `months` months, with their warnings."""
    return ops.plan_progress(db, scope=scope, year=year, months=months)


add_routes(router, ops.PLANS, "/energy-ops/plans", tags=OPS_TAGS)
add_routes(router, ops.REPLACEMENTS, "/energy-ops/meter-replacements", tags=OPS_TAGS)


@router.post("/energy-ops/billing-setting", tags=OPS_TAGS)
def put_setting(data: BillingSettingWrite, db: DbSession, scope: CurrentScope) -> Any:
    """The park's shared-area meter and how its cost is apportioned (by area or by consumption)."""
    row = ops.save_setting(db, scope=scope, data=data)
    return {"park_id": row.park_id, "shared_meter_id": row.shared_meter_id, "method": row.method, "areas": row.areas}


@router.get("/energy-ops/bills.xlsx", tags=OPS_TAGS, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
def bills_xlsx(
    db: DbSession,
    scope: CurrentScope,
    month: Annotated[dt.date, Query(description="any day of the month")],
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    """The month's bills as an Excel workbook (an enterprise: its own)."""
    bills = ops.month_bills(db, scope=scope, month=month)
    return file_response(exports.bills_xlsx(bills, lang), XLSX_MEDIA_TYPE, f"bills-{month:%Y-%m}.xlsx")


@router.get("/energy-ops/bills", response_model=list[BillRead], tags=OPS_TAGS)
def bills(
    db: DbSession,
    scope: CurrentScope,
    month: Annotated[dt.date, Query(description="any day of the month")],
    enterprise_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Any:
    """The month's electricity bills (time-of-use lines with their meter readings, the shared areas' share); an
    enterprise gets its own."""
    return ops.month_bills(db, scope=scope, month=month, enterprise_id=enterprise_id)
