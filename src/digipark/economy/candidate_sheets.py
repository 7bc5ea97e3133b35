"""Investment candidates to and from spreadsheets: the Excel/CSV import (every row or none) and the export."""

from __future__ import annotations

import builtins
import csv
import io
import zipfile
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.errors import DomainError, NotFound, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import Column, ImportFailed, ImportReport, RowError
from digipark.economy import schemas
from digipark.economy.leads import CANDIDATE_LIST, create_candidate, normal_name
from digipark.economy.models import ChainSegment, IndustryChain, InvestmentCandidate

CANDIDATE_SHEET = "招商对象 candidates"
CANDIDATE_COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", help="registered name of the company", aliases=("名称", "公司名称")),
    Column("uscc", "统一社会信用代码", help="18 characters, GB 32100; optional", aliases=("信用代码",)),
    Column(
        "region_code",
        "所在地区代码",
        help="GB/T 2260 region code of its seat, e.g. 320505",
        aliases=("地区代码", "行政区划代码"),
    ),
    Column("chain_code", "产业链", help="code or name of a chain of the park, e.g. NEV", aliases=("产业链代码",)),
    Column(
        "segment_code",
        "产业链环节",
        help="code or name of a segment of that chain, e.g. cells",
        aliases=("环节", "环节代码"),
    ),
    Column(
        "size",
        "企业规模",
        help="company size",
        aliases=("规模",),
        choices=(("large", "大型"), ("medium", "中型"), ("small", "小型")),
    ),
    Column("employees", "从业人数", "int", "employees", aliases=("员工人数",)),
    Column(
        "revenue_wan_yuan",
        "营业收入（万元）",
        "float",
        "annual revenue, 10k yuan",
        aliases=("营业收入", "年营收（万元）"),
    ),
    Column("products", "主要产品", help="main products", aliases=("产品",)),
    Column("land_need_m2", "用地需求（m²）", "float", "land wanted, m²", aliases=("用地需求", "用地需求（平方米）")),
    Column(
        "floor_need_m2", "厂房需求（m²）", "float", "floor space wanted, m²", aliases=("厂房需求", "厂房需求（平方米）")
    ),
    Column("source", "信息来源", help="where the park heard of the company", aliases=("来源",)),
    Column("notes", "备注", help="notes"),
)
REQUIRED_COLUMNS = ("name", "chain_code", "segment_code")
IMPORT_NOTES = (
    "第一个工作表（或 CSV 文件）是数据：第1行为列标题，可写“中文 (key)”、key 或中文标题；第2行起每行一家企业。",
    "The first sheet (or the CSV file) holds the data: row 1 the column titles ('中文 (key)', the key or the Chinese "
    "title), one company per row below.",
    "导入只新增招商对象：与已登记的企业（同一信用代码或同名）重复的行会被拒绝。",
    "An import only adds candidates: rows repeating a registered company (same USCC or same name) are refused.",
    "导入全部成功或全部不写入；出错时返回每个出错的行、列和原因。",
    "An import writes every row or none; errors list each row, column and reason.",
)


def _csv_rows(content: bytes) -> builtins.list[tuple[int, tuple[Any, ...]]]:
    if len(content) > spreadsheet.MAX_IMPORT_BYTES:
        raise spreadsheet.FileTooLarge(f"the file is larger than {spreadsheet.MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if not content:
        raise spreadsheet.UnsupportedFile("the file is empty")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise spreadsheet.UnsupportedFile("not an .xlsx workbook, nor a CSV file in UTF-8 or GB18030")
    rows: builtins.list[tuple[int, tuple[Any, ...]]] = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(decoded, newline="")), start=1):
            if any(not spreadsheet.blank(v) for v in values):
                rows.append((number, tuple(values)))
                if len(rows) > spreadsheet.MAX_IMPORT_ROWS + 1:
                    raise ValidationFailed(f"the file has more than {spreadsheet.MAX_IMPORT_ROWS} rows; split it")
    except csv.Error as exc:
        raise spreadsheet.UnsupportedFile(f"the CSV file could not be read: {exc}") from None
    return rows


def read_rows(content: bytes) -> builtins.list[tuple[int, tuple[Any, ...]]]:
    """The non-empty rows of an .xlsx workbook's first sheet or of a CSV file, with their row numbers."""
    if zipfile.is_zipfile(io.BytesIO(content)):
        return spreadsheet.load_rows(content)
    return _csv_rows(content)


class _CandidateImport:
    def __init__(self, session: Session, scope: Scope, park_id: int) -> None:
        self.errors: builtins.list[RowError] = []
        chain_rows = builtins.list(
            session.scalars(scope.readable(IndustryChain).where(IndustryChain.park_id == park_id))
        )
        self.chains: dict[str, IndustryChain] = {}
        for chain in chain_rows:
            for key in (chain.code, chain.name, chain.name_en):
                if key:
                    self.chains.setdefault(key.casefold(), chain)
        self.segments: dict[tuple[int, str], int] = {}
        for segment in session.scalars(scope.readable(ChainSegment).where(ChainSegment.park_id == park_id)):
            for key in (segment.code, segment.name, segment.name_en):
                if key:
                    self.segments.setdefault((segment.chain_id, key.casefold()), segment.id)
        existing = session.execute(
            select(InvestmentCandidate.uscc, InvestmentCandidate.name).where(InvestmentCandidate.park_id == park_id)
        ).all()
        self.known_uscc = {u for u, _ in existing if u}
        self.known_names = {normal_name(n) for _, n in existing}
        self.seen_uscc: dict[str, int] = {}
        self.seen_names: dict[str, int] = {}

    def error(self, row: int, column: str | None, reason: str) -> None:
        self.errors.append(RowError(row=row, column=column, reason=reason))

    def plan(
        self, number: int, columns: builtins.list[Column | None], values: tuple[Any, ...]
    ) -> schemas.InvestmentCandidateCreate | None:
        before = len(self.errors)
        cells: dict[str, Any] = {}
        for position, value in enumerate(values):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if not spreadsheet.blank(value):
                    self.error(number, spreadsheet.column_letter(position), "a value in a column without a valid title")
                continue
            try:
                cells[column.key] = spreadsheet.convert(column, value)
            except ValueError as exc:
                self.error(number, column.key, str(exc))
        chain_text, segment_text = cells.pop("chain_code", None), cells.pop("segment_code", None)
        if chain_text is None:
            self.error(number, "chain_code", "required")
        elif (chain := self.chains.get(str(chain_text).casefold())) is None:
            self.error(number, "chain_code", f"no chain {chain_text!r} in this park")
        elif segment_text is None:
            self.error(number, "segment_code", "required")
        elif (segment_id := self.segments.get((chain.id, str(segment_text).casefold()))) is None:
            self.error(number, "segment_code", f"no segment {segment_text!r} in chain {chain.code}")
        else:
            cells["segment_id"] = segment_id
        data = {k: v for k, v in cells.items() if v is not None}
        try:
            created = schemas.InvestmentCandidateCreate.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                field = str(loc[0]) if loc else None
                chain_errors = any(e.row == number and e.column in ("chain_code", "segment_code") for e in self.errors)
                if field == "segment_id" and chain_errors:
                    continue
                target = "segment_code" if field == "segment_id" else field
                message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
                self.error(number, target, "required" if err.get("type") == "missing" else message)
            return None
        if created.uscc:
            if created.uscc in self.known_uscc:
                self.error(number, "uscc", "a candidate with this USCC is already registered")
            elif created.uscc in self.seen_uscc:
                self.error(number, "uscc", f"the same USCC is also in row {self.seen_uscc[created.uscc]}")
            else:
                self.seen_uscc[created.uscc] = number
        name = normal_name(created.name)
        if name in self.known_names:
            self.error(number, "name", "a candidate with this name is already registered")
        elif name in self.seen_names:
            self.error(number, "name", f"the same name is also in row {self.seen_names[name]}")
        else:
            self.seen_names[name] = number
        return created if len(self.errors) == before else None


def import_candidates(session: Session, *, scope: Scope, content: bytes, dry_run: bool = False) -> ImportReport:
    """Add the candidates of an .xlsx workbook's first sheet or of a CSV file: every row or none.

    Raises ImportFailed (422) listing every (row, column, reason) — a bad USCC or region code, an unknown chain or
    segment, a company repeated in the file or already registered — and nothing is written. With `dry_run`
    everything is checked and nothing is kept.
    """
    scope.require("lead.write")
    park_id = scope.acting_write_park()
    kind = "investment_candidate"
    columns, _, data_rows = spreadsheet.header_and_data(
        read_rows(content),
        kind=kind,
        dry_run=dry_run,
        read=lambda n, values: spreadsheet.read_header(
            CANDIDATE_COLUMNS, n, values, required=REQUIRED_COLUMNS, missing_reason="missing required column"
        ),
    )

    importer = _CandidateImport(session, scope, park_id)
    planned = [(number, p) for number, values in data_rows if (p := importer.plan(number, columns, values))]
    if importer.errors:
        raise ImportFailed(kind=kind, rows=len(data_rows), dry_run=dry_run, errors=importer.errors)

    savepoint = session.begin_nested()
    current = planned[0][0]
    try:
        for current, data in planned:
            try:
                create_candidate(session, scope=scope, data=data)
            except DomainError as exc:
                importer.error(current, str(exc.errors[0]["field"]) if exc.errors else None, exc.detail)
        session.flush()
    except SQLAlchemyError as exc:
        savepoint.rollback()
        reason = "the database rejected this row (duplicate or conflicting data)"
        importer.error(
            current, None, reason if isinstance(exc, IntegrityError) else "a database error stopped the import"
        )
        raise ImportFailed(kind=kind, rows=len(data_rows), dry_run=dry_run, errors=importer.errors) from None
    except BaseException:
        savepoint.rollback()
        raise
    if importer.errors or dry_run:
        savepoint.rollback()
        if importer.errors:
            raise ImportFailed(kind=kind, rows=len(data_rows), dry_run=dry_run, errors=importer.errors)
    else:
        savepoint.commit()
        audit.record(
            session,
            action="import",
            entity_type=kind,
            park_id=park_id,
            after={"created": len(planned), "file_rows": len(data_rows)},
        )
    return ImportReport(kind=kind, rows=len(data_rows), created=len(planned), dry_run=dry_run)


def export_candidates(session: Session, *, scope: Scope, query: ListQuery, fmt: str) -> tuple[bytes, str]:
    """The candidates matching the list query as .xlsx (with a README sheet) or CSV, in the import's columns."""
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"no export format {fmt!r}; use xlsx or csv")
    scope.require("lead.read")
    rows = CANDIDATE_LIST.all_rows(session, scope.readable(InvestmentCandidate), query)
    segment_ids = sorted({c.segment_id for c in rows})
    segment_rows = session.execute(
        select(ChainSegment.id, ChainSegment.code, IndustryChain.code)
        .join(IndustryChain, IndustryChain.id == ChainSegment.chain_id)
        .where(ChainSegment.id.in_(segment_ids), scope.condition(ChainSegment))
    ).all()
    codes = {ident: (chain_code, segment_code) for ident, segment_code, chain_code in segment_rows}
    records = []
    for c in rows:
        chain_code, segment_code = codes.get(c.segment_id, (None, None))
        values = {**{col.key: getattr(c, col.key, None) for col in CANDIDATE_COLUMNS}}
        values.update(chain_code=chain_code, segment_code=segment_code)
        records.append([values[col.key] for col in CANDIDATE_COLUMNS])
    if fmt == "xlsx":
        content = spreadsheet.write_xlsx(
            CANDIDATE_SHEET, CANDIDATE_COLUMNS, records, notes=IMPORT_NOTES, required=REQUIRED_COLUMNS
        )
        media_type = spreadsheet.XLSX_MEDIA_TYPE
    else:
        content = spreadsheet.write_csv([col.header for col in CANDIDATE_COLUMNS], records)
        media_type = spreadsheet.CSV_MEDIA_TYPE
    audit.record(
        session,
        action="export",
        entity_type="investment_candidate",
        park_id=scope.park_id,
        after={"format": fmt, "rows": len(records), "q": query.q, "sort": query.sort},
    )
    return content, media_type
