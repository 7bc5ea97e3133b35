"""REST API of energy operations beyond plans and bills (/api/v1/energy-ops): bills as PDF, the park's 能耗双控,
the PV, storage and charging site's year, a storage dispatch suggestion, monthly output-value forecasts, and the
enterprises' prepaid electricity accounts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from digipark.auth.dependencies import CurrentScope, DbSession
from digipark.automation import bill_pdf, insight, ops, prepaid
from digipark.core.downloads import file_response
from digipark.core.errors import field_error

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["energy-ops"]
Year = Annotated[int, Query(ge=2000, le=2100)]
Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
PDF_MEDIA_TYPE = "application/pdf"


@router.get("/energy-ops/bills.pdf", tags=TAGS, responses={200: {"content": {PDF_MEDIA_TYPE: {}}}})
def bills_pdf(
    db: DbSession,
    scope: CurrentScope,
    month: Annotated[dt.date, Query(description="any day of the month")],
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    """The month's bills as a PDF, one page per enterprise (an enterprise: its own)."""
    bills = ops.month_bills(db, scope=scope, month=month)
    return file_response(bill_pdf.bills_pdf(bills, lang), PDF_MEDIA_TYPE, f"bills-{month:%Y-%m}.pdf")


@router.get("/energy-ops/dual-control", tags=TAGS)
def dual_control(db: DbSession, scope: CurrentScope, year: Year) -> dict[str, Any]:
    """The park's 能耗双控: total (tce) and intensity (tce per 万元 output) by month against its targets, with the
    enterprises contributing most."""
    return dataclasses.asdict(insight.dual_control(db, scope=scope, year=year))


@router.get("/energy-ops/site", tags=TAGS)
def site_year(db: DbSession, scope: CurrentScope, year: Year) -> dict[str, Any]:
    """The PV, storage and charging site's year by month: generation, self-consumption, storage cycles, charging
    sessions with energy and fees — from the stored readings of the park's PV inverters, batteries and charging
    piles (`source` "records", with `completeness` the share of the year's hours so far with readings), or, for a
    park without such devices, the synthetic demo site (`source` "synthetic", with the battery's savings)."""
    records = insight.site_records_year(db, scope=scope, year=year)
    if records is not None:
        return {
            "year": year,
            "source": "records",
            "completeness": records.completeness,
            "devices": records.devices,
            "months": records.months,
            "soc_end_pct": records.soc_end_pct,
            "cycles": records.cycles,
            "sessions": records.sessions,
        }
    made = insight.site_year(db, scope=scope, year=year)
    last = made.days[-1] if made.days else None
    return {
        "year": year,
        "source": "synthetic",
        "months": made.monthly(),
        "soc_end_kwh": last.soc_end_kwh if last else None,
        "cycles": sum(d.cycles for d in made.days),
        "sessions": len(made.sessions),
    }


@router.get("/energy-ops/storage-dispatch", tags=TAGS)
def storage_dispatch(
    db: DbSession, scope: CurrentScope, day: Annotated[dt.date, Query(description="the day to schedule")]
) -> dict[str, Any]:
    """The battery's cheapest schedule of a day against the time-of-use tariff (an LP)."""
    if not 2000 <= day.year <= 2100:
        raise field_error("day", "a day of the years 2000 to 2100")
    return insight.dispatch_suggestion(db, scope=scope, day=day)


@router.get("/energy-ops/output-forecast", tags=TAGS)
def output_forecast(
    db: DbSession,
    scope: CurrentScope,
    enterprise_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> dict[str, Any]:
    """The monthly output value's forecast (Holt-Winters) with its 80 % interval, the seasonal naive baseline and
    both backtests (the park, or one enterprise; an enterprise: its own)."""
    made = insight.output_forecast(db, scope=scope, enterprise_id=enterprise_id)
    if made is None:
        return {"enterprise_id": enterprise_id, "forecast": None}
    return {
        "enterprise_id": made.enterprise_id,
        "months": made.months,
        "history": made.history,
        "ahead": made.ahead,
        "forecast": dataclasses.asdict(made.result),
    }


# ---------------------------------------------------------------------------------------------------------------
# prepaid accounts
# ---------------------------------------------------------------------------------------------------------------
class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    park_id: int
    enterprise_id: int | None
    balance: float
    low_balance: float
    warned: bool


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: int
    kind: str
    amount: float
    balance_after: float
    month: dt.date | None
    at: dt.datetime
    by: str
    note: str | None


class TopUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: int = Field(ge=1, le=2**31 - 1)
    amount: float = Field(gt=0, le=prepaid.MAX_AMOUNT, description="yuan")
    low_balance: float | None = Field(default=None, ge=0, le=prepaid.MAX_AMOUNT, description="warn below (yuan)")
    note: str | None = Field(default=None, max_length=300)


class Deduct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: dt.date = Field(description="any day of the month whose bills are deducted")
    enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="only this enterprise's")


@router.get("/energy-ops/prepaid", response_model=list[AccountRead], tags=TAGS)
def prepaid_accounts(db: DbSession, scope: CurrentScope) -> Any:
    """The prepaid electricity accounts (an enterprise: its own) with their balance and warning level."""
    return prepaid.accounts(db, scope=scope)


@router.get("/energy-ops/prepaid/{ident}/entries", response_model=list[EntryRead], tags=TAGS)
def prepaid_entries(db: DbSession, scope: CurrentScope, ident: Ident) -> Any:
    """An account's top-ups and deductions, newest first (the last 200)."""
    return prepaid.entries(db, scope=scope, account_id=ident)


@router.post("/energy-ops/prepaid/top-up", response_model=AccountRead, tags=TAGS)
def prepaid_top_up(data: TopUp, db: DbSession, scope: CurrentScope) -> Any:
    """Top an enterprise's prepaid account up (opened at the first top-up)."""
    return prepaid.top_up(
        db,
        scope=scope,
        enterprise_id=data.enterprise_id,
        amount=data.amount,
        low_balance=data.low_balance,
        note=data.note,
    )


@router.post("/energy-ops/prepaid/deduct", response_model=list[EntryRead], tags=TAGS)
def prepaid_deduct(data: Deduct, db: DbSession, scope: CurrentScope) -> Any:
    """Deduct a month's bills from the prepaid accounts (once per month; a low balance warns the staff)."""
    if not 2000 <= data.month.year <= 2100:
        raise field_error("month", "a month of the years 2000 to 2100")
    return prepaid.deduct_month(db, scope=scope, month=data.month, enterprise_id=data.enterprise_id)
