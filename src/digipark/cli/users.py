"""`digipark users`: user accounts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from digipark.auth.models import Role
from digipark.cli.options import (
    DatabaseOption,
    ParkOption,
    command_group,
    make_console,
    park_by_code,
    reading,
    writing,
)

users_app = command_group("User accounts.")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    role: Annotated[Role, typer.Option("--role", help="Role of the user.")],
    park: ParkOption,
    enterprise_uscc: Annotated[
        str | None, typer.Option("--enterprise-uscc", help="USCC of the user's enterprise (role enterprise).")
    ] = None,
    password: Annotated[str | None, typer.Option("--password", help="Password; asked for when left out.")] = None,
    extra_park: Annotated[
        list[str] | None, typer.Option("--extra-park", help="Code of a further park a reviewer may read (repeatable).")
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the UI.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    platform_admin: Annotated[
        bool, typer.Option("--platform-admin", help="May also create and edit every park (/platform/parks).")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Create a user account."""
    from sqlalchemy import select

    from digipark.auth import service as auth_service
    from digipark.auth.schemas import UserCreate
    from digipark.core.codes import validate_uscc
    from digipark.core.errors import NotFound, field_error
    from digipark.registry.models import Enterprise

    extra_codes = extra_park or []
    if role == Role.ENTERPRISE and not enterprise_uscc:
        raise field_error("--enterprise-uscc", "an enterprise user needs the USCC of their enterprise")
    if role != Role.ENTERPRISE and enterprise_uscc:
        raise field_error("--enterprise-uscc", "only enterprise users belong to an enterprise")
    if extra_codes and role != Role.REVIEWER:
        raise field_error("--extra-park", "only reviewers read further parks")
    uscc = validate_uscc(enterprise_uscc) if enterprise_uscc else None
    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    checked = UserCreate(username=username, password=password, role=role, display_name=display_name, email=email)
    with writing(database) as db:
        home = park_by_code(db, park)
        extra_ids = tuple(dict.fromkeys(park_by_code(db, code).id for code in extra_codes if code != park))
        enterprise_id: int | None = None
        if uscc is not None:
            enterprise_id = db.scalar(
                select(Enterprise.id).where(Enterprise.park_id == home.id, Enterprise.uscc == uscc)
            )
            if enterprise_id is None:
                raise NotFound(f"no enterprise with USCC {uscc} in park {park!r}")
        user = auth_service.create(
            db,
            username=checked.username,
            password=checked.password,
            role=role,
            display_name=checked.display_name,
            email=checked.email,
            park_id=home.id,
            enterprise_id=enterprise_id,
            extra_park_ids=extra_ids,
        )
        user.is_platform_admin = platform_admin
        also = " as a platform administrator" if platform_admin else ""
        also += f", also reading {', '.join(c for c in extra_codes if c != park)}" if extra_ids else ""
        typer.echo(f"created user {user.username!r} ({role.value}) in park {home.code}{also}")


@users_app.command("list")
def users_list(
    park: Annotated[str | None, typer.Option("--park", help="Only users of this park.")] = None,
    database: DatabaseOption = None,
) -> None:
    """List user accounts."""
    from sqlalchemy import select

    from digipark.auth.models import User
    from digipark.registry.models import Enterprise, Park

    with reading(database) as db:
        stmt = (
            select(User, Park.code, Enterprise.name)
            .outerjoin(Park, Park.id == User.park_id)
            .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
            .order_by(User.id)
        )
        if park is not None:
            stmt = stmt.where(User.park_id == park_by_code(db, park).id)
        rows = db.execute(stmt).all()
    table = Table(title=f"{len(rows)} users")
    for column in ("id", "username", "name", "role", "park", "enterprise", "active", "last login"):
        table.add_column(column)
    for user, park_code, enterprise_name in rows:
        last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else ""
        table.add_row(
            str(user.id),
            user.username,
            user.display_name,
            user.role,
            park_code or "",
            enterprise_name or "",
            "yes" if user.is_active else "no",
            last,
        )
    make_console().print(table)
