"""How every command fails: one line on stderr ("error: ...") and a non-zero exit code, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer.core import TyperGroup

log = logging.getLogger("digipark.cli")

EXIT_ERROR = 1
EXIT_USAGE = 2


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong, for any error a command may meet."""
    from alembic.util import CommandError
    from pydantic import ValidationError
    from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

    from digipark.core.codes import CodeError
    from digipark.core.db import DatabaseBusy
    from digipark.core.errors import DomainError

    if isinstance(exc, DatabaseBusy):
        return one_line(f"{exc.detail} (another process holds the database's write lock)")
    if isinstance(exc, DomainError):
        return one_line(exc.detail)
    if isinstance(exc, CodeError):
        return one_line(str(exc))
    if isinstance(exc, ValidationError):
        return one_line(
            "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors())
        )
    if isinstance(exc, OperationalError):
        return one_line(f"database unavailable: {exc.orig}")
    if isinstance(exc, IntegrityError):
        return one_line(f"the change conflicts with existing data: {exc.orig}")
    if isinstance(exc, SQLAlchemyError):
        return one_line(f"database error: {exc}").split(" [SQL:")[0]
    if isinstance(exc, CommandError):
        return one_line(f"migration: {exc}")
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return one_line(f"{exc.strerror}{where}")
    return one_line(f"unexpected {type(exc).__name__}: {exc}")


def _is(exc: BaseException, class_name: str) -> bool:
    """Whether exc is a click exception of that name (typer may vendor its own copy of click)."""
    return any(cls.__name__ == class_name for cls in type(exc).__mro__)


class CommandGroup(TyperGroup):
    """Turns every error of a subcommand into one line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if isinstance(exc, typer.Exit | typer.Abort) or _is(exc, "Exit") or _is(exc, "Abort"):
                raise
            if _is(exc, "NoArgsIsHelpError"):
                raise
            if _is(exc, "UsageError"):
                failed = getattr(exc, "ctx", None)
                command = getattr(failed, "command_path", None) or "digipark"
                typer.echo(
                    f"error: {one_line(exc.format_message())} (see '{command} --help')",  # type: ignore[attr-defined]
                    err=True,
                )
                raise typer.Exit(EXIT_USAGE) from None
            if _is(exc, "ClickException"):
                raise
            log.debug("command failed", exc_info=True)
            typer.echo(f"error: {describe_error(exc)}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
