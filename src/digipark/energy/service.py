"""The energy domain's service: meters (hierarchy, telemetry-linked, manual, virtual), manual monthly entries with
evidence and their Excel import, declarations (process emissions, product output), tariffs and settings; and the
figures: monthly consumption from the telemetry rollups (`rollup_1mo` delta of cumulative registers, never raw
readings), standard coal on both bases, carbon accounts with their calculation, intensity per 万元 output value
(economy's monthly statistics), load curves (`rollup_15m`), 峰/平/谷 split and cost, year-on-year and
month-on-month, rankings, anomalies against each meter's baseline and optimisation suggestions.

Everything takes `(session, *, scope, ...)`, reads through the scope and never commits.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core import spreadsheet, units
from digipark.core.config import get_settings
from digipark.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.core.spreadsheet import Column, FileTooLarge, ImportFailed, ImportReport, RowError, UnsupportedFile
from digipark.economy import statistics
from digipark.energy import carbon, standard_coal, tariffs
from digipark.energy.factors import NATIONAL, carriers, coal_table, default_tariff, factor_set
from digipark.energy.models import (
    CarbonDeclaration,
    EnergyEntry,
    EnergyMeter,
    EnergySetting,
    Flow,
    MeterLevel,
    MeterSource,
    Tariff,
)
from digipark.energy.schemas import (
    Anomaly,
    BandFigure,
    CarrierFigure,
    DeclarationCreate,
    DeclarationUpdate,
    EnterpriseAccount,
    EntryCreate,
    EntryUpdate,
    FactorInfo,
    IndustryFigure,
    LineRead,
    LoadCurve,
    LoadPoint,
    MeterConsumption,
    MeterCreate,
    MeterUpdate,
    MonthFigure,
    MonthValue,
    ParkSummary,
    RankItem,
    SettingsRead,
    SettingsUpdate,
    Suggestion,
    TariffCreate,
    TariffSplit,
    TariffUpdate,
    parse_month,
)
from digipark.registry.models import Building, Enterprise, Point, Zone
from digipark.telemetry.models import Rollup1mo, Rollup15m
from digipark.telemetry.rollups import CUMULATIVE

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
READ = "energy.read"  # park-wide figures, every enterprise's account
WRITE = "energy.write"  # meters, tariffs, settings (park staff)
ENTRY = "energy.entry"  # manual entries and declarations (staff for any enterprise; an enterprise its own)
IMPORT = "energy.import"

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "text/plain": None,
    "text/csv": None,
}
MAX_CURVE_DAYS = 31
MAX_SPLIT_DAYS = 366
PROFILE_DAYS = 28  # the mean day of a load profile for the optimisation averages this many days
RANKING = 20


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(get_settings().timezone)


def today() -> dt.date:
    return dt.datetime.now(local_zone()).date()


def _ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=local_zone()).timestamp() * 1000)


def month_starts(year: int) -> list[int]:
    """Local month starts (epoch ms) of `year`, 13 values (the last is next January)."""
    return [_ms(dt.date(year + (m // 12), m % 12 + 1, 1)) for m in range(13)]


def _park(scope: Scope, park_id: int | None) -> int:
    park = park_id if park_id is not None else scope.park_id
    if park is None and len(scope.read_parks) == 1:
        park = next(iter(scope.read_parks))
    if park is None or park not in scope.read_parks:
        raise NotFound(f"park {park_id} not found")
    return park


def _write_park(scope: Scope, park_id: int | None) -> int:
    park = park_id if park_id is not None else scope.park_id
    if park is None:
        raise field_error("park_id", "required: the park this is for")
    if park not in scope.read_parks:
        raise NotFound(f"park {park} not found")
    return park


def _carrier(code: str | None, field: str = "carrier") -> str:
    if not code or code not in carriers():
        raise field_error(field, f"unknown fuel or energy carrier {code!r}; use one of {', '.join(carriers())}")
    return code


def _enterprise(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    if enterprise_id is None:
        if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
            enterprise_id = scope.enterprise_id
        else:
            raise field_error("enterprise_id", "required: the enterprise this is for")
    found: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if found is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return found


def readable_enterprise(session: Session, *, scope: Scope, enterprise_id: int) -> Enterprise:
    """An enterprise whose energy and carbon the caller may read: staff with READ, or the enterprise itself."""
    found: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if found is None:
        raise NotFound(f"enterprise {enterprise_id} not found")
    if scope.role == Role.ENTERPRISE:
        if scope.enterprise_id != found.id:
            raise NotFound(f"enterprise {enterprise_id} not found")
    elif not scope.can(READ):
        raise PermissionDenied(f"role {scope.role.value} may not read energy and carbon figures")
    return found


def _not_future(period: dt.date, field: str = "period") -> None:
    if period > today().replace(day=1):
        raise field_error(field, f"{period:%Y-%m} has not begun")


# ==================================================================================================================
# Settings and factors
# ==================================================================================================================
def _setting_row(session: Session, park_id: int) -> EnergySetting | None:
    found: EnergySetting | None = session.scalar(select(EnergySetting).where(EnergySetting.park_id == park_id))
    return found


def region_of(session: Session, park_id: int) -> str:
    row = _setting_row(session, park_id)
    if row is None or row.grid_basis != "regional" or not row.grid_region:
        return NATIONAL
    return row.grid_region


def _settings_read(session: Session, park_id: int) -> SettingsRead:
    row = _setting_row(session, park_id)
    fs = factor_set()
    return SettingsRead(
        park_id=park_id,
        grid_basis=row.grid_basis if row else "national",
        grid_region=row.grid_region if row else None,
        region_used=region_of(session, park_id),
        baseline_months=row.baseline_months if row else 6,
        anomaly_threshold_pct=row.anomaly_threshold_pct if row else 30.0,
        regions=fs.regions,
        factor_version=fs.version,
    )


def get_settings_read(session: Session, *, scope: Scope, park_id: int | None = None) -> SettingsRead:
    return _settings_read(session, _park(scope, park_id))


def update_settings(session: Session, *, scope: Scope, data: SettingsUpdate) -> SettingsRead:
    scope.require(WRITE)
    park_id = _write_park(scope, data.park_id)
    scope.authorize_write(WRITE, park_id=park_id)
    if data.grid_basis == "regional" and (not data.grid_region or data.grid_region not in factor_set().regions):
        raise field_error("grid_region", f"choose one of {', '.join(factor_set().regions)}")
    row = _setting_row(session, park_id)
    if row is None:
        row = EnergySetting(park_id=park_id)
        session.add(row)
    row.grid_basis = data.grid_basis
    row.grid_region = data.grid_region if data.grid_basis == "regional" else None
    row.baseline_months = data.baseline_months
    row.anomaly_threshold_pct = data.anomaly_threshold_pct
    session.flush()
    return _settings_read(session, park_id)


def factor_info() -> FactorInfo:
    fs = factor_set()
    table = coal_table()
    return FactorInfo(
        version=fs.version,
        method=fs.method,
        source=fs.source,
        status=fs.status,
        fuels=[dataclasses.asdict(f) for f in fs.fuels.values()],
        grid=[{**dataclasses.asdict(g), "source": fs.grid_source} for g in fs.grid],
        heat={"value": fs.heat_factor, "unit": "tCO2/GJ", "source": fs.heat_source, "status": fs.heat_status},
        process_materials=[dataclasses.asdict(m) for m in fs.materials.values()],
        standard_coal={
            "standard": table.standard,
            "source": table.source,
            "status": table.status,
            "coefficients": [dataclasses.asdict(c) for c in table.coefficients.values()],
            "electricity_equivalent_kgce_per_kwh": table.electricity_equivalent,
            "electricity_equal_kgce_per_kwh": {
                str(y): {"value": v, "status": s} for y, (v, s) in table.electricity_equal_by_year.items()
            },
        },
        carriers=[dataclasses.asdict(c) for c in carriers().values()],
    )


# ==================================================================================================================
# Meters
# ==================================================================================================================
METER_SPEC = ListSpec(
    filters={
        "park_id": EnergyMeter.park_id,
        "enterprise_id": EnergyMeter.enterprise_id,
        "level": EnergyMeter.level,
        "carrier": EnergyMeter.carrier,
        "source": EnergyMeter.source,
        "parent_id": EnergyMeter.parent_id,
        "active": EnergyMeter.active,
    },
    search=(EnergyMeter.name, EnergyMeter.code),
    sort={"id": EnergyMeter.id, "code": EnergyMeter.code, "name": EnergyMeter.name, "level": EnergyMeter.level},
    default_sort="code",
)


def list_meters(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[EnergyMeter], int]:
    return METER_SPEC.apply(session, scope.readable(EnergyMeter), query)


def get_meter(session: Session, *, scope: Scope, ident: int) -> EnergyMeter:
    return scope.get_or_404(session, EnergyMeter, ident)


def _same_park_meter(session: Session, park_id: int, ident: int, field: str) -> EnergyMeter:
    found = session.get(EnergyMeter, ident)
    if found is None or found.park_id != park_id:
        raise field_error(field, f"no meter {ident} in this park")
    return found


def _check_point(session: Session, scope: Scope, park_id: int, point_id: int, carrier: str) -> None:
    point: Point | None = session.scalar(scope.readable(Point).where(Point.id == point_id))
    if point is None or point.park_id != park_id:
        raise field_error("point_id", f"no point {point_id} in this park")
    if point.state_class != CUMULATIVE:
        raise field_error("point_id", "the point is not a cumulative register (state_class total_increasing)")
    allowed = carriers()[carrier].telemetry
    if point.quantity not in allowed:
        raise field_error(
            "point_id", f"a {carrier} meter reads {', '.join(allowed) or 'no telemetry'}, not {point.quantity}"
        )
    try:
        units.convert(1.0, point.unit, carriers()[carrier].unit)
    except ValidationFailed:
        raise field_error(
            "point_id", f"the point's unit {point.unit} does not convert to {carriers()[carrier].unit}"
        ) from None


def _check_terms(session: Session, meter: EnergyMeter, terms: builtins.list[dict[str, Any]]) -> None:
    if not terms:
        raise field_error("terms", "a virtual meter needs at least one term")
    for index, term in enumerate(terms):
        other = _same_park_meter(session, meter.park_id, int(term["meter_id"]), f"terms[{index}].meter_id")
        if other.carrier != meter.carrier:
            raise field_error(
                f"terms[{index}].meter_id", f"meter {other.id} measures {other.carrier}, not {meter.carrier}"
            )
    # no cycle: walk the terms' own terms
    seen: set[int] = set()
    stack = [int(t["meter_id"]) for t in terms]
    while stack:
        ident = stack.pop()
        if meter.id is not None and ident == meter.id:
            raise field_error("terms", "a virtual meter cannot depend on itself")
        if ident in seen:
            continue
        seen.add(ident)
        term_meter = session.get(EnergyMeter, ident)
        if term_meter is not None and term_meter.source == MeterSource.VIRTUAL.value:
            stack += [int(t["meter_id"]) for t in term_meter.terms]


def _check_parent(session: Session, meter: EnergyMeter, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = _same_park_meter(session, meter.park_id, parent_id, "parent_id")
    cursor: EnergyMeter | None = parent
    while cursor is not None:
        if meter.id is not None and cursor.id == meter.id:
            raise field_error("parent_id", "the meter would be its own ancestor")
        cursor = session.get(EnergyMeter, cursor.parent_id) if cursor.parent_id else None


def create_meter(session: Session, *, scope: Scope, data: MeterCreate) -> EnergyMeter:
    carrier = _carrier(data.carrier)
    if data.enterprise_id is not None:
        enterprise = _enterprise(session, scope, data.enterprise_id)
        park_id = enterprise.park_id
        if data.park_id is not None and data.park_id != park_id:
            raise field_error("park_id", "the enterprise belongs to another park")
    else:
        park_id = _write_park(scope, data.park_id)
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=data.enterprise_id)
    if data.level == MeterLevel.ENTERPRISE.value and data.enterprise_id is None:
        raise field_error("enterprise_id", "an enterprise meter names its enterprise")
    if session.scalar(select(EnergyMeter.id).where(EnergyMeter.park_id == park_id, EnergyMeter.code == data.code)):
        raise Conflict(f"meter code {data.code} is taken", errors=[{"field": "code", "reason": "already exists"}])
    if data.zone_id is not None:
        zone = session.get(Zone, data.zone_id)
        if zone is None or zone.park_id != park_id:
            raise field_error("zone_id", f"no zone {data.zone_id} in this park")
    if data.building_id is not None:
        building = session.get(Building, data.building_id)
        if building is None or building.park_id != park_id:
            raise field_error("building_id", f"no building {data.building_id} in this park")
    meter = EnergyMeter(
        park_id=park_id,
        enterprise_id=data.enterprise_id,
        code=data.code,
        name=data.name,
        level=data.level,
        carrier=carrier,
        flow=data.flow,
        source=data.source,
        unit=carriers()[carrier].unit,
        zone_id=data.zone_id,
        building_id=data.building_id,
        point_id=None,
        terms=[],
        flexible_share=data.flexible_share,
        active=True,
    )
    if data.source == MeterSource.TELEMETRY.value:
        if data.point_id is None:
            raise field_error("point_id", "a telemetry meter names its cumulative register point")
        _check_point(session, scope, park_id, data.point_id, carrier)
        meter.point_id = data.point_id
    elif data.point_id is not None:
        raise field_error("point_id", "only a telemetry meter reads a point")
    terms = [t.model_dump() for t in data.terms]
    if data.source == MeterSource.VIRTUAL.value:
        _check_terms(session, meter, terms)
        meter.terms = terms
    elif terms:
        raise field_error("terms", "only a virtual meter has terms")
    _check_parent(session, meter, data.parent_id)
    meter.parent_id = data.parent_id
    session.add(meter)
    session.flush()
    return meter


def update_meter(session: Session, *, scope: Scope, ident: int, data: MeterUpdate) -> EnergyMeter:
    meter = get_meter(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, meter)
    given = data.model_dump(exclude_unset=True)
    if "parent_id" in given:
        _check_parent(session, meter, data.parent_id)
        meter.parent_id = data.parent_id
    if given.get("point_id") is not None:
        if meter.source != MeterSource.TELEMETRY.value:
            raise field_error("point_id", "only a telemetry meter reads a point")
        _check_point(session, scope, meter.park_id, int(given["point_id"]), meter.carrier)
        meter.point_id = given["point_id"]
    if data.terms is not None:
        if meter.source != MeterSource.VIRTUAL.value:
            raise field_error("terms", "only a virtual meter has terms")
        terms = [t.model_dump() for t in data.terms]
        _check_terms(session, meter, terms)
        meter.terms = terms
    if data.name is not None:
        meter.name = data.name
    if data.flexible_share is not None:
        meter.flexible_share = data.flexible_share
    if data.active is not None:
        meter.active = data.active
    session.flush()
    return meter


def delete_meter(session: Session, *, scope: Scope, ident: int) -> None:
    meter = get_meter(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, meter)
    if session.scalar(select(EnergyEntry.id).where(EnergyEntry.meter_id == meter.id).limit(1)):
        raise Conflict("the meter has manual entries; deactivate it instead")
    if session.scalar(select(EnergyMeter.id).where(EnergyMeter.parent_id == meter.id).limit(1)):
        raise Conflict("the meter has sub-meters; move or delete them first")
    virtual = session.scalars(
        select(EnergyMeter).where(EnergyMeter.park_id == meter.park_id, EnergyMeter.source == MeterSource.VIRTUAL.value)
    )
    if any(int(t["meter_id"]) == meter.id for v in virtual for t in v.terms):
        raise Conflict("a virtual meter uses this meter; change it first")
    session.delete(meter)
    session.flush()


# ==================================================================================================================
# Manual entries and their evidence
# ==================================================================================================================
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
        carrier = _carrier(data.carrier)
        flow = data.flow
        enterprise = _enterprise(session, scope, data.enterprise_id)
        park_id, enterprise_id = enterprise.park_id, enterprise.id
    scope.authorize_write(ENTRY, park_id=park_id, enterprise_id=enterprise_id)
    _not_future(data.period)
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


def _check_file(filename: str, content_type: str, content: bytes) -> str:
    if len(content) > MAX_EVIDENCE_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB")
    if not content:
        raise field_error("file", "the file is empty")
    if not filename.strip():
        raise field_error("file", "the file has no name")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in EVIDENCE_TYPES:
        raise UnsupportedFile(
            f"files of type {declared or 'unknown'} are not accepted; use PDF, PNG, JPEG, Excel or text"
        )
    signatures = EVIDENCE_TYPES[declared]
    if signatures is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedFile(f"the file is not the {declared} it claims to be") from None
    elif not any(content.startswith(sig) for sig in signatures):
        raise UnsupportedFile(f"the file is not the {declared} it claims to be")
    return declared


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')[:200] or "file"


def attach_evidence(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> EnergyEntry:
    row = get_entry(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    row.evidence_type = _check_file(filename, content_type, content)
    row.evidence_name = _safe_name(filename)
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
    park = _write_park(scope, park_id)
    scope.authorize_write(IMPORT, park_id=park)
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
            _not_future(period)
            carrier = _carrier(str(cells.get("carrier") or "").strip() or None)
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
                evidence_name=_safe_name(filename or "import.xlsx"),
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


# ==================================================================================================================
# Declarations (process emissions, product output)
# ==================================================================================================================
DECLARATION_SPEC = ListSpec(
    filters={
        "park_id": CarbonDeclaration.park_id,
        "enterprise_id": CarbonDeclaration.enterprise_id,
        "period": CarbonDeclaration.period,
    },
    sort={"id": CarbonDeclaration.id, "period": CarbonDeclaration.period},
    default_sort="-period,id",
)


def list_declarations(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[CarbonDeclaration], int]:
    return DECLARATION_SPEC.apply(session, scope.readable(CarbonDeclaration), query)


def get_declaration(session: Session, *, scope: Scope, ident: int) -> CarbonDeclaration:
    return scope.get_or_404(session, CarbonDeclaration, ident)


def _check_material(material: str | None, quantity: float | None) -> None:
    if material is not None and material not in factor_set().materials:
        raise field_error(
            "process_material", f"unknown process material {material!r}; use one of {', '.join(factor_set().materials)}"
        )
    if (material is None) != (quantity is None):
        raise field_error("process_quantity_t", "give the material and its quantity together")


def create_declaration(session: Session, *, scope: Scope, data: DeclarationCreate) -> CarbonDeclaration:
    enterprise = _enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(ENTRY, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    _not_future(data.period)
    _check_material(data.process_material, data.process_quantity_t)
    existing = session.scalar(
        select(CarbonDeclaration.id).where(
            CarbonDeclaration.enterprise_id == enterprise.id, CarbonDeclaration.period == data.period
        )
    )
    if existing is not None:
        raise Conflict(
            f"{enterprise.name} already declared {data.period:%Y-%m} (declaration {existing})",
            errors=[{"field": "period", "reason": "already exists", "declaration_id": existing}],
        )
    row = CarbonDeclaration(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        period=data.period,
        process_material=data.process_material,
        process_quantity_t=data.process_quantity_t,
        process_tco2=data.process_tco2,
        product_output_t=data.product_output_t,
        note=data.note,
        declared_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def update_declaration(session: Session, *, scope: Scope, ident: int, data: DeclarationUpdate) -> CarbonDeclaration:
    row = get_declaration(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    given = data.model_dump(exclude_unset=True)
    material = given.get("process_material", row.process_material)
    quantity = given.get("process_quantity_t", row.process_quantity_t)
    _check_material(material, quantity)
    for key, value in given.items():
        setattr(row, key, value)
    row.declared_by = scope.username
    session.flush()
    return row


def delete_declaration(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_declaration(session, scope=scope, ident=ident)
    scope.authorize_write_row(ENTRY, row)
    session.delete(row)
    session.flush()


# ==================================================================================================================
# Tariffs
# ==================================================================================================================
TARIFF_SPEC = ListSpec(
    filters={"park_id": Tariff.park_id, "valid_from": Tariff.valid_from},
    sort={"id": Tariff.id, "valid_from": Tariff.valid_from},
    default_sort="-valid_from",
)


def list_tariffs(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[Tariff], int]:
    return TARIFF_SPEC.apply(session, scope.readable(Tariff), query)


def get_tariff(session: Session, *, scope: Scope, ident: int) -> Tariff:
    return scope.get_or_404(session, Tariff, ident)


def _check_tariff(periods: builtins.list[dict[str, Any]], prices: dict[str, float]) -> None:
    tariffs.minute_bands(periods)
    tariffs.check_prices(periods, prices)


def create_tariff(session: Session, *, scope: Scope, data: TariffCreate) -> Tariff:
    scope.require(WRITE)
    park_id = _write_park(scope, data.park_id)
    scope.authorize_write(WRITE, park_id=park_id)
    periods = [p.model_dump() for p in data.periods]
    prices = {str(k): float(v) for k, v in data.prices.items()}
    _check_tariff(periods, prices)
    if session.scalar(select(Tariff.id).where(Tariff.park_id == park_id, Tariff.valid_from == data.valid_from)):
        raise Conflict(
            f"a tariff from {data.valid_from} exists", errors=[{"field": "valid_from", "reason": "already exists"}]
        )
    row = Tariff(
        park_id=park_id, name=data.name, valid_from=data.valid_from, periods=periods, prices=prices, source=data.source
    )
    session.add(row)
    session.flush()
    return row


def update_tariff(session: Session, *, scope: Scope, ident: int, data: TariffUpdate) -> Tariff:
    row = get_tariff(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    periods = [p.model_dump() for p in data.periods] if data.periods is not None else row.periods
    prices = {str(k): float(v) for k, v in data.prices.items()} if data.prices is not None else row.prices
    _check_tariff(periods, prices)
    row.periods, row.prices = periods, prices
    if data.name is not None:
        row.name = data.name
    if "source" in data.model_fields_set:
        row.source = data.source
    session.flush()
    return row


def delete_tariff(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_tariff(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    session.delete(row)
    session.flush()


@dataclasses.dataclass(frozen=True)
class TariffInUse:
    name: str
    periods: builtins.list[dict[str, Any]]
    prices: dict[str, float]


def tariff_for(session: Session, park_id: int, on: dt.date) -> TariffInUse:
    """The park's tariff in force on `on` (the latest valid_from ≤ on), else the earliest, else the default."""
    rows = [*session.scalars(select(Tariff).where(Tariff.park_id == park_id).order_by(Tariff.valid_from))]
    chosen = [t for t in rows if t.valid_from <= on]
    row = chosen[-1] if chosen else (rows[0] if rows else None)
    if row is None:
        default = default_tariff()
        return TariffInUse(str(default["name"]), list(default["periods"]), dict(default["prices"]))
    return TariffInUse(row.name, row.periods, row.prices)


# ==================================================================================================================
# Consumption and accounts
# ==================================================================================================================
@dataclasses.dataclass(frozen=True, slots=True)
class MeterInfo:
    id: int
    enterprise_id: int | None
    name: str
    level: str
    carrier: str
    flow: str
    source: str
    point_id: int | None
    terms: tuple[tuple[int, int], ...]
    flexible_share: float


@dataclasses.dataclass
class YearData:
    park_id: int
    year: int
    meters: dict[int, MeterInfo]
    by_meter: dict[int, builtins.list[float]]  # 12 months in the meter's unit
    activities: dict[int, dict[tuple[str, str], builtins.list[float]]]  # enterprise -> (carrier, flow) -> months
    declared: dict[int, builtins.list[tuple[int, carbon.Declared]]]  # enterprise -> (month index, declared)
    product_t: dict[int, float]


def _zeros() -> builtins.list[float]:
    return [0.0] * 12


def _meters(session: Session, park_id: int) -> dict[int, MeterInfo]:
    rows = session.execute(
        select(
            EnergyMeter.id,
            EnergyMeter.enterprise_id,
            EnergyMeter.name,
            EnergyMeter.level,
            EnergyMeter.carrier,
            EnergyMeter.flow,
            EnergyMeter.source,
            EnergyMeter.point_id,
            EnergyMeter.terms,
            EnergyMeter.flexible_share,
        ).where(EnergyMeter.park_id == park_id, EnergyMeter.active.is_(True))
    )
    return {
        r.id: MeterInfo(
            r.id,
            r.enterprise_id,
            r.name,
            r.level,
            r.carrier,
            r.flow,
            r.source,
            r.point_id,
            tuple((int(t["meter_id"]), int(t.get("sign", 1))) for t in (r.terms or [])),
            float(r.flexible_share or 0.0),
        )
        for r in rows
    }


def _month_index(starts: builtins.list[int], bucket: int) -> int | None:
    for index in range(12):
        if starts[index] <= bucket < starts[index + 1]:
            return index
    return None


def _point_factor(session: Session, meters: dict[int, MeterInfo]) -> dict[int, float]:
    """Per telemetry meter: the factor from its point's unit to the carrier's canonical unit (1 when the same)."""
    ids = {m.point_id for m in meters.values() if m.point_id is not None}
    if not ids:
        return {}
    point_units = dict(session.execute(select(Point.id, Point.unit).where(Point.id.in_(ids))).all())
    out: dict[int, float] = {}
    for m in meters.values():
        if m.point_id is None:
            continue
        unit = point_units.get(m.point_id)
        target = carriers()[m.carrier].unit
        out[m.id] = 1.0 if unit in (None, target) else units.convert(1.0, unit, target)
    return out


def year_data(session: Session, park_id: int, year: int, enterprise_id: int | None = None) -> YearData:
    """Every meter's monthly consumption of `year` and every enterprise's monthly activity data (meters at the
    enterprise level plus entries without a meter), from `rollup_1mo` delta sums and manual entries."""
    starts = month_starts(year)
    meters = _meters(session, park_id)
    by_meter: dict[int, builtins.list[float]] = defaultdict(_zeros)
    factors = _point_factor(session, meters)
    r = Rollup1mo
    stmt = (
        select(EnergyMeter.id, r.bucket, r.delta)
        .join(r, r.point_id == EnergyMeter.point_id)
        .where(
            EnergyMeter.park_id == park_id,
            EnergyMeter.active.is_(True),
            EnergyMeter.source == MeterSource.TELEMETRY.value,
            r.bucket >= starts[0],
            r.bucket < starts[12],
        )
    )
    if enterprise_id is not None:
        stmt = stmt.where(EnergyMeter.enterprise_id == enterprise_id)
    for meter_id, bucket, delta in session.execute(stmt):
        index = _month_index(starts, int(bucket))
        if index is not None and delta is not None:
            by_meter[meter_id][index] += float(delta) * factors.get(meter_id, 1.0)
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    entries = (
        select(
            EnergyEntry.meter_id,
            EnergyEntry.enterprise_id,
            EnergyEntry.carrier,
            EnergyEntry.flow,
            EnergyEntry.period,
            func.sum(EnergyEntry.quantity),
        )
        .where(EnergyEntry.park_id == park_id, EnergyEntry.period >= first, EnergyEntry.period <= last)
        .group_by(
            EnergyEntry.meter_id, EnergyEntry.enterprise_id, EnergyEntry.carrier, EnergyEntry.flow, EnergyEntry.period
        )
    )
    if enterprise_id is not None:
        entries = entries.where(EnergyEntry.enterprise_id == enterprise_id)
    activities: dict[int, dict[tuple[str, str], builtins.list[float]]] = defaultdict(lambda: defaultdict(_zeros))
    for entry_meter, owner, carrier_code, flow, period, quantity in session.execute(entries):
        if entry_meter is not None:
            by_meter[entry_meter][period.month - 1] += float(quantity or 0.0)
        elif owner is not None:
            activities[owner][(carrier_code, flow)][period.month - 1] += float(quantity or 0.0)
    _resolve_virtual(meters, by_meter)
    for meter in meters.values():
        if meter.level != MeterLevel.ENTERPRISE.value or meter.enterprise_id is None:
            continue
        if enterprise_id is not None and meter.enterprise_id != enterprise_id:
            continue
        months = by_meter.get(meter.id)
        if months is None:
            continue
        target = activities[meter.enterprise_id][(meter.carrier, meter.flow)]
        for index in range(12):
            target[index] += months[index]
    declared: dict[int, builtins.list[tuple[int, carbon.Declared]]] = defaultdict(list)
    product: dict[int, float] = defaultdict(float)
    decl = select(
        CarbonDeclaration.enterprise_id,
        CarbonDeclaration.period,
        CarbonDeclaration.process_material,
        CarbonDeclaration.process_quantity_t,
        CarbonDeclaration.process_tco2,
        CarbonDeclaration.product_output_t,
    ).where(CarbonDeclaration.park_id == park_id, CarbonDeclaration.period >= first, CarbonDeclaration.period <= last)
    if enterprise_id is not None:
        decl = decl.where(CarbonDeclaration.enterprise_id == enterprise_id)
    for owner, period, material, quantity_t, tco2, output_t in session.execute(decl):
        if owner is None:
            continue
        declared[owner].append((period.month - 1, carbon.Declared(material, quantity_t, tco2)))
        product[owner] += float(output_t or 0.0)
    return YearData(park_id, year, meters, dict(by_meter), activities, declared, product)


def _resolve_virtual(meters: dict[int, MeterInfo], by_meter: dict[int, builtins.list[float]]) -> None:
    """Fill in virtual meters: the signed sum of their terms, month by month (terms may be virtual too)."""
    done: set[int] = set()

    def value(ident: int, trail: frozenset[int]) -> builtins.list[float]:
        meter = meters.get(ident)
        if meter is None or meter.source != MeterSource.VIRTUAL.value or ident in done:
            return by_meter.get(ident, _zeros())
        if ident in trail:  # a cycle saved before validation existed: count nothing
            return _zeros()
        months = _zeros()
        for term_id, sign in meter.terms:
            for index, v in enumerate(value(term_id, trail | {ident})):
                months[index] += sign * v
        by_meter[ident] = months
        done.add(ident)
        return months

    for ident, meter in meters.items():
        if meter.source == MeterSource.VIRTUAL.value:
            value(ident, frozenset())


def meter_consumption(session: Session, *, scope: Scope, ident: int, year: int) -> MeterConsumption:
    meter = get_meter(session, scope=scope, ident=ident)
    data = year_data(session, meter.park_id, year)
    months = data.by_meter.get(meter.id, _zeros())
    return MeterConsumption(
        meter_id=meter.id,
        unit=meter.unit,
        year=year,
        months=[MonthValue(month=dt.date(year, i + 1, 1), quantity=v) for i, v in enumerate(months)],
        total=sum(months),
    )


@dataclasses.dataclass(frozen=True)
class UnitFactors:
    """Per (carrier, flow): tce per unit on both bases, tCO2 per unit, and the sign in the consumption."""

    year: int
    region: str
    tce_equivalent: dict[tuple[str, str], float]
    tce_equal: dict[tuple[str, str], float]
    tco2: dict[tuple[str, str], float]

    @classmethod
    def of(cls, year: int, region: str, keys: Iterable[tuple[str, str]]) -> UnitFactors:
        eq: dict[tuple[str, str], float] = {}
        ev: dict[tuple[str, str], float] = {}
        co2: dict[tuple[str, str], float] = {}
        for carrier_code, flow in set(keys):
            sign = standard_coal.counts_in_consumption(carrier_code, flow)
            figure = standard_coal.convert(carrier_code, 1.0, year)
            eq[(carrier_code, flow)] = sign * figure.equivalent_tce
            ev[(carrier_code, flow)] = sign * figure.equal_tce
            line = carbon.activity_line(carbon.Activity(carrier_code, flow, 1.0), year, region)
            co2[(carrier_code, flow)] = line.tco2 if line is not None else 0.0
        return cls(year, region, eq, ev, co2)


def _keys(data: YearData) -> set[tuple[str, str]]:
    return {key for per in data.activities.values() for key in per}


def _pct(now: float, before: float | None) -> float | None:
    if before is None or abs(before) < 1e-9:
        return None
    return round((now - before) / abs(before) * 100, 2)


def _output_values(
    session: Session, scope: Scope, park_id: int, year: int, enterprise_id: int | None = None
) -> dict[int, float]:
    """Output value (万元) of `year` per enterprise, from economy's monthly statistics (what the caller may read),
    through the statistics service's bulk read (one scoped aggregate, no ORM rows)."""
    months = statistics.output_value_by_enterprise_month(
        session,
        scope=scope,
        park_id=park_id,
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 1),
        enterprise_id=enterprise_id,
    )
    out: dict[int, float] = defaultdict(float)
    for (ident, _), value in months.items():
        out[ident] += value
    return dict(out)


def _line_read(line: carbon.Line) -> LineRead:
    return LineRead(**dataclasses.asdict(line))


def _carrier_figures(sums: dict[tuple[str, str], float], year: int) -> builtins.list[CarrierFigure]:
    out = []
    for (carrier_code, flow), quantity in sorted(sums.items()):
        figure = standard_coal.convert(carrier_code, quantity, year)
        out.append(
            CarrierFigure(
                carrier=carrier_code,
                flow=flow,
                quantity=quantity,
                unit=figure.unit,
                tce_equivalent=figure.equivalent_tce,
                tce_equal=figure.equal_tce,
                factor_note=figure.factor_note,
                status=figure.status,
            )
        )
    return out


def _months_of(
    per: dict[tuple[str, str], builtins.list[float]],
    uf: UnitFactors,
    declared: builtins.list[tuple[int, carbon.Declared]],
) -> tuple[builtins.list[float], builtins.list[float], builtins.list[float], builtins.list[float]]:
    eq, ev, co2, kwh = _zeros(), _zeros(), _zeros(), _zeros()
    for key, months in per.items():
        for i, v in enumerate(months):
            eq[i] += v * uf.tce_equivalent[key]
            ev[i] += v * uf.tce_equal[key]
            co2[i] += v * uf.tco2[key]
            if key == ("electricity", Flow.PURCHASED.value):
                kwh[i] += v
    for index, d in declared:
        co2[index] += sum(line.tco2 for line in carbon.process_lines(d))
    return eq, ev, co2, kwh


def enterprise_account(
    session: Session, *, scope: Scope, enterprise_id: int, year: int | None = None
) -> EnterpriseAccount:
    """One enterprise's energy and carbon of `year`: carriers in tce (both bases), the carbon account with every
    line's calculation, months with the previous year's, intensity, yoy and mom."""
    enterprise = readable_enterprise(session, scope=scope, enterprise_id=enterprise_id)
    year = year or today().year
    region = region_of(session, enterprise.park_id)
    now = year_data(session, enterprise.park_id, year, enterprise.id)
    before = year_data(session, enterprise.park_id, year - 1, enterprise.id)
    per = now.activities.get(enterprise.id, {})
    per_before = before.activities.get(enterprise.id, {})
    uf = UnitFactors.of(year, region, per.keys())
    uf_before = UnitFactors.of(year - 1, region, per_before.keys())
    eq, ev, co2, kwh = _months_of(per, uf, now.declared.get(enterprise.id, []))
    eq0, _, co20, _ = _months_of(per_before, uf_before, before.declared.get(enterprise.id, []))
    sums = {key: sum(months) for key, months in per.items()}
    activities = [carbon.Activity(c, f, q) for (c, f), q in sums.items()]
    acc = carbon.account(activities, year, region, [d for _, d in now.declared.get(enterprise.id, [])])
    output = _output_values(session, scope, enterprise.park_id, year, enterprise.id).get(enterprise.id)
    total_eq, total_ev, total_co2 = sum(eq), sum(ev), acc.total
    last = max((i for i in range(12) if eq[i] or co2[i]), default=None)
    mom = _pct(eq[last], eq[last - 1]) if last is not None and last > 0 else None
    product = now.product_t.get(enterprise.id) or None
    # year-on-year over the same months (a year in progress is compared with the same months before)
    months_seen = range(last + 1) if last is not None else range(0)
    same_before_eq = sum(eq0[i] for i in months_seen)
    same_before_co2 = sum(co20[i] for i in months_seen)
    return EnterpriseAccount(
        enterprise_id=enterprise.id,
        name=enterprise.name,
        uscc=enterprise.uscc,
        industry_code=enterprise.industry_code,
        park_id=enterprise.park_id,
        year=year,
        factor_version=acc.version,
        grid_region=region,
        comprehensive_tce_equivalent=total_eq,
        comprehensive_tce_equal=total_ev,
        tco2=total_co2,
        by_category=acc.by_category,
        carriers=_carrier_figures(sums, year),
        lines=[_line_read(line) for line in acc.lines],
        months=[
            MonthFigure(
                month=i + 1,
                tce_equivalent=eq[i],
                tce_equal=ev[i],
                tco2=co2[i],
                electricity_kwh=kwh[i],
                previous_tce_equivalent=eq0[i],
                previous_tco2=co20[i],
            )
            for i in range(12)
        ],
        output_value_wan_yuan=output,
        product_output_t=product,
        tce_per_wan_yuan=total_eq / output if output else None,
        tce_equal_per_wan_yuan=total_ev / output if output else None,
        tco2_per_wan_yuan=total_co2 / output if output else None,
        tco2_per_t_product=total_co2 / product if product else None,
        yoy_tce_pct=_pct(total_eq, same_before_eq),
        yoy_tco2_pct=_pct(total_co2, same_before_co2),
        mom_tce_pct=mom,
        last_month=last + 1 if last is not None else None,
    )


def _division(code: str) -> str:
    return code[:2] if code else "—"


def park_summary(session: Session, *, scope: Scope, park_id: int | None = None, year: int | None = None) -> ParkSummary:
    """The park's energy and carbon of `year`: totals on both bases, by source and carrier, by industry, months
    with the previous year's, enterprise ranking and intensity per 万元 output value."""
    park = _park(scope, park_id)
    scope.require(READ)
    year = year or today().year
    region = region_of(session, park)
    now = year_data(session, park, year)
    before = year_data(session, park, year - 1)
    uf = UnitFactors.of(year, region, _keys(now))
    uf0 = UnitFactors.of(year - 1, region, _keys(before))
    enterprises = {e.id: e for e in session.scalars(scope.readable(Enterprise).where(Enterprise.park_id == park))}
    outputs = _output_values(session, scope, park, year)
    month_eq, month_ev, month_co2, month_kwh = _zeros(), _zeros(), _zeros(), _zeros()
    totals: dict[tuple[str, str], float] = defaultdict(float)
    ranking: list[RankItem] = []
    industries: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for ident, per in now.activities.items():
        enterprise = enterprises.get(ident)
        if enterprise is None:
            continue
        eq, ev, co2, kwh = _months_of(per, uf, now.declared.get(ident, []))
        for i in range(12):
            month_eq[i] += eq[i]
            month_ev[i] += ev[i]
            month_co2[i] += co2[i]
            month_kwh[i] += kwh[i]
        for key, months in per.items():
            totals[key] += sum(months)
        output = outputs.get(ident)
        ranking.append(
            RankItem(
                enterprise_id=ident,
                name=enterprise.name,
                industry_code=enterprise.industry_code,
                tce_equivalent=sum(eq),
                tce_equal=sum(ev),
                tco2=sum(co2),
                tce_per_wan_yuan=sum(eq) / output if output else None,
            )
        )
        bucket = industries[_division(enterprise.industry_code)]
        bucket[0] += 1
        bucket[1] += sum(eq)
        bucket[2] += sum(co2)
    prev_eq, prev_co2 = _zeros(), _zeros()
    for ident, per in before.activities.items():
        if ident not in enterprises:
            continue
        eq, _, co2, _ = _months_of(per, uf0, before.declared.get(ident, []))
        for i in range(12):
            prev_eq[i] += eq[i]
            prev_co2[i] += co2[i]
    activities = [carbon.Activity(c, f, q) for (c, f), q in totals.items()]
    declared = [d for ident, ds in now.declared.items() if ident in enterprises for _, d in ds]
    acc = carbon.account(activities, year, region, declared)
    total_eq, total_ev, total_co2 = sum(month_eq), sum(month_ev), sum(month_co2)
    last = max((i for i in range(12) if month_eq[i] or month_co2[i]), default=-1)
    same_eq = sum(prev_eq[: last + 1])
    same_co2 = sum(prev_co2[: last + 1])
    output_total = sum(outputs.get(i, 0.0) for i in enterprises) or None
    ranking.sort(key=lambda r: -r.tce_equivalent)
    return ParkSummary(
        park_id=park,
        year=year,
        factor_version=acc.version,
        grid_region=region,
        enterprises=len(ranking),
        tce_equivalent=total_eq,
        tce_equal=total_ev,
        tco2=total_co2,
        previous_tce_equivalent=sum(prev_eq),
        previous_tco2=sum(prev_co2),
        yoy_tce_pct=_pct(total_eq, same_eq),
        yoy_tco2_pct=_pct(total_co2, same_co2),
        output_value_wan_yuan=output_total,
        tce_per_wan_yuan=total_eq / output_total if output_total else None,
        tco2_per_wan_yuan=total_co2 / output_total if output_total else None,
        by_category=acc.by_category,
        by_carrier=_carrier_figures(dict(totals), year),
        by_industry=sorted(
            (
                IndustryFigure(division=d, enterprises=int(v[0]), tce_equivalent=v[1], tco2=v[2])
                for d, v in industries.items()
            ),
            key=lambda i: -i.tce_equivalent,
        ),
        months=[
            MonthFigure(
                month=i + 1,
                tce_equivalent=month_eq[i],
                tce_equal=month_ev[i],
                tco2=month_co2[i],
                electricity_kwh=month_kwh[i],
                previous_tce_equivalent=prev_eq[i],
                previous_tco2=prev_co2[i],
            )
            for i in range(12)
        ],
        ranking=ranking[:RANKING],
    )


def enterprise_figures(session: Session, *, park_id: int, year: int) -> dict[int, tuple[float, float]]:
    """(tce equivalent, tCO2) of `year` per enterprise of the park, for maps (plain park id; caller checks READ)."""
    region = region_of(session, park_id)
    now = year_data(session, park_id, year)
    uf = UnitFactors.of(year, region, _keys(now))
    out: dict[int, tuple[float, float]] = {}
    for ident, per in now.activities.items():
        eq, _, co2, _ = _months_of(per, uf, now.declared.get(ident, []))
        out[ident] = (sum(eq), sum(co2))
    return out


# ==================================================================================================================
# Load curves, peak/flat/valley, anomalies, suggestions
# ==================================================================================================================
def _electricity_points_condition(park_id: int, enterprise_id: int | None) -> Any:
    conditions = [
        EnergyMeter.park_id == park_id,
        EnergyMeter.active.is_(True),
        EnergyMeter.source == MeterSource.TELEMETRY.value,
        EnergyMeter.carrier == "electricity",
        EnergyMeter.flow == Flow.PURCHASED.value,
        EnergyMeter.level == MeterLevel.ENTERPRISE.value,
    ]
    if enterprise_id is not None:
        conditions.append(EnergyMeter.enterprise_id == enterprise_id)
    return conditions


def _series_15m(
    session: Session, park_id: int, enterprise_id: int | None, from_ms: int, to_ms: int
) -> builtins.list[tuple[int, float]]:
    r = Rollup15m
    rows = session.execute(
        select(r.bucket, func.sum(r.delta))
        .join(EnergyMeter, EnergyMeter.point_id == r.point_id)
        .where(*_electricity_points_condition(park_id, enterprise_id), r.bucket >= from_ms, r.bucket < to_ms)
        .group_by(r.bucket)
        .order_by(r.bucket)
    )
    return [(int(b), float(v or 0.0)) for b, v in rows]


def _range_scope(
    session: Session, scope: Scope, park_id: int | None, enterprise_id: int | None
) -> tuple[int, int | None]:
    if enterprise_id is not None:
        enterprise = readable_enterprise(session, scope=scope, enterprise_id=enterprise_id)
        return enterprise.park_id, enterprise.id
    park = _park(scope, park_id)
    if scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
        return park, scope.enterprise_id
    scope.require(READ)
    return park, None


def _check_range(from_ms: int, to_ms: int, max_days: int) -> None:
    if to_ms <= from_ms:
        raise field_error("to", "must be after from")
    if to_ms - from_ms > max_days * 86_400_000:
        raise field_error("to", f"at most {max_days} days")


def load_curve(
    session: Session,
    *,
    scope: Scope,
    from_ms: int,
    to_ms: int,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> LoadCurve:
    """Electric load (kW) per 15 min of the enterprise-level electricity meters (one enterprise's, or the park's
    sum), from `rollup_15m` delta sums."""
    park, owner = _range_scope(session, scope, park_id, enterprise_id)
    _check_range(from_ms, to_ms, MAX_CURVE_DAYS)
    series = _series_15m(session, park, owner, from_ms, to_ms)
    points = [LoadPoint(ts_ms=b, kw=v * 4) for b, v in series]
    peak = max((p.kw for p in points), default=0.0)
    average = sum(p.kw for p in points) / len(points) if points else 0.0
    return LoadCurve(
        park_id=park,
        enterprise_id=owner,
        from_ms=from_ms,
        to_ms=to_ms,
        points=points,
        peak_kw=peak,
        average_kw=average,
        load_factor=average / peak if peak else None,
    )


def tariff_split(
    session: Session,
    *,
    scope: Scope,
    from_ms: int,
    to_ms: int,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> TariffSplit:
    """Electricity of the range split into 峰/平/谷 (and 尖) with its cost under the park's tariff."""
    park, owner = _range_scope(session, scope, park_id, enterprise_id)
    _check_range(from_ms, to_ms, MAX_SPLIT_DAYS)
    series = _series_15m(session, park, owner, from_ms, to_ms)
    on = dt.datetime.fromtimestamp(from_ms / 1000, local_zone()).date()
    tariff = tariff_for(session, park, on)
    result = tariffs.split(series, 900_000, tariff.periods, tariff.prices, local_zone())
    total = result.total_kwh
    order = {b: i for i, b in enumerate(tariffs.BANDS)}
    return TariffSplit(
        park_id=park,
        enterprise_id=owner,
        from_ms=from_ms,
        to_ms=to_ms,
        tariff_name=tariff.name,
        bands=[
            BandFigure(
                band=band,
                kwh=kwh,
                price=float(tariff.prices.get(band, 0.0)),
                cost_yuan=result.cost[band],
                share_pct=kwh / total * 100 if total else 0.0,
            )
            for band, kwh in sorted(result.kwh.items(), key=lambda item: order.get(item[0], 9))
        ],
        kwh=total,
        cost_yuan=result.total_cost,
    )


def anomalies(
    session: Session,
    *,
    scope: Scope,
    year: int | None = None,
    park_id: int | None = None,
    enterprise_id: int | None = None,
) -> builtins.list[Anomaly]:
    """Months of `year` whose consumption departs from the meter's baseline (the mean of its previous
    `baseline_months` months with consumption) by more than the park's threshold."""
    park, owner = _range_scope(session, scope, park_id, enterprise_id)
    year = year or today().year
    settings = _settings_read(session, park)
    now = year_data(session, park, year, owner)
    before = year_data(session, park, year - 1, owner)
    visible = {m.id for m in session.scalars(scope.readable(EnergyMeter).where(EnergyMeter.park_id == park))}
    found: list[Anomaly] = []
    for meter in now.meters.values():
        if meter.id not in visible or (owner is not None and meter.enterprise_id != owner):
            continue
        history = [*before.by_meter.get(meter.id, _zeros()), *now.by_meter.get(meter.id, _zeros())]
        for index in range(12, 24):
            value = history[index]
            window = [v for v in history[max(0, index - settings.baseline_months) : index] if v > 0]
            if len(window) < min(3, settings.baseline_months) or value <= 0:
                continue
            baseline = sum(window) / len(window)
            deviation = (value - baseline) / baseline * 100
            if abs(deviation) > settings.anomaly_threshold_pct:
                found.append(
                    Anomaly(
                        meter_id=meter.id,
                        meter_name=meter.name,
                        enterprise_id=meter.enterprise_id,
                        carrier=meter.carrier,
                        month=dt.date(year, index - 11, 1),
                        quantity=value,
                        baseline=baseline,
                        deviation_pct=round(deviation, 1),
                    )
                )
    found.sort(key=lambda a: -abs(a.deviation_pct))
    return found[:200]


def _mean_day(series: builtins.list[tuple[int, float]]) -> builtins.list[float]:
    """kWh per 15-min slot of the mean local day of a series."""
    sums, counts = [0.0] * 96, [0] * 96
    zone = local_zone()
    days: set[dt.date] = set()
    for bucket, value in series:
        local = dt.datetime.fromtimestamp(bucket / 1000, zone)
        slot = (local.hour * 60 + local.minute) // 15
        sums[slot] += value
        counts[slot] += 1
        days.add(local.date())
    n = max(len(days), 1)
    return [s / n for s in sums]


def suggestions(
    session: Session, *, scope: Scope, enterprise_id: int, year: int | None = None
) -> builtins.list[Suggestion]:
    """Concrete measures with their estimated yearly saving: moving the flexible load to cheaper hours (the exact
    LP of tariffs.shift_flexible over the mean day of the last 28 days with data), and self-consuming own PV
    instead of exporting it."""
    enterprise = readable_enterprise(session, scope=scope, enterprise_id=enterprise_id)
    year = year or today().year
    park = enterprise.park_id
    out: list[Suggestion] = []
    shares = [
        float(s)
        for s in session.scalars(
            select(EnergyMeter.flexible_share).where(*_electricity_points_condition(park, enterprise.id))
        )
    ]
    share = max(shares, default=0.0)
    starts = month_starts(year)
    end = min(starts[12], int(dt.datetime.now(dt.UTC).timestamp() * 1000))
    last = session.scalar(
        select(func.max(Rollup15m.bucket))
        .join(EnergyMeter, EnergyMeter.point_id == Rollup15m.point_id)
        .where(
            *_electricity_points_condition(park, enterprise.id), Rollup15m.bucket < end, Rollup15m.bucket >= starts[0]
        )
    )
    tariff = tariff_for(session, park, dt.date(year, 12, 31))
    prices = tariffs.slot_prices(tariff.periods, tariff.prices)
    if share > 0 and last is not None:
        to_ms = int(last) + 900_000
        series = _series_15m(session, park, enterprise.id, to_ms - PROFILE_DAYS * 86_400_000, to_ms)
        profile = _mean_day(series)
        shift = tariffs.shift_flexible(profile, share, prices)
        if shift.saving > 0:
            out.append(
                Suggestion(
                    kind="shift_to_valley",
                    enterprise_id=enterprise.id,
                    title="Move the flexible load to valley hours",
                    detail={
                        "flexible_share": share,
                        "moved_kwh_per_day": round(shift.moved_kwh, 1),
                        "cost_before_yuan_per_day": round(shift.cost_before, 2),
                        "cost_after_yuan_per_day": round(shift.cost_after, 2),
                        "profile_days": PROFILE_DAYS,
                        "tariff": tariff.name,
                        "before": [round(v, 3) for v in shift.before],
                        "after": [round(v, 3) for v in shift.after],
                    },
                    saving_yuan_per_year=round(shift.saving * 365, 0),
                )
            )
    data = year_data(session, park, year, enterprise.id)
    per = data.activities.get(enterprise.id, {})
    exported = sum(per.get(("pv", Flow.EXPORTED.value), _zeros()))
    if exported > 0:
        feed_in = float(default_tariff()["feed_in_price"]["value"])
        weights = [1.0 / 96] * 96
        mean_price = sum(p * w for p, w in zip(prices, weights, strict=True))
        saving = exported * max(mean_price - feed_in, 0.0)
        out.append(
            Suggestion(
                kind="pv_self_consumption",
                enterprise_id=enterprise.id,
                title="Use own PV instead of exporting it",
                detail={
                    "exported_kwh": round(exported, 1),
                    "mean_price_yuan_per_kwh": round(mean_price, 4),
                    "feed_in_yuan_per_kwh": feed_in,
                    "feed_in_status": default_tariff()["feed_in_price"]["status"],
                },
                saving_yuan_per_year=round(saving, 0),
                saving_kwh_per_year=round(exported, 1),
            )
        )
    return out


def check_pydantic(model: type[Any], raw: dict[str, Any]) -> Any:
    """Validate a form's fields with a schema; errors as a 422 with each field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed(
            "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()),
            errors=[{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()],
        ) from None
