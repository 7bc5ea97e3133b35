"""Device profiles: a park's device kinds as editable, versioned data — points (units, valid ranges), commands and a
Modbus register map — seeded from the catalogue (`registry/data/device_kinds.yaml`, `devices/data/commands.yaml`).

A profile is (park, key); each save adds the next version and never changes an earlier one. The catalogue entry of
a kind is version 1 of the profile of the same key: stored as such the first time the profile is edited. A device
keeps the version it was made with (`DeviceProfileUse`; a device without one is on its kind's catalogue entry):
its points, commands and register map are that version's. A new version applies to the devices made after it;
`apply_current` moves the devices of older versions to it on the admin's request — it adds the points the device
lacks and sets name, unit, interval and valid range of those it has; a point the new version drops is kept (with
its history), and is said so. Only park admins (`devices.profile`) edit their own park's profiles; every version
and every move is in the audit log (the rows are `Audited`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, field_error
from digipark.core.units import is_known_unit
from digipark.devices.catalog import CommandParam, CommandSpec, commands_of
from digipark.devices.profile_models import DeviceProfile, DeviceProfileUse
from digipark.devices.register_map import RegisterMap
from digipark.registry.catalog import PointDescription, device_kind, device_kinds
from digipark.registry.models import Device, Point

VIEW = "devices.profile.view"
EDIT = "devices.profile.edit"
CATALOGUE_AUTHOR = "catalogue"
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
MAX_POINTS = 100
MAX_COMMANDS = 50

# pydantic's error types, as the reasons a person reads (translated in the devices catalogue)
REASONS = {
    "missing": "required",
    "extra_forbidden": "not a field of this section",
    "string_too_short": "required",
    "string_too_long": "too long",
    "string_pattern_mismatch": "use lower-case letters, digits and _, starting with a letter",
    "literal_error": "not one of the allowed values",
    "too_long": "too many entries",
    "too_short": "at least one entry is needed",
    "greater_than_equal": "too small",
    "less_than_equal": "too large",
    "greater_than": "too small",
}


class _Point(PointDescription):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40, pattern=KEY_PATTERN)
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    quantity: str = Field(min_length=1, max_length=40)
    unit: str = Field(min_length=1, max_length=30)
    device_class: str = Field(min_length=1, max_length=40)
    expected_interval_s: int = Field(default=60, ge=1, le=31 * 86400)


class _Param(CommandParam):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40, pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=120)


class _Command(CommandSpec):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=120)
    timeout_s: int = Field(ge=1, le=86400)
    max_attempts: int = Field(default=3, ge=1, le=20)
    params: list[_Param] = Field(default=[], max_length=20)  # type: ignore[assignment]


class _RegisterMapInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registers: list[Any] = Field(max_length=500)
    commands: dict[str, Any] = {}


class ProfileSpec(BaseModel):
    """What a version holds (the input of a save, checked)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40, pattern=KEY_PATTERN)
    kind: str = Field(min_length=1, max_length=40)
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    protocol: str = Field(min_length=1, max_length=20, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    points: list[_Point] = Field(min_length=1, max_length=MAX_POINTS)
    commands: list[_Command] = Field(default=[], max_length=MAX_COMMANDS)
    register_map: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ProfileSummary:
    key: str
    kind: str
    name_zh: str
    name_en: str
    version: int  # the current version (1 for a catalogue entry never edited)
    stored: bool  # False: the catalogue entry, not yet saved in the park
    devices: int  # devices of the park on this profile (any version)


# -- reading -------------------------------------------------------------------------------------------------------
def seed(kind: str) -> ProfileSpec | None:
    """The catalogue's entry of a kind as version 1 of its profile."""
    entry = device_kind(kind)
    if entry is None:
        return None
    return ProfileSpec(
        key=kind,
        kind=kind,
        name_zh=entry.name_zh,
        name_en=entry.name_en,
        protocol=entry.protocol,
        points=[_Point(**p.model_dump()) for p in entry.points],
        commands=[_Command(**c.model_dump()) for c in commands_of(kind)],
    )


def spec_of(row: DeviceProfile) -> ProfileSpec:
    return ProfileSpec(
        key=row.key,
        kind=row.kind,
        name_zh=row.name_zh,
        name_en=row.name_en,
        protocol=row.protocol,
        points=row.points,
        commands=row.commands,
        register_map=row.register_map,
    )


def current(session: Session, *, park_id: int, key: str) -> DeviceProfile | None:
    """The newest stored version of a park's profile."""
    stmt = select(DeviceProfile).where(DeviceProfile.park_id == park_id, DeviceProfile.key == key)
    return session.scalar(stmt.order_by(DeviceProfile.version.desc()).limit(1))


def _devices_of(session: Session, park_id: int) -> dict[tuple[str, int], int]:
    """(profile key, version) -> number of the park's devices on it; devices without a profile are on their kind's
    catalogue entry (version 1)."""
    out: dict[tuple[str, int], int] = {}
    on_profile = (
        select(DeviceProfile.key, DeviceProfile.version, func.count())
        .join(DeviceProfileUse, DeviceProfileUse.profile_id == DeviceProfile.id)
        .where(DeviceProfile.park_id == park_id)
        .group_by(DeviceProfile.key, DeviceProfile.version)
    )
    for key, version, count in session.execute(on_profile):
        out[(key, version)] = count
    plain = (
        select(Device.kind, func.count())
        .outerjoin(DeviceProfileUse, DeviceProfileUse.device_id == Device.id)
        .where(Device.park_id == park_id, DeviceProfileUse.id.is_(None))
        .group_by(Device.kind)
    )
    for kind, count in session.execute(plain):
        out[(kind, 1)] = out.get((kind, 1), 0) + count
    return out


def list_profiles(session: Session, *, scope: Scope, park_id: int | None = None) -> list[ProfileSummary]:
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    stored: dict[str, DeviceProfile] = {}
    for row in session.scalars(
        scope.readable(DeviceProfile).where(DeviceProfile.park_id == park).order_by(DeviceProfile.version)
    ):
        stored[row.key] = row
    counts = _devices_of(session, park)
    out = []
    for key, entry in device_kinds().items():
        if key not in stored:
            devices = counts.get((key, 1), 0)
            out.append(ProfileSummary(key, key, entry.name_zh, entry.name_en, 1, False, devices))
    for key, row in stored.items():
        devices = sum(n for (k, _v), n in counts.items() if k == key)
        out.append(ProfileSummary(key, row.kind, row.name_zh, row.name_en, row.version, True, devices))
    return sorted(out, key=lambda p: p.key)


def versions(session: Session, *, scope: Scope, key: str, park_id: int | None = None) -> list[DeviceProfile]:
    scope.require(VIEW)
    park = scope.acting_park(park_id)
    stmt = scope.readable(DeviceProfile).where(DeviceProfile.park_id == park, DeviceProfile.key == key)
    return list(session.scalars(stmt.order_by(DeviceProfile.version.desc())))


def get_spec(session: Session, *, scope: Scope, key: str, park_id: int | None = None) -> tuple[ProfileSpec, int]:
    """The current version of a profile (stored, or the catalogue's entry) and its number; 404 when there is none."""
    found = versions(session, scope=scope, key=key, park_id=park_id)
    if found:
        return spec_of(found[0]), found[0].version
    seeded = seed(key)
    if seeded is None:
        raise NotFound("no such device profile")
    return seeded, 1


def devices_per_version(session: Session, *, scope: Scope, key: str, park_id: int | None = None) -> dict[int, int]:
    park = scope.acting_park(park_id)
    return {v: n for (k, v), n in _devices_of(session, park).items() if k == key}


def profile_of_device(session: Session, device_id: int) -> DeviceProfile | None:
    stmt = select(DeviceProfile).join(DeviceProfileUse, DeviceProfileUse.profile_id == DeviceProfile.id)
    return session.scalar(stmt.where(DeviceProfileUse.device_id == device_id))


def commands_for(session: Session, device: Device) -> list[CommandSpec]:
    """The commands a device takes: its profile version's, or its kind's in the catalogue."""
    row = profile_of_device(session, device.id)
    if row is None:
        return commands_of(device.kind)
    return [CommandSpec(**c) for c in row.commands]


def command_spec_for(session: Session, device: Device, name: str) -> CommandSpec | None:
    return next((c for c in commands_for(session, device) if c.name == name), None)


def register_map_for(session: Session, device_id: int) -> RegisterMap | None:
    row = profile_of_device(session, device_id)
    if row is None or not row.register_map:
        return None
    return RegisterMap(name=f"{row.key} v{row.version}", kind=row.kind, **row.register_map)


# -- checking ------------------------------------------------------------------------------------------------------
def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _raise_first(exc: ValidationError, prefix: str = "") -> None:
    first = exc.errors()[0]
    field = _location((*((prefix,) if prefix else ()), *first["loc"]))
    kind = first["type"]
    reason = REASONS.get(kind) or ("wrong type of value" if kind.endswith(("_type", "_parsing")) else "not valid")
    raise field_error(field or "profile", reason) from None


def checked(raw: dict[str, Any]) -> ProfileSpec:
    """A profile's input checked: structure and bounds, then what ties its parts together (422 naming the field)."""
    try:
        spec = ProfileSpec.model_validate(raw)
    except ValidationError as exc:
        _raise_first(exc)
        raise  # unreachable: _raise_first raises
    if device_kind(spec.kind) is None:
        raise field_error("kind", "unknown device kind")
    seen: set[str] = set()
    for i, point in enumerate(spec.points):
        if point.key in seen:
            raise field_error(f"points.{i}.key", "used twice")
        seen.add(point.key)
        if not is_known_unit(point.unit):
            raise field_error(f"points.{i}.unit", "unknown unit")
        if point.state_class not in ("measurement", "total_increasing"):
            raise field_error(f"points.{i}.state_class", "not one of the allowed values")
        low, high = point.valid_min, point.valid_max
        for name, bound in (("valid_min", low), ("valid_max", high)):
            if bound is not None and not math.isfinite(bound):
                raise field_error(f"points.{i}.{name}", "not a number")
        if low is not None and high is not None and low >= high:
            raise field_error(f"points.{i}.valid_max", "must be greater than the lowest valid value")
    names: set[str] = set()
    for i, command in enumerate(spec.commands):
        if command.name in names:
            raise field_error(f"commands.{i}.name", "used twice")
        names.add(command.name)
        for j, param in enumerate(command.params):
            if param.min is not None and param.max is not None and param.min > param.max:
                raise field_error(f"commands.{i}.params.{j}.max", "must not be below the lowest value")
    if spec.register_map is not None:
        _check_register_map(spec)
    return spec


def _check_register_map(spec: ProfileSpec) -> None:
    raw = spec.register_map
    assert raw is not None
    try:
        shape = _RegisterMapInput.model_validate(raw)
        register_map = RegisterMap(name=spec.key, kind=spec.kind, registers=shape.registers, commands=shape.commands)
    except ValidationError as exc:
        _raise_first(exc, "register_map")
        raise
    points = {p.key for p in spec.points}
    commands = {c.name: c for c in spec.commands}
    for i, register in enumerate(register_map.registers):
        if register.key not in points:
            raise field_error(f"register_map.registers.{i}.key", "no such point in this profile")
    for name, write in register_map.commands.items():
        field = f"register_map.commands.{name}"
        if name not in commands:
            raise field_error(field, "no such command in this profile")
        if (write.value is None) == (write.param is None):
            raise field_error(field, "give either a value or a parameter")
        if write.param is not None and write.param not in {p.key for p in commands[name].params}:
            raise field_error(f"{field}.param", "this command has no such parameter")
    spec.register_map = register_map.model_dump(include={"registers", "commands"})


# -- writing -------------------------------------------------------------------------------------------------------
def _row(park_id: int, spec: ProfileSpec, version: int, *, note: str, author: str) -> DeviceProfile:
    return DeviceProfile(
        park_id=park_id,
        key=spec.key,
        version=version,
        kind=spec.kind,
        name_zh=spec.name_zh.strip(),
        name_en=spec.name_en.strip(),
        protocol=spec.protocol,
        points=[p.model_dump() for p in spec.points],
        commands=[c.model_dump() for c in spec.commands],
        register_map=spec.register_map,
        note=note.strip()[:500],
        created_by=author,
    )


def save(
    session: Session,
    *,
    scope: Scope,
    data: dict[str, Any],
    note: str = "",
    new: bool = False,
    park_id: int | None = None,
) -> DeviceProfile:
    """The next version of a profile (`new`: a profile of a key not yet used, version 1). Editing a catalogue kind
    the first time stores the catalogue's entry as version 1 and the edit as version 2."""
    park = scope.acting_write_park(park_id)
    scope.authorize_write(EDIT, park_id=park)
    spec = checked(data)
    latest = current(session, park_id=park, key=spec.key)
    seeded = seed(spec.key)
    exists = latest is not None or seeded is not None
    if new and exists:
        raise field_error("key", "a profile with this key already exists")
    if not new and not exists:
        raise NotFound("no such device profile")
    base_kind = latest.kind if latest is not None else (seeded.kind if seeded is not None else spec.kind)
    if spec.kind != base_kind:
        raise field_error("kind", "the device kind of a profile cannot change (its devices are of that kind)")
    if latest is None and seeded is not None:
        latest = _row(park, seeded, 1, note="", author=CATALOGUE_AUTHOR)
        session.add(latest)
    if latest is not None and spec_of(latest).model_dump() == spec.model_dump():
        raise Conflict("nothing changed: this is the current version")
    row = _row(park, spec, latest.version + 1 if latest is not None else 1, note=note, author=scope.username)
    session.add(row)
    session.flush()
    return row


def profile_for_new_device(session: Session, *, park_id: int, key: str) -> DeviceProfile | None:
    """The version a device made now with a profile gets: the newest stored one (None: the catalogue's entry)."""
    return current(session, park_id=park_id, key=key)


def put_on(session: Session, device: Device, row: DeviceProfile) -> list[str]:
    """Put a device on a profile version: its points follow the version (missing ones added, the others' name,
    unit, interval and valid range set); returns the keys of the device's points the version does not have."""
    use = session.scalar(select(DeviceProfileUse).where(DeviceProfileUse.device_id == device.id))
    if use is None:
        session.add(
            DeviceProfileUse(
                park_id=device.park_id, enterprise_id=device.enterprise_id, device_id=device.id, profile_id=row.id
            )
        )
    else:
        use.profile_id = row.id
    have = {p.key: p for p in session.scalars(select(Point).where(Point.device_id == device.id))}
    for raw in row.points:
        description = PointDescription(**raw)
        point = have.pop(description.key, None)
        if point is None:
            point = Point(park_id=device.park_id, enterprise_id=device.enterprise_id, device_id=device.id)
            point.key = description.key
            session.add(point)
        point.name = description.name_zh
        point.quantity = description.quantity
        point.unit = description.unit
        point.device_class = description.device_class
        point.state_class = description.state_class
        point.expected_interval_s = description.expected_interval_s
        point.valid_min = description.valid_min
        point.valid_max = description.valid_max
    session.flush()
    return sorted(have)


@dataclasses.dataclass(frozen=True, slots=True)
class Applied:
    moved: int
    kept_points: dict[str, list[str]]  # device code -> points it keeps that the version no longer has


def apply_current(session: Session, *, scope: Scope, key: str, park_id: int | None = None) -> Applied:
    """Move every device of the park on an older version of the profile (or on its catalogue entry) to the current
    version."""
    park = scope.acting_write_park(park_id)
    scope.authorize_write(EDIT, park_id=park)
    latest = current(session, park_id=park, key=key)
    if latest is None:
        raise NotFound("this profile has no saved version to apply")
    older = select(DeviceProfile.id).where(
        DeviceProfile.park_id == park, DeviceProfile.key == key, DeviceProfile.id != latest.id
    )
    on_older = select(DeviceProfileUse.device_id).where(DeviceProfileUse.profile_id.in_(older))
    moving: ColumnElement[bool] = Device.id.in_(on_older)
    if latest.kind == key:  # the devices of the kind still on its catalogue entry (version 1)
        moving = moving | ((Device.kind == key) & Device.id.not_in(select(DeviceProfileUse.device_id)))
    stmt = select(Device).where(Device.park_id == park, moving)
    kept: dict[str, list[str]] = {}
    moved = 0
    for device in session.scalars(stmt.order_by(Device.id)):
        left = put_on(session, device, latest)
        moved += 1
        if left:
            kept[device.code] = left
    return Applied(moved, kept)


def is_valid_key(key: str) -> bool:
    return re.fullmatch(KEY_PATTERN, key) is not None and len(key) <= 40
