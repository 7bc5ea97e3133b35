"""Form steps of the asset page for staff: the values of the attributes the asset's class declares, a new
maintenance plan (by calendar, run hours, starts or energy) and a plan paused or resumed. Each writes through the
service (audited: assets and plans are `Audited`) inside the page's savepoint; a refused form is shown again with
the reason in the reader's language (`reason`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from digipark.assets import service
from digipark.assets.models import AssetClass, MaintenancePlan
from digipark.assets.schemas import AssetUpdate, PlanCreate
from digipark.core.errors import DomainError, NotFound, ValidationFailed, field_error
from digipark.web.i18n import N_
from digipark.web.shell import Page

ATTRIBUTE_REASONS = {
    "undeclared": N_("%(label)s: not an attribute of the asset's class."),
    "number": N_("%(label)s: must be a number."),
    "range": N_("%(label)s: must be between %(low)s and %(high)s."),
    "choice": N_("%(label)s: choose one of the listed values."),
}
PLAN_REASONS = {
    "name": N_("Give the plan a name."),
    "kind": N_("The asset has no counter point for this kind of plan (link its run-hours, starts or energy point)."),
    "every_days": N_("A calendar plan needs its interval in days (1 to 3650)."),
    "every_run_hours": N_("A run-hours plan needs its interval in run hours."),
    "every_usage": N_("A plan by starts or energy needs its interval in starts or kWh."),
    "last_done_on": N_("The day last done is not a valid date."),
}
DOCUMENT_REASONS: dict[str | int, str] = {
    "kind": N_("Choose a kind of document."),
    "file": N_("Choose a file that is not empty and has a name."),
    "expires_on": N_("The expiry day is not a valid date (between 2000 and 2200)."),
    413: N_("The file is larger than 20 MB."),
    415: N_(
        "This type of file is not accepted, or the file is not what it claims: use PDF, PNG, JPEG, .docx or .xlsx."
    ),
}
PICK_KIND = N_("Choose a kind of plan.")
BAD_INPUT = N_("Check the form: %(field)s is not valid.")


def save_attributes(page: Page, ident: int, fields: dict[str, str]) -> None:
    """The asset's attribute values from the form's `attr_<name>` fields (an empty field removes the value)."""
    asset = service.ASSETS.get(page.db, scope=page.scope, ident=ident)
    klass = page.db.get(AssetClass, asset.class_id)
    declared = {spec["name"] for spec in (klass.attributes or [] if klass else [])}
    values: dict[str, Any] = {}
    for key, raw in fields.items():
        if not key.startswith("attr_"):
            continue
        name = key[5:]
        if name not in declared:
            raise field_error("attributes", f"attribute {name}: not declared", attribute=name, code="undeclared")
        if raw.strip():
            values[name] = raw.strip()[:200]
    service.ASSETS.update(page.db, scope=page.scope, ident=ident, data=AssetUpdate(attributes=values))


def add_plan(page: Page, ident: int, fields: dict[str, str]) -> MaintenancePlan:
    kind = fields.get("kind", "")
    interval = fields.get("every", "").strip() or None
    data = PlanCreate.model_validate(
        {
            "name": fields.get("name", "").strip(),
            "name_en": fields.get("name_en", "").strip() or None,
            "kind": kind,
            "every_days": interval if kind == "calendar" else None,
            "every_run_hours": interval if kind == "usage" else None,
            "every_usage": interval if kind in ("cycles", "energy") else None,
            "last_done_on": fields.get("last_done_on") or None,
        }
    )
    if not data.name:
        raise field_error("name", "required")
    return service.create_plan(page.db, scope=page.scope, asset_id=ident, data=data)


def plan_active(page: Page, ident: int, fields: dict[str, str]) -> None:
    """Pause (active=0) or resume (active=1) one of the asset's plans."""
    raw = fields.get("plan_id", "")
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound("no such plan")
    asset = service.ASSETS.get(page.db, scope=page.scope, ident=ident)
    plan = next((p for p in service.plans_of(page.db, scope=page.scope, asset=asset) if p.id == int(raw)), None)
    if plan is None:
        raise NotFound("no such plan of this asset")
    page.scope.authorize_write_row(service.WRITE, asset)
    plan.active = fields.get("active") == "1"
    page.db.flush()


def reason(page: Page, exc: Exception, labels: dict[str, str], action: str = "") -> str:
    """A refused form's reason in the reader's language (`labels`: attribute name -> its label)."""
    if action == "document":
        field = str(exc.errors[0].get("field", "")) if isinstance(exc, ValidationFailed) and exc.errors else ""
        status = exc.status if isinstance(exc, DomainError) else 0
        found = DOCUMENT_REASONS.get(field) or DOCUMENT_REASONS.get(status)
        if found is not None:
            return page.gettext(found)
    if isinstance(exc, ValidationFailed) and exc.errors:
        first = exc.errors[0]
        field = str(first.get("field", ""))
        if field == "attributes" and first.get("code") in ATTRIBUTE_REASONS:
            name = str(first.get("attribute", ""))
            return page.gettext(ATTRIBUTE_REASONS[str(first["code"])]) % {
                "label": labels.get(name, name),
                "low": first.get("low"),
                "high": first.get("high"),
            }
        if field in PLAN_REASONS:
            return page.gettext(PLAN_REASONS[field])
    if isinstance(exc, ValidationError) and exc.errors():
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        if field == "kind":
            return page.gettext(PICK_KIND)
        if field in PLAN_REASONS:
            return page.gettext(PLAN_REASONS[field])
        return page.gettext(BAD_INPUT) % {"field": field}
    if isinstance(exc, DomainError):
        return exc.detail
    return str(exc).splitlines()[0]
