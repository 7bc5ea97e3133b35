"""Accounts: passwords, login with lockout, web sessions, API tokens, and building a user's scope."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth.config import get_auth_settings
from digipark.auth.models import ApiToken, Role, User, UserPark, WebSession
from digipark.auth.password_policy import check_password
from digipark.auth.permissions import ENTERPRISE_ADMIN
from digipark.auth.scope import Scope
from digipark.core.config import get_settings
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, field_error

TOKEN_PREFIX = "dp_"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password")


def hash_password(password: str, *, field: str = "password", personal: tuple[str | None, ...] = ()) -> str:
    """The argon2id hash of a new password that passes the password policy (422 otherwise)."""
    check_password(password, field=field, personal=personal)
    return _hasher().hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_matches(user: User, password: str) -> bool:
    return _password_matches(user.password_hash, password)


def get_by_username(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def create(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    park_id: int | None = None,
    enterprise_id: int | None = None,
    email: str | None = None,
    extra_park_ids: tuple[int, ...] = (),
) -> User:
    if get_by_username(session, username=username) is not None:
        raise Conflict(f"user {username!r} already exists")
    if role == Role.ENTERPRISE and enterprise_id is None:
        raise field_error("enterprise_id", "an enterprise user must belong to an enterprise")
    if role != Role.ENTERPRISE and enterprise_id is not None:
        raise field_error("enterprise_id", "only enterprise users belong to an enterprise")
    if role != Role.REVIEWER and park_id is None:
        raise field_error("park_id", "required for this role")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password, personal=(username, display_name, email)),
        role=role.value,
        park_id=park_id,
        enterprise_id=enterprise_id,
        email=email,
    )
    session.add(user)
    session.flush()
    for extra in extra_park_ids:
        session.add(UserPark(user_id=user.id, park_id=extra))
    session.flush()
    return user


def scope_for(session: Session, user: User) -> Scope:
    extra = frozenset(session.scalars(select(UserPark.park_id).where(UserPark.user_id == user.id)).all())
    scope = Scope.for_user(
        role=Role(user.role),
        username=user.username,
        user_id=user.id,
        park_id=user.park_id,
        extra_parks=extra,
        enterprise_id=user.enterprise_id,
    )
    if user.enterprise_admin and scope.role == Role.ENTERPRISE and scope.enterprise_id is not None:
        scope = dataclasses.replace(scope, permissions=scope.permissions | {ENTERPRISE_ADMIN})
    return scope


@dataclasses.dataclass
class LoginResult:
    user: User | None
    error: str | None = None  # "invalid" | "locked" | "inactive" | "expired"
    locked_until: dt.datetime | None = None


def authenticate(session: Session, *, username: str, password: str) -> LoginResult:
    """Check a password. Failures are counted and audited; the caller must commit even on failure."""
    settings = get_settings()
    user = get_by_username(session, username=username)
    now = utcnow()
    if user is None:
        _password_matches(_dummy_hash(), password)  # same work as a real check: no user enumeration by timing
        audit.record(
            session,
            action="login_failed",
            entity_type="app_user",
            after={"username": username, "reason": "unknown user"},
        )
        return LoginResult(None, "invalid")
    if user.locked_until is not None and user.locked_until > now:
        _password_matches(_dummy_hash(), password)  # the same work as for an unknown name: answered alike
        audit.record(
            session, action="login_refused_locked", entity_type="app_user", entity_id=user.id, park_id=user.park_id
        )
        return LoginResult(None, "locked", user.locked_until)
    if not _password_matches(user.password_hash, password):
        user.failed_logins += 1
        audit.record(
            session,
            action="login_failed",
            entity_type="app_user",
            entity_id=user.id,
            park_id=user.park_id,
            after={"username": username, "failed_logins": user.failed_logins},
        )
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
            user.failed_logins = 0
            audit.record(
                session,
                action="account_locked",
                entity_type="app_user",
                entity_id=user.id,
                park_id=user.park_id,
                after={"locked_until": user.locked_until.isoformat()},
            )
            return LoginResult(None, "locked", user.locked_until)
        return LoginResult(None, "invalid")
    if not user.is_active:
        return LoginResult(None, "inactive")
    if user.must_change_password and user.temporary_password_expires_at and user.temporary_password_expires_at <= now:
        return LoginResult(None, "expired")
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    if user.totp_enabled_at is None:  # with a second factor, failures count on until its code is right
        user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, action="login", entity_type="app_user", entity_id=user.id, park_id=user.park_id)
    return LoginResult(user)


def set_password(session: Session, *, user: User, password: str, field: str = "password") -> None:
    """Set a new password chosen by the user (a temporary password is set by `lifecycle.reset_password`)."""
    user.password_hash = hash_password(password, field=field, personal=(user.username, user.display_name, user.email))
    user.must_change_password = False
    user.temporary_password_expires_at = None
    audit.record(session, action="password_changed", entity_type="app_user", entity_id=user.id, park_id=user.park_id)


# -- web sessions --------------------------------------------------------------------------------------------
def create_web_session(session: Session, *, user: User, pending_second_factor: bool = False) -> tuple[str, WebSession]:
    """A browser session; one `pending_second_factor` admits only the second-factor pages until it is confirmed."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    web_session = WebSession(
        session_hash=sha256(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        pending_second_factor=pending_second_factor,
        created_at=now,
        expires_at=now + dt.timedelta(hours=get_settings().session_hours),
    )
    session.add(web_session)
    session.flush()
    return raw, web_session


def resolve_web_session(
    session: Session, *, raw: str, pending_second_factor: bool = False
) -> tuple[User, WebSession] | None:
    """The user of a live session; a session waiting for its second factor counts only when asked for as such."""
    found = session.execute(
        select(User, WebSession)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.session_hash == sha256(raw))
    ).first()
    if found is None:
        return None
    user, web_session = found
    if web_session.expires_at <= utcnow() or not user.is_active:
        return None
    if web_session.pending_second_factor != pending_second_factor:
        return None
    return user, web_session


def end_web_session(session: Session, *, raw: str) -> None:
    session.execute(delete(WebSession).where(WebSession.session_hash == sha256(raw)))


def end_all_web_sessions(session: Session, *, user: User) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def end_other_web_sessions(session: Session, *, user: User, keep_session_hash: str | None) -> None:
    stmt = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_hash is not None:
        stmt = stmt.where(WebSession.session_hash != keep_session_hash)
    session.execute(stmt)


def revoke_all_api_tokens(session: Session, *, user: User) -> None:
    now = utcnow()
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))):
        token.revoked = True
        token.revoked_at = now


# -- API tokens ----------------------------------------------------------------------------------------------
def create_api_token(
    session: Session, *, user: User, name: str, days: int | None = None, field: str = "days"
) -> tuple[str, ApiToken]:
    """A new bearer token (shown once); every token expires, at most `DIGIPARK_TOKEN_MAX_DAYS` days from now."""
    settings = get_auth_settings()
    days = settings.token_default_days if days is None else days
    if not 1 <= days <= settings.token_max_days:
        raise field_error(
            field, f"must be between 1 and {settings.token_max_days} days", maximum=settings.token_max_days
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(days=days)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=sha256(raw),
        prefix=raw[:10],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        action="api_token_created",
        entity_type="api_token",
        entity_id=token.id,
        park_id=user.park_id,
        after={"name": name, "prefix": token.prefix, "user_id": user.id, "expires_at": expires_at.isoformat()},
    )
    return raw, token


def resolve_api_token(session: Session, *, raw: str) -> User | None:
    found = resolve_api_token_row(session, raw=raw)
    return found[0] if found is not None else None


def resolve_api_token_row(session: Session, *, raw: str) -> tuple[User, ApiToken] | None:
    """The active user of a valid (not revoked, not expired) token, and the token: one query."""
    found = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == sha256(raw), ApiToken.revoked.is_(False))
    ).first()
    if found is None:
        return None
    user, token = found
    if (token.expires_at is not None and token.expires_at <= utcnow()) or not user.is_active:
        return None
    return user, token


def revoke_api_token(session: Session, *, user: User, token_id: int) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise NotFound(f"api_token {token_id} not found")
    token.revoked = True
    token.revoked_at = utcnow()
    audit.record(session, action="api_token_revoked", entity_type="api_token", entity_id=token.id, park_id=user.park_id)
