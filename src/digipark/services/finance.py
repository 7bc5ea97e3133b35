"""Finance (产融对接): an enterprise applies for a bank's finance product in the catalogue; with its consent — and
only then — the platform assembles a credit profile from its platform data (statistics and tax paid, energy and
carbon, digital maturity, safety record; each read through its domain's provides) and shares it with the provider
as JSON or PDF; the application is tracked to its decision."""

from __future__ import annotations

import builtins
import datetime as dt
import io
from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope, system_scope
from digipark.core import pdf_font
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.economy import provides as economy
from digipark.energy import provides as energy
from digipark.registry.models import Enterprise
from digipark.safety import provides as safety
from digipark.services.booking import authorize_provider
from digipark.services.catalogue import OFFERINGS
from digipark.services.common import READ_ALL, VIEW, park_enterprise, today, write_permission
from digipark.services.models import ApplicationStatus, FinanceApplication, ServiceKind
from digipark.services.schemas import ApplicationCreate
from digipark.transformation import provides as transformation

DECISIONS: dict[str, frozenset[str]] = {
    ApplicationStatus.SUBMITTED.value: frozenset({"reviewing", "approved", "rejected"}),
    ApplicationStatus.REVIEWING.value: frozenset({"approved", "rejected"}),
}

APPLICATION_LIST = ListSpec(
    filters={
        "park_id": FinanceApplication.park_id,
        "enterprise_id": FinanceApplication.enterprise_id,
        "offering_id": FinanceApplication.offering_id,
        "status": FinanceApplication.status,
    },
    sort={"id": FinanceApplication.id},
    default_sort="-id",
)


def _readable(scope: Scope) -> Any:
    stmt = scope.readable(FinanceApplication)
    if scope.can(READ_ALL):
        return stmt
    if scope.own_enterprise_only and scope.enterprise_id is not None and scope.can(VIEW):
        return stmt.where(
            (FinanceApplication.enterprise_id == scope.enterprise_id)
            | (FinanceApplication.provider_enterprise_id == scope.enterprise_id)
        )
    return stmt.where(FinanceApplication.id.is_(None))


def list_applications(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[FinanceApplication], int]:
    return APPLICATION_LIST.apply(session, _readable(scope), query)


def get_application(session: Session, *, scope: Scope, ident: int) -> FinanceApplication:
    row: FinanceApplication | None = session.scalar(_readable(scope).where(FinanceApplication.id == ident))
    if row is None:
        raise NotFound(f"finance application {ident} not found")
    return row


def _history(row: FinanceApplication, scope: Scope, status: str, note: str | None = None) -> None:
    entry = {"status": status, "at": utcnow().isoformat(), "by": scope.username, "note": note}
    row.history = [*(row.history or []), entry]


def apply(session: Session, *, scope: Scope, data: ApplicationCreate) -> FinanceApplication:
    permission = write_permission(scope)
    scope.require(permission)
    try:
        offering = OFFERINGS.get(session, scope=scope, ident=data.offering_id)
    except NotFound:
        raise field_error("offering_id", f"no service {data.offering_id}") from None
    if offering.kind != ServiceKind.FINANCE or not offering.active:
        raise field_error("offering_id", "not an active finance product")
    enterprise_id = scope.acting_enterprise(data.enterprise_id)
    if enterprise_id is None:
        raise field_error("enterprise_id", "required: the enterprise applying")
    scope.authorize_write(permission, park_id=offering.park_id, enterprise_id=enterprise_id)
    park_enterprise(session, scope, offering.park_id, enterprise_id, "enterprise_id")
    row = FinanceApplication(
        park_id=offering.park_id,
        enterprise_id=enterprise_id,
        offering_id=offering.id,
        provider_enterprise_id=offering.enterprise_id,
        amount_wan_yuan=data.amount_wan_yuan,
        term_months=data.term_months,
        purpose=data.purpose,
        status=ApplicationStatus.SUBMITTED.value,
        history=[],
    )
    _history(row, scope, ApplicationStatus.SUBMITTED.value)
    session.add(row)
    session.flush()
    return row


def consent(session: Session, *, scope: Scope, ident: int) -> FinanceApplication:
    """The applicant's own users consent to share its credit profile with the provider; the profile is assembled
    and shared now. Staff cannot consent for an enterprise."""
    row = get_application(session, scope=scope, ident=ident)
    if not scope.own_enterprise_only or row.enterprise_id != scope.enterprise_id:
        raise PermissionDenied("only the applying enterprise consents to sharing its data")
    scope.authorize_write_row(write_permission(scope), row)
    if row.status not in DECISIONS:
        raise Conflict(f"application {ident} is {row.status}")
    row.consent_at = utcnow()
    row.consent_by = scope.username
    row.profile = credit_profile(session, park_id=row.park_id, enterprise_id=row.enterprise_id or 0)
    row.profile_shared_at = utcnow()
    _history(row, scope, row.status, "consent to share the credit profile")
    session.flush()
    return row


def shared_profile(session: Session, *, scope: Scope, ident: int) -> dict[str, Any]:
    """The credit profile the applicant consented to share (409 before its consent)."""
    row = get_application(session, scope=scope, ident=ident)
    if row.consent_at is None or row.profile is None:
        raise Conflict(f"application {ident}: the enterprise has not consented to share its credit profile")
    return row.profile


def decide(session: Session, *, scope: Scope, ident: int, status: str, note: str | None) -> FinanceApplication:
    """The provider (its enterprise, or staff for the park's own products) moves the application on."""
    row = get_application(session, scope=scope, ident=ident)
    authorize_provider(scope, row.park_id, row.provider_enterprise_id)
    if status not in DECISIONS.get(row.status, frozenset()):
        raise Conflict(f"application {ident} is {row.status}; it cannot become {status}")
    if status == ApplicationStatus.APPROVED and row.consent_at is None:
        raise Conflict("no decision without the credit profile: the enterprise has not consented yet")
    row.status = status
    _history(row, scope, status, note)
    session.flush()
    return row


def credit_profile(session: Session, *, park_id: int, enterprise_id: int) -> dict[str, Any]:
    """The enterprise's platform data as a credit profile, read through each domain's provides."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None or enterprise.park_id != park_id:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} in this park")
    scope = system_scope(park_id)
    summary = economy.enterprise_summary(session, scope=scope, enterprise_id=enterprise_id)
    year = today().year - 1
    energy_figures = energy.enterprise_figures(session, park_id=park_id, year=year).get(enterprise_id)
    maturity = transformation.archive_section(session, scope, enterprise)
    safety_record = safety.archive_section(session, scope, enterprise)
    return {
        "enterprise": {
            "name": enterprise.name,
            "uscc": enterprise.uscc,
            "industry_code": enterprise.industry_code,
            "above_scale": enterprise.above_scale,
            "employees": enterprise.employees,
            "registered_capital_wan_yuan": enterprise.registered_capital_wan_yuan,
        },
        "statistics": _plain(
            {
                "period": summary.period,
                "ytd": summary.ytd,
                "ytd_yoy_percent": summary.ytd_yoy_percent,
                "ytd_complete": summary.ytd_complete,
            }
        )
        if summary is not None
        else None,
        "energy": {"year": year, "tce": energy_figures[0], "tco2": energy_figures[1]} if energy_figures else None,
        "digital_level": {
            "assessment_level": maturity.get("assessment_level"),
            "renovated": maturity.get("renovated"),
            "certificates": len(maturity.get("certificates", [])),
        },
        "safety": {k: v for k, v in safety_record.items() if k != "link"},
        "generated_at": utcnow().isoformat(),
    }


def _plain(value: Any) -> Any:
    """JSON-ready: dates as text (a summary may hold them)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def profile_pdf(profile: dict[str, Any]) -> bytes:
    """The credit profile as a one-page PDF (CJK text in the platform's embedded font)."""
    from reportlab.lib.pagesizes import A4

    font = pdf_font.register()
    buffer = io.BytesIO()
    pdf = pdf_font.canvas_maker()(buffer, pagesize=A4)
    _width, height = A4
    y = height - 60
    pdf.setFont(font, 16)
    pdf.drawString(50, y, f"信用画像 Credit profile · {profile['enterprise']['name']}")
    pdf.setFont(font, 10)
    for section, content in profile.items():
        y -= 24
        pdf.drawString(50, y, str(section))
        items = content.items() if isinstance(content, dict) else [("", content)]
        for key, value in items:
            text = f"{key}: {value}" if key else str(value)
            y -= 14
            if y < 60:
                pdf.showPage()
                pdf.setFont(font, 10)
                y = height - 60
            pdf.drawString(70, y, text[:110])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
