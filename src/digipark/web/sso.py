"""Single sign-on, the account part: the identity an OpenID Connect provider vouched for becomes a user of the
platform. Its groups decide role, park and enterprise on every sign-in (the provider is the source of truth); the
first sign-in creates the account and links it by issuer + subject; an existing local account of the same name is
never taken over (the new account gets a free name)."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit import service as audit
from digipark.auth import oidc
from digipark.auth import service as auth_service
from digipark.auth.config import AuthSettings
from digipark.auth.models import ExternalIdentity, Role, User
from digipark.core.db import utcnow
from digipark.core.errors import PermissionDenied
from digipark.registry.models import Enterprise, Park

USERNAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.@\-]+")
USERNAME_MAX = 80


def _placement(session: Session, grant: oidc.GroupGrant) -> tuple[int, int | None]:
    park_id = session.scalar(select(Park.id).where(Park.code == grant.park))
    if park_id is None:
        raise PermissionDenied(f"the group map names park {grant.park!r}, which does not exist")
    enterprise_id: int | None = None
    if grant.role == Role.ENTERPRISE:
        if grant.enterprise_uscc is None:
            raise PermissionDenied("the group map gives the enterprise role without an enterprise")
        enterprise_id = session.scalar(
            select(Enterprise.id).where(Enterprise.park_id == park_id, Enterprise.uscc == grant.enterprise_uscc)
        )
        if enterprise_id is None:
            raise PermissionDenied(f"the group map names enterprise {grant.enterprise_uscc}, not in park {grant.park}")
    return park_id, enterprise_id


def _free_username(session: Session, identity: oidc.Identity) -> str:
    base = USERNAME_UNSAFE.sub("-", identity.username or identity.email or identity.subject).strip("-") or "sso"
    base = base[: USERNAME_MAX - 8]
    name = base
    while auth_service.get_by_username(session, username=name) is not None:
        name = f"{base}-{secrets.token_hex(3)}"
    return name


def sign_in(session: Session, *, settings: AuthSettings, identity: oidc.Identity) -> User:
    """The account of `identity`, created at its first sign-in; role, park and enterprise follow its groups."""
    group, grant = oidc.grant_for(identity.groups, oidc.group_map(settings))
    if grant.role == Role.REVIEWER:
        raise PermissionDenied("reviewers are appointed by the authority, not by single sign-on")
    park_id, enterprise_id = _placement(session, grant)
    link = session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == identity.issuer, ExternalIdentity.subject == identity.subject
        )
    )
    if link is None:
        user = User(
            username=_free_username(session, identity),
            display_name=(identity.name or identity.username or identity.subject)[:120],
            email=identity.email,
            # no password works: the account signs in through its provider only (until an admin resets it)
            password_hash="!sso-only",
            role=grant.role.value,
            park_id=park_id,
            enterprise_id=enterprise_id,
        )
        session.add(user)
        session.flush()
        session.add(ExternalIdentity(user_id=user.id, issuer=identity.issuer, subject=identity.subject))
        audit.record(
            session,
            action="sso_account_created",
            entity_type="app_user",
            entity_id=user.id,
            park_id=park_id,
            enterprise_id=enterprise_id,
            after={"issuer": identity.issuer, "subject": identity.subject, "group": group, "role": grant.role.value},
        )
    else:
        user = session.get_one(User, link.user_id)
        if not user.is_active:
            raise PermissionDenied("this account is deactivated")
        user.role, user.park_id, user.enterprise_id = grant.role.value, park_id, enterprise_id
        if grant.role != Role.ENTERPRISE:
            user.enterprise_admin = False
    user.last_login_at = utcnow()
    audit.record(
        session,
        action="sso_login",
        entity_type="app_user",
        entity_id=user.id,
        park_id=park_id,
        enterprise_id=enterprise_id,
        after={"issuer": identity.issuer, "group": group},
    )
    session.flush()
    return user
