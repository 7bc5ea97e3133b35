"""An enterprise's maturity certificates and adoption records (its own, or staff for any): declared record types
(`CERTIFICATES`, `ADOPTIONS`) with their checks, plus verifying a certificate and attaching its file."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from digipark.auth.scope import Scope
from digipark.core.errors import PermissionDenied, field_error
from digipark.core.listing import ListSpec
from digipark.core.uploads import check_upload, safe_filename
from digipark.crud import RecordType
from digipark.transformation import renovation
from digipark.transformation.common import (
    EVIDENCE_UPLOAD,
    WRITE,
    checked_scenes,
    enterprise_owner,
    plain_values,
    writer_permission,
)
from digipark.transformation.models import (
    AdoptionKind,
    AdoptionRecord,
    MaturityCertificate,
)
from digipark.transformation.schemas import (
    AdoptionCreate,
    AdoptionRead,
    AdoptionUpdate,
    CertificateCreate,
    CertificateRead,
    CertificateUpdate,
)


def _check_level(scale: str, level: int) -> None:
    known = renovation.scales()[scale]
    if known.level_name(level) is None:
        raise field_error("level", f"{scale} has levels {', '.join(str(lv.level) for lv in known.levels)}")


def _checked_certificate(
    session: Session, scope: Scope, values: dict[str, Any], row: MaturityCertificate | None
) -> dict[str, Any]:
    """A certificate entered or changed by park staff is verified (a change keeps their verification); one entered or
    changed by an enterprise waits for the park to verify it."""
    values = plain_values(values)
    scale = values["scale"] if row is None else row.scale
    _check_level(scale, values["level"] if row is None else values.get("level", row.level))
    if row is not None:
        issued_on, valid_to = values.get("issued_on", row.issued_on), values.get("valid_to", row.valid_to)
        if valid_to is not None and valid_to < issued_on:
            raise field_error("valid_to", "must not be before issued_on")
    staff = scope.can(WRITE)
    if row is None or not staff:
        values["verified"], values["verified_by"] = staff, scope.username if staff else None
    return values


def _verified_stays(session: Session, scope: Scope, row: MaturityCertificate) -> None:
    if row.verified and not scope.can(WRITE):
        raise PermissionDenied("a certificate the park has verified is removed by the park")


CERTIFICATES: RecordType[MaturityCertificate] = RecordType(
    name="maturity_certificate",
    model=MaturityCertificate,
    create_schema=CertificateCreate,
    update_schema=CertificateUpdate,
    read_schema=CertificateRead,
    list_spec=ListSpec(
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
    ),
    write_permission=writer_permission,
    owner=enterprise_owner,
    validate=_checked_certificate,
    before_delete=_verified_stays,
)


def _checked_adoption(
    session: Session, scope: Scope, values: dict[str, Any], row: AdoptionRecord | None
) -> dict[str, Any]:
    values = plain_values(values)
    if "scenarios" in values:
        values["scenarios"] = checked_scenes(values["scenarios"], "scenarios")
    if row is not None:
        if row.kind == AdoptionKind.ROBOT.value and values.get("count", row.count) is None:
            raise field_error("count", "required for industrial robots")
        started_on, ended_on = values.get("started_on", row.started_on), values.get("ended_on", row.ended_on)
        if ended_on is not None and ended_on < started_on:
            raise field_error("ended_on", "must not be before started_on")
    return values


ADOPTIONS: RecordType[AdoptionRecord] = RecordType(
    name="adoption_record",
    model=AdoptionRecord,
    create_schema=AdoptionCreate,
    update_schema=AdoptionUpdate,
    read_schema=AdoptionRead,
    list_spec=ListSpec(
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
    ),
    write_permission=writer_permission,
    owner=enterprise_owner,
    validate=_checked_adoption,
)


def verify_certificate(session: Session, *, scope: Scope, ident: int, verified: bool = True) -> MaturityCertificate:
    row = CERTIFICATES.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(WRITE, row)
    row.verified = verified
    row.verified_by = scope.username if verified else None
    session.flush()
    return row


def attach_certificate_file(
    session: Session, *, scope: Scope, ident: int, filename: str, content_type: str, content: bytes
) -> MaturityCertificate:
    row = CERTIFICATES.get(session, scope=scope, ident=ident)
    scope.authorize_write_row(writer_permission(scope), row)
    row.file_content_type = check_upload(EVIDENCE_UPLOAD, filename=filename, content_type=content_type, content=content)
    row.file_name = safe_filename(filename)
    row.file_size = len(content)
    row.file_content = content
    if not scope.can(WRITE):
        row.verified, row.verified_by = False, None
    session.flush()
    return row
