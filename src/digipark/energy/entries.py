"""Manual monthly energy entries, their evidence files and their Excel import."""

from __future__ import annotations

import builtins
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core import spreadsheet, units, uploads
from digipark.core.errors import DomainError, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.spreadsheet import Column, ImportFailed, ImportReport, RowError
from digipark.core.uploads import UploadRule, check_upload, safe_filename
from digipark.energy.common import ENTRY, IMPORT, checked_carrier, enterprise_for, not_future
from digipark.energy.factors import carriers
from digipark.energy.meters import get_meter
from digipark.energy.models import EnergyEntry, EnergyMeter, Flow, MeterSource
from digipark.energy.schemas import EntryCreate, EntryUpdate, parse_month
from digipark.registry.models import Enterprise

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
EVIDENCE = UploadRule(
    types={
        "application/pdf": uploads.PDF,
        "image/png": uploads.PNG,
        "image/jpeg": uploads.JPEG,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": uploads.ZIP_OFFICE,
        "text/plain": uploads.TEXT,
        "text/csv": uploads.TEXT,
    },
    max_bytes=MAX_EVIDENCE_BYTES,
    accepted_names="PDF, PNG, JPEG, Excel or text",
)


ENTRY_SPEC = ListSpec(
    filters={
        "park_id": EnergyEntry.park_id,
        "enterprise_id": EnergyEntry.enterprise_id,
        "meter_id": EnergyEntry.meter_id,
        "carrier": EnergyEntry.carrier,
        "period": EnergyEntry.period,
        "flow": EnergyEntry.flow,
    },
    sort={"id": EnergyEntry.id, "period": EnergyEntry.period, "quantity": EnergyEntry.quantity},
    default_sort="-period,id",
)


def list_entries(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EnergyEntry], int]:
    return ENTRY_SPEC.apply(session, scope.readable(EnergyEntry), query)


def get_entry(session: Session, *, scope: Scope, ident: int) -> EnergyEntry:
    return scope.get_or_404(session, EnergyEntry, ident)


def to_canonical(carrier: str, quantity: float, unit: str | None) -> float:
    """`quantity` in `unit` as the carrier's canonical unit; a unit that does not convert is a 422 on `unit`."""
    target = carriers()[carrier].unit
    if unit is None or unit == target:
        return quantity
    value = units.convert(quantity, unit, target)
    if value < 0:
        raise field_error("quantity", "must not be negative")
    return value


def create_entry(session: Session, *, scope: Scope, data: EntryCreate) -> EnergyEntry:
    meter: EnergyMeter | None = None
    if data.meter_id is not None:
        meter = get_meter(session, scope=scope, ident=data.meter_id)
        if meter.source != MeterSource.MANUAL.value:
            raise field_error("meter_id", "entries are for manual meters; telemetry and virtual meters compute theirs")
        if data.carrier is not None and data.carrier != meter.carrier:
            raise field_error("carrier", f"the meter measures {meter.carrier}")
        carrier, flow = meter.carrier, meter.flow
        park_id, enterprise_id = meter.park_id, meter.enterprise_id
    else:
        carrier = checked_carrier(data.carrier)
        flow = data.flow
        enterprise = enterprise_for(session, scope, data.enterprise_id)
        park_id, enterprise_id = enterprise.park_id, enterprise.id
    scope.authorize_write(ENTRY, park_id=park_id, enterprise_id=enterprise_id)
    not_future(data.period)
    quantity = to_canonical(carrier, data.quantity, data.unit)
    row = EnergyEntry(
        park_id=park_id,
        enterprise_id=enterprise_id,
        meter_id=meter.id if meter else None,
        carrier=carrier,
        flow=flow,
        period=data.period,
        quantity=quantity,
        entered_quantity=data.quantity,
        entered_unit=data.unit or carriers()[carrier].unit,
        note=data.note,
        evidence_size=0,
        entered_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def update_entry(session: Session, *, scope: Scope, ident: int, data: EntryUpdate) -> EnergyEntry:
    row = get_entry(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    given = data.model_dump(exclude_unset=True)
    if "quantity" in given or "unit" in given:
        quantity = data.quantity if data.quantity is not None else row.entered_quantity
        unit = data.unit or row.entered_unit
        row.quantity = to_canonical(row.carrier, quantity, unit)
        row.entered_quantity, row.entered_unit = quantity, unit
    if "note" in given:
        row.note = data.note
    session.flush()
    return row


def delete_entry(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_entry(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    session.delete(row)
    session.flush()


def attach_evidence(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> EnergyEntry:
    row = get_entry(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    row.evidence_type = check_upload(EVIDENCE, filename=filename, content_type=content_type, content=content)
    row.evidence_name = safe_filename(filename)
    row.evidence_size = len(content)
    row.evidence_sha256 = hashlib.sha256(content).hexdigest()
    row.evidence = content
    session.flush()
    return row


# -- Excel import ----------------------------------------------------------------------------------------------
IMPORT_COLUMNS: tuple[Column, ...] = (
    Column("enterprise_uscc", "统一社会信用代码", "str", "the enterprise's USCC (GB 32100)"),
    Column("period", "月份", "str", "YYYY-MM"),
    Column(
        "carrier",
        "能源品种",
        "str",
        "anthracite, bituminous, lignite, diesel, gasoline, fuel_oil, lpg, natural_gas, heat, steam ...",
    ),
    Column("flow", "方向", "str", "purchased (default), exported or generated"),
    Column("quantity", "数量", "float", "not negative"),
    Column("unit", "单位", "str", "t, kg, m³, GJ, kWh ... (default: the carrier's unit)"),
    Column("note", "备注", "str", ""),
)
IMPORT_REQUIRED = ("enterprise_uscc", "period", "carrier", "quantity")


def template_xlsx() -> bytes:
    return spreadsheet.write_xlsx(
        "能源手工录入",
        IMPORT_COLUMNS,
        [["91320500MA1XXXXXX0", "2026-01", "bituminous", "purchased", 120.5, "t", "煤炭进货单 2026-01"]],
        notes=(
            "每行一个企业一个月一种能源；整表全部导入或全部不导入。",
            "The workbook is kept as the evidence of every row.",
        ),
        required=IMPORT_REQUIRED,
    )


def import_entries(
    session: Session,
    *,
    scope: Scope,
    filename: str,
    content: bytes,
    dry_run: bool = False,
    park_id: int | None = None,
) -> ImportReport:
    """All-or-nothing import of monthly entries; the workbook is kept as each row's evidence."""
    scope.require(IMPORT)
    park = scope.acting_write_park(park_id)
    rows = spreadsheet.load_rows(content)
    if not rows:
        raise ImportFailed(
            kind="energy_entry",
            rows=0,
            errors=[RowError(row=1, column=None, reason="the sheet is empty")],
            dry_run=dry_run,
        )
    (header_number, header), data_rows = rows[0], rows[1:]
    columns, errors = spreadsheet.read_header(IMPORT_COLUMNS, header_number, header, required=IMPORT_REQUIRED)
    if errors:
        raise ImportFailed(kind="energy_entry", rows=len(data_rows), errors=errors, dry_run=dry_run)
    by_uscc = {
        uscc: (ident, park_of)
        for ident, uscc, park_of in session.execute(
            select(Enterprise.id, Enterprise.uscc, Enterprise.park_id).where(Enterprise.park_id == park)
        )
    }
    planned: list[EnergyEntry] = []
    for number, values in data_rows:
        cells: dict[str, Any] = {}
        for column, value in zip(columns, values, strict=False):
            if column is not None:
                cells[column.key] = spreadsheet.convert(column, value)
        try:
            uscc = str(cells.get("enterprise_uscc") or "").strip()
            if uscc not in by_uscc:
                raise field_error("enterprise_uscc", f"no enterprise {uscc or '(empty)'} in this park")
            enterprise_id = by_uscc[uscc][0]
            try:
                period = parse_month(cells.get("period"))
            except ValueError as exc:
                raise field_error("period", str(exc)) from None
            not_future(period)
            carrier = checked_carrier(str(cells.get("carrier") or "").strip() or None)
            flow = str(cells.get("flow") or "purchased").strip()
            if flow not in {f.value for f in Flow}:
                raise field_error("flow", "use purchased, exported or generated")
            raw = cells.get("quantity")
            if isinstance(raw, str):
                try:
                    raw = float(raw)
                except ValueError:
                    raise field_error("quantity", "not a number") from None
            if not isinstance(raw, int | float) or raw != raw:
                raise field_error("quantity", "not a number")
            if raw < 0:
                raise field_error("quantity", "must not be negative")
            unit = str(cells.get("unit") or "").strip() or None
            quantity = to_canonical(carrier, float(raw), unit)
        except DomainError as exc:
            for e in exc.errors or [{"field": None, "reason": exc.detail}]:
                errors.append(RowError(row=number, column=e.get("field"), reason=str(e.get("reason"))))
            continue
        scope.authorize_write(ENTRY, park_id=park, enterprise_id=enterprise_id)
        planned.append(
            EnergyEntry(
                park_id=park,
                enterprise_id=enterprise_id,
                carrier=carrier,
                flow=flow,
                period=period,
                quantity=quantity,
                entered_quantity=float(raw),
                entered_unit=unit or carriers()[carrier].unit,
                note=(str(cells["note"])[:500] if cells.get("note") else None),
                evidence_name=safe_filename(filename or "import.xlsx"),
                evidence_type=spreadsheet.XLSX_MEDIA_TYPE,
                evidence_size=len(content),
                evidence_sha256=hashlib.sha256(content).hexdigest(),
                evidence=content,
                entered_by=scope.username,
            )
        )
    if errors:
        raise ImportFailed(kind="energy_entry", rows=len(data_rows), errors=errors, dry_run=dry_run)
    if not dry_run:
        session.add_all(planned)
        session.flush()
    return ImportReport(kind="energy_entry", rows=len(data_rows), created=len(planned), dry_run=dry_run)
