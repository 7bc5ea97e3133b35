"""Bulk provisioning by Excel: a park admin fills the template (one device a row: code, names, device profile,
enterprise, building, location, protocol) and uploads it; every row is checked first, and a file with any bad row
creates nothing (each bad row's number, column and reason, in the caller's language). Otherwise every device is
created as the registry creates devices (its access token issued once, kept as its SHA-256 digest) and put on the
current version of its profile, and the answer carries the tokens — the only time they are seen — with a result
workbook holding them. One audit entry names the batch (count and devices) beside each device's own entries.

Messages are English msgids translated with the caller's `gettext` (the page's or the API's language).
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.scope import Scope
from digipark.core import spreadsheet
from digipark.core.errors import DomainError, PermissionDenied, ValidationFailed
from digipark.devices import profiles
from digipark.registry import schemas as registry_schemas
from digipark.registry import service as registry
from digipark.registry.models import Building, Device, Enterprise
from digipark.web.i18n import LANGUAGES, N_, translations

WRITE = "device.write"
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
CODE_PATTERN = r"^[A-Za-z0-9_.\-]+$"
# how a device talks to the platform (commands.channel_of, the connectors, the catalogue's kinds)
PROTOCOLS = (
    "mqtt",
    "http",
    "thingsboard",
    "gateway",
    "nb-iot",
    "modbus",
    "hj212",
    "opcua",
    "bacnet",
    "dlt645",
    "cjt188",
)
PROTOCOL_NAMES = {
    "mqtt": N_("MQTT (the platform's topics)"),
    "http": N_("HTTP"),
    "thingsboard": N_("ThingsBoard MQTT"),
    "gateway": N_("ThingsBoard gateway"),
    "nb-iot": N_("NB-IoT"),
    "modbus": N_("Modbus TCP"),
    "hj212": N_("HJ 212"),
    "opcua": N_("OPC UA"),
    "bacnet": N_("BACnet/IP"),
    "dlt645": N_("DL/T 645"),
    "cjt188": N_("CJ/T 188"),
}
Translate = Callable[[str], str]


@dataclasses.dataclass(frozen=True, slots=True)
class BulkColumn:
    key: str
    title: str  # English msgid; the template's header is the title in the page's language and the key
    required: bool = False
    max_length: int = 200


COLUMNS = (
    BulkColumn("code", N_("Device code"), required=True, max_length=40),
    BulkColumn("name", N_("Name (Chinese)"), required=True),
    BulkColumn("name_en", N_("Name (English)")),
    BulkColumn("profile", N_("Device profile"), required=True, max_length=40),
    BulkColumn("enterprise", N_("Enterprise (credit code)"), max_length=18),
    BulkColumn("building", N_("Building code"), max_length=40),
    BulkColumn("location", N_("Location")),
    BulkColumn("protocol", N_("Protocol"), max_length=20),
)
BY_KEY = {c.key: c for c in COLUMNS}
EXAMPLE = {
    "code": "EM-0001",
    "name": "1号楼总电表",
    "name_en": "Building 1 main meter",
    "profile": "electricity_meter",
    "enterprise": "",
    "building": "",
    "location": "1F",
    "protocol": "modbus",
}


@dataclasses.dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    column: str | None  # a column key, or None for the whole row
    column_title: str | None
    reason: str


class BulkRefused(ValidationFailed):
    """A file with bad rows (or a bad header): nothing was created; `problems` lists each (row, column, reason)."""

    type_slug = "bulk-provisioning-refused"

    def __init__(self, detail: str, problems: list[RowProblem], rows: int) -> None:
        ordered = sorted(problems, key=lambda p: (p.row, _position(p.column)))
        self.problems = ordered
        self.rows = rows
        super().__init__(detail, errors=[dataclasses.asdict(p) for p in ordered])


def _position(column: str | None) -> int:
    keys = [c.key for c in COLUMNS]
    return keys.index(column) if column in keys else len(keys)


@dataclasses.dataclass(frozen=True, slots=True)
class Made:
    id: int
    code: str
    name: str
    profile: str
    version: int
    token: str


@dataclasses.dataclass(frozen=True, slots=True)
class BulkResult:
    rows: int
    created: list[Made]
    dry_run: bool

    def workbook(self, gettext: Translate) -> bytes:
        """The result workbook: each device with its token (made for this answer only, never stored)."""
        return result_workbook(self.created, gettext)


def authorize(scope: Scope, park_id: int | None = None) -> int:
    """The park the caller provisions devices in: park staff with device.write only (an enterprise may not)."""
    park = scope.acting_write_park(park_id)
    if not scope.is_staff:
        raise PermissionDenied("only the park's staff provision devices")
    scope.authorize_write(WRITE, park_id=park)
    return park


# -- the template ------------------------------------------------------------------------------------------------
def header_of(column: BulkColumn, gettext: Translate) -> str:
    return f"{gettext(column.title)} ({column.key})"


def profile_choices(session: Session, *, scope: Scope, park_id: int) -> list[profiles.ProfileSummary]:
    return profiles.list_profiles(session, scope=scope, park_id=park_id)


def template(session: Session, *, scope: Scope, gettext: Translate, lang: str, park_id: int | None = None) -> bytes:
    """The workbook to fill: headers in the caller's language, one example row, and a second sheet listing the
    park's device profiles (key, kind, names, current version) and the protocols."""
    park = authorize(scope, park_id)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = gettext("Devices")[:31]
    bold = Font(bold=True)
    for position, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position, value=header_of(column, gettext))
        cell.font = bold
        sheet.cell(row=2, column=position, value=EXAMPLE[column.key] or None)
        sheet.column_dimensions[get_column_letter(position)].width = 26
    sheet.freeze_panes = "A2"
    choices = workbook.create_sheet(gettext("Valid values")[:31])
    choices.append([gettext("Device profile"), gettext("Device kind"), gettext("Name"), gettext("Current version")])
    for summary in profile_choices(session, scope=scope, park_id=park):
        name = summary.name_en if lang == "en" else summary.name_zh
        choices.append([summary.key, summary.kind, name, summary.version])
    choices.append([])
    choices.append([gettext("Protocol"), gettext("Name")])
    for key in PROTOCOLS:
        choices.append([key, gettext(PROTOCOL_NAMES[key])])
    choices.append([])
    for line in NOTES:
        choices.append([gettext(line).format(rows=MAX_ROWS, mb=MAX_BYTES // (1024 * 1024))])
    for cell in choices[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (28, 24, 36, 16), strict=True):
        choices.column_dimensions[letter].width = width
    return spreadsheet.save(workbook)


NOTES = (
    N_("Row 1 of the first sheet holds the column titles; one device a row below (replace the example row)."),
    N_("Device code, name (Chinese) and device profile are required; the other columns may be empty."),
    N_("Enterprise: the owner's unified social credit code (empty: the park's own device)."),
    N_("Protocol: empty means the profile's protocol."),
    N_("At most {rows} devices and {mb} MB a file; a file with any bad row creates nothing."),
)


# -- reading and checking ----------------------------------------------------------------------------------------
def _titles(gettext_by_lang: list[Translate]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for column in COLUMNS:
        names = {column.key, column.title, *(g(column.title) for g in gettext_by_lang)}
        for name in names:
            titles[spreadsheet.normalise_title(name)] = column.key
            titles[spreadsheet.normalise_title(f"{name} ({column.key})")] = column.key
    return titles


def _header(
    number: int, values: tuple[Any, ...], titles: dict[str, str], gettext: Translate
) -> tuple[list[str | None], list[RowProblem]]:
    found: list[str | None] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for position, value in enumerate(values):
        content = spreadsheet.text(value)
        if content is None:
            found.append(None)
            continue
        normalised = spreadsheet.normalise_title(content)
        key = titles.get(normalised)
        if key is None and (suffix := re.search(r"\(([a-z_]+)\)$", normalised)):
            key = titles.get(suffix.group(1))
        letter = get_column_letter(position + 1)
        if key is None or key in seen:
            reason = N_("unknown column {letter}: {title}") if key is None else N_("column given twice: {letter}")
            problems.append(RowProblem(number, None, content, gettext(reason).format(letter=letter, title=content)))
            found.append(None)
            continue
        seen.add(key)
        found.append(key)
    for column in COLUMNS:
        if column.required and column.key not in seen:
            problems.append(
                RowProblem(number, column.key, gettext(column.title), gettext(N_("this column is missing")))
            )
    return found, problems


class _Checker:
    def __init__(self, session: Session, scope: Scope, park: int, gettext: Translate) -> None:
        self.session, self.scope, self.park, self.gettext = session, scope, park, gettext
        self.problems: list[RowProblem] = []
        self.profiles = {p.key: p for p in profiles.list_profiles(session, scope=scope, park_id=park)}
        self.enterprises = {
            uscc.upper(): ident
            for uscc, ident in session.execute(select(Enterprise.uscc, Enterprise.id).where(Enterprise.park_id == park))
        }
        buildings = session.execute(select(Building.code, Building.id).where(Building.park_id == park))
        self.buildings: dict[str, int] = {code: ident for code, ident in buildings}
        self.existing = set(session.scalars(select(Device.code).where(Device.park_id == park)))
        self.seen: dict[str, int] = {}

    def problem(self, number: int, column: str, reason: str, /, **values: Any) -> None:
        title = self.gettext(BY_KEY[column].title)
        self.problems.append(RowProblem(number, column, title, self.gettext(reason).format(**values)))

    def row(self, number: int, keys: list[str | None], values: tuple[Any, ...]) -> dict[str, Any] | None:
        before = len(self.problems)
        cells: dict[str, str | None] = {c.key: None for c in COLUMNS}
        for position, value in enumerate(values):
            key = keys[position] if position < len(keys) else None
            if key is not None:
                cells[key] = spreadsheet.text(value)
            elif not spreadsheet.blank(value):
                letter = get_column_letter(position + 1)
                reason = self.gettext(N_("a value in column {letter}, which has no valid title")).format(letter=letter)
                self.problems.append(RowProblem(number, None, letter, reason))
        for column in COLUMNS:
            content = cells[column.key]
            if content is None:
                if column.required:
                    self.problem(number, column.key, N_("required"))
            elif len(content) > column.max_length:
                self.problem(number, column.key, N_("too long (at most {n} characters)"), n=column.max_length)
                cells[column.key] = None
        code = cells["code"]
        if code is not None and len(code) <= 40:
            if re.fullmatch(CODE_PATTERN, code) is None:
                self.problem(number, "code", N_("use letters, digits, '.', '_' and '-' only"))
            elif code in self.seen:
                self.problem(number, "code", N_("this code is also in row {row}"), row=self.seen[code])
            elif code in self.existing:
                self.problem(number, "code", N_("a device with this code already exists in the park"))
            self.seen.setdefault(code, number)
        profile = self.profiles.get(cells["profile"] or "")
        if cells["profile"] is not None and profile is None:
            self.problem(number, "profile", N_("no such device profile in this park (see the second sheet)"))
        enterprise_id = None
        if cells["enterprise"] is not None:
            enterprise_id = self.enterprises.get(cells["enterprise"].upper())
            if enterprise_id is None:
                self.problem(number, "enterprise", N_("no enterprise with this credit code in this park"))
        building_id = None
        if cells["building"] is not None:
            building_id = self.buildings.get(cells["building"])
            if building_id is None:
                self.problem(number, "building", N_("no building with this code in this park"))
        protocol = cells["protocol"]
        if protocol is not None and protocol.lower() not in PROTOCOLS:
            self.problem(number, "protocol", N_("not a protocol the platform speaks (see the second sheet)"))
        if len(self.problems) > before or profile is None:
            return None
        return {
            "code": code,
            "name": cells["name"],
            "name_en": cells["name_en"],
            "profile": profile,
            "enterprise_id": enterprise_id,
            "building_id": building_id,
            "location": cells["location"],
            "protocol": protocol.lower() if protocol is not None else None,
        }


def _rows(content: bytes, gettext: Translate) -> list[tuple[int, tuple[Any, ...]]]:
    if len(content) > MAX_BYTES:
        raise spreadsheet.FileTooLarge(
            gettext(N_("the file is larger than {mb} MB; split it")).format(mb=MAX_BYTES // (1024 * 1024))
        )
    try:
        rows = spreadsheet.load_rows(content, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except spreadsheet.UnsupportedFile:
        raise spreadsheet.UnsupportedFile(
            gettext(N_("not a readable Excel workbook (.xlsx); save the file as an .xlsx workbook"))
        ) from None
    except ValidationFailed:
        rows = []
        too_many = True
    else:
        too_many = len(rows) > MAX_ROWS + 1
    if too_many:
        raise ValidationFailed(gettext(N_("the file has more than {rows} devices; split it")).format(rows=MAX_ROWS))
    return rows


def provision(
    session: Session,
    *,
    scope: Scope,
    content: bytes,
    gettext: Translate,
    dry_run: bool = False,
    park_id: int | None = None,
) -> BulkResult:
    """Check every row of the workbook, then create every device or none (BulkRefused: the bad rows)."""
    park = authorize(scope, park_id)
    rows = _rows(content, gettext)
    if not rows:
        raise BulkRefused(gettext(N_("the file is empty; no device was created")), [], 0)
    (header_row, header), data_rows = rows[0], rows[1:]
    titles = _titles([translations(lang).gettext for lang in LANGUAGES])
    keys, problems = _header(header_row, header, titles, gettext)
    if problems:
        detail = gettext(N_("the header row has problems; no device was created"))
        raise BulkRefused(detail, problems, len(data_rows))
    if not data_rows:
        raise BulkRefused(gettext(N_("the file has no devices below the header; no device was created")), [], 0)
    checker = _Checker(session, scope, park, gettext)
    planned = [(n, planned) for n, values in data_rows if (planned := checker.row(n, keys, values)) is not None]
    if checker.problems:
        failed = len({p.row for p in checker.problems})
        detail = gettext(N_("{failed} of {rows} rows are not valid; no device was created")).format(
            failed=failed, rows=len(data_rows)
        )
        raise BulkRefused(detail, checker.problems, len(data_rows))
    savepoint = session.begin_nested()
    try:
        made = [_create(session, scope, park, number, row, gettext) for number, row in planned]
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        return BulkResult(len(data_rows), [dataclasses.replace(m, token="") for m in made], True)
    savepoint.commit()
    audit.record(
        session,
        action="bulk_provision",
        entity_type="device",
        park_id=park,
        after={"count": len(made), "devices": [m.code for m in made], "file_rows": len(data_rows)},
    )
    return BulkResult(len(data_rows), made, False)


def _create(session: Session, scope: Scope, park: int, number: int, row: dict[str, Any], gettext: Translate) -> Made:
    summary: profiles.ProfileSummary = row["profile"]
    stored = profiles.profile_for_new_device(session, park_id=park, key=summary.key)
    protocol = row["protocol"] or (stored.protocol if stored is not None else None)
    try:
        data: Any = registry_schemas.DeviceCreate(
            park_id=park,
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            kind=summary.kind,
            enterprise_id=row["enterprise_id"],
            building_id=row["building_id"],
            location=row["location"],
            create_points=stored is None,
            **({"protocol": protocol} if protocol else {}),
        )
        device: Any = registry.create(session, scope=scope, kind=registry.KINDS["device"], data=data)
    except (ValidationError, DomainError) as exc:
        reason = exc.detail if isinstance(exc, DomainError) else str(exc.errors()[0].get("msg", ""))
        problem = RowProblem(number, None, None, gettext(reason))
        raise BulkRefused(gettext(N_("a row was refused; no device was created")), [problem], 0) from None
    if stored is not None:
        profiles.put_on(session, device, stored)
    token = device.issued_token
    assert isinstance(token, str)
    return Made(device.id, device.code, device.name, summary.key, stored.version if stored else 1, token)


def result_workbook(made: list[Made], gettext: Translate) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = gettext("Devices")[:31]
    headers = (N_("Device code"), N_("Name (Chinese)"), N_("Device profile"), N_("Version"), N_("Access token"))
    sheet.append([gettext(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in made:
        sheet.append([row.code, row.name, row.profile, row.version, row.token])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a name a person typed: text, never a formula
    for letter, width in zip("ABCDE", (20, 28, 24, 10, 48), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([])
    sheet.append([gettext(N_("Keep this file safe: the tokens are not kept by the platform and not shown again."))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
