"""An enterprise's maturity certificates and adoption records (its own, or staff for any)."""

from __future__ import annotations

import builtins

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import PermissionDenied, field_error
from digipark.core.listing import ListQuery, ListSpec
from digipark.transformation import renovation
from digipark.transformation.common import (
    WRITE,
    checked_file_type,
    checked_scenes,
    record_enterprise,
    safe_file_name,
    writer_permission,
)
from digipark.transformation.models import (
    AdoptionKind,
    AdoptionRecord,
    MaturityCertificate,
)
from digipark.transformation.schemas import (
    AdoptionCreate,
    AdoptionUpdate,
    CertificateCreate,
    CertificateUpdate,
)

CERTIFICATE_SPEC = ListSpec(
    filters={
        "park_id": MaturityCertificate.park_id,
        "enterprise_id": MaturityCertificate.enterprise_id,
        "scale": MaturityCertificate.scale,
        "verified": MaturityCertificate.verified,
    },
    search=[MaturityCertificate.certificate_no, MaturityCertificate.issuer],
    sort={
        "id": MaturityCertificate.id,
        "enterprise_id": MaturityCertificate.enterprise_id,
        "issued_on": MaturityCertificate.issued_on,
        "level": MaturityCertificate.level,
    },
    default_sort="-issued_on,id",
)
ADOPTION_SPEC = ListSpec(
    filters={
        "park_id": AdoptionRecord.park_id,
        "enterprise_id": AdoptionRecord.enterprise_id,
        "kind": AdoptionRecord.kind,
    },
    search=[AdoptionRecord.name, AdoptionRecord.provider],
    sort={
        "id": AdoptionRecord.id,
        "enterprise_id": AdoptionRecord.enterprise_id,
        "kind": AdoptionRecord.kind,
        "started_on": AdoptionRecord.started_on,
    },
    default_sort="enterprise_id,kind,id",
)


def _check_level(scale: str, level: int) -> None:
    known = renovation.scales()[scale]
    if known.level_name(level) is None:
        raise field_error("level", f"{scale} has levels {', '.join(str(lv.level) for lv in known.levels)}")


def list_certificates(
    session: Session, *, scope: Scope, query: ListQuery
) -> tuple[builtins.list[MaturityCertificate], int]:
    return CERTIFICATE_SPEC.apply(session, scope.readable(MaturityCertificate), query)


def get_certificate(session: Session, *, scope: Scope, ident: int) -> MaturityCertificate:
    return scope.get_or_404(session, MaturityCertificate, ident)


def create_certificate(session: Session, *, scope: Scope, data: CertificateCreate) -> MaturityCertificate:
    """Record a certificate; one entered by park staff is verified, one entered by an enterprise waits for them."""
    enterprise = record_enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(writer_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    _check_level(data.scale.value, data.level)
    staff = scope.can(WRITE)
    row = MaturityCertificate(
        park_id=enterprise.park_id,
        enterprise_id=enterprise.id,
        scale=data.scale.value,
        level=data.level,
        certificate_no=data.certificate_no,
        issuer=data.issuer,
        issued_on=data.issued_on,
        valid_to=data.valid_to,
        verified=staff,
        verified_by=scope.username if staff else None,
    )
    session.add(row)
    session.flush()
    return row


def update_certificate(session: Session, *, scope: Scope, ident: int, data: CertificateUpdate) -> MaturityCertificate:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    values = data.model_dump(exclude_unset=True)
    for field in ("level", "certificate_no", "issuer", "issued_on"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    for field, value in values.items():
        setattr(row, field, value)
    _check_level(row.scale, row.level)
    if row.valid_to is not None and row.valid_to < row.issued_on:
        raise field_error("valid_to", "must not be before issued_on")
    if not scope.can(WRITE):  # an enterprise's change needs the park's verification again
        row.verified, row.verified_by = False, None
    session.flush()
    return row


def verify_certificate(session: Session, *, scope: Scope, ident: int, verified: bool = True) -> MaturityCertificate:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    row.verified = verified
    row.verified_by = scope.username if verified else None
    session.flush()
    return row


def attach_certificate_file(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> MaturityCertificate:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    row.file_content_type = checked_file_type(filename, content_type, content)
    row.file_name = safe_file_name(filename)
    row.file_size = len(content)
    row.file_content = content
    if not scope.can(WRITE):
        row.verified, row.verified_by = False, None
    session.flush()
    return row


def delete_certificate(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_certificate(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    if row.verified and not scope.can(WRITE):
        raise PermissionDenied("a certificate the park has verified is removed by the park")
    session.delete(row)
    session.flush()


def list_adoption(session: Session, *, scope: Scope, query: ListQuery) -> tuple[builtins.list[AdoptionRecord], int]:
    return ADOPTION_SPEC.apply(session, scope.readable(AdoptionRecord), query)


def get_adoption(session: Session, *, scope: Scope, ident: int) -> AdoptionRecord:
    return scope.get_or_404(session, AdoptionRecord, ident)


def create_adoption(session: Session, *, scope: Scope, data: AdoptionCreate) -> AdoptionRecord:
    enterprise = record_enterprise(session, scope, data.enterprise_id)
    scope.authorize_write(writer_permission(scope), park_id=enterprise.park_id, enterprise_id=enterprise.id)
    values = data.model_dump(exclude={"enterprise_id"})
    values["kind"] = data.kind.value
    values["scenarios"] = checked_scenes(data.scenarios, "scenarios")
    if data.kind != AdoptionKind.ROBOT:
        values["count"] = data.count
    row = AdoptionRecord(park_id=enterprise.park_id, enterprise_id=enterprise.id, **values)
    session.add(row)
    session.flush()
    return row


def update_adoption(session: Session, *, scope: Scope, ident: int, data: AdoptionUpdate) -> AdoptionRecord:
    row = get_adoption(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    values = data.model_dump(exclude_unset=True)
    for field in ("name", "started_on", "scenarios"):
        if field in values and values[field] is None:
            raise field_error(field, "required: may not be set to null")
    if "scenarios" in values:
        values["scenarios"] = checked_scenes(values["scenarios"], "scenarios")
    for field, value in values.items():
        setattr(row, field, value)
    if row.kind == AdoptionKind.ROBOT.value and row.count is None:
        raise field_error("count", "required for industrial robots")
    if row.ended_on is not None and row.ended_on < row.started_on:
        raise field_error("ended_on", "must not be before started_on")
    session.flush()
    return row


def delete_adoption(session: Session, *, scope: Scope, ident: int) -> None:
    row = get_adoption(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    session.delete(row)
    session.flush()
