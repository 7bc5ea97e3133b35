"""Documents of an asset (manual, certificate, drawing, inspection report, other): uploads checked for type and size
by `core.uploads` and kept like the platform's other uploads (the bytes, type, size and SHA-256 on a row). Staff
who may write the asset upload; whoever may read the asset reads its documents. Every upload is audited."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from digipark.assets.models import AssetDocument
from digipark.assets.service import ASSETS, VIEW, WRITE
from digipark.auth.scope import Scope
from digipark.core.errors import field_error
from digipark.core.uploads import JPEG, PDF, PNG, ZIP_OFFICE, UploadRule, check_upload, safe_filename

KINDS = ("manual", "certificate", "drawing", "inspection", "other")
UPLOADS = UploadRule(
    types={
        "application/pdf": PDF,
        "image/png": PNG,
        "image/jpeg": JPEG,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ZIP_OFFICE,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ZIP_OFFICE,
    },
    max_bytes=20 * 1024 * 1024,
    accepted_names="PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx)",
    what="document",
)


def upload(
    session: Session,
    *,
    scope: Scope,
    asset_id: int,
    kind: str,
    filename: str,
    content_type: str,
    content: bytes,
    title: str | None = None,
) -> AssetDocument:
    """Attach a document to an asset (413 too large, 415 type not accepted, 422 empty or an unknown kind)."""
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    scope.authorize_write_row(WRITE, asset)
    if kind not in KINDS:
        raise field_error("kind", f"one of {', '.join(KINDS)}")
    declared = check_upload(UPLOADS, filename=filename, content_type=content_type, content=content)
    row = AssetDocument(
        park_id=asset.park_id,
        enterprise_id=asset.enterprise_id,
        asset_id=asset.id,
        kind=kind,
        title=(title or "").strip()[:200] or None,
        filename=safe_filename(filename),
        content_type=declared,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=scope.username,
    )
    session.add(row)
    session.flush()
    return row


def documents_of(session: Session, *, scope: Scope, asset_id: int) -> list[AssetDocument]:
    """The documents of an asset the caller may read (404 for an asset it may not read)."""
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    stmt = scope.readable(AssetDocument).where(AssetDocument.asset_id == asset.id)
    return list(session.scalars(stmt.order_by(AssetDocument.id)))


def get(session: Session, *, scope: Scope, ident: int) -> AssetDocument:
    scope.require(VIEW)
    return scope.get_or_404(session, AssetDocument, ident)
