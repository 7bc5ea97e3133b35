"""`digipark import` and `digipark export`: registry rows from and to Excel or CSV."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from digipark.cli.errors import EXIT_ERROR
from digipark.cli.options import DatabaseOption, ParkOption, make_console, park_by_code, writing

if TYPE_CHECKING:
    from digipark.registry.excel import ImportReport


class ExcelKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    BUILDING = "building"
    DEVICE = "device"
    POINT = "point"


def _report_of(exc: Exception) -> ImportReport | None:
    from digipark.registry.excel import ImportReport, RowError

    report = getattr(exc, "report", None)
    if isinstance(report, ImportReport):
        return report
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list) and errors and all(isinstance(e, dict) and "row" in e for e in errors):
        rows = [RowError(row=int(e["row"]), column=e.get("column"), reason=str(e.get("reason", ""))) for e in errors]
        return ImportReport(kind="", rows=len({r.row for r in rows}), errors=rows)
    return None


def _print_report(report: ImportReport, file: Path, detail: str | None = None) -> None:
    console = make_console(stderr=True)
    table = Table(title=f"{file.name}: {detail or f'{len(report.errors)} errors; nothing was imported'}")
    for column in ("row", "column", "reason"):
        table.add_column(column)
    for error in report.errors:
        table.add_row(str(error.row), error.column or "", error.reason)
    console.print(table)


def import_rows(
    kind: Annotated[ExcelKind, typer.Argument(help="Kind of rows in the file.")],
    file: Annotated[Path, typer.Argument(help="Excel workbook (.xlsx).")],
    park: ParkOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the file, save nothing.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Import registry rows from an Excel workbook: all rows or none."""
    from digipark.auth.scope import system_scope
    from digipark.core.errors import DomainError
    from digipark.registry import excel

    content = file.read_bytes()
    with writing(database) as db:
        scope = system_scope(park_by_code(db, park).id)
        try:
            report = excel.import_or_raise(db, scope=scope, kind_key=kind.value, content=content, dry_run=dry_run)
        except DomainError as exc:
            failed = _report_of(exc)
            if failed is None:
                raise
            _print_report(failed, file, exc.detail)
            raise typer.Exit(EXIT_ERROR) from None
        if report.errors:
            _print_report(report, file)
            raise typer.Exit(EXIT_ERROR)  # rolls the transaction back
    saved = "dry run, nothing saved" if dry_run else "saved"
    typer.echo(
        f"{file.name}: {report.rows} {kind.value} rows checked, {report.created} created, "
        f"{report.updated} updated ({saved})"
    )


def export_rows(
    kind: Annotated[ExcelKind, typer.Argument(help="Kind of rows to export.")],
    file: Annotated[Path, typer.Argument(help="Target file: .xlsx or .csv.")],
    park: ParkOption,
    database: DatabaseOption = None,
) -> None:
    """Export registry rows of a park to Excel or CSV."""
    from digipark.auth.scope import system_scope
    from digipark.core.errors import field_error
    from digipark.core.listing import ListQuery
    from digipark.registry import excel

    fmt = file.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise field_error("FILE", f"{file.name}: the name must end in .xlsx or .csv")
    with writing(database) as db:
        scope = system_scope(park_by_code(db, park).id)
        content, _ = excel.export_rows(db, scope=scope, kind_key=kind.value, query=ListQuery(), fmt=fmt)
    file.write_bytes(content)
    typer.echo(f"wrote {kind.value} rows of park {park} to {file} ({len(content)} bytes)")
