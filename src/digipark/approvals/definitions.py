"""Versioned approval definitions: the bundled demo processes (BPMN, DMN and form files under `processes/`; a
process its call activities call is a BPMN file there too, shared by the processes calling it), and new versions a
park publishes. A version keeps the called processes as they were when it was published, and an instance keeps the
version it started on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.approvals import engine, forms
from digipark.approvals.models import ApprovalDefinition
from digipark.auth.scope import Scope
from digipark.core.errors import NotFound, field_error

PROCESSES = Path(__file__).with_name("processes")
BUNDLED = ("enterprise_entry", "project_filing", "construction_precheck", "policy_subsidy", "certificate_request")
VIEW = "approvals.view"
MANAGE = "approvals.manage"


CALLED = re.compile(r'<bpmn:callActivity [^>]*calledElement="([a-z0-9_]+)"')


def bundled_files(key: str) -> tuple[str, list[str], list[str], dict[str, Any]]:
    """A bundled process's BPMN, the DMN tables it calls, the processes it calls, and its form."""
    bpmn = (PROCESSES / f"{key}.bpmn").read_text(encoding="utf-8")
    tables = [
        path.read_text(encoding="utf-8")
        for path in sorted(PROCESSES.glob("*.dmn"))
        if f"<spiffworkflow:calledDecisionId>{path.stem}<" in bpmn
    ]
    called = [(PROCESSES / f"{name}.bpmn").read_text(encoding="utf-8") for name in sorted(set(CALLED.findall(bpmn)))]
    form = json.loads((PROCESSES / f"{key}.form.json").read_text(encoding="utf-8"))
    return bpmn, tables, called, form


def parsed(definition: ApprovalDefinition) -> engine.ParsedDefinition:
    return engine.parsed(definition.bpmn_xml, tuple(definition.dmn_xml or ()), tuple(definition.called_bpmn_xml or ()))


def publish(
    session: Session,
    *,
    scope: Scope,
    bpmn_xml: str,
    dmn_xml: list[str] | None = None,
    form_schema: dict[str, Any] | None = None,
    park_id: int | None = None,
    called_bpmn_xml: list[str] | None = None,
) -> ApprovalDefinition:
    """Store a new version of a process (its key is the BPMN process id) with the DMN tables and the processes it
    calls; the form defaults to the previous version's. 422 when the BPMN does not parse (a called process
    missing) or the form is not a JSON Schema."""
    park = scope.acting_write_park(park_id)
    scope.authorize_write(MANAGE, park_id=park)
    tables = list(dmn_xml or [])
    called = list(called_bpmn_xml or [])
    process = engine.parse(bpmn_xml, tuple(tables), tuple(called))
    previous = newest(session, scope=scope, key=process.key, park_id=park, required=False)
    if form_schema is None:
        if previous is None:
            raise field_error("form_schema", "required for the first version of a process")
        form_schema = previous.form_schema
    forms.check_schema(form_schema)
    version = (
        session.scalar(
            select(func.max(ApprovalDefinition.version)).where(
                ApprovalDefinition.park_id == park, ApprovalDefinition.key == process.key
            )
        )
        or 0
    ) + 1
    row = ApprovalDefinition(
        park_id=park,
        key=process.key,
        version=version,
        name=process.name,
        name_en=process.name_en[:200] or None,
        bpmn_xml=bpmn_xml,
        dmn_xml=tables,
        called_bpmn_xml=called,
        form_schema=form_schema,
        bpmn_sha256=engine.sha256(bpmn_xml),
        active=True,
        published_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def install_bundled(session: Session, *, scope: Scope, park_id: int | None = None) -> list[ApprovalDefinition]:
    """Version 1 of each bundled process the park does not have yet."""
    park = scope.acting_write_park(park_id)
    scope.authorize_write(MANAGE, park_id=park)
    have = set(session.scalars(select(ApprovalDefinition.key).where(ApprovalDefinition.park_id == park)))
    made = []
    for key in BUNDLED:
        if key not in have:
            bpmn, tables, called, form = bundled_files(key)
            made.append(
                publish(
                    session,
                    scope=scope,
                    bpmn_xml=bpmn,
                    dmn_xml=tables,
                    form_schema=form,
                    park_id=park,
                    called_bpmn_xml=called,
                )
            )
    return made


def newest(
    session: Session, *, scope: Scope, key: str, park_id: int | None = None, required: bool = True
) -> ApprovalDefinition | None:
    park = scope.acting_park(park_id)
    row: ApprovalDefinition | None = session.scalar(
        scope.readable(ApprovalDefinition)
        .where(ApprovalDefinition.park_id == park, ApprovalDefinition.key == key, ApprovalDefinition.active.is_(True))
        .order_by(ApprovalDefinition.version.desc())
        .limit(1)
    )
    if row is None and required:
        raise NotFound(f"process {key} not found")
    return row


def current(session: Session, *, scope: Scope, park_id: int | None = None) -> list[ApprovalDefinition]:
    """The newest active version of each process of the park, by name."""
    park = scope.acting_park(park_id)
    rows = session.scalars(
        scope.readable(ApprovalDefinition)
        .where(ApprovalDefinition.park_id == park, ApprovalDefinition.active.is_(True))
        .order_by(ApprovalDefinition.key, ApprovalDefinition.version.desc())
    ).all()
    newest_by_key: dict[str, ApprovalDefinition] = {}
    for row in rows:
        newest_by_key.setdefault(row.key, row)
    return sorted(newest_by_key.values(), key=lambda r: BUNDLED.index(r.key) if r.key in BUNDLED else len(BUNDLED))


def versions(session: Session, *, scope: Scope, key: str) -> list[ApprovalDefinition]:
    park = scope.acting_park()
    return list(
        session.scalars(
            scope.readable(ApprovalDefinition)
            .where(ApprovalDefinition.park_id == park, ApprovalDefinition.key == key)
            .order_by(ApprovalDefinition.version.desc())
        )
    )


def get(session: Session, *, scope: Scope, ident: int) -> ApprovalDefinition:
    return scope.get_or_404(session, ApprovalDefinition, ident)
