"""What the login pages share: safe redirect targets, the cookie flags, starting the session of a user whose password
(or single sign-on) was accepted, and the reasons a new password is refused."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from digipark.auth import second_factor, service
from digipark.auth.config import get_auth_settings
from digipark.auth.dependencies import SESSION_COOKIE
from digipark.auth.models import User
from digipark.core.config import get_settings
from digipark.core.errors import ValidationFailed
from digipark.web import i18n

LOGIN_CSRF_COOKIE = "dp_csrf"


def safe_next(value: str | None) -> str:
    """Only local paths: '/x' but not '//host' or '/\\host' (both leave the site in browsers)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or any(ch in value for ch in "\r\n\t"):
        return "/"
    return value


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or get_settings().cookie_secure is True


def signed_in(request: Request, db: Session, user: User, next_path: str, *, pending: bool | None = None) -> Response:
    """Start the browser session of a user whose password (or single sign-on) was accepted. Where a second factor
    is set up or the role requires one, the session first admits only the second-factor page."""
    if pending is None:
        pending = second_factor.enabled(user) or second_factor.required_for(user)
    raw, _web_session = service.create_web_session(db, user=user, pending_second_factor=pending)
    target = "/login/second-factor?next=" + quote(next_path, safe="/") if pending else next_path
    response = RedirectResponse(target, status_code=303)
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


def password_problem(lang: str, exc: ValidationFailed) -> str:
    """The translated reason a new password was refused by the password policy."""
    gettext = i18n.translations(lang).gettext
    code = exc.errors[0].get("code") if exc.errors else None
    if code == "too_short":
        return gettext("The password is too short: at least %(length)s characters.") % {
            "length": get_auth_settings().password_min_length
        }
    return gettext(
        "The password is too easy to guess (a common password, a word, a name, a pattern or a repetition). "
        "Use a longer phrase of unrelated words."
    )
