"""Enterprises' requests to a catalogue provider and their handling by the park."""

from __future__ import annotations

import builtins

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.transformation.common import (
    WRITE,
    record_enterprise,
    writer_permission,
)
from digipark.transformation.models import (
    CatalogueEntry,
    ProviderRequest,
    RequestStatus,
)
from digipark.transformation.schemas import (
    ProviderRequestCreate,
    ProviderRequestStatusChange,
)

REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.REQUESTED.value: frozenset({"contacted", "in_progress", "declined"}),
    RequestStatus.CONTACTED.value: frozenset({"in_progress", "done", "declined"}),
    RequestStatus.IN_PROGRESS.value: frozenset({"done", "declined"}),
    RequestStatus.DONE.value: frozenset(),
    RequestStatus.DECLINED.value: frozenset(),
}


REQUEST_SPEC = ListSpec(
    filters={
        "park_id": ProviderRequest.park_id,
        "enterprise_id": ProviderRequest.enterprise_id,
        "entry_id": ProviderRequest.entry_id,
        "status": ProviderRequest.status,
    },
    sort={"id": ProviderRequest.id, "created_at": ProviderRequest.created_at, "status": ProviderRequest.status},
    default_sort="-id",
)


def list_requests(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[ProviderRequest], int]:
    return REQUEST_SPEC.apply(session, scope.readable(ProviderRequest), query)


def get_request(session: Session, *, scope: Scope, ident: int) -> ProviderRequest:
    return scope.get_or_404(session, ProviderRequest, ident)


def create_request(session: Session, *, scope: Scope, data: ProviderRequestCreate) -> ProviderRequest:
    enterprise = record_enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(writer_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    entry = session.scalar(
        scope.readable(CatalogueEntry).where(
            CatalogueEntry.id == data.entry_id, CatalogueEntry.park_id == enterprise.park_id
        )
    )
    if entry is None:
        raise field_error("entry_id", f"no catalogue entry {data.entry_id} in the enterprise's park")
    if not entry.active:
        raise field_error("entry_id", "the catalogue entry is no longer offered")
    open_request = session.scalar(
        select(ProviderRequest.id).where(
            ProviderRequest.enterprise_id == enterprise.id,
            ProviderRequest.entry_id == entry.id,
            ProviderRequest.status.in_(["requested", "contacted", "in_progress"]),
        )
    )
    if open_request is not None:
        raise Conflict(f"request {open_request} for this entry is still open")
    now = utcnow()
    row = ProviderRequest(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        entry_id=entry.id,
        status=RequestStatus.REQUESTED.value,
        message=data.message,
        requested_by=scope.username,
        history=[{"status": "requested", "at": now.isoformat(), "by": scope.username, "note": data.message}],
    )
    session.add(row)
    session.flush()
    return row


def change_request_status(
    session: Session, *, scope: Scope, ident: int, data: ProviderRequestStatusChange
) -> ProviderRequest:
    """The park moves a request along: requested -> contacted -> in_progress -> done, or declined on the way."""
    row = get_request(session, scope=scope, ident=ident)
    scope.authorize_write(WRITE, park_id=row.park_id)
    target = data.status.value
    if target not in REQUEST_TRANSITIONS[row.status]:
        raise Conflict(f"a {row.status} request cannot become {target}")
    row.status = target
    row.note = data.note or row.note
    row.history = [
        *row.history,
        {"status": target, "at": utcnow().isoformat(), "by": scope.username, "note": data.note},
    ]
    session.flush()
    return row
