"""What other domains may use of the dashboards: the operations screen's definition (the built-in one or a park's
copy), which `ioc` draws at /ioc/screen."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import ValidationFailed
from digipark.dashboards.builtin import OPERATIONS_SCREEN_NAME, OPERATIONS_SCREEN_NAME_EN, is_screen
from digipark.dashboards.builtin import operations_screen_spec as _builtin_spec
from digipark.dashboards.spec import AREAS, MAP_LAYERS, PANELS, DashboardSpec

__all__ = ["AREAS", "MAP_LAYERS", "PANELS", "screen_definition"]


def screen_definition(session: Session, *, scope: Scope, dashboard_id: int | None = None) -> dict[str, Any]:
    """{"id", "name", "name_en", "spec"} of the screen to draw: the built-in operations screen (`dashboard_id`
    None), else that dashboard as the caller may read it (404 otherwise; 422 when it has no screen panel or map)."""
    if dashboard_id is None:
        return {
            "id": None,
            "name": OPERATIONS_SCREEN_NAME,
            "name_en": OPERATIONS_SCREEN_NAME_EN,
            "spec": _builtin_spec().model_dump(mode="json"),
        }
    from digipark.dashboards.service import DASHBOARDS  # the record type (its read rules) only when asked

    row = DASHBOARDS.get(session, scope=scope, ident=dashboard_id)
    spec = DashboardSpec.model_validate(row.spec)
    if not is_screen(spec):
        raise ValidationFailed(f"dashboard {dashboard_id} has no operations screen panel or map view")
    return {"id": row.id, "name": row.name, "name_en": row.name, "spec": spec.model_dump(mode="json")}
