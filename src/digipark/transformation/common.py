"""What the transformation services share: the permissions, today's date, the enterprise a record is for (and
owns), the write permission of an enterprise's own records, input values as the columns store them, what an
evidence file may be, the check of scene codes."""

from __future__ import annotations

import builtins
import datetime as dt
import enum
import zoneinfo
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

import digipark.audit.service  # noqa: F401  (registers the audit hook for every write below)
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.errors import field_error
from digipark.core.uploads import JPEG, PDF, PNG, TEXT, ZIP_OFFICE, UploadRule
from digipark.crud import Owner
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
EVIDENCE_UPLOAD = UploadRule(
    types={
        "application/pdf": PDF,
        "image/png": PNG,
        "image/jpeg": JPEG,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ZIP_OFFICE,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ZIP_OFFICE,
        "text/plain": TEXT,
        "text/csv": TEXT,
    },
    max_bytes=MAX_EVIDENCE_BYTES,
    accepted_names="PDF, PNG, JPEG, Word (.docx), Excel (.xlsx) or plain text",
)
"""Evidence of an assessment and a certificate's file."""


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


def enterprise_owner(session: Session, scope: Scope, data: BaseModel) -> Owner:
    """A record owned by the enterprise its input names (`enterprise_id`), or the caller's own."""
    enterprise = record_enterprise(session, scope, getattr(data, "enterprise_id", None))
    return enterprise.park_id, enterprise.id


def plain_values(values: dict[str, Any]) -> dict[str, Any]:
    """The input values as the columns store them: an enum member as its value."""
    return {key: value.value if isinstance(value, enum.Enum) else value for key, value in values.items()}


def writer_permission(scope: Scope) -> str:
    return WRITE if scope.can(WRITE) else SELF_WRITE


def checked_scenes(codes: builtins.list[str], field: str) -> builtins.list[str]:
    known = questionnaire().scene_by_code
    for code in codes:
        if code not in known:
            raise field_error(field, f"no scene {code!r}; scenes are S01–S{len(known):02d}")
    return builtins.list(dict.fromkeys(codes))
