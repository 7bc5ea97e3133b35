"""Advisory feeds uploaded as CSV or JSON (a national feed such as CNVD's, or a vendor's), checked row by row and
imported all or nothing; then matched to the ICS inventory by vendor, model and firmware range
(`security.matches`).

The columns (CSV header, or the keys of each JSON object; a JSON file is a list of objects or
`{"advisories": [...]}`):

| column        | also read as                     | what                                                        |
|---------------|----------------------------------|-------------------------------------------------------------|
| `id`          | `ident`, `cnvd`, `cve`           | the advisory's id (CNVD-2024-12345, CVE-2024-1234, a vendor's) |
| `vendor`      |                                  | the vendor as the inventory names it (compared ignoring case) |
| `model`       | `product`, `model_pattern`       | a model, or a pattern with `*` (S7-1200*)                   |
| `affected`    | `firmware`, `affected_firmware`  | firmware range: specifiers (`>=4.0,<4.5.2`) or `4.0 - 4.5.1` |
| `fixed`       | `fixed_version`                  | the first fixed version (optional)                          |
| `severity`    |                                  | critical / major / minor / info, or CNVD's 超危 / 高 / 中 / 低 |
| `published`   | `published_on`                   | YYYY-MM-DD (optional)                                       |
| `description` | `title`                          | what it is (the first 300 characters are kept)              |
| `source`      |                                  | the feed's name (optional)                                  |
"""

from __future__ import annotations

import builtins
import csv
import dataclasses
import io
import re
from typing import Any, ClassVar

import orjson
from pydantic import ValidationError
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import DomainError
from digipark.cybersec import security
from digipark.cybersec.schemas import AdvisoryCreate, AdvisoryImport, AdvisoryMatch, ImportResult

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ALIASES = {
    "id": ("id", "ident", "cnvd", "cve"),
    "vendor": ("vendor",),
    "model": ("model", "product", "model_pattern"),
    "affected": ("affected", "firmware", "affected_firmware"),
    "fixed": ("fixed", "fixed_version"),
    "severity": ("severity",),
    "published": ("published", "published_on"),
    "description": ("description", "title"),
    "source": ("source",),
}
REQUIRED = ("id", "vendor", "model", "affected", "severity", "description")
FIELD = {
    "ident": "id",
    "vendor": "vendor",
    "model_pattern": "model",
    "affected": "affected",
    "fixed_version": "fixed",
    "severity": "severity",
    "published_on": "published",
    "title": "description",
    "source": "source",
}
SEVERITY = {
    "超危": "critical",
    "高": "major",
    "高危": "major",
    "中": "minor",
    "中危": "minor",
    "低": "info",
    "低危": "info",
}
_RANGE = re.compile(r"^\s*v?(\d[\w.]*)\s*(?:-|–|~|to)\s*v?(\d[\w.]*)\s*$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class RowError:
    row: int  # 1 = the first data row (a CSV's header is row 0)
    column: str | None
    reason: str


class FeedRefused(DomainError):
    """A file that is not imported: why, and each bad row's column and reason."""

    type_slug: ClassVar[str] = "advisory-feed-refused"
    status: ClassVar[int] = 422
    title: ClassVar[str] = "Advisory feed refused"

    def __init__(self, detail: str, rows: builtins.list[RowError]) -> None:
        super().__init__(detail)
        self.rows = rows


@dataclasses.dataclass(frozen=True)
class Uploaded:
    result: ImportResult
    matches: builtins.list[AdvisoryMatch]


def _rows(content: bytes, filename: str) -> builtins.list[dict[str, Any]]:
    if len(content) > MAX_BYTES:
        raise FeedRefused(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", [])
    looks_json = filename.lower().endswith(".json") or content.lstrip()[:1] in (b"[", b"{")
    if looks_json:
        try:
            raw = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise FeedRefused(f"not JSON: {exc}", []) from None
        if isinstance(raw, dict):
            raw = raw.get("advisories")
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise FeedRefused('JSON: a list of objects, or {"advisories": [...]}', [])
        return [{str(k).strip().lower(): v for k, v in r.items()} for r in raw]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FeedRefused("CSV: the file is not UTF-8 text", []) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if not any(a in header for a in ALIASES[c])]
    if missing:
        raise FeedRefused(f"missing columns: {', '.join(missing)}", [])
    return [{k: v for k, v in r.items() if k is not None} for r in reader]


def _value(row: dict[str, Any], column: str) -> Any:
    for name in ALIASES[column]:
        value = row.get(name)
        if value is not None and value != "":
            return value.strip() if isinstance(value, str) else value
    return None


def _affected(text: str) -> str:
    """`4.0 - 4.5.1` as `>=4.0,<=4.5.1`; anything else as it is (version specifiers)."""
    found = _RANGE.match(text)
    return f">={found[1]},<={found[2]}" if found else text


def check(content: bytes, filename: str, *, park_id: int) -> builtins.list[AdvisoryCreate]:
    """Every row as an advisory, or FeedRefused with every bad row's column and reason."""
    rows = _rows(content, filename)
    if not rows:
        raise FeedRefused("the file has no rows", [])
    if len(rows) > MAX_ROWS:
        raise FeedRefused(f"at most {MAX_ROWS} rows in one file", [])
    found: builtins.list[AdvisoryCreate] = []
    errors: builtins.list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        severity = _value(row, "severity")
        affected = _value(row, "affected")
        published = _value(row, "published")
        description = _value(row, "description")
        values = {
            "ident": _value(row, "id"),
            "vendor": _value(row, "vendor"),
            "model_pattern": _value(row, "model"),
            "affected": _affected(str(affected)) if affected is not None else None,
            "fixed_version": _value(row, "fixed"),
            "severity": SEVERITY.get(str(severity), str(severity).lower()) if severity is not None else None,
            "published_on": str(published)[:10] if published is not None else None,
            "title": str(description)[:300] if description is not None else None,
            "source": _value(row, "source"),
            "park_id": park_id,
        }
        try:
            item = AdvisoryCreate(**{k: (str(v) if v is not None and k != "park_id" else v) for k, v in values.items()})
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                errors.append(RowError(number, FIELD.get(name, name) or None, err["msg"]))
            continue
        try:
            security.specifiers(item.affected)
        except DomainError:
            errors.append(RowError(number, "affected", f"not a firmware range: {item.affected}"))
            continue
        if item.ident in seen:
            errors.append(RowError(number, "id", f"the same id as row {seen[item.ident]}"))
            continue
        seen[item.ident] = number
        found.append(item)
    if errors:
        raise FeedRefused(f"{len({e.row for e in errors})} of {len(rows)} rows are not valid", errors)
    return found


def upload(session: Session, *, scope: Scope, content: bytes, filename: str, park_id: int) -> Uploaded:
    """Check every row, import them all (created or updated by id) or none, and the ICS assets they now match."""
    advisories = check(content, filename, park_id=park_id)
    result = security.import_advisories(
        session, scope=scope, data=AdvisoryImport(advisories=advisories, park_id=park_id)
    )
    idents = {a.ident for a in advisories}
    matched = [m for m in security.matches(session, scope=scope, park_id=park_id) if m.advisory in idents]
    return Uploaded(result=result, matches=matched)
