"""Sign-in pages after the password: the second factor (a TOTP code or a recovery code, or the enrolment that a
role's policy requires), and single sign-on through an OpenID Connect provider. The session they work on waits for
its second factor and admits nothing else (`digipark.auth.service.resolve_web_session`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from digipark.auth import oidc, second_factor, service
from digipark.auth.config import get_auth_settings
from digipark.auth.dependencies import SESSION_COOKIE, DbSession
from digipark.auth.models import User, WebSession
from digipark.core.config import get_settings
from digipark.core.db import transaction, utcnow
from digipark.core.errors import DomainError, ValidationFailed
from digipark.web import i18n, sso
from digipark.web.i18n import N_
from digipark.web.login_flow import safe_next, secure_cookies, signed_in
from digipark.web.shell import CSRF_FIELD, FormFields, render

router = APIRouter(include_in_schema=False)

SSO_EXPIRED = N_("The single sign-on expired or was not started here. Please try again.")
SSO_UNVERIFIED = N_("The identity provider's answer could not be verified.")
SSO_NO_ACCESS = N_("Your account at the identity provider gives no access to this platform.")
OIDC_COOKIE = "dp_oidc"
OIDC_COOKIE_MAX_AGE_S = 600


def _pending(request: Request, db: Session) -> tuple[User, WebSession] | None:
    raw = request.cookies.get(SESSION_COOKIE)
    return service.resolve_web_session(db, raw=raw, pending_second_factor=True) if raw else None


def _form(
    request: Request,
    web_session: WebSession,
    *,
    next_path: str,
    mode: str,
    error: str | None = None,
    status_code: int = 200,
    qr_svg: str | None = None,
    secret: str | None = None,
    recovery_codes: list[str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "accounts/second_factor.html",
        {
            "csrf_token": web_session.csrf_token,
            "next": next_path,
            "mode": mode,
            "error": error,
            "qr_svg": qr_svg,
            "secret": secret,
            "recovery_codes": recovery_codes or [],
        },
        lang=i18n.choose(request),
        status_code=status_code,
    )


def _checked(request: Request, web_session: WebSession, form: dict[str, str]) -> bool:
    return secrets.compare_digest(web_session.csrf_token.encode(), form.get(CSRF_FIELD, "").encode())


@router.get("/login/second-factor", response_class=HTMLResponse)
def second_factor_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    found = _pending(request, db)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user, web_session = found
    mode = "code" if second_factor.enabled(user) else "enrol"
    return _form(request, web_session, next_path=safe_next(next), mode=mode)


@router.post("/login/second-factor", response_class=HTMLResponse)
def second_factor_check(request: Request, db: DbSession, form: FormFields) -> Response:
    """Check the code; wrong codes count as failed logins (and lock the account like wrong passwords)."""
    found = _pending(request, db)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user, web_session = found
    next_path = safe_next(form.get("next"))
    gettext = i18n.translations(i18n.choose(request)).gettext
    if not _checked(request, web_session, form):
        return _form(
            request,
            web_session,
            next_path=next_path,
            mode="code",
            status_code=403,
            error=gettext("The form expired. Please try again."),
        )
    if second_factor.verify(db, user=user, code=form.get("code", "")):
        web_session.pending_second_factor = False
        user.failed_logins = 0
        return RedirectResponse(next_path, status_code=303)
    if user.locked_until is not None and user.locked_until > utcnow():  # too many wrong codes: start again
        return RedirectResponse("/login", status_code=303)
    return _form(
        request,
        web_session,
        next_path=next_path,
        mode="code",
        status_code=422,
        error=gettext("Wrong code. Enter the current code of your authenticator app, or a recovery code."),
    )


@router.post("/login/second-factor/enrol", response_class=HTMLResponse)
def enrol_start(request: Request, db: DbSession, form: FormFields) -> Response:
    """A new secret and its QR code (drawn on the server as SVG)."""
    found = _pending(request, db)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user, web_session = found
    next_path = safe_next(form.get("next"))
    if not _checked(request, web_session, form) or second_factor.enabled(user):
        return RedirectResponse("/login/second-factor?next=" + quote(next_path, safe="/"), status_code=303)
    secret = second_factor.begin_enrolment(db, user=user)
    uri = second_factor.provisioning_uri(user)
    return _form(
        request, web_session, next_path=next_path, mode="confirm", qr_svg=second_factor.qr_svg(uri), secret=secret
    )


@router.post("/login/second-factor/confirm", response_class=HTMLResponse)
def enrol_confirm(request: Request, db: DbSession, form: FormFields) -> Response:
    """The first code proves the authenticator works: the second factor is in force, the session confirmed, and
    the recovery codes are shown once."""
    found = _pending(request, db)
    if found is None:
        return RedirectResponse("/login", status_code=303)
    user, web_session = found
    next_path = safe_next(form.get("next"))
    gettext = i18n.translations(i18n.choose(request)).gettext
    if not _checked(request, web_session, form) or user.totp_secret is None:
        return RedirectResponse("/login/second-factor?next=" + quote(next_path, safe="/"), status_code=303)
    try:
        with db.begin_nested():
            codes = second_factor.confirm_enrolment(db, user=user, code=form.get("code", ""))
    except ValidationFailed:
        uri = second_factor.provisioning_uri(user)
        return _form(
            request,
            web_session,
            next_path=next_path,
            mode="confirm",
            status_code=422,
            qr_svg=second_factor.qr_svg(uri),
            secret=user.totp_secret,
            error=gettext("Wrong code. Enter the current code of your authenticator app."),
        )
    web_session.pending_second_factor = False
    return _form(request, web_session, next_path=next_path, mode="done", recovery_codes=codes)


# -- OpenID Connect ---------------------------------------------------------------------------------------------
def _sign(payload: dict[str, str]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    mac = hmac.new(get_settings().secret_key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unsign(value: str) -> dict[str, str] | None:
    body, _, mac = value.rpartition(".")
    expected = hmac.new(get_settings().secret_key.encode(), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _redirect_uri(request: Request) -> str:
    configured = get_auth_settings().oidc_redirect_url
    return configured or str(request.url_for("oidc_callback"))


def _sso_refused(request: Request, message: str, status_code: int) -> HTMLResponse:
    lang = i18n.choose(request)
    gettext = i18n.translations(lang).gettext
    return render(
        request,
        "accounts/sso_refused.html",
        {"message": gettext(message)},
        lang=lang,
        status_code=status_code,
    )


@router.get("/login/oidc")
def oidc_start(request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider; state, nonce and the PKCE verifier wait in a signed, short-lived cookie."""
    settings = get_auth_settings()
    if settings.oidc_issuer is None:
        return RedirectResponse("/login", status_code=303)
    auth_request = oidc.authorization_request(settings, redirect_uri=_redirect_uri(request))
    response = RedirectResponse(auth_request.url, status_code=303)
    cookie = _sign(
        {
            "state": auth_request.state,
            "nonce": auth_request.nonce,
            "verifier": auth_request.code_verifier,
            "next": safe_next(next),
        }
    )
    response.set_cookie(
        OIDC_COOKIE,
        cookie,
        max_age=OIDC_COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        path="/login/oidc",
        secure=secure_cookies(request),
    )
    return response


@router.get("/login/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, code: str = "", state: str = "") -> Response:
    """The provider's answer: the state must match the cookie's, the ID token must carry the cookie's nonce."""
    settings = get_auth_settings()
    pending = _unsign(request.cookies.get(OIDC_COOKIE, ""))
    if settings.oidc_issuer is None or pending is None or not code:
        return _sso_refused(request, SSO_EXPIRED, 400)
    if not state or not secrets.compare_digest(pending.get("state", "").encode(), state.encode()):
        return _sso_refused(request, SSO_EXPIRED, 400)
    try:
        identity = oidc.complete(
            settings,
            redirect_uri=_redirect_uri(request),
            code=code,
            code_verifier=pending.get("verifier", ""),
            nonce=pending.get("nonce", ""),
        )
    except DomainError:
        return _sso_refused(request, SSO_UNVERIFIED, 401)
    # a GET that signs in writes: it declares its own write transaction
    try:
        with transaction(write=True) as db:
            user = sso.sign_in(db, settings=settings, identity=identity)
            response = signed_in(request, db, user, pending.get("next", "/"), pending=False)
    except DomainError:
        return _sso_refused(request, SSO_NO_ACCESS, 403)
    response.delete_cookie(OIDC_COOKIE, path="/login/oidc")
    return response
