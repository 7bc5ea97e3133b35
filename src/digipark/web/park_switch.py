"""The header's park switcher: a user who reads several parks chooses the one every page acts in (kept in the
`dp_park` cookie, read by `shell.chosen_park_id`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from digipark.core.errors import field_error
from digipark.web.auth import safe_next, secure_cookies
from digipark.web.shell import PARK_COOKIE, CurrentPage, FormFields

PARK_COOKIE_DAYS = 365

router = APIRouter(include_in_schema=False)


@router.post("/park", name="choose_park")
def choose_park(page: CurrentPage, form: FormFields) -> Response:
    """Act in the posted park (one the user reads; another is not found), then go back to the posted local path."""
    page.check_csrf(form)
    raw = form.get("park_id", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise field_error("park_id", "the id of a park you may read")
    park_id = page.scope.acting_park(int(raw))
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    response.set_cookie(
        PARK_COOKIE,
        str(park_id),
        max_age=PARK_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        path="/",
        secure=secure_cookies(page.request),
    )
    return response
