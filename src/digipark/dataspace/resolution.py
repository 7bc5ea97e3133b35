"""Resolving an identifier to its record, shared by the API (`identifiers.resolve`) and the resolver processes
(`dataspace.resolver`): what a record holds (`Entry`, read in one query), what a caller is shown of it (`present`),
counting resolutions, and the generation counter that tells a resolver's cache when to forget.

The generation (`ds_identifier_generation`, one row) is raised by any flush that registers, changes or deletes an
identifier, renames an enterprise, or changes or deletes a device (the parts of a record a resolution shows). It is
an UPDATE of one row, so transactions raising it commit in order and a poller never misses a change."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import Session, aliased

from digipark.auth.scope import Scope
from digipark.dataspace.models import Identifier, IdentifierGeneration
from digipark.registry.models import Device, Enterprise

GENERATION_ROW = 1
_SHOWN: dict[type[Any], frozenset[str]] = {
    Enterprise: frozenset({"name"}),
    Device: frozenset({"code", "name", "park_id", "enterprise_id"}),
}
_COUNTED_ONLY = frozenset({"resolutions", "updated_at"})  # a resolution counted is not a change of the record
_RAISED_KEY = "digipark.identifier_generation_raised"


@dataclasses.dataclass(frozen=True)
class Entry:
    """Everything a resolution may show of one identifier, with who may see the device it marks."""

    id: int
    park_id: int
    record: dict[str, Any]  # handle, prefix, kind, name, attributes, owner, target_url
    device: dict[str, Any] | None
    device_park_id: int | None
    device_enterprise_id: int | None
    resolutions: int  # as stored when the entry was read

    @property
    def target_url(self) -> str | None:
        target: str | None = self.record["target_url"]
        return target


def load_entry(session: Session, handle: str) -> Entry | None:
    """The identifier `handle` with its owner and device, in one query (None: not registered)."""
    owner = aliased(Enterprise)
    device = aliased(Device)
    found = session.execute(
        select(Identifier, owner.name, device.id, device.code, device.name, device.park_id, device.enterprise_id)
        .outerjoin(owner, owner.id == Identifier.enterprise_id)
        .outerjoin(device, device.id == Identifier.device_id)
        .where(Identifier.handle == handle)
    ).first()
    if found is None:
        return None
    row, owner_name, device_id, device_code, device_name, device_park, device_enterprise = found
    return Entry(
        id=row.id,
        park_id=row.park_id,
        record={
            "handle": row.handle,
            "prefix": row.prefix,
            "kind": row.kind,
            "name": row.name,
            "attributes": row.attributes,
            "owner": {"enterprise_id": row.enterprise_id, "name": owner_name} if row.enterprise_id else None,
            "target_url": row.target_url,
        },
        device={"id": device_id, "code": device_code, "name": device_name} if device_id is not None else None,
        device_park_id=device_park,
        device_enterprise_id=device_enterprise,
        resolutions=row.resolutions,
    )


def visible(entry: Entry, scope: Scope) -> bool:
    """Whether `scope` resolves the identifier at all (the park's members do)."""
    return scope.may_read(Identifier, park_id=entry.park_id, enterprise_id=None)


def present(entry: Entry, scope: Scope, *, resolutions: int) -> dict[str, Any]:
    """The record as `scope` may read it: the device it marks only where the caller may read that device (another
    enterprise's equipment shows only the identifier)."""
    shown = entry.device_park_id is not None and scope.may_read(
        Device, park_id=entry.device_park_id, enterprise_id=entry.device_enterprise_id
    )
    return {**entry.record, "device": entry.device if shown else None, "resolutions": resolutions}


def count_resolutions(session: Session, counts: dict[int, int]) -> None:
    """Add `counts` (identifier id -> resolutions) to the stored statistics; the record's `updated_at` stays."""
    if not counts:
        return
    stmt = (
        update(Identifier)
        .where(Identifier.id == bindparam("ident"))
        .values(resolutions=Identifier.resolutions + bindparam("n"), updated_at=Identifier.updated_at)
    )
    session.connection().execute(stmt, [{"ident": ident, "n": n} for ident, n in counts.items()])


def current_generation(session: Session) -> int:
    value = session.scalar(select(IdentifierGeneration.generation).where(IdentifierGeneration.id == GENERATION_ROW))
    return int(value or 0)


def raise_generation(session: Session) -> None:
    """Raise the generation in `session`'s transaction (resolvers forget their caches once it commits)."""
    connection = session.connection()
    raised = connection.execute(
        update(IdentifierGeneration)
        .where(IdentifierGeneration.id == GENERATION_ROW)
        .values(generation=IdentifierGeneration.generation + 1)
    )
    if raised.rowcount == 0:
        connection.execute(insert(IdentifierGeneration).values(id=GENERATION_ROW, generation=1))


def _changes_a_record(session: Session) -> bool:
    for obj in session.new:
        if isinstance(obj, Identifier):
            return True
    for obj in session.deleted:
        if isinstance(obj, Identifier | Enterprise | Device):
            return True
    for obj in session.dirty:
        if isinstance(obj, Identifier):
            shown = frozenset(attr.key for attr in inspect(obj).attrs) - _COUNTED_ONLY
        elif type(obj) in _SHOWN:
            shown = _SHOWN[type(obj)]
        else:
            continue
        state = inspect(obj)
        if any(state.attrs[key].history.has_changes() for key in shown):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _raise_on_change(session: Session, _context: Any, _instances: Any) -> None:
    if not _changes_a_record(session):
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    if session.info.get(_RAISED_KEY) is transaction:  # once per transaction (or savepoint) is enough
        return
    raise_generation(session)
    session.info[_RAISED_KEY] = transaction


class PendingCounts:
    """Resolutions counted in memory, written in batches (`take`, then `count_resolutions`; `give_back` when the
    write failed, so nothing is lost)."""

    def __init__(self) -> None:
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()

    def add(self, ident: int) -> None:
        with self._lock:
            self._counts[ident] = self._counts.get(ident, 0) + 1

    def take(self) -> dict[int, int]:
        with self._lock:
            taken, self._counts = self._counts, {}
            return taken

    def give_back(self, counts: dict[int, int]) -> None:
        with self._lock:
            for ident, n in counts.items():
                self._counts[ident] = self._counts.get(ident, 0) + n
