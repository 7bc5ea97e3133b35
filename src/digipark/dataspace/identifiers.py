"""Industrial internet identifiers (工业互联网标识解析) under the park's prefixes: the format `88.xxx.yyy/suffix`
(data/terms.yaml, with its source), registration with attributes (a device of the registry or the owner's system
as target), and resolution to the record."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.errors import NotFound, field_error
from digipark.dataspace import resolution
from digipark.dataspace.models import Identifier
from digipark.dataspace.policy import vocabulary
from digipark.registry.models import Device, Enterprise

VIEW = "dataspace.view"
REGISTER = "dataspace.identify"


@dataclasses.dataclass(frozen=True)
class Handle:
    prefix: str  # 88.xxx.yyy
    suffix: str


@functools.cache
def _pattern() -> re.Pattern[str]:
    spec = vocabulary()["identifier"]
    return re.compile(
        rf"^({re.escape(spec['national_prefix'])}\.\d{{{spec['industry_digits']}}}"
        rf"\.\d{{{spec['enterprise_digits_min']},{spec['enterprise_digits_max']}}})"
        rf"/([^\s/][^\s]{{0,{spec['suffix_max_length'] - 1}}})$"
    )


def parse(text: str) -> Handle:
    """The prefix and suffix of an identifier; ValueError (with the reason) when it is not in the format."""
    match = _pattern().match(text)
    if match is None:
        raise ValueError("not an identifier of the form 88.xxx.yyy/suffix")
    suffix = match.group(2)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in suffix):
        raise ValueError("the suffix contains control characters")
    return Handle(match.group(1), suffix)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def register(
    session: Session,
    *,
    scope: Scope,
    handle: str,
    kind: str,
    name: str,
    attributes: dict[str, Any],
    device_id: int | None = None,
    target_url: str | None = None,
    enterprise_id: int | None = None,
) -> Identifier:
    """Register an identifier for the caller's enterprise (staff: for the park or a named enterprise)."""
    scope.require(REGISTER)
    park_id = scope.acting_write_park()
    owner = scope.acting_enterprise(enterprise_id)
    if (
        owner is not None
        and session.scalar(scope.readable(Enterprise).where(Enterprise.id == owner, Enterprise.park_id == park_id))
        is None
    ):
        raise field_error("enterprise_id", "no such enterprise in this park")
    scope.authorize_write(REGISTER, park_id=park_id, enterprise_id=owner)
    try:
        parsed = parse(handle)
    except ValueError as exc:
        raise field_error("handle", str(exc)) from exc
    if session.scalar(select(Identifier.id).where(Identifier.handle == handle)) is not None:
        raise field_error("handle", "already registered")
    if device_id is not None:
        device = session.scalar(scope.readable(Device).where(Device.id == device_id, Device.park_id == park_id))
        if device is None or (scope.own_enterprise_only and device.enterprise_id != owner):
            raise field_error("device_id", "no such device of yours in this park")
    row = Identifier(
        park_id=park_id,
        enterprise_id=owner,
        handle=handle,
        prefix=parsed.prefix,
        kind=kind,
        name=name,
        attributes=attributes,
        device_id=device_id,
        target_url=target_url,
        resolutions=0,
    )
    session.add(row)
    session.flush()
    return row


def list_identifiers(session: Session, *, scope: Scope, limit: int = 200) -> list[Identifier]:
    scope.require(VIEW)
    stmt = scope.readable(Identifier).order_by(Identifier.handle).limit(limit)
    return list(session.scalars(stmt))


def resolve(session: Session, *, scope: Scope, handle: str) -> dict[str, Any]:
    """The record an identifier names, as the park's members may read it: its attributes, owner, the registry's
    device it marks, and the owner's system to redirect to. Counts the resolution (statistics). The resolver
    processes (`dataspace.resolver`) answer the same from their caches."""
    entry = resolution.load_entry(session, checked_handle(scope, handle))
    if entry is None or not resolution.visible(entry, scope):
        raise NotFound(f"identifier {handle} not registered")
    resolution.count_resolutions(session, {entry.id: 1})
    return resolution.present(entry, scope, resolutions=entry.resolutions + 1)


def checked_handle(scope: Scope, handle: str) -> str:
    """`handle`, once the caller may resolve identifiers and it is in the format (422 with the reason)."""
    scope.require(VIEW)
    try:
        parse(handle)
    except ValueError as exc:
        raise field_error("handle", str(exc)) from exc
    return handle


def statistics(session: Session, *, scope: Scope) -> dict[str, Any]:
    """Registrations by kind and the resolutions counted, in the caller's park."""
    scope.require(VIEW)
    park_id = scope.acting_park()
    stmt = (
        select(Identifier.kind, func.count(), func.coalesce(func.sum(Identifier.resolutions), 0))
        .where(Identifier.park_id == park_id)
        .group_by(Identifier.kind)
    )
    by_kind = {kind: {"registered": int(n), "resolutions": int(r)} for kind, n, r in session.execute(stmt)}
    return {
        "registered": sum(v["registered"] for v in by_kind.values()),
        "resolutions": sum(v["resolutions"] for v in by_kind.values()),
        "by_kind": by_kind,
    }


# -- bulk registration from Excel ------------------------------------------------------------------------------
IMPORT_COLUMNS = (
    spreadsheet.Column("handle", "标识", help="88.xxx.yyy/suffix"),
    spreadsheet.Column(
        "kind",
        "类别",
        choices=(("product", "产品"), ("batch", "批次"), ("equipment", "设备")),
        help="product/batch/equipment",
    ),
    spreadsheet.Column("name", "名称"),
    spreadsheet.Column("target_url", "企业自有系统", help="https://..."),
    spreadsheet.Column("attributes", "属性", help="key=value; key=value"),
)
KINDS = ("product", "batch", "equipment")


def _attributes(text: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{part.strip()!r} is not key=value")
        found[key.strip()[:60]] = value.strip()[:200]
    return found


def import_workbook(
    session: Session, *, scope: Scope, content: bytes, dry_run: bool = False
) -> spreadsheet.ImportReport:
    """Register every identifier of the first sheet for the caller's enterprise (staff: the park), all or nothing:
    any bad row (format, kind, a handle already registered or given twice) fails the import with every reason."""
    scope.require(REGISTER)
    park_id = scope.acting_write_park()
    owner = scope.acting_enterprise(None)
    scope.authorize_write(REGISTER, park_id=park_id, enterprise_id=owner)
    rows = spreadsheet.load_rows(content)
    columns, _header, data = spreadsheet.header_and_data(
        rows,
        kind="identifier",
        dry_run=dry_run,
        read=lambda number, values: spreadsheet.read_header(
            IMPORT_COLUMNS, number, values, required=("handle", "kind", "name")
        ),
    )
    errors: list[spreadsheet.RowError] = []
    seen: set[str] = set()
    parsed: list[dict[str, Any]] = []
    for number, values in data:
        cells = {c.key: spreadsheet.convert(c, v) for c, v in zip(columns, values, strict=False) if c is not None}
        handle = (spreadsheet.text(cells.get("handle")) or "").strip()
        problems: list[tuple[str, str]] = []
        try:
            parse(handle)
        except ValueError as exc:
            problems.append(("handle", str(exc)))
        if handle in seen:
            problems.append(("handle", "given twice in the file"))
        elif handle and session.scalar(select(Identifier.id).where(Identifier.handle == handle)) is not None:
            problems.append(("handle", "already registered"))
        seen.add(handle)
        kind = spreadsheet.text(cells.get("kind"))
        if kind not in KINDS:
            problems.append(("kind", f"one of {', '.join(KINDS)}"))
        name = (spreadsheet.text(cells.get("name")) or "").strip()
        if not name or len(name) > 200:
            problems.append(("name", "required, at most 200 characters"))
        target = spreadsheet.text(cells.get("target_url"))
        if target and not re.match(r"^https?://\S+$", target):
            problems.append(("target_url", "an http(s) address"))
        try:
            attributes = _attributes(spreadsheet.text(cells.get("attributes")))
        except ValueError as exc:
            problems.append(("attributes", str(exc)))
            attributes = {}
        errors.extend(spreadsheet.RowError(row=number, column=c, reason=r) for c, r in problems)
        parsed.append({"handle": handle, "kind": kind, "name": name, "target_url": target, "attributes": attributes})
    if errors:
        raise spreadsheet.ImportFailed(kind="identifier", rows=len(data), errors=errors, dry_run=dry_run)
    if not dry_run:
        for item in parsed:
            register(session, scope=scope, enterprise_id=owner, **item)
    return spreadsheet.ImportReport(
        kind="identifier", rows=len(data), created=0 if dry_run else len(parsed), dry_run=dry_run
    )
