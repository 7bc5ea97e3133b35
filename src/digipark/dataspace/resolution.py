"""Resolving an identifier to its record, shared by the API (`identifiers.resolve`) and the resolver processes
(`dataspace.resolver`): what a record holds (`Entry`, read in one query), what a caller is shown of it (`present`),
counting resolutions, and the change log that tells a resolver's cache what to forget.

Any flush that registers, changes or deletes an identifier, renames an enterprise, or changes or deletes a device
(the parts of a record a resolution shows) raises the generation (`ds_identifier_generation`, one row, once per
transaction) and notes the handles it changed under it (`ds_identifier_change`; no handle: every record). The
generation is an UPDATE of one row, so transactions raising it commit in the order of their generations, and a
resolver that has seen generation g and reads h > g finds every change of g+1..h."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from sqlalchemy import Select, bindparam, delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session, aliased

from digipark.auth.scope import Scope
from digipark.dataspace.models import Identifier, IdentifierChange, IdentifierGeneration
from digipark.registry.models import Device, Enterprise

GENERATION_ROW = 1
CHANGES_KEPT = 1000
"""Generations whose changes are kept; a resolver further behind reloads every record."""
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


def _entry_query() -> Select[Identifier, str, int, str, str, int, int | None]:
    owner = aliased(Enterprise)
    device = aliased(Device)
    return (
        select(Identifier, owner.name, device.id, device.code, device.name, device.park_id, device.enterprise_id)
        .outerjoin(owner, owner.id == Identifier.enterprise_id)
        .outerjoin(device, device.id == Identifier.device_id)
    )


def _entry(found: Any) -> Entry:
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


def load_entry(session: Session, handle: str) -> Entry | None:
    """The identifier `handle` with its owner and device, in one query (None: not registered)."""
    found = session.execute(_entry_query().where(Identifier.handle == handle)).first()
    return None if found is None else _entry(found)


def load_entries(session: Session, *, limit: int) -> dict[str, Entry]:
    """The `limit` newest identifiers' entries by handle (a resolver's cache when it starts)."""
    found = session.execute(_entry_query().order_by(Identifier.id.desc()).limit(limit))
    return {entry.record["handle"]: entry for entry in map(_entry, found)}


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
    # in the order of the ids: two resolvers writing at once lock the rows in the same order (no deadlock)
    session.connection().execute(stmt, [{"ident": ident, "n": counts[ident]} for ident in sorted(counts)])


@dataclasses.dataclass(frozen=True)
class Changes:
    generation: int
    handles: frozenset[str] | None  # None: any record may have changed


def current_generation(session: Session) -> int:
    found = session.scalar(select(IdentifierGeneration.generation).where(IdentifierGeneration.id == GENERATION_ROW))
    return int(found or 0)


def changes_since(session: Session, seen: int | None) -> Changes:
    """The generation now and the handles changed since generation `seen` (None: not known, every record)."""
    generation = current_generation(session)
    if seen is None or generation == seen:
        return Changes(generation, None if seen is None else frozenset())
    rows = session.execute(
        select(IdentifierChange.generation, IdentifierChange.handle).where(
            IdentifierChange.generation > seen, IdentifierChange.generation <= generation
        )
    ).all()
    handles = {handle for _, handle in rows}
    complete = {int(g) for g, _ in rows} == set(range(seen + 1, generation + 1))  # else pruned, or seen is ahead
    if not complete or None in handles:
        return Changes(generation, None)
    return Changes(generation, frozenset(h for h in handles if h is not None))


def raise_generation(session: Session) -> int:
    """Raise the generation in `session`'s transaction; the new generation."""
    connection = session.connection()
    raised = connection.execute(
        update(IdentifierGeneration)
        .where(IdentifierGeneration.id == GENERATION_ROW)
        .values(generation=IdentifierGeneration.generation + 1)
        .returning(IdentifierGeneration.generation)
    ).first()
    if raised is None:
        connection.execute(insert(IdentifierGeneration).values(id=GENERATION_ROW, generation=1))
        return 1
    generation = int(raised[0])
    if generation % 100 == 0:
        connection.execute(delete(IdentifierChange).where(IdentifierChange.generation <= generation - CHANGES_KEPT))
    return generation


def _changed_handles(session: Session) -> set[str | None]:
    """The handles whose records this flush changes (None: any record may change)."""
    changed: set[str | None] = set()
    for obj in session.new:
        if isinstance(obj, Identifier):
            changed.add(obj.handle)
    for obj in session.deleted:
        if isinstance(obj, Identifier):
            changed.add(obj.handle)
        elif isinstance(obj, Enterprise | Device):
            changed.add(None)
    for obj in session.dirty:
        state = inspect(obj)
        if isinstance(obj, Identifier):
            shown = frozenset(attr.key for attr in state.attrs) - _COUNTED_ONLY
            if any(state.attrs[key].history.has_changes() for key in shown):
                changed.add(obj.handle)
                changed.update(state.attrs["handle"].history.deleted or ())
        elif type(obj) in _SHOWN and any(state.attrs[key].history.has_changes() for key in _SHOWN[type(obj)]):
            changed.add(None)
    return changed


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = _changed_handles(session)
    if not changed:
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    raised = session.info.get(_RAISED_KEY)
    if raised is not None and raised[0] is transaction:  # one generation per transaction (or savepoint)
        generation = raised[1]
    else:
        generation = raise_generation(session)
        session.info[_RAISED_KEY] = (transaction, generation)
    session.connection().execute(
        insert(IdentifierChange), [{"generation": generation, "handle": handle} for handle in changed]
    )


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
