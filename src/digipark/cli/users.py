"""`digipark users`: user accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from digipark.auth.models import User
    from digipark.auth.scope import Scope

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


UsernameArgument = Annotated[str, typer.Argument(help="Login name of the account.")]


def _managed(db: Session, username: str) -> tuple[User, Scope]:
    """The account and a park-administrator scope of its park (what the command acts as)."""
    from digipark.auth import service as auth_service
    from digipark.auth.scope import system_scope
    from digipark.core.errors import NotFound, field_error

    user = auth_service.get_by_username(db, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    if user.park_id is None:
        raise field_error("username", "the account has no home park (a provincial reviewer): change it in the database")
    return user, system_scope(user.park_id)


@users_app.command("update")
def users_update(
    username: UsernameArgument,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Name shown in the UI.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    language: Annotated[str | None, typer.Option("--language", help="zh or en.")] = None,
    role: Annotated[Role | None, typer.Option("--role", help="New role (not between enterprise and staff).")] = None,
    enterprise_admin: Annotated[
        bool | None,
        typer.Option("--enterprise-admin/--no-enterprise-admin", help="Whether it manages its enterprise's accounts."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Change an account's name, e-mail, language, role or enterprise-administrator flag."""
    from digipark.auth import lifecycle
    from digipark.auth.schemas import UserUpdate

    given: dict[str, object] = {"display_name": display_name, "email": email, "language": language, "role": role}
    given["enterprise_admin"] = enterprise_admin
    changes = UserUpdate(**{k: v for k, v in given.items() if v is not None}).model_dump(exclude_unset=True)
    with writing(database) as db:
        user, scope = _managed(db, username)
        lifecycle.update_user(db, scope=scope, user_id=user.id, changes=changes)
        typer.echo(f"updated user {username!r}: {', '.join(sorted(changes)) or 'nothing'}")


@users_app.command("deactivate")
def users_deactivate(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """Deactivate an account: it cannot log in, its sessions end and its API tokens are revoked."""
    from digipark.auth import lifecycle

    with writing(database) as db:
        user, scope = _managed(db, username)
        lifecycle.set_active(db, scope=scope, user_id=user.id, active=False)
        typer.echo(f"deactivated user {username!r}")


@users_app.command("activate")
def users_activate(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """Activate a deactivated account again (its old tokens stay revoked)."""
    from digipark.auth import lifecycle

    with writing(database) as db:
        user, scope = _managed(db, username)
        lifecycle.set_active(db, scope=scope, user_id=user.id, active=True)
        typer.echo(f"activated user {username!r}")


@users_app.command("reset-password")
def users_reset_password(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """Give an account a temporary password (printed once) that must be changed at the next login."""
    from digipark.auth import lifecycle

    with writing(database) as db:
        user, scope = _managed(db, username)
        temporary, expires_at = lifecycle.reset_password(db, scope=scope, user_id=user.id)
    typer.echo(f"temporary password of {username!r} (valid until {expires_at.isoformat(timespec='minutes')}):")
    typer.echo(temporary)


@users_app.command("reset-second-factor")
def users_reset_second_factor(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """Remove an account's TOTP second factor (a lost phone); it enrols again where its role requires one."""
    from digipark.auth import second_factor

    with writing(database) as db:
        user, _scope = _managed(db, username)
        second_factor.disable(db, user=user)
        typer.echo(f"removed the second factor of {username!r}")


@users_app.command("tokens")
def users_tokens(username: UsernameArgument, database: DatabaseOption = None) -> None:
    """List an account's API tokens."""
    from digipark.auth import lifecycle

    with writing(database) as db:
        user, scope = _managed(db, username)
        rows = lifecycle.list_tokens(db, scope=scope, user_id=user.id)
        table = Table(title=f"{len(rows)} tokens of {username}")
        for column in ("id", "name", "starts with", "created", "expires", "revoked"):
            table.add_column(column)
        for token, _owner in rows:
            expires = token.expires_at.isoformat(timespec="minutes") if token.expires_at else ""
            created = token.created_at.isoformat(timespec="minutes")
            table.add_row(str(token.id), token.name, token.prefix, created, expires, "yes" if token.revoked else "no")
    make_console().print(table)


@users_app.command("create-token")
def users_create_token(
    username: UsernameArgument,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    days: Annotated[int | None, typer.Option("--days", help="Lifetime (at most DIGIPARK_TOKEN_MAX_DAYS).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Issue an API token for an account (printed once)."""
    from digipark.auth import service as auth_service

    with writing(database) as db:
        user, _scope = _managed(db, username)
        raw, token = auth_service.create_api_token(db, user=user, name=name, days=days, field="--days")
        expires = token.expires_at.isoformat(timespec="minutes") if token.expires_at else ""
    typer.echo(f"token {name!r} of {username!r}, valid until {expires}:")
    typer.echo(raw)


@users_app.command("revoke-token")
def users_revoke_token(
    username: UsernameArgument,
    token_id: Annotated[int, typer.Argument(help="Id of the token (see `digipark users tokens`).", min=1)],
    database: DatabaseOption = None,
) -> None:
    """Revoke one of an account's API tokens."""
    from digipark.auth import lifecycle
    from digipark.core.errors import NotFound

    with writing(database) as db:
        user, scope = _managed(db, username)
        if token_id not in {token.id for token, _ in lifecycle.list_tokens(db, scope=scope, user_id=user.id)}:
            raise NotFound(f"{username!r} has no token {token_id}")
        lifecycle.revoke_token(db, scope=scope, token_id=token_id)
        typer.echo(f"revoked token {token_id} of {username!r}")
