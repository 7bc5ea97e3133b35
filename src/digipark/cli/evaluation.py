"""`digipark evaluate`: a park against the guide's four construction standards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from digipark.cli.options import DatabaseOption, ParkOption, make_console, park_by_code, writing


def evaluate(
    park: ParkOption,
    year: Annotated[
        int | None, typer.Option("--year", help="Year; a signed year shows its snapshot (default: this year).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report: .pdf, .xlsx or .html.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Report language: zh or en.")] = "zh",
    database: DatabaseOption = None,
) -> None:
    """Evaluate a park against the guide's four construction standards (live, or the signed snapshot of a year)."""
    from digipark.auth.scope import system_scope
    from digipark.core.errors import field_error
    from digipark.evaluation import report
    from digipark.evaluation import service as evaluation

    if lang not in ("zh", "en"):
        raise field_error("--lang", "zh or en")
    fmt = out.suffix.lower().lstrip(".") if out is not None else None
    if out is not None and fmt not in report.MEDIA_TYPES:
        raise field_error("--out", f"{out.name}: the name must end in .pdf, .xlsx or .html")
    with writing(database) as db:
        scope = system_scope(park_by_code(db, park).id)
        found = evaluation.for_year(db, scope=scope, park_id=scope.park_id, year=year)
    shown = report.present(found, lang)
    head = report.heading(found, lang)
    table = Table(title=f"{head['park']} · {head['year']} · {head['kind']}")
    for column in ("code", "indicator", "value", "target", "status", "source"):
        table.add_column(column)
    for item in shown["indicators"]:
        table.add_row(item["code"], item["name"], item["value"], item["target"], item["status"], item["source_label"])
    make_console().print(table)
    typer.echo(
        f"standards met: {found.met_standards}/{len(found.standards)}, indicators met: "
        f"{found.met_indicators}/{found.indicators}, declared: {found.declared_indicators}, gaps: {len(found.gaps)}"
        + (f", signed by {found.signer_name} ({found.signed_by})" if found.snapshot_id else ", live")
    )
    if out is not None and fmt is not None:
        content, _, _ = report.render(found, fmt, lang)
        out.write_bytes(content)
        typer.echo(f"wrote the {fmt} report of park {park} ({found.year}) to {out} ({len(content)} bytes)")
