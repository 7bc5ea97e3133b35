"""The asset register to and from Excel: the all-or-nothing import (every row or none, each bad row reported with
its column and reason) and the export in the same columns, on the shared machinery of `core.spreadsheet` (the
header "中文 (key)", cells, `ImportFailed`, the README sheet), as the economy's statistics import does.

Rows are matched on the asset code within the park: a new code creates the asset (validated like the API's
create, its first lifecycle state recorded), a known one updates the given columns; a different state is applied
as a lifecycle change when the lifecycle allows it. Classes, buildings and the owning enterprise are named by
their natural keys (class code, building code, USCC)."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digipark.assets.geo import Network, check_line_geometry
from digipark.assets.models import TRANSITIONS, Asset, AssetClass, DepreciationMethod, LifecycleState
from digipark.assets.schemas import AssetCreate, AssetUpdate, StateChange
from digipark.assets.service import ASSETS, VIEW, WRITE, change_state
from digipark.audit import service as audit
from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.errors import DomainError, NotFound
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import Column, ImportFailed, ImportReport, RowError
from digipark.registry.models import Building, Enterprise

log = logging.getLogger(__name__)

KIND = "asset"
SHEET_TITLE = "资产台账"
STATE_LABELS = (
    ("planned", "计划购置"),
    ("acquired", "已购置"),
    ("in_service", "在用"),
    ("under_maintenance", "维修中"),
    ("retired", "停用"),
    ("disposed", "已处置"),
)
METHOD_LABELS = (
    (DepreciationMethod.STRAIGHT_LINE.value, "年限平均法"),
    (DepreciationMethod.DOUBLE_DECLINING.value, "双倍余额递减法"),
    (DepreciationMethod.SUM_OF_YEARS.value, "年数总和法"),
)
NETWORK_LABELS = (
    (Network.ROAD.value, "道路"),
    (Network.WATER.value, "给水"),
    (Network.DRAINAGE.value, "排水"),
    (Network.GAS.value, "燃气"),
    (Network.POWER.value, "电力"),
    (Network.HEAT.value, "热力"),
)
COLUMNS: tuple[Column, ...] = (
    Column("code", "资产编码", help="unique in the park; matches existing assets"),
    Column("name", "资产名称", help="required for a new asset"),
    Column("name_en", "英文名称", help="optional: the name on English pages"),
    Column("class_code", "资产类别", help="the class code (asset_class.code)", aliases=("类别",)),
    Column("enterprise_uscc", "所属企业统一社会信用代码", help="empty: the park's own asset"),
    Column("model", "型号"),
    Column("supplier", "供应商"),
    Column("building_code", "所在楼宇", help="building code"),
    Column("location", "位置"),
    Column("state", "状态", choices=STATE_LABELS),
    Column("acquired_on", "购置日期", "date"),
    Column("in_service_on", "投用日期", "date"),
    Column("warranty_until", "质保截止", "date"),
    Column("purchase_value", "原值(元)", "float", aliases=("原值",)),
    Column("salvage_value", "残值(元)", "float", help="empty: the class's salvage rate", aliases=("残值",)),
    Column("useful_life_months", "使用年限(月)", "int", help="empty: the class's"),
    Column("method", "折旧方法", choices=METHOD_LABELS, help="empty: the class's"),
    Column("run_hours_point_id", "运行小时测点ID", "int"),
    Column("vibration_point_id", "振动测点ID", "int"),
    Column("temperature_point_id", "温度测点ID", "int"),
    Column("network", "管网类型", choices=NETWORK_LABELS, help="roads and pipes only"),
    Column("geometry", "线位(GeoJSON)", help="a GeoJSON LineString or MultiLineString, WGS-84 [lon, lat]"),
    Column("material", "材质"),
    Column("diameter_mm", "管径(mm)", "int"),
    Column("install_year", "敷设年份", "int"),
)
REQUIRED = ("code",)
NOTES = (
    *spreadsheet.import_notes(("code",)),
    "新资产须填写资产名称和资产类别；状态可写中文（在用、维修中……）或英文值；更改已有资产的状态按生命周期规则记录。",
    "A new asset needs its name and class; states in Chinese (在用, 维修中, ...) or their values; a new state of an "
    "existing asset is recorded as a lifecycle change where the lifecycle allows it.",
    "道路和管网：管网类型（道路、给水、排水、燃气、电力、热力）、线位写 GeoJSON 文本（LineString 或 MultiLineString，"
    "WGS-84 经纬度）、材质、管径(mm)、敷设年份。",
    "Roads and pipes: the network (road, water, drainage, gas, power, heat), the line as GeoJSON text (a LineString "
    "or MultiLineString in WGS-84 longitude/latitude), material, diameter in mm, install year.",
)


@dataclasses.dataclass
class _Planned:
    row: int
    existing: Asset | None
    data: BaseModel
    state: str | None


class _Import:
    def __init__(self, session: Session, scope: Scope, park_id: int) -> None:
        self.session, self.scope, self.park_id = session, scope, park_id
        self.errors: list[RowError] = []
        self.classes = {
            c.code.upper(): c.id for c in session.scalars(select(AssetClass).where(AssetClass.park_id == park_id))
        }
        self.buildings = {
            b.code.upper(): b.id for b in session.scalars(scope.readable(Building).where(Building.park_id == park_id))
        }
        self.enterprises = {
            e.uscc.upper(): e.id
            for e in session.scalars(scope.readable(Enterprise).where(Enterprise.park_id == park_id))
        }
        self.assets = {
            a.code.upper(): a for a in session.scalars(ASSETS.readable(scope).where(Asset.park_id == park_id))
        }
        self.seen: dict[str, int] = {}

    def error(self, row: int, column: str | None, reason: str) -> None:
        self.errors.append(RowError(row=row, column=column, reason=reason))

    def _ref(self, number: int, raw: dict[str, Any], key: str, field: str, table: dict[str, int], label: str) -> None:
        value = raw.pop(key, None)
        if value is None:
            return
        found = table.get(str(value).upper())
        if found is None:
            self.error(number, key, f"no {label} {value!r} in this park")
        else:
            raw[field] = found

    def plan(self, number: int, columns: list[Column | None], values: tuple[Any, ...]) -> _Planned | None:
        before = len(self.errors)
        raw: dict[str, Any] = {}
        for position, value in enumerate(values):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if not spreadsheet.blank(value):
                    self.error(number, spreadsheet.column_letter(position), "a value in a column without a valid title")
                continue
            try:
                converted = spreadsheet.convert(column, value)
            except ValueError as exc:
                self.error(number, column.key, str(exc))
                continue
            if converted is not None:
                raw[column.key] = converted
        if "geometry" in raw:
            try:
                raw["geometry"] = check_line_geometry(json.loads(raw["geometry"]))
            except (ValueError, RecursionError) as exc:
                reason = f"not JSON: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc)
                self.error(number, "geometry", reason)
                raw.pop("geometry")
        code = raw.get("code")
        if code is None:
            self.error(number, "code", "required")
            return None
        if code.upper() in self.seen:
            self.error(number, "code", f"the same code is also in row {self.seen[code.upper()]}")
        self.seen.setdefault(code.upper(), number)
        existing = self.assets.get(code.upper())
        self._ref(number, raw, "class_code", "class_id", self.classes, "asset class")
        self._ref(number, raw, "building_code", "building_id", self.buildings, "building")
        self._ref(number, raw, "enterprise_uscc", "enterprise_id", self.enterprises, "enterprise with USCC")
        state = raw.pop("state", None) if existing is not None else None
        if state is not None and existing is not None and state != existing.state:
            if state not in {s.value for s in LifecycleState}:
                self.error(number, "state", f"unknown state {state!r}")
            elif state not in TRANSITIONS[LifecycleState(existing.state)]:
                self.error(number, "state", f"an asset {existing.state} cannot become {state}")
        if existing is not None:
            for fixed in ("class_id", "enterprise_id"):
                if fixed in raw and raw.pop(fixed) != getattr(existing, fixed):
                    key = "class_code" if fixed == "class_id" else "enterprise_uscc"
                    self.error(number, key, "cannot be changed by an import")
        if "geometry" in raw and raw.get("network") is None and (existing is None or existing.network is None):
            self.error(number, "network", "a line geometry is a road or pipe network: say which")
        schema: type[BaseModel] = AssetUpdate if existing is not None else AssetCreate
        if existing is None:
            raw["park_id"] = self.park_id
        try:
            data = schema.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                field = str(loc[0]) if loc else None
                target = {"class_id": "class_code", "building_id": "building_code"}.get(field or "", field)
                message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                self.error(number, target, "required" if err.get("type") == "missing" else message)
            return None
        if len(self.errors) != before:
            return None
        return _Planned(number, existing, data, state if existing is not None and state != existing.state else None)

    def write(self, item: _Planned) -> bool:
        """Create or update one row; False (with its errors) when the service refuses it."""
        try:
            if item.existing is None:
                ASSETS.create(self.session, scope=self.scope, data=item.data)
                return True
            ASSETS.update(self.session, scope=self.scope, ident=item.existing.id, data=item.data)
            if item.state is not None:
                change = StateChange.model_validate({"state": item.state, "note": "导入 import"})
                change_state(self.session, scope=self.scope, ident=item.existing.id, data=change)
        except DomainError as exc:
            if exc.errors:
                for err in exc.errors:
                    self.error(item.row, str(err.get("field") or "") or None, str(err.get("reason") or exc.detail))
            else:
                self.error(item.row, None, exc.detail)
            return False
        return True


def import_or_raise(
    session: Session, *, scope: Scope, content: bytes, dry_run: bool = False, park_id: int | None = None
) -> ImportReport:
    """Import the asset register from the first sheet of an .xlsx workbook: every row or none. Raises
    ImportFailed (422) listing every (row, column, reason), UnsupportedFile (415) / FileTooLarge (413)."""
    scope.require(WRITE)
    park = scope.acting_write_park(park_id)
    scope.authorize_write(WRITE, park_id=park)
    columns, _, data_rows = spreadsheet.header_and_data(
        spreadsheet.load_rows(content),
        kind=KIND,
        dry_run=dry_run,
        read=lambda n, values: spreadsheet.read_header(
            COLUMNS, n, values, required=REQUIRED, missing_reason="missing column; it identifies the assets"
        ),
    )
    importer = _Import(session, scope, park)
    planned = [p for number, values in data_rows if (p := importer.plan(number, columns, values)) is not None]
    if importer.errors:
        raise ImportFailed(kind=KIND, rows=len(data_rows), dry_run=dry_run, errors=importer.errors)
    created = sum(1 for p in planned if p.existing is None)
    savepoint = session.begin_nested()
    current = planned[0].row if planned else 1
    try:
        for item in planned:
            current = item.row
            importer.write(item)
        session.flush()
    except SQLAlchemyError as exc:
        log.warning("asset import rolled back at row %d: %r", current, exc)
        savepoint.rollback()
        reason = "the database rejected this row (duplicate or conflicting data)"
        importer.error(current, None, reason if isinstance(exc, IntegrityError) else "a database error stopped it")
        raise ImportFailed(kind=KIND, rows=len(data_rows), dry_run=dry_run, errors=importer.errors) from None
    except BaseException:
        savepoint.rollback()
        raise
    if importer.errors or dry_run:
        savepoint.rollback()
        if importer.errors:
            raise ImportFailed(kind=KIND, rows=len(data_rows), dry_run=dry_run, errors=importer.errors)
    else:
        savepoint.commit()
        audit.record(
            session,
            action="import",
            entity_type=KIND,
            park_id=park,
            after={"created": created, "updated": len(planned) - created, "file_rows": len(data_rows)},
        )
    return ImportReport(
        kind=KIND, rows=len(data_rows), created=created, updated=len(planned) - created, dry_run=dry_run
    )


def template_xlsx() -> bytes:
    """An empty import workbook: the header row and the README sheet."""
    return spreadsheet.write_xlsx(SHEET_TITLE, COLUMNS, [], notes=NOTES, required=REQUIRED)


def export(session: Session, *, scope: Scope, query: ListQuery, fmt: str) -> tuple[bytes, str]:
    """The register's rows matching the list query as .xlsx (re-importable, with the README sheet) or CSV."""
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    scope.require(VIEW)
    rows = ASSETS.list_spec.all_rows(session, ASSETS.readable(scope), query)
    classes = dict(session.execute(select(AssetClass.id, AssetClass.code).where(scope.condition(AssetClass))).all())
    buildings = dict(session.execute(select(Building.id, Building.code).where(scope.condition(Building))).all())
    enterprises = dict(session.execute(select(Enterprise.id, Enterprise.uscc).where(scope.condition(Enterprise))).all())
    records = []
    for a in rows:
        values = {column.key: getattr(a, column.key, None) for column in COLUMNS}
        values.update(
            class_code=classes.get(a.class_id),
            building_code=buildings.get(a.building_id) if a.building_id else None,
            enterprise_uscc=enterprises.get(a.enterprise_id) if a.enterprise_id else None,
            geometry=json.dumps(a.geometry, separators=(",", ":")) if a.geometry else None,
        )
        records.append([values[column.key] for column in COLUMNS])
    if fmt == "xlsx":
        content = spreadsheet.write_xlsx(SHEET_TITLE, COLUMNS, records, notes=NOTES, required=REQUIRED)
        media_type = spreadsheet.XLSX_MEDIA_TYPE
    else:
        content = spreadsheet.write_csv([column.header for column in COLUMNS], records)
        media_type = spreadsheet.CSV_MEDIA_TYPE
    audit.record(session, action="export", entity_type=KIND, park_id=scope.park_id, after={"rows": len(records)})
    return content, media_type
