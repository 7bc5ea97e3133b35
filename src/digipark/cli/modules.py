"""`digipark modules`: the installed module records and what each declares."""

from __future__ import annotations

from typing import Annotated

import typer


def modules(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print a Markdown table (for docs/architecture.md).")
    ] = False,
) -> None:
    """List the module records in their order: routers, pages, menu entries, archive sections, indicators, provider."""
    from digipark.modules import MODULES

    columns = ("module", "API routers", "page routers", "menu", "archive sections", "indicators", "provides")
    rows = [
        (
            m.name,
            str(len(m.routers)),
            str(len(m.pages)),
            ", ".join(e.href for e in m.menu) or "—",
            ", ".join(s.key for s in m.archive) or "—",
            ", ".join(m.indicators) or "—",
            m.provides or "—",
        )
        for m in MODULES
    ]
    if markdown:
        typer.echo("| " + " | ".join(columns) + " |")
        typer.echo("|" + "---|" * len(columns))
        for row in rows:
            typer.echo("| " + " | ".join(f"`{c}`" if i in (0, 6) and c != "—" else c for i, c in enumerate(row)) + " |")
        return
    for row in rows:
        typer.echo("  ".join(f"{c}: {v}" for c, v in zip(columns, row, strict=True)))
