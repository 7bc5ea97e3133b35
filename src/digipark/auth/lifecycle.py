"""The life of an account after it is created: who manages whom, updates, deactivation, password change and reset,
and the API tokens of a user. A park administrator manages the accounts of its park; an enterprise administrator
those of its own enterprise. Accounts outside the caller's reach are not found (404), never forbidden."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth import service
from digipark.auth.config import get_auth_settings
from digipark.auth.models import ApiToken, Role, User
from digipark.auth.permissions import ENTERPRISE_ADMIN
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import NotFound, PermissionDenied, field_error

PARK_ADMIN = "user.manage"
# fields only a park administrator may change; an enterprise administrator changes names, e-mail, language, activity
PARK_ADMIN_FIELDS = frozenset({"role", "enterprise_admin"})


def may_manage(scope: Scope) -> bool:
    return scope.can(PARK_ADMIN) or scope.can(ENTERPRISE_ADMIN)


def manageable(scope: Scope) -> ColumnElement[bool]:
    """The accounts `scope` manages (403 when it manages none)."""
    if scope.can(PARK_ADMIN) and scope.park_id is not None:
        return User.park_id == scope.park_id
    if scope.can(ENTERPRISE_ADMIN) and scope.enterprise_id is not None and scope.park_id is not None:
        return (User.park_id == scope.park_id) & (User.enterprise_id == scope.enterprise_id)
    raise PermissionDenied(f"role {scope.role.value} may not manage accounts")


def list_users(session: Session, *, scope: Scope, include_inactive: bool = True) -> list[User]:
    stmt = select(User).where(manageable(scope)).order_by(User.id)
    if not include_inactive:
        stmt = stmt.where(User.is_active.is_(True))
    return list(session.scalars(stmt))


def get_user(session: Session, *, scope: Scope, user_id: int) -> User:
    user = session.scalar(select(User).where(manageable(scope), User.id == user_id))
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def update_user(session: Session, *, scope: Scope, user_id: int, changes: dict[str, Any]) -> User:
    """Change an account's fields; deactivating goes through `set_active` (it ends sessions and tokens)."""
    user = get_user(session, scope=scope, user_id=user_id)
    for name in changes.keys() & PARK_ADMIN_FIELDS:
        if not scope.can(PARK_ADMIN):
            raise PermissionDenied(f"only a park administrator may change {name}")
    if "is_active" in changes:
        set_active(session, scope=scope, user_id=user_id, active=bool(changes.pop("is_active")))
    role = Role(changes.get("role", user.role))
    if "role" in changes:
        if role == Role.REVIEWER:
            raise field_error("role", "reviewers are appointed by the authority (digipark users create)")
        if (role == Role.ENTERPRISE) != (user.enterprise_id is not None):
            raise field_error("role", "an account moves between enterprise and staff roles only by a new account")
        if user.id == scope.user_id and role != Role(user.role):
            raise field_error("role", "you may not change your own role")
    if changes.get("enterprise_admin") and role != Role.ENTERPRISE:
        raise field_error("enterprise_admin", "only enterprise users administer their enterprise")
    for name, value in changes.items():
        setattr(user, name, value.value if isinstance(value, Role) else value)
    session.flush()
    return user


def set_active(session: Session, *, scope: Scope, user_id: int, active: bool) -> User:
    """Activate or deactivate an account. Deactivating ends its sessions and revokes its tokens at once."""
    user = get_user(session, scope=scope, user_id=user_id)
    if not active and user.id == scope.user_id:
        raise field_error("is_active", "you may not deactivate your own account")
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        service.end_all_web_sessions(session, user=user)
        service.revoke_all_api_tokens(session, user=user)
    audit.record(
        session,
        action="user_activated" if active else "user_deactivated",
        entity_type="app_user",
        entity_id=user.id,
        park_id=user.park_id,
        enterprise_id=user.enterprise_id,
    )
    session.flush()
    return user


def reset_password(session: Session, *, scope: Scope, user_id: int) -> tuple[str, dt.datetime]:
    """Give an account a temporary password (shown once) that must be changed at the next login and expires; the
    account's sessions end and its tokens are revoked."""
    user = get_user(session, scope=scope, user_id=user_id)
    if user.id == scope.user_id:
        raise field_error("user_id", "change your own password with your current one")
    temporary = secrets.token_urlsafe(12)
    expires_at = utcnow() + dt.timedelta(hours=get_auth_settings().password_reset_hours)
    user.password_hash = service.hash_password(temporary)
    user.must_change_password = True
    user.temporary_password_expires_at = expires_at
    user.failed_logins = 0
    user.locked_until = None
    service.end_all_web_sessions(session, user=user)
    service.revoke_all_api_tokens(session, user=user)
    audit.record(
        session,
        action="password_reset",
        entity_type="app_user",
        entity_id=user.id,
        park_id=user.park_id,
        enterprise_id=user.enterprise_id,
        after={"expires_at": expires_at.isoformat()},
    )
    session.flush()
    return temporary, expires_at


def change_password(
    session: Session, *, user: User, current_password: str, new_password: str, keep_session_hash: str | None = None
) -> None:
    """The user's own change: the current password is required (422 on `current_password` when wrong); other
    sessions end (the one given by `keep_session_hash` stays)."""
    if not service.password_matches(user, current_password):
        audit.record(
            session, action="password_change_refused", entity_type="app_user", entity_id=user.id, park_id=user.park_id
        )
        raise field_error("current_password", "wrong password")
    if new_password == current_password:
        raise field_error("new_password", "must differ from the current password")
    service.set_password(session, user=user, password=new_password, field="new_password")
    service.end_other_web_sessions(session, user=user, keep_session_hash=keep_session_hash)
    session.flush()


# -- tokens ---------------------------------------------------------------------------------------------------
def list_tokens(session: Session, *, scope: Scope, user_id: int | None = None) -> list[tuple[ApiToken, User]]:
    """The caller's own tokens (`user_id` None), or those of an account it manages."""
    stmt = select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id.desc())
    if user_id is None or user_id == scope.user_id:
        stmt = stmt.where(ApiToken.user_id == scope.user_id)
    else:
        stmt = stmt.where(ApiToken.user_id == get_user(session, scope=scope, user_id=user_id).id)
    return [(token, user) for token, user in session.execute(stmt).all()]


def revoke_token(session: Session, *, scope: Scope, token_id: int) -> ApiToken:
    """Revoke one of the caller's tokens, or one of an account it manages (404 for any other)."""
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)
    ).first()
    if found is None:
        raise NotFound(f"api_token {token_id} not found")
    token, owner = found
    if owner.id != scope.user_id:
        if not may_manage(scope):
            raise NotFound(f"api_token {token_id} not found")
        get_user(session, scope=scope, user_id=owner.id)
    if not token.revoked:
        token.revoked = True
        token.revoked_at = utcnow()
        audit.record(
            session,
            action="api_token_revoked",
            entity_type="api_token",
            entity_id=token.id,
            park_id=owner.park_id,
            enterprise_id=owner.enterprise_id,
            after={"user_id": owner.id, "name": token.name, "prefix": token.prefix},
        )
    session.flush()
    return token
