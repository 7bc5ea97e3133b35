"""Login and logout pages. The login form is protected by a double-submit CSRF cookie. After the password come,
where they apply, the change of a temporary password (on the login form's CSRF cookie) and the second factor (on a
session that admits only the second-factor pages until it is confirmed: `digipark.web.signin`)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from digipark.audit import service as audit
from digipark.auth import service
from digipark.auth.config import get_auth_settings
from digipark.auth.dependencies import SESSION_COOKIE, DbSession, current_user
from digipark.auth.models import User
from digipark.core.errors import ValidationFailed
from digipark.web import i18n, signin
from digipark.web.login_flow import LOGIN_CSRF_COOKIE, password_problem, safe_next, secure_cookies, signed_in
from digipark.web.shell import CSRF_FIELD, PARK_COOKIE, CurrentPage, FormFields, render

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)

__all__ = ["password_problem", "router", "safe_next", "secure_cookies"]


def _login_form(
    request: Request,
    *,
    lang: str,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    template: str = "login.html",
    field_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        template,
        {
            "csrf_token": token,
            "next": next_path,
            "username": username,
            "error": error,
            "field_errors": field_errors or {},
            "single_sign_on": get_auth_settings().oidc_issuer is not None,
        },
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
        return _refused(request, lang=lang, next_path=next_path, username=username, result=result)
    if result.user.must_change_password:
        return _login_form(request, lang=lang, next_path=next_path, username=username, template="login_password.html")
    return signed_in(request, db, result.user, next_path)


def _refused(
    request: Request, *, lang: str, next_path: str, username: str, result: service.LoginResult
) -> HTMLResponse:
    """A refused login, answered (not raised) so the failure counter, the lock and the audit entry are committed.
    An unknown name, a wrong password, a locked and a deactivated account get the same answer."""
    gettext = i18n.translations(lang).gettext
    if result.error == "expired":
        error = gettext("The temporary password has expired. Ask your administrator for a new one.")
    else:
        error = gettext("Wrong username or password, or the account is locked for a while after failed logins.")
    return _login_form(request, lang=lang, next_path=next_path, username=username, error=error, status_code=401)


@router.post("/login/password", response_class=HTMLResponse)
def login_with_new_password(request: Request, db: DbSession, form: FormFields) -> Response:
    """The login of an account with a temporary password: the temporary password once more and a new one."""
    lang = i18n.choose(request)
    gettext = i18n.translations(lang).gettext
    next_path = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), form.get(CSRF_FIELD, "").encode()):
        return _login_form(
            request,
            lang=lang,
            next_path=next_path,
            username=username,
            status_code=403,
            error=gettext("The form expired. Please try again."),
        )
    result = service.authenticate(db, username=username, password=form.get("password", ""))
    if result.user is None:
        return _refused(request, lang=lang, next_path=next_path, username=username, result=result)
    new_password = form.get("new_password", "")
    problems: dict[str, str] = {}
    if new_password != form.get("new_password_repeat", ""):
        problems["new_password_repeat"] = gettext("The two new passwords differ.")
    elif new_password == form.get("password", ""):
        problems["new_password"] = gettext("Choose a password different from the temporary one.")
    else:
        try:
            with db.begin_nested():
                service.set_password(db, user=result.user, password=new_password, field="new_password")
        except ValidationFailed as exc:
            problems["new_password"] = password_problem(lang, exc)
    if problems:
        return _login_form(
            request,
            lang=lang,
            next_path=next_path,
            username=username,
            template="login_password.html",
            field_errors=problems,
            status_code=422,
        )
    return signed_in(request, db, result.user, next_path)


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
