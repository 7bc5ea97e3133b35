"""Datasets of the data platform: rows collected (an upload or a table the platform holds) and cleaned by rules
(`cleaning`), kept with the rows the rules refused; a dataset derived from others records them (`derived_from`)
and its job, so `lineage` walks back to where the data came from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import NotFound, field_error
from digipark.dataspace import cleaning
from digipark.dataspace.models import Dataset

VIEW = "dataspace.view"
WRITE = "dataspace.publish"


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row))


def check_rules(rules: list[dict[str, Any]]) -> None:
    for n, rule in enumerate(rules):
        try:
            cleaning.check_rule(rule)
        except cleaning.RuleError as exc:
            raise field_error(f"rules.{n}", str(exc)) from exc


def clean(rows: list[dict[str, Any]], rules: list[dict[str, Any]]) -> cleaning.Result:
    """Check the rules (a field error names the bad one), then apply them."""
    check_rules(rules)
    try:
        return cleaning.run(rows, rules)
    except (TypeError, OverflowError) as exc:  # e.g. a unit rule over text that no type rule parsed first
        raise field_error("rules", f"a rule cannot apply to these values ({exc})") from exc


def _store(
    session: Session, scope: Scope, *, name: str, result: cleaning.Result, derived_from: list[int], job: dict[str, Any]
) -> Dataset:
    park_id = scope.acting_write_park()
    owner = scope.enterprise_id if scope.role == Role.ENTERPRISE else None
    scope.authorize_write(WRITE, park_id=park_id, enterprise_id=owner)
    return store(session, park_id=park_id, owner=owner, name=name, result=result, derived_from=derived_from, job=job)


def store(
    session: Session,
    *,
    park_id: int,
    owner: int | None,
    name: str,
    result: cleaning.Result,
    derived_from: list[int],
    job: dict[str, Any],
    version: int = 1,
) -> Dataset:
    """Keep a cleaning result as a dataset of `owner` (None: the park's); the caller has checked the right to."""
    row = Dataset(
        park_id=park_id,
        enterprise_id=owner,
        name=name,
        version=version,
        columns=_columns(result.rows),
        rows=result.rows,
        rejected=result.rejected,
        derived_from=derived_from,
        job={**job, "steps": result.steps, "filled": result.filled},
        row_count=len(result.rows),
    )
    session.add(row)
    session.flush()
    return row


def import_rows(
    session: Session, *, scope: Scope, name: str, rows: list[dict[str, Any]], rules: list[dict[str, Any]]
) -> Dataset:
    """A dataset from collected rows (an upload), cleaned by `rules`."""
    scope.require(WRITE)
    return _store(session, scope, name=name, result=clean(rows, rules), derived_from=[], job={"source": "upload"})


def get(session: Session, *, scope: Scope, ident: int) -> Dataset:
    scope.require(VIEW)
    row: Dataset | None = session.scalar(scope.readable(Dataset).where(Dataset.id == ident))
    if row is None:
        raise NotFound(f"dataset {ident} not found")
    return row


def list_datasets(session: Session, *, scope: Scope) -> list[Dataset]:
    scope.require(VIEW)
    return list(session.scalars(scope.readable(Dataset).order_by(Dataset.id.desc()).limit(500)))


def derive(session: Session, *, scope: Scope, name: str, inputs: list[int], rules: list[dict[str, Any]]) -> Dataset:
    """A dataset from the rows of other datasets of the same owner, cleaned by `rules` (one pipeline step)."""
    scope.require(WRITE)
    owner = scope.enterprise_id if scope.role == Role.ENTERPRISE else None
    sources = []
    for n, ident in enumerate(dict.fromkeys(inputs)):
        try:
            source = get(session, scope=scope, ident=ident)
        except NotFound as exc:
            raise field_error(f"inputs.{n}", "no such dataset") from exc
        if source.enterprise_id != owner:
            raise field_error(f"inputs.{n}", "not your dataset")
        sources.append(source)
    rows = [dict(r) for source in sources for r in source.rows]
    result = clean(rows, rules)
    return _store(
        session, scope, name=name, result=result, derived_from=[s.id for s in sources], job={"source": "derive"}
    )


def lineage(session: Session, *, scope: Scope, ident: int) -> list[Dataset]:
    """The dataset and every dataset it was derived from, nearest first (each once)."""
    start = get(session, scope=scope, ident=ident)
    found: list[Dataset] = [start]
    seen = {start.id}
    queue = list(start.derived_from)
    while queue:
        parent_id = int(queue.pop(0))
        if parent_id in seen:
            continue
        seen.add(parent_id)
        parent: Dataset | None = session.scalar(scope.readable(Dataset).where(Dataset.id == parent_id))
        if parent is None:
            continue
        found.append(parent)
        queue.extend(parent.derived_from)
    return found
