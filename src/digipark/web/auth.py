"""Login and logout pages. The login form is protected by a double-submit CSRF cookie."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.audit import service as audit
from digipark.auth import service
from digipark.auth.dependencies import SESSION_COOKIE, DbSession, current_user
from digipark.auth.models import User
from digipark.core.config import get_settings
from digipark.web import i18n
from digipark.web.shell import CSRF_FIELD, PARK_COOKIE, CurrentPage, FormFields, render

LOGIN_CSRF_COOKIE = "dp_csrf"

router = APIRouter(include_in_schema=False)


def safe_next(value: str | None) -> str:
    """Only local paths: '/x' but not '//host' or '/\\host' (both leave the site in browsers)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(ch in value for ch in "\r\n\t"):
        return "/"
    return value


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().cookie_secure is True


def _login_form(
    request: Request, *, lang: str, next_path: str, username: str = "", error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"csrf_token": token, "next": next_path, "username": username, "error": error},
        lang=lang,
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path="/", secure=secure_cookies(request)
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, user: Annotated[User | None, Depends(current_user)], next: str | None = None
) -> Response:
    next_path = safe_next(next)
    if user is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_form(request, lang=i18n.choose(request), next_path=next_path)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, db: DbSession, form: FormFields) -> Response:
    lang = i18n.choose(request)
    gettext = i18n.translations(lang).gettext
    next_path = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    given = form.get(CSRF_FIELD, "")
    if not expected or not secrets.compare_digest(expected.encode(), given.encode()):
        return _login_form(
            request,
            lang=lang,
            next_path=next_path,
            username=username,
            status_code=403,
            error=gettext("The form expired. Please try again."),
        )
    password = form.get("password", "")
    if not username or not password:
        return _login_form(
            request,
            lang=lang,
            next_path=next_path,
            username=username,
            status_code=422,
            error=gettext("Enter your username and password."),
        )
    result = service.authenticate(db, username=username, password=password)
    if result.user is None:
        # answered, not raised: the failure counter, the lock and the audit entry are committed
        if result.error == "locked":
            error = gettext("Too many failed logins. The account is locked until %(time)s.") % {
                "time": i18n.local_time(result.locked_until)
            }
            status_code = 423
        elif result.error == "inactive":
            error, status_code = gettext("This account is disabled."), 403
        else:
            error, status_code = gettext("Wrong username or password."), 401
        return _login_form(
            request, lang=lang, next_path=next_path, username=username, error=error, status_code=status_code
        )
    raw, _web_session = service.create_web_session(db, user=result.user)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        path="/",
        secure=secure_cookies(request),
        max_age=get_settings().session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(page: CurrentPage, form: FormFields) -> Response:
    page.check_csrf(form)
    raw = page.request.cookies.get(SESSION_COOKIE)
    if raw:
        service.end_web_session(page.db, raw=raw)
        audit.record(
            page.db, action="logout", entity_type="app_user", entity_id=page.user.id, park_id=page.user.park_id
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(PARK_COOKIE, path="/")
    return response
