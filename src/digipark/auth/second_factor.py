"""TOTP second factor (RFC 6238, through pyotp) with one-time recovery codes stored as SHA-256; the enrolment QR
code is drawn on the server as SVG (segno), so the secret never leaves the page that shows it."""

from __future__ import annotations

import datetime as dt
import io
import secrets

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.config import get_auth_settings
from digipark.auth.models import RecoveryCode, User, WebSession
from digipark.auth.service import sha256
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import field_error

# codes of the step before and after the current one are accepted too (clocks of phones drift)
VALID_WINDOW = 1
RECOVERY_CODE_BYTES = 6


def required_for(user: User) -> bool:
    """Whether the settings make this user's role use a second factor."""
    return user.role in get_auth_settings().totp_roles


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def begin_enrolment(session: Session, *, user: User) -> str:
    """A new secret for `user` (not yet in force); an enrolment started before is replaced."""
    if enabled(user):
        raise field_error("code", "a second factor is already set up")
    user.totp_secret = pyotp.random_base32()
    session.flush()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.username, issuer_name=get_auth_settings().totp_issuer
    )


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG element (no XML declaration)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=4, nl=False)
    return out.getvalue().decode("ascii")


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step whose code `code` is (within the window around now), if later than `after`."""
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = current + offset
        if (after is None or step > after) and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(session: Session, *, user: User, code: str) -> list[str]:
    """Put the second factor in force once the user proves the authenticator works; returns the recovery codes,
    shown this once."""
    if user.totp_secret is None or enabled(user):
        raise field_error("code", "start the set-up first")
    step = _matching_step(user.totp_secret, _normalised(code), None)
    if step is None:
        raise field_error("code", "wrong code")
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(session, user=user)
    audit.record(session, action="totp_enabled", entity_type="app_user", entity_id=user.id, park_id=user.park_id)
    session.flush()
    return codes


def _new_recovery_codes(session: Session, *, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(RECOVERY_CODE_BYTES) for _ in range(get_auth_settings().totp_recovery_codes)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=sha256(code)))
    return [f"{code[:6]}-{code[6:]}" for code in codes]


def verify(session: Session, *, user: User, code: str) -> bool:
    """Check a login's second factor: a current TOTP code not used before (a code seen once, at enrolment or a
    login, is refused afterwards), or an unused recovery code (then used up). Audited; a failure counts as a failed
    login (and locks the account like wrong passwords)."""
    if not enabled(user) or not code.strip():
        return False
    given = _normalised(code)
    assert user.totp_secret is not None
    step = _matching_step(user.totp_secret, given, user.totp_last_step) if given.isdigit() else None
    if step is not None:
        user.totp_last_step = step
        user.failed_logins = 0
        audit.record(
            session, action="second_factor_ok", entity_type="app_user", entity_id=user.id, park_id=user.park_id
        )
        return True
    recovery = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == sha256(given), RecoveryCode.used_at.is_(None)
        )
    )
    if recovery is not None:
        recovery.used_at = utcnow()
        user.failed_logins = 0
        audit.record(
            session, action="recovery_code_used", entity_type="app_user", entity_id=user.id, park_id=user.park_id
        )
        return True
    audit.record(
        session, action="second_factor_failed", entity_type="app_user", entity_id=user.id, park_id=user.park_id
    )
    _count_failure(session, user=user)
    return False


def _count_failure(session: Session, *, user: User) -> None:
    settings = get_settings()
    user.failed_logins += 1
    if user.failed_logins >= settings.login_max_failures:
        user.failed_logins = 0
        user.locked_until = utcnow() + dt.timedelta(minutes=settings.login_lock_minutes)
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(
            session,
            action="account_locked",
            entity_type="app_user",
            entity_id=user.id,
            park_id=user.park_id,
            after={"locked_until": user.locked_until.isoformat(), "by": "second factor"},
        )


def disable(session: Session, *, user: User) -> None:
    """Remove the second factor (an administrator's reset); the user enrols again where the role requires it."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, action="totp_disabled", entity_type="app_user", entity_id=user.id, park_id=user.park_id)
