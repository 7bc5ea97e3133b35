"""Asset classes kept by the park's staff as records: a new class — its attributes, maintenance templates and
condition indicators — is made on a page or through the API, no code. The declarations are checked as the YAML
catalogue's are (`attributes.check_declaration`, `watch.check_indicators`); a change of a class's indicators is
applied to the alarm rules of its assets in use (`watch.sync_asset`, in the same transaction); a class with assets
is not deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, func, select, true
from sqlalchemy.orm import Session

from digipark.assets import attributes, watch
from digipark.assets.models import Asset, AssetClass
from digipark.assets.schemas import AssetClassCreate, AssetClassRead, AssetClassUpdate
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, field_error
from digipark.core.listing import ListSpec
from digipark.crud import RecordType

VIEW, WRITE = "assets.view", "assets.write"


def vibration_groups() -> tuple[str, ...]:
    from digipark.assets.service import vibration_zones

    return tuple(vibration_zones()["groups"])


def _validate(session: Session, scope: Scope, values: dict[str, Any], row: AssetClass | None) -> dict[str, Any]:
    checks = (("attributes", attributes.check_declaration), ("condition_indicators", watch.check_indicators))
    for field, check in checks:
        if values.get(field) is not None:
            try:
                check(values[field])
            except ValueError as error:
                raise field_error(field, str(error)) from None
    if values.get("vibration_group") and values["vibration_group"] not in vibration_groups():
        raise field_error("vibration_group", f"one of {', '.join(vibration_groups())}")
    if "templates" in values and values["templates"] is not None:
        values["templates"] = [
            {k: v for k, v in dict(t).items() if v is not None} for t in values["templates"]
        ]  # stored as the YAML catalogue has them
    if values.get("method") is not None:
        values["method"] = str(values["method"])
    return values


def _resync(session: Session, scope: Scope, row: AssetClass, values: dict[str, Any]) -> None:
    if "condition_indicators" not in values:
        return
    assets = session.scalars(
        select(Asset).where(Asset.class_id == row.id, Asset.state.in_(watch.IN_USE)).order_by(Asset.id)
    )
    for asset in assets:
        watch.sync_asset(session, asset=asset, username=scope.username)


def _refuse_used(session: Session, scope: Scope, row: AssetClass) -> None:
    used = session.scalar(select(func.count(Asset.id)).where(Asset.class_id == row.id)) or 0
    if used:
        raise Conflict(f"the class has {used} assets; move them to another class first")


def _readers(scope: Scope) -> ColumnElement[bool]:
    """The park's classes, for those who see its assets (a resident does not)."""
    return true() if scope.can(VIEW) else false()


CLASSES: RecordType[AssetClass] = RecordType(
    name="asset_class",
    model=AssetClass,
    create_schema=AssetClassCreate,
    update_schema=AssetClassUpdate,
    read_schema=AssetClassRead,
    list_spec=ListSpec(
        filters={"park_id": AssetClass.park_id, "kind": AssetClass.kind},
        search=[AssetClass.code, AssetClass.name],
        sort={"id": AssetClass.id, "code": AssetClass.code, "name": AssetClass.name},
        default_sort="code,id",
    ),
    write_permission=WRITE,
    read_condition=_readers,
    validate=_validate,
    after_update=_resync,
    before_delete=_refuse_used,
    unique=("code",),
)
