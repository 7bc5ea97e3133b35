"""Documents of an asset (manual, certificate, drawing, inspection report, other): uploads checked for type and size
by `core.uploads` and kept like the platform's other uploads (the bytes, type, size and SHA-256 on a row). Staff
who may write the asset upload; whoever may read the asset reads its documents. Every upload is audited.

Versions: a document is known by its asset, kind and title (the file name when it has no title); a new upload of
the same document is its next version (1, 2, ...) and the old versions are kept (listed and downloadable). A
document may carry the day it expires (a certificate, an inspection report): `expiring` lists the newest versions
that expire within a window (or have expired)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.assets.models import Asset, AssetDocument
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
    expires_on: dt.date | None = None,
) -> AssetDocument:
    """Attach a document to an asset, or a new version of one it has (same kind and title): 413 too large, 415 type
    not accepted, 422 empty, an unknown kind or an expiry day before 2000."""
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    scope.authorize_write_row(WRITE, asset)
    if kind not in KINDS:
        raise field_error("kind", f"one of {', '.join(KINDS)}")
    if expires_on is not None and not dt.date(2000, 1, 1) <= expires_on <= dt.date(2200, 12, 31):
        raise field_error("expires_on", "a day between 2000 and 2200")
    declared = check_upload(UPLOADS, filename=filename, content_type=content_type, content=content)
    name = safe_filename(filename)
    clean_title = (title or "").strip()[:200] or None
    same = (
        AssetDocument.title == clean_title
        if clean_title
        else (AssetDocument.title.is_(None) & (AssetDocument.filename == name))
    )
    previous = session.scalar(
        select(func.max(AssetDocument.version)).where(
            AssetDocument.asset_id == asset.id, AssetDocument.kind == kind, same
        )
    )
    row = AssetDocument(
        park_id=asset.park_id,
        enterprise_id=asset.enterprise_id,
        asset_id=asset.id,
        kind=kind,
        title=clean_title,
        filename=name,
        content_type=declared,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_by=scope.username,
        version=(previous or 0) + 1,
        expires_on=expires_on,
    )
    session.add(row)
    session.flush()
    return row


def documents_of(session: Session, *, scope: Scope, asset_id: int) -> list[AssetDocument]:
    """The documents of an asset the caller may read (404 for an asset it may not read)."""
    asset = ASSETS.get(session, scope=scope, ident=asset_id)
    stmt = scope.readable(AssetDocument).where(AssetDocument.asset_id == asset.id)
    return list(session.scalars(stmt.order_by(AssetDocument.id)))


def key(doc: AssetDocument) -> tuple[int, str, str]:
    """What makes two uploads versions of one document."""
    return (doc.asset_id, doc.kind, doc.title or f"\0{doc.filename}")


def newest(docs: list[AssetDocument]) -> list[AssetDocument]:
    """The newest version of each document, with the older versions left out."""
    best: dict[tuple[int, str, str], AssetDocument] = {}
    for doc in docs:
        found = best.get(key(doc))
        if found is None or doc.version > found.version:
            best[key(doc)] = doc
    return sorted(best.values(), key=lambda d: d.id)


@dataclasses.dataclass(frozen=True)
class Expiring:
    document: AssetDocument
    asset_code: str
    asset_name: str
    days_left: int  # negative: expired that many days ago
    asset_name_en: str | None = None


def expiring(
    session: Session, *, scope: Scope, park_id: int | None, on: dt.date, within_days: int = 60
) -> list[Expiring]:
    """The newest versions of the documents the caller may read that expire within `within_days` of `on` or have
    expired (a newer version without an expiry day, or a later one, replaces them), soonest first."""
    scope.require(VIEW)
    stmt = scope.readable(AssetDocument).where(AssetDocument.expires_on.is_not(None))
    if park_id is not None:
        stmt = stmt.where(AssetDocument.park_id == park_id)
    asset_ids = set(session.scalars(stmt.with_only_columns(AssetDocument.asset_id).distinct()))
    if not asset_ids:
        return []
    docs = newest(list(session.scalars(scope.readable(AssetDocument).where(AssetDocument.asset_id.in_(asset_ids)))))
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))}
    limit = on + dt.timedelta(days=within_days)
    out = [
        Expiring(
            d, assets[d.asset_id].code, assets[d.asset_id].name, (d.expires_on - on).days, assets[d.asset_id].name_en
        )
        for d in docs
        if d.expires_on is not None and d.expires_on <= limit
    ]
    return sorted(out, key=lambda e: (e.days_left, e.document.id))


def get(session: Session, *, scope: Scope, ident: int) -> AssetDocument:
    scope.require(VIEW)
    return scope.get_or_404(session, AssetDocument, ident)
