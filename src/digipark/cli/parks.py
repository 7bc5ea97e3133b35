"""`digipark parks`: the parks of the deployment (the operator's; on the web, a platform administrator's)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from digipark.cli.options import DatabaseOption, command_group, make_console, park_by_code, reading, writing

parks_app = command_group("Parks of the deployment.")

NameOption = Annotated[str | None, typer.Option("--name", help="Name of the park.")]
NameEnOption = Annotated[str | None, typer.Option("--name-en", help="English name.")]
RegionOption = Annotated[str | None, typer.Option("--region", help="GB/T 2260 region code (6 digits).")]
AddressOption = Annotated[str | None, typer.Option("--address", help="Address.")]
LevelOption = Annotated[str | None, typer.Option("--level", help="National or provincial approval.")]
IndustryOption = Annotated[
    list[str] | None, typer.Option("--industry", help="GB/T 4754 code of a leading industry (repeatable).")
]


def _given(**values: object) -> dict[str, object]:
    return {name: value for name, value in values.items() if value is not None}


@parks_app.command("create")
def parks_create(
    code: Annotated[str, typer.Option("--code", help="Code of the new park (cannot change later).")],
    name: Annotated[str, typer.Option("--name", help="Name of the park.")],
    region: Annotated[str, typer.Option("--region", help="GB/T 2260 region code (6 digits).")],
    name_en: NameEnOption = None,
    address: AddressOption = None,
    level: LevelOption = None,
    industry: IndustryOption = None,
    database: DatabaseOption = None,
) -> None:
    """Create a park (audited as the OS user)."""
    from digipark.registry import parks
    from digipark.registry.schemas import ParkCreate

    data = ParkCreate.model_validate(
        _given(
            code=code,
            name=name,
            region_code=region,
            name_en=name_en,
            address=address,
            level=level,
            leading_industries=industry,
        )
    )
    with writing(database) as db:
        park = parks.create(db, user=None, data=data)
        typer.echo(f"created park {park.code} ({park.name}), id {park.id}")


@parks_app.command("update")
def parks_update(
    park: Annotated[str, typer.Option("--park", help="Code of the park to change.")],
    name: NameOption = None,
    name_en: NameEnOption = None,
    region: RegionOption = None,
    address: AddressOption = None,
    level: LevelOption = None,
    industry: IndustryOption = None,
    database: DatabaseOption = None,
) -> None:
    """Change a park's details (only the options given; audited as the OS user)."""
    from digipark.core.errors import field_error
    from digipark.registry import parks
    from digipark.registry.schemas import ParkPlatformUpdate

    changes = _given(
        name=name, name_en=name_en, region_code=region, address=address, level=level, leading_industries=industry
    )
    if not changes:
        raise field_error("options", "give at least one of --name, --name-en, --region, --address, --level, --industry")
    data = ParkPlatformUpdate.model_validate(changes)
    with writing(database) as db:
        row = parks.update(db, user=None, ident=park_by_code(db, park).id, data=data)
        typer.echo(f"updated park {row.code}: {', '.join(sorted(changes))}")


@parks_app.command("list")
def parks_list(database: DatabaseOption = None) -> None:
    """List the parks."""
    from sqlalchemy import select

    from digipark.registry.models import Park

    with reading(database) as db:
        rows = db.scalars(select(Park).order_by(Park.code)).all()
    table = Table(title=f"{len(rows)} parks")
    for column in ("id", "code", "name", "region", "level"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row.id), row.code, row.name, row.region_code, row.level or "")
    make_console().print(table)
