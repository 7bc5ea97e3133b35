"""Generic spreadsheet machinery: reading an uploaded .xlsx, bilingual headers, cell conversion, import reports
and xlsx / CSV writers that never emit formulas.

A domain describes its sheet as a tuple of `Column`s (key, Chinese title, type, aliases, choices) and uses:
`load_rows` (size and row limits, 413 / 415 errors), `read_header` (titles "中文 (key)", a bare key, the Chinese
title or an alias), `convert` (bool / date / number / text cells), `RowError` / `ImportReport` /
`ImportFailed` (422 with every (row, column, reason)), and `write_xlsx` / `write_csv` for exports.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Callable, Collection, Sequence
from typing import Any, Literal, TypeVar

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from pydantic import BaseModel

from digipark.core.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
README_TITLE = "说明 (README)"  # Excel forbids "/" in sheet names


# -- reports and errors --------------------------------------------------------------------------------------
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


Rows = list[tuple[int, tuple[Any, ...]]]
C = TypeVar("C")


def header_and_data(
    rows: Rows,
    *,
    kind: str,
    dry_run: bool,
    read: Callable[[int, tuple[Any, ...]], tuple[list[C], list[RowError]]],
) -> tuple[list[C], int, Rows]:
    """Split loaded rows into (columns read from the header, header row number, data rows).

    An empty file, a header with problems or a file without data rows raises ImportFailed.
    """
    if not rows:
        reason = "the file is empty; row 1 must hold the column titles"
        raise ImportFailed(
            kind=kind,
            rows=0,
            dry_run=dry_run,
            errors=[RowError(row=1, column=None, reason=reason)],
            detail="the file is empty; nothing was imported",
        )
    (header_row, header), data_rows = rows[0], rows[1:]
    columns, header_errors = read(header_row, header)
    if header_errors:
        raise ImportFailed(
            kind=kind,
            rows=len(data_rows),
            dry_run=dry_run,
            errors=header_errors,
            detail=f"the header row has {len(header_errors)} problems; nothing was imported",
        )
    if not data_rows:
        reason = "no data rows below the header"
        raise ImportFailed(
            kind=kind,
            rows=0,
            dry_run=dry_run,
            errors=[RowError(row=header_row, column=None, reason=reason)],
            detail="the file has no data rows; nothing was imported",
        )
    return columns, header_row, data_rows


class UnsupportedFile(DomainError):
    type_slug = "unsupported-file"
    status = 415
    title = "Unsupported or unreadable file"


class FileTooLarge(DomainError):
    type_slug = "file-too-large"
    status = 413
    title = "File too large"


# -- columns -------------------------------------------------------------------------------------------------
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


def normalise_title(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("（", "(").replace("）", ")")).lower()


def title_map(columns: Sequence[Column], *, name: str = "sheet") -> dict[str, str]:
    """Every accepted header text (normalised) of a sheet -> column key."""
    mapping: dict[str, str] = {}
    for column in columns:
        for title in (column.key, column.title, column.header, *column.aliases):
            normalised = normalise_title(title)
            if mapping.setdefault(normalised, column.key) != column.key:
                raise RuntimeError(f"{name}: header {title!r} names two columns")
    return mapping


# -- cell values ---------------------------------------------------------------------------------------------
_TRUE = frozenset({"true", "yes", "y", "1", "是", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "f"})
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str | None:
    if blank(value):
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


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    content = text(value)
    if content is None:
        return None
    if content.lower() in _TRUE:
        return True
    if content.lower() in _FALSE:
        return False
    raise ValueError(f"{content!r} is not a yes/no value; use TRUE/FALSE, 是/否, yes/no or 1/0")


def to_date(value: Any) -> dt.date | None:
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
    content = text(value)
    if content is None:
        return None
    match = _DATE.fullmatch(content)
    try:
        if match:
            return dt.date(*(int(part) for part in match.groups()))
        return dt.datetime.fromisoformat(content).date()
    except ValueError:
        raise ValueError(f"{content!r} is not a date; use YYYY-MM-DD or an Excel date") from None


def to_number(value: Any) -> Any:
    """A number cell, left for the schema to validate; text is stripped."""
    if blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return value.strip() if isinstance(value, str) else value


def convert(column: Column, value: Any) -> Any:
    if column.type == "bool":
        return to_bool(value)
    if column.type == "date":
        return to_date(value)
    if column.type in ("int", "float"):
        return to_number(value)
    content = text(value)
    if content is not None and column.choices:
        content = next((stored for stored, label in column.choices if content == label), content)
    return content


# -- reading a workbook --------------------------------------------------------------------------------------
def load_rows(
    content: bytes, *, max_bytes: int = MAX_IMPORT_BYTES, max_rows: int = MAX_IMPORT_ROWS
) -> list[tuple[int, tuple[Any, ...]]]:
    """The non-empty rows of the first sheet, each with its row number as Excel shows it."""
    if len(content) > max_bytes:
        raise FileTooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
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
                if any(not blank(value) for value in values):
                    rows.append((number, tuple(values)))
                    if len(rows) > max_rows + 1:
                        raise ValidationFailed(f"the first sheet has more than {max_rows} rows; split the file")
        finally:
            workbook.close()
    except DomainError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged or foreign file
        log.info("unreadable workbook: %r", exc)
        raise UnsupportedFile("the workbook could not be read: it is damaged or not an .xlsx file") from exc
    return rows


def read_header(
    columns: Sequence[Column],
    number: int,
    values: tuple[Any, ...],
    *,
    required: Sequence[str] = (),
    titles: dict[str, str] | None = None,
    missing_reason: str = "missing column; it identifies the rows",
) -> tuple[list[Column | None], list[RowError]]:
    """Map each header cell to its column; errors for unknown, repeated and missing `required` columns."""
    titles = title_map(columns) if titles is None else titles
    by_key = {column.key: column for column in columns}
    found: list[Column | None] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for position, value in enumerate(values):
        letter = get_column_letter(position + 1)
        content = text(value)
        if content is None:
            found.append(None)
            continue
        normalised = normalise_title(content)
        key = titles.get(normalised)
        if key is None and (suffix := re.search(r"\(([a-z0-9_]+)\)$", normalised)):
            key = titles.get(suffix.group(1))
        if key is None:
            errors.append(
                RowError(
                    row=number,
                    column=content,
                    reason=f"unknown column (column {letter}); expected: {', '.join(c.key for c in columns)}",
                )
            )
            found.append(None)
        elif key in seen:
            errors.append(RowError(row=number, column=key, reason=f"column given twice ({seen[key]} and {letter})"))
            found.append(None)
        else:
            seen[key] = letter
            found.append(by_key[key])
    for key in required:
        if key not in seen:
            errors.append(RowError(row=number, column=key, reason=missing_reason))
    return found, errors


def column_letter(position: int) -> str:
    """The spreadsheet letter of a 0-based column position."""
    return str(get_column_letter(position + 1))


# -- writing -------------------------------------------------------------------------------------------------
def display_width(content: str) -> int:
    return sum(2 if ord(char) > 0x2E80 else 1 for char in content)


def xlsx_value(worksheet: Any, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(worksheet, value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


_NUMBER_LIKE = re.compile(r"[+\-]?[0-9 ().\-]*")


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.isoformat()
    content = str(value)
    # keep spreadsheet programs from reading a cell as a formula (CSV injection)
    if content[:1] in ("=", "@", "\t", "\r") or (content[:1] in ("+", "-") and not _NUMBER_LIKE.fullmatch(content)):
        return "'" + content
    return content


def import_notes(natural_key: Sequence[str]) -> tuple[str, ...]:
    """The usual README lines of an importable sheet whose rows are matched on `natural_key`."""
    return (
        "第一个工作表是数据：第1行为列标题，可写“中文 (key)”、key 或中文标题；第2行起每行一条记录。",
        "The first sheet holds the data: row 1 the column titles ('中文 (key)', the key or the Chinese title), "
        "one record per row below.",
        f"按 {' + '.join(natural_key)} 匹配已有记录：已存在则更新，否则新建；缺少的列保持不变。",
        f"Rows are matched on {' + '.join(natural_key)}: existing rows are updated, others created; "
        "columns left out are kept.",
        "导入全部成功或全部不写入；出错时返回每个出错的行、列和原因。",
        "An import writes every row or none; errors list each row, column and reason.",
    )


def add_table_sheet(
    workbook: Any, title: str, headers: Sequence[str], records: Sequence[Sequence[Any]], *, freeze: bool = True
) -> None:
    """Append a sheet to a write-only workbook: bold header, widths from the content, auto filter."""
    data = workbook.create_sheet(title)
    if freeze:
        data.freeze_panes = "A2"
    bold = Font(bold=True)
    for position, header in enumerate(headers):
        sample = [display_width(text(r[position]) or "") for r in records[:500]]
        width = max([display_width(header), *sample, 8])
        data.column_dimensions[get_column_letter(position + 1)].width = min(width + 2, 60)
    if headers:
        data.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(records) + 1}"
    row = []
    for header in headers:
        cell = WriteOnlyCell(data, header)
        cell.font = bold
        row.append(cell)
    data.append(row)
    for record in records:
        data.append([xlsx_value(data, value) for value in record])


def write_xlsx(
    title: str,
    columns: Sequence[Column],
    records: Sequence[Sequence[Any]],
    *,
    notes: Sequence[str] = (),
    required: Collection[str] = (),
) -> bytes:
    """A workbook with the data sheet (headers "中文 (key)") and, with `notes`, a README sheet describing the
    columns; `required` names the columns marked as required there."""
    workbook = openpyxl.Workbook(write_only=True)
    add_table_sheet(workbook, title, [column.header for column in columns], records)
    if notes:
        bold = Font(bold=True)
        readme = workbook.create_sheet(README_TITLE)
        for letter, width in zip("ABCDE", (28, 28, 40, 10, 60), strict=True):
            readme.column_dimensions[letter].width = width
        heading = WriteOnlyCell(readme, f"{title} — 导入说明 / how to import")
        heading.font = Font(bold=True, size=13)
        readme.append([heading])
        for line in notes:
            readme.append([line])
        readme.append([])
        header = []
        for content in ("列标题 Column", "字段 Key", "类型 Type", "必填 Required", "说明 Description"):
            cell = WriteOnlyCell(readme, content)
            cell.font = bold
            header.append(cell)
        readme.append(header)
        for column in columns:
            help_text = column.help
            if column.choices:
                help_text += "; " + ", ".join(f"{value} ({label})" for value, label in column.choices)
            is_required = "是 yes" if column.key in required else ""
            readme.append([column.header, column.key, TYPE_HELP[column.type], is_required, help_text])
    return save(workbook)


def save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def new_workbook() -> Any:
    """A write-only workbook for `add_table_sheet`; finish with `save`."""
    return openpyxl.Workbook(write_only=True)


def write_csv(headers: Sequence[str], records: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads Chinese), CRLF lines, formula-like cells defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(headers))
    writer.writerows([csv_value(value) for value in record] for record in records)
    return buffer.getvalue().encode("utf-8-sig")
