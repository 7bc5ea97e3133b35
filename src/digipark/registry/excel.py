"""Excel (.xlsx) and CSV export, and all-or-nothing Excel import, of registry rows.

One column table per kind (`SHEETS`) drives both directions. Export writes a header "中文 (key)" per column
and references as natural keys (zone_code, enterprise_uscc, ...). Import reads that header, a bare key or a
Chinese title, resolves the natural keys within the caller's park, validates every row with the kind's
Create schema (Update for rows whose natural key already exists) and then writes every row or none.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import enum
import io
import logging
import re
import zipfile
from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.scope import Scope
from digipark.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from digipark.core.events import _PENDING_KEY
from digipark.core.listing import ListQuery
from digipark.registry import schemas, service
from digipark.registry.models import Building, Device, Enterprise, LandParcel, Point, Zone

log = logging.getLogger(__name__)

EXCEL_KINDS = ("enterprise", "building", "device", "point")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
README_TITLE = "说明 (README)"  # Excel forbids "/" in sheet names


class RowError(BaseModel):
    row: int
    column: str | None
    reason: str


class ImportReport(BaseModel):
    kind: str
    rows: int
    created: int = 0
    updated: int = 0
    dry_run: bool = False
    errors: list[RowError] = []


class ImportProblem(BaseModel):
    """The 422 problem+json body of an import that failed; nothing was written."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    kind: str
    rows: int
    failed_rows: int
    dry_run: bool
    errors: list[RowError]


class ImportFailed(ValidationFailed):
    """An import with at least one bad row; `errors` lists every (row, column, reason)."""

    def __init__(
        self, *, kind: str, rows: int, errors: Sequence[RowError], dry_run: bool, detail: str | None = None
    ) -> None:
        ordered = sorted(errors, key=lambda e: e.row)
        self.kind = kind
        self.rows = rows
        self.failed_rows = len({e.row for e in ordered})
        self.dry_run = dry_run
        if detail is None:
            detail = f"{self.failed_rows} of {rows} rows failed ({len(ordered)} errors); nothing was imported"
        super().__init__(detail, errors=[e.model_dump() for e in ordered])

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(instance)
        body.update(kind=self.kind, rows=self.rows, failed_rows=self.failed_rows, dry_run=self.dry_run)
        return body


class UnsupportedFile(DomainError):
    type_slug = "unsupported-file"
    status = 415
    title = "Unsupported or unreadable file"


class FileTooLarge(DomainError):
    type_slug = "file-too-large"
    status = 413
    title = "File too large"


# -- the column tables ---------------------------------------------------------------------------------------
ColumnType = Literal["str", "int", "float", "bool", "date"]

TYPE_HELP: dict[str, str] = {
    "str": "文本 text",
    "int": "整数 integer",
    "float": "数值 number",
    "bool": "是/否 TRUE/FALSE (是/否, yes/no, 1/0)",
    "date": "日期 date (YYYY-MM-DD or an Excel date)",
}


@dataclasses.dataclass(frozen=True)
class Ref:
    """A column naming another row by its natural key; imported as the schema's id field."""

    field: str
    model: type[Any]
    attr: str
    label: str


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    title: str
    type: ColumnType = "str"
    help: str = ""
    aliases: tuple[str, ...] = ()
    ref: Ref | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, Chinese label accepted on import)

    @property
    def field(self) -> str:
        return self.ref.field if self.ref is not None else self.key

    @property
    def header(self) -> str:
        return f"{self.title} ({self.key})"


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


def _normalise_title(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("（", "(").replace("）", ")")).lower()


@cache
def _title_map(kind_key: str) -> dict[str, str]:
    """Every accepted header text (normalised) of a kind -> column key."""
    mapping: dict[str, str] = {}
    for column in SHEETS[kind_key].columns:
        for title in (column.key, column.title, column.header, *column.aliases):
            normalised = _normalise_title(title)
            if mapping.setdefault(normalised, column.key) != column.key:
                raise RuntimeError(f"{kind_key}: header {title!r} names two columns")
    return mapping


# -- cell values ---------------------------------------------------------------------------------------------
_TRUE = frozenset({"true", "yes", "y", "1", "是", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "f"})
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = _text(value)
    if text is None:
        return None
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes/no value; use TRUE/FALSE, 是/否, yes/no or 1/0")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise ValueError(f"{value!r} is not an Excel date")
        converted = from_excel(value)
        if isinstance(converted, dt.datetime):
            return converted.date()
        raise ValueError(f"{value!r} is not an Excel date")
    text = _text(value)
    if text is None:
        return None
    match = _DATE.fullmatch(text)
    try:
        if match:
            return dt.date(*(int(part) for part in match.groups()))
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD or an Excel date") from None


def _number(value: Any) -> Any:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value.strip() if isinstance(value, str) else value


def _convert(column: Column, value: Any) -> Any:
    if column.type == "bool":
        return _bool(value)
    if column.type == "date":
        return _date(value)
    if column.type in ("int", "float"):
        return _number(value)
    text = _text(value)
    if text is not None and column.choices:
        text = next((stored for stored, label in column.choices if text == label), text)
    return text


def _natural(column: Column, value: Any) -> str | None:
    """A natural-key cell as it is looked up: text, USCCs upper-cased."""
    text = _text(value)
    if text is None:
        return None
    is_uscc = column.key.endswith("uscc") or (column.ref is not None and column.ref.attr == "uscc")
    return text.upper() if is_uscc else text


# -- reading a workbook --------------------------------------------------------------------------------------
def _load_rows(content: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    """The non-empty rows of the first sheet, each with its row number as Excel shows it."""
    if len(content) > MAX_IMPORT_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if not content:
        raise UnsupportedFile("the file is empty")
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise UnsupportedFile(
            "not an Excel workbook (.xlsx); save the file as 'Excel Workbook (*.xlsx)' "
            "(.xls and .csv files are not accepted)"
        )
    rows: list[tuple[int, tuple[Any, ...]]] = []
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise UnsupportedFile("the workbook has no worksheet")
            for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
                if any(not _blank(value) for value in values):
                    rows.append((number, tuple(values)))
                    if len(rows) > MAX_IMPORT_ROWS + 1:
                        raise ValidationFailed(f"the first sheet has more than {MAX_IMPORT_ROWS} rows; split the file")
        finally:
            workbook.close()
    except DomainError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged or foreign file
        log.info("unreadable workbook: %r", exc)
        raise UnsupportedFile("the workbook could not be read: it is damaged or not an .xlsx file") from exc
    return rows


def _read_header(sheet: Sheet, number: int, values: tuple[Any, ...]) -> tuple[list[Column | None], list[RowError]]:
    titles = _title_map(sheet.kind)
    columns: list[Column | None] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for position, value in enumerate(values):
        letter = get_column_letter(position + 1)
        text = _text(value)
        if text is None:
            columns.append(None)
            continue
        normalised = _normalise_title(text)
        key = titles.get(normalised)
        if key is None and (suffix := re.search(r"\(([a-z0-9_]+)\)$", normalised)):
            key = titles.get(suffix.group(1))
        if key is None:
            errors.append(
                RowError(
                    row=number,
                    column=text,
                    reason=(f"unknown column (column {letter}); expected: {', '.join(c.key for c in sheet.columns)}"),
                )
            )
            columns.append(None)
        elif key in seen:
            errors.append(RowError(row=number, column=key, reason=f"column given twice ({seen[key]} and {letter})"))
            columns.append(None)
        else:
            seen[key] = letter
            columns.append(sheet.column(key))
    for key in sheet.natural_key:
        if key not in seen:
            errors.append(RowError(row=number, column=key, reason="missing column; it identifies the rows"))
    return columns, errors


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
                    self.error(number, get_column_letter(position + 1), "a value in a column without a valid title")
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
    if scope.park_id is None or scope.park_id not in scope.write_parks:
        raise PermissionDenied("you may import only into your own park")
    park_id = scope.park_id

    rows = _load_rows(content)
    if not rows:
        raise ImportFailed(
            kind=kind_key,
            rows=0,
            dry_run=dry_run,
            errors=[RowError(row=1, column=None, reason="the first sheet is empty; row 1 must hold the column titles")],
            detail="the first sheet is empty; nothing was imported",
        )
    (header_row, header), data_rows = rows[0], rows[1:]
    columns, header_errors = _read_header(sheet, header_row, header)
    if header_errors:
        raise ImportFailed(
            kind=kind_key,
            rows=len(data_rows),
            dry_run=dry_run,
            errors=header_errors,
            detail=f"the header row has {len(header_errors)} problems; nothing was imported",
        )
    if not data_rows:
        raise ImportFailed(
            kind=kind_key,
            rows=0,
            dry_run=dry_run,
            errors=[RowError(row=header_row, column=None, reason="no data rows below the header")],
            detail="the file has no data rows; nothing was imported",
        )

    importer = _Importer(session, scope, sheet, park_id)
    planned = [p for number, values in data_rows if (p := importer.plan(number, columns, values)) is not None]
    if importer.errors:
        raise ImportFailed(kind=kind_key, rows=len(data_rows), dry_run=dry_run, errors=importer.ordered())

    pending_events = list(session.info.get(_PENDING_KEY, []))

    def undo() -> None:
        savepoint.rollback()
        session.info[_PENDING_KEY] = pending_events  # events of rolled-back rows must never be published

    created = updated = 0
    savepoint = session.begin_nested()
    current = planned[0].row
    try:
        for item in planned:
            current = item.row
            try:
                if item.existing_id is None:
                    service.create(session, scope=scope, kind=kind, data=item.data)
                    created += 1
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
    return ImportReport(kind=kind_key, rows=len(data_rows), created=created, updated=updated, dry_run=dry_run)


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


def _display_width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _xlsx(sheet: Sheet, records: list[tuple[Any, ...]]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    data = workbook.create_sheet(sheet.title)
    data.freeze_panes = "A2"
    bold = Font(bold=True)
    for position, column in enumerate(sheet.columns):
        sample = [_display_width(_text(r[position]) or "") for r in records[:500]]
        width = max([_display_width(column.header), *sample, 8])
        data.column_dimensions[get_column_letter(position + 1)].width = min(width + 2, 60)
    data.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(records) + 1}"
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(data, column.header)
        cell.font = bold
        header.append(cell)
    data.append(header)
    for record in records:
        data.append([_xlsx_value(data, value) for value in record])

    readme = workbook.create_sheet(README_TITLE)
    for letter, width in zip("ABCDE", (28, 28, 40, 10, 60), strict=True):
        readme.column_dimensions[letter].width = width
    title = WriteOnlyCell(readme, f"{sheet.title} — 导入说明 / how to import")
    title.font = Font(bold=True, size=13)
    readme.append([title])
    for line in (
        "第一个工作表是数据：第1行为列标题，可写“中文 (key)”、key 或中文标题；第2行起每行一条记录。",
        "The first sheet holds the data: row 1 the column titles ('中文 (key)', the key or the Chinese title), "
        "one record per row below.",
        f"按 {' + '.join(sheet.natural_key)} 匹配已有记录：已存在则更新，否则新建；缺少的列保持不变。",
        f"Rows are matched on {' + '.join(sheet.natural_key)}: existing rows are updated, others created; "
        "columns left out are kept.",
        "导入全部成功或全部不写入；出错时返回每个出错的行、列和原因。",
        "An import writes every row or none; errors list each row, column and reason.",
    ):
        readme.append([line])
    readme.append([])
    header = []
    for text in ("列标题 Column", "字段 Key", "类型 Type", "必填 Required", "说明 Description"):
        cell = WriteOnlyCell(readme, text)
        cell.font = bold
        header.append(cell)
    readme.append(header)
    for column in sheet.columns:
        required = column.key in sheet.natural_key or (
            column.field in sheet.create.model_fields and sheet.create.model_fields[column.field].is_required()
        )
        help_text = column.help
        if column.choices:
            help_text += "; " + ", ".join(f"{value} ({label})" for value, label in column.choices)
        readme.append([column.header, column.key, TYPE_HELP[column.type], "是 yes" if required else "", help_text])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(worksheet: Any, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(worksheet, value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


_NUMBER_LIKE = re.compile(r"[+\-]?[0-9 ().\-]*")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    # keep spreadsheet programs from reading a cell as a formula (CSV injection)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not _NUMBER_LIKE.fullmatch(text)):
        return "'" + text
    return text


def _csv(sheet: Sheet, records: list[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in sheet.columns])
    writer.writerows([_csv_value(value) for value in record] for record in records)
    return buffer.getvalue().encode("utf-8-sig")


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
