"""One filter / sort / paginate helper for every list endpoint and list page.

A `ListSpec` names what may be filtered, searched and sorted; `spec.dependency()` turns it into a FastAPI
dependency whose query parameters appear in OpenAPI, and `spec.apply()` runs it against a select.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import BigInteger, Select, SmallInteger, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from digipark.core.errors import ValidationFailed

T = TypeVar("T")
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


def page_of(rows: Sequence[Any], total: int, query: ListQuery) -> dict[str, Any]:
    """A list endpoint's answer (the shape of `Page`): the rows of one page, the total, the page asked for."""
    return {"items": rows, "total": total, "page": query.page, "page_size": query.page_size}


@dataclass
class ListQuery:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: str | None = None
    q: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass
class ListSpec:
    """What a list of one model may be filtered, searched and sorted by."""

    filters: dict[str, InstrumentedAttribute[Any]]
    search: Sequence[InstrumentedAttribute[Any]] = ()
    sort: dict[str, InstrumentedAttribute[Any]] = field(default_factory=dict)
    default_sort: str = "id"

    def _python_type(self, column: InstrumentedAttribute[Any]) -> type:
        try:
            return column.type.python_type  # type: ignore[no-any-return]
        except NotImplementedError:
            return str

    def _int_bounds(self, column: InstrumentedAttribute[Any]) -> tuple[int, int]:
        """The integers the column's database type holds: a larger filter value is bad input, not a 500
        (PostgreSQL refuses to compare an INTEGER with 2**31, SQLite crashes beyond 64 bits)."""
        bits = 64 if isinstance(column.type, BigInteger) else 16 if isinstance(column.type, SmallInteger) else 32
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def dependency(self) -> Callable[..., ListQuery]:
        """A FastAPI dependency reading page, page_size, sort, q and the declared filters."""
        from fastapi import Query

        params = [
            inspect.Parameter(
                "page", inspect.Parameter.KEYWORD_ONLY, default=Query(1, ge=1, le=1_000_000), annotation=int
            ),
            inspect.Parameter(
                "page_size",
                inspect.Parameter.KEYWORD_ONLY,
                default=Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
                annotation=int,
            ),
            inspect.Parameter(
                "sort",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str | None,
                default=Query(None, max_length=200, description=self.sort_help()),
            ),
            inspect.Parameter(
                "q",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str | None,
                default=Query(None, max_length=200, description="free-text search"),
            ),
        ]
        for name, column in self.filters.items():
            py_type = self._python_type(column)
            if py_type not in (int, bool, str, float, dt.date):
                py_type = str
            # integers the column can hold (see _int_bounds)
            is_int = py_type is int
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=Query(
                        None,
                        description=f"exact {name}",
                        ge=self._int_bounds(column)[0] if is_int else None,
                        le=self._int_bounds(column)[1] if is_int else None,
                    ),
                    annotation=py_type | None,
                )
            )

        def read(**kwargs: Any) -> ListQuery:
            filters = {k: v for k, v in kwargs.items() if k in self.filters and v is not None}
            return ListQuery(
                page=kwargs["page"], page_size=kwargs["page_size"], sort=kwargs["sort"], q=kwargs["q"], filters=filters
            )

        read.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        return read

    def sort_help(self) -> str:
        names = ", ".join(sorted(self.sort_fields()))
        return f"comma-separated fields, '-' for descending; one of: {names}"

    def sort_fields(self) -> dict[str, InstrumentedAttribute[Any]]:
        return self.sort or self.filters

    def parse_query(self, raw: dict[str, str]) -> ListQuery:
        """Build a ListQuery from plain strings (web pages); raises ValidationFailed on bad values."""
        errors: list[dict[str, Any]] = []

        def as_int(name: str, default: int, upper: int) -> int:
            value = raw.get(name)
            if value in (None, ""):
                return default
            try:
                number = int(value)
            except ValueError:
                errors.append({"field": name, "reason": "not an integer"})
                return default
            if not 1 <= number <= upper:
                errors.append({"field": name, "reason": f"must be between 1 and {upper}"})
                return default
            return number

        filters: dict[str, Any] = {}
        for name, column in self.filters.items():
            value = raw.get(name)
            if value in (None, ""):
                continue
            py_type = self._python_type(column)
            try:
                if py_type is bool:
                    if value.lower() not in ("true", "false", "1", "0"):
                        raise ValueError(value)
                    filters[name] = value.lower() in ("true", "1")
                elif py_type is dt.date:
                    filters[name] = dt.date.fromisoformat(value)
                elif py_type in (int, float):
                    filters[name] = py_type(value)
                    low, high = self._int_bounds(column)
                    if py_type is int and not low <= filters[name] <= high:
                        raise ValueError(value)
                else:
                    filters[name] = value
            except ValueError:
                errors.append({"field": name, "reason": f"not a valid {py_type.__name__}"})
        query = ListQuery(
            page=as_int("page", 1, 1_000_000),
            page_size=as_int("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
            sort=raw.get("sort") or None,
            q=raw.get("q") or None,
            filters=filters,
        )
        if errors:
            raise ValidationFailed("; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors=errors)
        return query

    def order_by(self, sort: str | None) -> list[Any]:
        allowed = self.sort_fields()
        clauses: list[Any] = []
        for part in (sort or self.default_sort).split(","):
            part = part.strip()
            name = part.lstrip("-")
            if not name:
                continue
            column = allowed.get(name)
            if column is None:
                raise ValidationFailed(
                    f"sort: unknown field {name!r}",
                    errors=[{"field": "sort", "reason": f"unknown field {name!r}", "allowed": sorted(allowed)}],
                )
            clauses.append(column.desc() if part.startswith("-") else column.asc())
        return clauses

    def filtered(self, stmt: Select[Any], query: ListQuery) -> Select[Any]:
        for name, value in query.filters.items():
            stmt = stmt.where(self.filters[name] == value)
        if query.q and self.search:
            escaped = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            if query.q.lower() == query.q.upper():
                # no cased letter (Chinese, digits): a case-sensitive LIKE finds the same rows without
                # case-folding every row, several times faster on PostgreSQL (bench/api_latency.py)
                stmt = stmt.where(or_(*(col.like(pattern, escape="\\") for col in self.search)))
            else:
                stmt = stmt.where(or_(*(col.ilike(pattern, escape="\\") for col in self.search)))
        return stmt

    def apply(self, session: Session, stmt: Select[Any], query: ListQuery) -> tuple[list[Any], int]:
        """Run a filtered, sorted page of `stmt`; returns (rows, total)."""
        stmt = self.filtered(stmt, query)
        order = self.order_by(query.sort)
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        page_stmt = stmt.order_by(*order).limit(query.page_size).offset((query.page - 1) * query.page_size)
        rows = list(session.scalars(page_stmt).all())
        return rows, total

    def all_rows(self, session: Session, stmt: Select[Any], query: ListQuery) -> list[Any]:
        """Every row matching the query (exports); same filters and order, no paging."""
        return list(session.scalars(self.filtered(stmt, query).order_by(*self.order_by(query.sort))).all())
