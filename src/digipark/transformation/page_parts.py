"""What the transformation pages share: the label maps, names of levels, indicators and scenes, the page guards,
notices, problem texts, the write check for an enterprise and the multipart form reader."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Path as PathParam
from fastapi import Request
from sqlalchemy import select
from starlette.datastructures import UploadFile

from digipark.core.errors import DomainError, NotFound, PermissionDenied
from digipark.registry.models import Enterprise
from digipark.transformation.assessment import Questionnaire
from digipark.transformation.models import AdoptionKind, AssessmentStatus, CertificateScale, RequestStatus
from digipark.web.i18n import N_
from digipark.web.shell import Page

Ident = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


LEVEL_LABELS = {
    0: N_("Below level 1"),
    1: N_("Level 1"),
    2: N_("Level 2"),
    3: N_("Level 3"),
    4: N_("Level 4"),
}
NO_LEVEL = N_("No confirmed assessment")
STATUS_LABELS = {
    AssessmentStatus.DRAFT.value: N_("Draft"),
    AssessmentStatus.SUBMITTED.value: N_("Waiting for review"),
    AssessmentStatus.RETURNED.value: N_("Returned"),
    AssessmentStatus.CONFIRMED.value: N_("Confirmed"),
}
DIMENSION_LABELS = {"D1": N_("Digital foundation"), "D2": N_("Digital management"), "D3": N_("Digital results")}
INDICATOR_LABELS = {
    "D1.1": N_("Equipment and systems"),
    "D1.2": N_("Data collection"),
    "D1.3": N_("Information systems"),
    "D1.4": N_("Information security"),
    "D2.1": N_("Planning and management"),
    "D2.2": N_("Resources"),
    "D3.1": N_("Green and low-carbon"),
    "D3.2": N_("Product quality"),
    "D3.3": N_("Market performance"),
}
SCENE_LABELS = {
    "S01": N_("Product design"),
    "S02": N_("Process design"),
    "S03": N_("Marketing"),
    "S04": N_("After-sales service"),
    "S05": N_("Production planning and scheduling"),
    "S06": N_("Production control"),
    "S07": N_("Quality management"),
    "S08": N_("Equipment management"),
    "S09": N_("Production safety"),
    "S10": N_("Energy management"),
    "S11": N_("Procurement"),
    "S12": N_("Warehousing and logistics"),
    "S13": N_("Finance"),
    "S14": N_("Human resources"),
    "S15": N_("Office collaboration"),
    "S16": N_("Decision support"),
}
ADOPTION_LABELS = {
    AdoptionKind.INDUSTRIAL_INTERNET.value: N_("Industrial internet platform"),
    AdoptionKind.CLOUD.value: N_("On the cloud"),
    AdoptionKind.ROBOT.value: N_("Industrial robots"),
    AdoptionKind.AI.value: N_("AI application"),
    AdoptionKind.DIGITAL_PRODUCTION_SERVICE.value: N_("Digital production service"),
}
SCALE_LABELS = {
    CertificateScale.GBT39116.value: N_("Intelligent manufacturing maturity (GB/T 39116)"),
    CertificateScale.SMART_FACTORY.value: N_("Smart-factory gradient"),
}
REQUEST_LABELS = {
    RequestStatus.REQUESTED.value: N_("Requested"),
    RequestStatus.CONTACTED.value: N_("Contacted"),
    RequestStatus.IN_PROGRESS.value: N_("In progress"),
    RequestStatus.DONE.value: N_("Done"),
    RequestStatus.DECLINED.value: N_("Declined"),
}
KIND_LABELS = {"product": N_("Product"), "service": N_("Service")}
SECTIONS = ("D1", "D2", "D3", "scenes")
SCENE_LEVEL_LABELS = {0: N_("Not applied"), 1: N_("Level 1"), 2: N_("Level 2"), 3: N_("Level 3"), 4: N_("Level 4")}


def level_text(page: Page, level: int | None) -> str:
    return page.gettext(NO_LEVEL) if level is None else page.gettext(LEVEL_LABELS.get(level, str(level)))


def _name(page: Page, mapping: dict[str, str], code: str, fallback: str) -> str:
    return page.gettext(mapping[code]) if code in mapping else fallback


def indicator_name(page: Page, q: Questionnaire, code: str) -> str:
    found = next((i for i in q.indicators if i.code == code), None)
    return _name(page, INDICATOR_LABELS, code, found.name if found else code)


def scene_name(page: Page, q: Questionnaire, code: str) -> str:
    scene = q.scene_by_code.get(code)
    return _name(page, SCENE_LABELS, code, scene.name if scene else code)


def date_text(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def require_park(page: Page) -> int:
    if page.park is None:
        raise NotFound("your account is not assigned to a park")
    return page.park.id


def enterprise_or_404(page: Page, ident: int) -> Enterprise:
    found: Enterprise | None = page.db.scalar(page.scope.readable(Enterprise).where(Enterprise.id == ident))
    if found is None:
        raise NotFound(f"enterprise {ident} not found")
    return found


def enterprise_names(page: Page, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Enterprise.id, Enterprise.name).where(page.scope.condition(Enterprise), Enterprise.id.in_(ids))
    return {row[0]: page.enterprise_name(row[0], row[1]) for row in page.db.execute(stmt)}


def notice_of(page: Page) -> str | None:
    messages = {
        "saved": N_("Saved."),
        "submitted": N_("Submitted for the park's review."),
        "confirmed": N_("The assessment is confirmed."),
        "returned": N_("The assessment was returned to the enterprise."),
        "uploaded": N_("File uploaded."),
        "deleted": N_("Deleted."),
        "requested": N_("Your request was sent to the park."),
        "updated": N_("Updated."),
        "created": N_("Created."),
    }
    key = page.request.query_params.get("done", "")
    return page.gettext(messages[key]) if key in messages else None


def problem_texts(page: Page, exc: DomainError) -> list[str]:
    if exc.errors:
        return [f"{e.get('field') or ''}: {e.get('reason')}".strip(": ") for e in exc.errors]
    return [exc.detail]


def may_write_for(page: Page, enterprise: Enterprise, permission: str) -> bool:
    try:
        page.scope.authorize_write(permission, park_id=enterprise.park_id, enterprise_id=enterprise.id)
    except PermissionDenied:
        return False
    return True


async def multipart_form(request: Request) -> tuple[dict[str, str], UploadFile | None]:
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    upload = form.get("file")
    return fields, upload if isinstance(upload, UploadFile) and upload.filename else None
