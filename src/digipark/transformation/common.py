"""What the transformation services share: the permissions, today's date, the enterprise a record is for, the
write permission of an enterprise's own records, the checks of uploaded files and of scene codes."""

from __future__ import annotations

import builtins
import datetime as dt
import zoneinfo

from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import field_error
from digipark.core.spreadsheet import FileTooLarge, UnsupportedFile
from digipark.registry.models import Enterprise
from digipark.transformation.assessment import (
    questionnaire,
)

# -- permissions (auth/permissions.py holds which role has which) --------------------------------------------------
VIEW = "transformation.view"  # the pages: an enterprise its own records and the catalogue
READ = "transformation.read"  # park-wide views: the map, the review queue, every enterprise's records
FILL = "assessment.fill"  # fill in and submit an assessment (an enterprise its own; staff on its behalf)
REVIEW = "assessment.review"  # confirm or return a submitted assessment
WRITE = "transformation.write"  # staff: certificates (and verifying them), adoption records, requests' handling
SELF_WRITE = "transformation.self_write"  # an enterprise: its own certificates, adoption records, requests
CATALOGUE_WRITE = "catalogue.write"

# -- evidence files ------------------------------------------------------------------------------------------------
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_FILES = 30
# declared content type -> what its first bytes must be (None: plain text, checked as UTF-8)
EVIDENCE_TYPES: dict[str, tuple[bytes, ...] | None] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "text/plain": None,
    "text/csv": None,
}


def today() -> dt.date:
    """Today in the platform's time zone (Asia/Shanghai by default)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(get_settings().timezone)).date()


def record_enterprise(session: Session, scope: Scope, enterprise_id: int | None) -> Enterprise:
    """The enterprise a record is for: the caller's own when not given; it must be visible."""
    if enterprise_id is None:
        enterprise_id = scope.acting_enterprise()
        if enterprise_id is None:
            raise field_error("enterprise_id", "required: the enterprise this is for")
    enterprise: Enterprise | None = session.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        raise field_error("enterprise_id", f"no enterprise {enterprise_id} visible to you")
    return enterprise


def checked_file_type(filename: str, content_type: str, content: bytes, field: str = "file") -> str:
    if len(content) > MAX_EVIDENCE_BYTES:
        raise FileTooLarge(f"the file is larger than {MAX_EVIDENCE_BYTES // (1024 * 1024)} MB")
    if not content:
        raise field_error(field, "the file is empty")
    if not filename.strip():
        raise field_error(field, "the file has no name")
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in EVIDENCE_TYPES:
        raise UnsupportedFile(
            f"files of type {declared or 'unknown'} are not accepted; use PDF, PNG, JPEG, Word (.docx), "
            "Excel (.xlsx) or plain text"
        )
    signatures = EVIDENCE_TYPES[declared]
    if signatures is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsupportedFile(f"the file is not the {declared} it claims to be") from None
    elif not any(content.startswith(sig) for sig in signatures):
        raise UnsupportedFile(f"the file is not the {declared} it claims to be")
    return declared


def safe_file_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')[:200] or "file"


def writer_permission(scope: Scope) -> str:
    return WRITE if scope.can(WRITE) else SELF_WRITE


def checked_scenes(codes: builtins.list[str], field: str) -> builtins.list[str]:
    known = questionnaire().scene_by_code
    for code in codes:
        if code not in known:
            raise field_error(field, f"no scene {code!r}; scenes are S01–S{len(known):02d}")
    return builtins.list(dict.fromkeys(codes))
