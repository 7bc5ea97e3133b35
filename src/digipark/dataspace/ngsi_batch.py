"""NGSI-LD batch operations (ETSI GS CIM 009 §5.6.7–5.6.10, API 6.14–6.17): create, upsert, update and delete of
many entities in one request. Each entity is done on its own (a savepoint): one entity's error does not undo the
others; the answer lists the ids done and, for each error, the entity's id and its ProblemDetails (a
BatchOperationResult)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import DomainError
from digipark.dataspace import ngsi
from digipark.dataspace.ngsi_context import Context, NgsiError, bad

MAX_BATCH = 1000


def _entities(payload: Any) -> list[Any]:
    if not isinstance(payload, list) or not payload:
        raise bad("a batch is a non-empty JSON array")
    if len(payload) > MAX_BATCH:
        raise bad("a batch holds at most %(value)s entities", value=MAX_BATCH)
    return payload


def _problem(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, NgsiError):
        return exc.problem()
    assert isinstance(exc, DomainError)
    return exc.problem()


def _each(
    session: Session, items: list[Any], contexts: list[Context], do: Callable[[Any, Context], str | None]
) -> dict[str, Any]:
    """`do` per item in its own savepoint; `success` the ids done, `created` those `do` says it created."""
    success: list[str] = []
    created: list[str] = []
    errors: list[dict[str, Any]] = []
    for item, context in zip(items, contexts, strict=True):
        entity_id = item.get("id") if isinstance(item, dict) else item
        try:
            with session.begin_nested():
                made = do(item, context)
        except (NgsiError, DomainError) as exc:
            errors.append({"entityId": str(entity_id)[:255] if entity_id is not None else None, "error": _problem(exc)})
            continue
        success.append(str(entity_id))
        if made is not None:
            created.append(made)
    return {"success": success, "errors": errors, "created": created}


def create(session: Session, *, scope: Scope, payload: Any, contexts: list[Context]) -> dict[str, Any]:
    def do(item: Any, context: Context) -> str:
        return ngsi.create(session, scope=scope, payload=_plain(item), context=context).entity_id

    return _each(session, _entities(payload), contexts, do)


def upsert(session: Session, *, scope: Scope, payload: Any, contexts: list[Context], replace: bool) -> dict[str, Any]:
    """Create the entities that do not exist; replace those that do (`replace`) or update them (append with
    overwrite)."""

    def do(item: Any, context: Context) -> str | None:
        item = _plain(item)
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise bad("an entity is a JSON object with an id")
        try:
            row = ngsi._writable(session, scope, item["id"])
        except NgsiError as exc:
            if exc.kind != "ResourceNotFound":
                raise
            return ngsi.create(session, scope=scope, payload=item, context=context).entity_id
        entity_type = item.get("type")
        if entity_type is not None and context.expand(str(entity_type)) != row.entity_type:
            raise bad("%(item)s exists with another type", item=item["id"])
        attrs = {k: v for k, v in item.items() if k not in ("id", "type")}
        if replace:
            given = ngsi.expand_attributes(attrs, context, entity=False) if attrs else {}
            ngsi._check_size(given)
            before = set(row.attrs)
            row.attrs = given
            session.flush()
            ngsi.record_change(
                session, row, before & set(given), created=set(given) - before, deleted=before - set(given)
            )
        elif attrs:
            ngsi.append_attributes(
                session, scope=scope, entity_id=item["id"], payload=attrs, context=context, overwrite=True
            )
        return None

    return _each(session, _entities(payload), contexts, do)


def update(session: Session, *, scope: Scope, payload: Any, contexts: list[Context], overwrite: bool) -> dict[str, Any]:
    """Update existing entities: their attributes given are replaced (kept with `noOverwrite`), new ones added."""

    def do(item: Any, context: Context) -> None:
        item = _plain(item)
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise bad("an entity is a JSON object with an id")
        attrs = {k: v for k, v in item.items() if k not in ("id", "type")}
        ngsi.append_attributes(
            session, scope=scope, entity_id=item["id"], payload=attrs, context=context, overwrite=overwrite
        )

    return _each(session, _entities(payload), contexts, do)


def delete(session: Session, *, scope: Scope, payload: Any, contexts: list[Context]) -> dict[str, Any]:
    def do(item: Any, context: Context) -> None:
        if not isinstance(item, str):
            raise bad("a batch delete is a JSON array of entity ids")
        ngsi.delete(session, scope=scope, entity_id=item)

    return _each(session, _entities(payload), contexts, do)


def _plain(item: Any) -> Any:
    """The entity without its @context (read already for its context)."""
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if k != "@context"}
    return item


__all__ = ["MAX_BATCH", "create", "delete", "update", "upsert"]
