"""Excel (.xlsx) and CSV export, and all-or-nothing Excel import, of registry rows."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.listing import ListQuery

EXCEL_KINDS = ("enterprise", "building", "device", "point")
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 20 * 1024 * 1024


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


def export_rows(session: Session, *, scope: Scope, kind_key: str, query: ListQuery, fmt: str) -> tuple[bytes, str]:
    raise NotImplementedError


def import_or_raise(session: Session, *, scope: Scope, kind_key: str, content: bytes,
                    dry_run: bool = False) -> ImportReport:
    raise NotImplementedError
