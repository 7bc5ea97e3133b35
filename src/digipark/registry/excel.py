"""Excel (.xlsx) and CSV export, and all-or-nothing Excel import, of registry rows.

One column table per kind (`SHEETS`) drives both directions. Export writes a header "中文 (key)" per column
and references as natural keys (zone_code, enterprise_uscc, ...). Import reads that header, a bare key or a
Chinese title, resolves the natural keys within the caller's park, validates every row with the kind's
Create schema (Update for rows whose natural key already exists) and then writes every row or none.
The generic machinery (file limits, headers, cells, reports, writers) lives in `digipark.core.spreadsheet`;
its public names are re-exported here.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.errors import DomainError, NotFound
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import (
    CSV_MEDIA_TYPE,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    README_TITLE,
    TYPE_HELP,
    XLSX_MEDIA_TYPE,
    Column,
    ColumnType,
    FileTooLarge,
    ImportFailed,
    ImportProblem,
    Ref,
    RowError,
    UnsupportedFile,
    import_notes,
    read_header,
    title_map,
    write_csv,
    write_xlsx,
)
from digipark.core.spreadsheet import blank as _blank
from digipark.core.spreadsheet import column_letter as _column_letter
from digipark.core.spreadsheet import convert as _convert
from digipark.core.spreadsheet import csv_value as _csv_value
from digipark.core.spreadsheet import load_rows as _load_rows
from digipark.core.spreadsheet import text as _text
from digipark.registry import schemas, service
from digipark.registry.models import Building, Device, Enterprise, LandParcel, Point, Zone


class ImportReport(spreadsheet.ImportReport):
    device_tokens: dict[str, str] | None = Field(
        None,
        description="devices: code → token of each device the import created, shown only in this answer (stored "
        "hashed); absent for other kinds and dry runs",
    )


__all__ = [
    "CSV_MEDIA_TYPE",
    "EXCEL_KINDS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "README_TITLE",
    "SHEETS",
    "TYPE_HELP",
    "XLSX_MEDIA_TYPE",
    "Column",
    "ColumnType",
    "FileTooLarge",
    "ImportFailed",
    "ImportProblem",
    "ImportReport",
    "Ref",
    "RowError",
    "Sheet",
    "UnsupportedFile",
    "export_rows",
    "import_or_raise",
]

log = logging.getLogger(__name__)

EXCEL_KINDS = ("enterprise", "building", "device", "point")


# -- the column tables ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sheet:
    kind: str
    title: str
    model: type[Any]
    create: type[BaseModel]
    update: type[BaseModel]
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def column_for_field(self, field: str | None) -> str | None:
        return next((c.key for c in self.columns if c.field == field), None)


ZONE = Ref("zone_id", Zone, "code", "zone")
PARCEL = Ref("parcel_id", LandParcel, "code", "land parcel")
ENTERPRISE = Ref("enterprise_id", Enterprise, "uscc", "enterprise")
BUILDING = Ref("building_id", Building, "code", "building")
DEVICE = Ref("device_id", Device, "code", "device")

SHEETS: dict[str, Sheet] = {
    sheet.kind: sheet
    for sheet in (
        Sheet(
            "enterprise",
            "企业 enterprises",
            Enterprise,
            schemas.EnterpriseCreate,
            schemas.EnterpriseUpdate,
            (
                Column("name", "企业名称", help="registered name", aliases=("名称",)),
                Column("name_en", "英文名称", help="English name"),
                Column(
                    "uscc",
                    "统一社会信用代码",
                    help="18 characters, GB 32100; matches existing enterprises",
                    aliases=("信用代码",),
                ),
                Column("industry_code", "行业代码", help="GB/T 4754-2017, e.g. 3311", aliases=("国民经济行业代码",)),
                Column(
                    "above_scale", "规上", "bool", "规模以上 above designated size", aliases=("规模以上", "规上企业")
                ),
                Column("industrial", "工业企业", "bool", "industrial enterprise"),
                Column(
                    "registered_capital_wan_yuan",
                    "注册资本（万元）",
                    "float",
                    "registered capital, 10k yuan",
                    aliases=("注册资本",),
                ),
                Column("employees", "从业人数", "int", "employees", aliases=("员工人数", "职工人数")),
                Column("established_on", "成立日期", "date", "date of establishment"),
                Column("contact_name", "联系人", help="contact person"),
                Column("contact_phone", "联系电话", help="contact phone"),
                Column("contact_email", "电子邮箱", help="contact e-mail", aliases=("邮箱", "联系邮箱")),
                Column("address", "地址", help="address", aliases=("注册地址",)),
                Column(
                    "status",
                    "状态",
                    help="status",
                    choices=(("active", "在园"), ("moved_out", "迁出"), ("closed", "注销")),
                ),
            ),
            ("uscc",),
        ),
        Sheet(
            "building",
            "建筑 buildings",
            Building,
            schemas.BuildingCreate,
            schemas.BuildingUpdate,
            (
                Column("code", "建筑编号", help="building code; matches existing buildings", aliases=("编号",)),
                Column("name", "建筑名称", help="name", aliases=("名称",)),
                Column(
                    "zone_code",
                    "片区编号",
                    help="code of a zone of the park",
                    aliases=("区域编号", "分区编号"),
                    ref=ZONE,
                ),
                Column("parcel_code", "地块编号", help="code of a land parcel of the park", ref=PARCEL),
                Column("floors", "层数", "int", "floors above ground", aliases=("楼层数",)),
                Column(
                    "gross_floor_area_m2",
                    "建筑面积（m²）",
                    "float",
                    "gross floor area, m²",
                    aliases=("建筑面积", "建筑面积（平方米）"),
                ),
                Column("use", "用途", help="factory, office, warehouse, dormitory, utility ..."),
                Column("year_built", "建成年份", "int", "year built", aliases=("建成年代",)),
                Column("gigabit_fibre", "千兆光纤", "bool", "gigabit fibre to the building"),
                Column("coverage_5g", "5G覆盖", "bool", "5G coverage"),
                Column("name_en", "英文名称", help="English name (last: older sheets keep their columns)"),
            ),
            ("code",),
        ),
        Sheet(
            "device",
            "设备 devices",
            Device,
            schemas.DeviceCreate,
            schemas.DeviceUpdate,
            (
                Column("code", "设备编号", help="device code; matches existing devices", aliases=("编号",)),
                Column("name", "设备名称", help="name", aliases=("名称",)),
                Column(
                    "kind",
                    "设备类型",
                    help="a key of the device-kind catalogue, e.g. electricity_meter",
                    aliases=("类型",),
                ),
                Column(
                    "enterprise_uscc",
                    "所属企业信用代码",
                    help="USCC of the owning enterprise; empty: the park",
                    aliases=("企业统一社会信用代码", "所属企业统一社会信用代码"),
                    ref=ENTERPRISE,
                ),
                Column(
                    "building_code",
                    "所在建筑编号",
                    help="code of a building of the park",
                    aliases=("建筑编号",),
                    ref=BUILDING,
                ),
                Column("model", "型号", help="model"),
                Column("manufacturer", "生产厂家", help="manufacturer", aliases=("厂家", "厂商")),
                Column("protocol", "通信协议", help="protocol; empty: the kind's default", aliases=("协议",)),
                Column("location", "安装位置", help="location", aliases=("位置",)),
                Column("installed_on", "安装日期", "date", "installation date"),
                Column(
                    "status",
                    "状态",
                    help="status",
                    choices=(("active", "运行"), ("inactive", "停用"), ("maintenance", "维护"), ("retired", "报废")),
                ),
            ),
            ("code",),
        ),
        Sheet(
            "point",
            "测点 points",
            Point,
            schemas.PointCreate,
            schemas.PointUpdate,
            (
                Column(
                    "device_code", "设备编号", help="code of the device; with key, matches existing points", ref=DEVICE
                ),
                Column("key", "测点标识", help="lower-case key, e.g. energy_kwh", aliases=("测点键", "标识")),
                Column("name", "测点名称", help="name", aliases=("名称",)),
                Column("quantity", "物理量", help="quantity, e.g. electric_energy"),
                Column("unit", "单位", help="unit, e.g. kWh"),
                Column("device_class", "测点类别", help="device class, e.g. energy", aliases=("类别",)),
                Column(
                    "state_class",
                    "状态类别",
                    help="measurement or total_increasing",
                    choices=(("measurement", "瞬时值"), ("total_increasing", "累计值")),
                ),
                Column(
                    "expected_interval_s",
                    "上报周期（秒）",
                    "int",
                    "expected reporting interval, s",
                    aliases=("上报间隔（秒）", "上报周期"),
                ),
                Column("valid_min", "有效下限", "float", "lowest plausible value", aliases=("下限",)),
                Column("valid_max", "有效上限", "float", "highest plausible value", aliases=("上限",)),
            ),
            ("device_code", "key"),
        ),
    )
}


def _sheet_or_404(kind_key: str) -> Sheet:
    sheet = SHEETS.get(kind_key)
    if sheet is None:
        raise NotFound(f"registry kind {kind_key!r} cannot be exported or imported as Excel")
    return sheet


@cache
def _title_map(kind_key: str) -> dict[str, str]:
    """Every accepted header text (normalised) of a kind -> column key."""
    return title_map(SHEETS[kind_key].columns, name=kind_key)


def _natural(column: Column, value: Any) -> str | None:
    """A natural-key cell as it is looked up: text, USCCs upper-cased."""
    text = _text(value)
    if text is None:
        return None
    is_uscc = column.key.endswith("uscc") or (column.ref is not None and column.ref.attr == "uscc")
    return text.upper() if is_uscc else text


def _read_header(sheet: Sheet, number: int, values: tuple[Any, ...]) -> tuple[list[Column | None], list[RowError]]:
    return read_header(sheet.columns, number, values, required=sheet.natural_key, titles=_title_map(sheet.kind))


# -- import --------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Planned:
    row: int
    existing_id: int | None
    data: BaseModel


class _Importer:
    def __init__(self, session: Session, scope: Scope, sheet: Sheet, park_id: int) -> None:
        self.session = session
        self.scope = scope
        self.sheet = sheet
        self.park_id = park_id
        self.errors: list[RowError] = []
        self.refs: dict[str, dict[str, int]] = {}
        for column in sheet.columns:
            if column.ref is not None:
                model, attr = column.ref.model, getattr(column.ref.model, column.ref.attr)
                stmt = select(attr, model.id).where(model.park_id == park_id, scope.condition(model))
                self.refs[column.key] = {str(key): ident for key, ident in session.execute(stmt)}
        self.existing: dict[tuple[str, ...], Any] = {}
        if sheet.kind == "point":
            for point, device_code in session.execute(
                select(Point, Device.code).join(Device, Device.id == Point.device_id).where(Point.park_id == park_id)
            ):
                self.existing[(device_code, point.key)] = point
        else:
            key_attr = sheet.natural_key[0]
            for row in session.scalars(select(sheet.model).where(sheet.model.park_id == park_id)):
                self.existing[(getattr(row, key_attr),)] = row
        self.seen: dict[tuple[str, ...], int] = {}

    def error(self, row: int, column: str | None, reason: str) -> None:
        self.errors.append(RowError(row=row, column=column, reason=reason))

    def ordered(self) -> list[RowError]:
        """The errors by row, and within a row in the order of the columns."""
        position = {column.key: i for i, column in enumerate(self.sheet.columns)}
        return sorted(self.errors, key=lambda e: (e.row, position.get(e.column or "", len(position))))

    def plan(self, number: int, columns: list[Column | None], values: tuple[Any, ...]) -> _Planned | None:
        sheet = self.sheet
        before = len(self.errors)
        present: list[Column] = []
        converted: dict[str, Any] = {}
        bad: set[str] = set()
        natural: dict[str, str | None] = {}
        for position, value in enumerate(values):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if not _blank(value):
                    self.error(number, _column_letter(position), "a value in a column without a valid title")
                continue
            present.append(column)
            if column.key in sheet.natural_key:
                natural[column.key] = _natural(column, value)
            try:
                if column.ref is not None:
                    converted[column.field] = self._resolve(column, value)
                else:
                    converted[column.field] = _convert(column, value)
            except ValueError as exc:
                self.error(number, column.key, str(exc))
                bad.add(column.key)

        key = tuple(natural.get(k) or "" for k in sheet.natural_key)
        existing = None
        if all(key):
            if key in self.seen:
                self.error(
                    number,
                    sheet.natural_key[-1],
                    f"{'/'.join(sheet.natural_key)} {'/'.join(key)} is also in row {self.seen[key]}",
                )
            else:
                self.seen[key] = number
            existing = self.existing.get(key)

        merged: dict[str, Any] = {}
        if existing is not None:
            merged = {c.field: getattr(existing, c.field) for c in sheet.columns}
            merged = {field: value for field, value in merged.items() if value is not None}
        for field, value in converted.items():
            if value is None:
                merged.pop(field, None)  # empty cell: the schema's default, or "required"
            else:
                merged[field] = value
        try:
            created = sheet.create.model_validate(merged)
        except ValidationError as exc:
            self._validation_errors(number, exc, bad)
            return None
        if existing is None:
            return _Planned(number, None, created) if len(self.errors) == before else None

        changes: dict[str, Any] = {}
        for column in present:
            value = getattr(created, column.field)
            if column.field in sheet.update.model_fields:
                if value is None and not sheet.model.__table__.c[column.field].nullable:
                    continue  # an empty cell where the schema's default is None (device protocol): keep the value
                changes[column.field] = value
            elif column.key not in sheet.natural_key and value != getattr(existing, column.field):
                self.error(
                    number, column.key, f"cannot be changed by an import (now {getattr(existing, column.field)!r})"
                )
        try:
            data = sheet.update.model_validate(changes)
        except ValidationError as exc:
            self._validation_errors(number, exc, bad)
            return None
        return _Planned(number, existing.id, data) if len(self.errors) == before else None

    def _resolve(self, column: Column, value: Any) -> int | None:
        assert column.ref is not None
        text = _natural(column, value)
        if text is None:
            return None
        ident = self.refs[column.key].get(text)
        if ident is None:
            raise ValueError(f"no {column.ref.label} with {column.ref.attr} {text!r} in this park")
        return ident

    def _validation_errors(self, number: int, exc: ValidationError, skip: set[str]) -> None:
        for err in exc.errors():
            loc = err.get("loc", ())
            column = self.sheet.column_for_field(str(loc[0])) if loc else None
            message = str(err.get("msg", "invalid"))
            message = message.removeprefix("Value error, ")
            if column is None and not loc:
                column = self._column_in(message)
            if column in skip:
                continue
            self.error(number, column, "required" if err.get("type") == "missing" else message)

    def _column_in(self, message: str) -> str | None:
        """The column a model-level message names first (e.g. "valid_max must not be below valid_min")."""
        found = [(message.find(c.field), c.key) for c in self.sheet.columns if c.field in message]
        return min(found)[1] if found else None

    def service_errors(self, number: int, exc: DomainError) -> None:
        if not exc.errors:
            self.error(number, None, exc.detail)
        for entry in exc.errors:
            field = entry.get("field")
            column = self.sheet.column_for_field(str(field)) if field is not None else None
            self.error(number, column or (None if field is None else str(field)), str(entry.get("reason", exc.detail)))


def import_or_raise(
    session: Session, *, scope: Scope, kind_key: str, content: bytes, dry_run: bool = False
) -> ImportReport:
    """Import the first sheet of an .xlsx workbook: every row (created, or updated by natural key) or none.

    Raises ImportFailed (a ValidationFailed, 422) listing every (row, column, reason) when any row is bad,
    UnsupportedFile / FileTooLarge for a file that is not a readable workbook, PermissionDenied when the
    caller may not import this kind. With `dry_run` everything is checked, including the writes (in a
    savepoint that is rolled back), and nothing is kept.
    """
    sheet = _sheet_or_404(kind_key)
    kind = service.kind_or_raise(kind_key)
    scope.require("registry.import")
    scope.require(f"{kind_key}.write")
    park_id = scope.acting_write_park()

    columns, _, data_rows = spreadsheet.header_and_data(
        _load_rows(content), kind=kind_key, dry_run=dry_run, read=lambda n, values: _read_header(sheet, n, values)
    )

    importer = _Importer(session, scope, sheet, park_id)
    planned = [p for number, values in data_rows if (p := importer.plan(number, columns, values)) is not None]
    if importer.errors:
        raise ImportFailed(kind=kind_key, rows=len(data_rows), dry_run=dry_run, errors=importer.ordered())

    def undo() -> None:
        savepoint.rollback()  # also drops the events its rows queued (core.events)

    created = updated = 0
    issued: dict[str, str] = {}
    savepoint = session.begin_nested()
    current = planned[0].row
    try:
        for item in planned:
            current = item.row
            try:
                if item.existing_id is None:
                    row = service.create(session, scope=scope, kind=kind, data=item.data)
                    created += 1
                    if isinstance(row, Device) and row.issued_token is not None:
                        issued[row.code] = row.issued_token
                else:
                    service.update(session, scope=scope, kind=kind, ident=item.existing_id, data=item.data)
                    updated += 1
            except DomainError as exc:
                importer.service_errors(item.row, exc)
        session.flush()
    except SQLAlchemyError as exc:
        log.warning("import of %s rolled back at row %d: %r", kind_key, current, exc)
        undo()
        reason = (
            "the database rejected this row (duplicate or conflicting data)"
            if isinstance(exc, IntegrityError)
            else "a database error stopped the import at this row"
        )
        importer.error(current, None, reason)
        raise ImportFailed(kind=kind_key, rows=len(data_rows), dry_run=dry_run, errors=importer.ordered()) from None
    except BaseException:
        undo()
        raise
    if importer.errors or dry_run:
        undo()
        if importer.errors:
            raise ImportFailed(kind=kind_key, rows=len(data_rows), dry_run=dry_run, errors=importer.ordered())
    else:
        savepoint.commit()
        audit.record(
            session,
            action="import",
            entity_type=kind_key,
            park_id=park_id,
            after={"created": created, "updated": updated, "file_rows": len(data_rows)},
        )
    return ImportReport(
        kind=kind_key,
        rows=len(data_rows),
        created=created,
        updated=updated,
        dry_run=dry_run,
        device_tokens=None if dry_run or kind_key != "device" else issued,
    )


# -- export --------------------------------------------------------------------------------------------------
def _labels(session: Session, scope: Scope, sheet: Sheet) -> dict[str, dict[int, str]]:
    """For every reference column, id -> natural key of the rows the scope may read."""
    labels: dict[str, dict[int, str]] = {}
    for column in sheet.columns:
        if column.ref is not None:
            model = column.ref.model
            stmt = select(model.id, getattr(model, column.ref.attr)).where(scope.condition(model))
            labels[column.key] = {ident: str(key) for ident, key in session.execute(stmt)}
    return labels


def _value(column: Column, row: Any, labels: dict[str, dict[int, str]]) -> Any:
    value = getattr(row, column.field)
    if column.ref is not None:
        return None if value is None else labels[column.key].get(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _xlsx(sheet: Sheet, records: list[tuple[Any, ...]]) -> bytes:
    required = {
        column.key
        for column in sheet.columns
        if column.key in sheet.natural_key
        or (column.field in sheet.create.model_fields and sheet.create.model_fields[column.field].is_required())
    }
    return write_xlsx(sheet.title, sheet.columns, records, notes=import_notes(sheet.natural_key), required=required)


def _csv(sheet: Sheet, records: list[tuple[Any, ...]]) -> bytes:
    return write_csv([column.header for column in sheet.columns], records)


def export_rows(session: Session, *, scope: Scope, kind_key: str, query: ListQuery, fmt: str) -> tuple[bytes, str]:
    """Every row the scope may read that matches the list query, as .xlsx or UTF-8 (BOM) CSV."""
    sheet = _sheet_or_404(kind_key)
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    scope.require("registry.export")
    rows = service.all_rows(session, scope=scope, kind=service.kind_or_raise(kind_key), query=query)
    labels = _labels(session, scope, sheet)
    records = [tuple(_value(column, row, labels) for column in sheet.columns) for row in rows]
    content = _xlsx(sheet, records) if fmt == "xlsx" else _csv(sheet, records)
    audit.record(
        session,
        action="export",
        entity_type=kind_key,
        park_id=scope.park_id,
        enterprise_id=scope.enterprise_id,
        after={
            "format": fmt,
            "rows": len(records),
            "q": query.q,
            "sort": query.sort,
            "filters": {name: _csv_value(value) for name, value in query.filters.items()},
        },
    )
    return content, (XLSX_MEDIA_TYPE if fmt == "xlsx" else CSV_MEDIA_TYPE)
