"""Accounts API: login tokens, the caller's own password and tokens, and the accounts a park administrator (its
park's) or an enterprise administrator (its enterprise's) manages."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from digipark.auth import lifecycle, second_factor, service
from digipark.auth.dependencies import SESSION_COOKIE, CurrentScope, CurrentUser, DbSession
from digipark.auth.models import ApiToken, Role, User
from digipark.auth.schemas import (
    ApiTokenRead,
    MeRead,
    PasswordChange,
    PasswordResetRead,
    TokenCreate,
    TokenRead,
    TokenRequest,
    UserCreate,
    UserRead,
    UserUpdate,
)
from digipark.core.errors import PROBLEM_MEDIA_TYPE, DomainError, NotAuthenticated, PermissionDenied, field_error
from digipark.registry.models import Enterprise

router = APIRouter(prefix="/api/v1", tags=["accounts"])

Ident = Annotated[int, Path(ge=1, le=2**31 - 1)]
# one answer for an unknown name, a wrong password, a wrong second factor, a locked and a deactivated account
LOGIN_REFUSED = "wrong username or password (or code), or the account is locked for a while after failed logins"


def login_failure_response(request: Request, result: service.LoginResult) -> JSONResponse:
    """A failed login is answered, not raised, so its counter and audit entry are committed."""
    error: DomainError
    if result.error == "expired":  # said only to whoever gave the right temporary password
        error = NotAuthenticated("the temporary password has expired; ask your administrator for a new one")
    else:
        error = NotAuthenticated(LOGIN_REFUSED)
    return JSONResponse(error.problem(request.url.path), status_code=error.status, media_type=PROBLEM_MEDIA_TYPE)


def token_read(token: ApiToken, user: User) -> ApiTokenRead:
    values = {name: getattr(token, name) for name in ApiTokenRead.model_fields if name != "username"}
    return ApiTokenRead.model_validate({**values, "username": user.username})


@router.post("/auth/token", response_model=TokenRead, responses={401: {}, 403: {}, 422: {}})
def issue_token(request: Request, body: TokenRequest, db: DbSession) -> TokenRead | JSONResponse:
    result = service.authenticate(db, username=body.username, password=body.password)
    if result.user is None:
        return login_failure_response(request, result)
    user = result.user
    if second_factor.enabled(user) and not second_factor.verify(db, user=user, code=body.otp or ""):
        return login_failure_response(request, service.LoginResult(None, "invalid"))
    if user.must_change_password:
        error = PermissionDenied("change the temporary password first (log in on the web pages)")
        return JSONResponse(error.problem(request.url.path), status_code=403, media_type=PROBLEM_MEDIA_TYPE)
    raw, token = service.create_api_token(db, user=user, name=body.token_name, days=body.days)
    return TokenRead(access_token=raw, expires_at=token.expires_at)


@router.get("/auth/me", response_model=MeRead)
def me(user: CurrentUser, scope: CurrentScope) -> MeRead:
    return MeRead.model_validate(
        {
            **UserRead.model_validate(user).model_dump(),
            "permissions": sorted(scope.permissions),
            "read_parks": sorted(scope.read_parks),
        }
    )


@router.post("/auth/password", status_code=204, responses={422: {}})
def change_password(request: Request, body: PasswordChange, db: DbSession, user: CurrentUser) -> Response:
    """Change your own password (the current one is required); your other sessions end."""
    raw_session = request.cookies.get(SESSION_COOKIE)
    lifecycle.change_password(
        db,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_hash=service.sha256(raw_session) if raw_session else None,
    )
    return Response(status_code=204)


@router.get("/auth/tokens", response_model=list[ApiTokenRead])
def my_tokens(db: DbSession, scope: CurrentScope) -> list[ApiTokenRead]:
    return [token_read(token, owner) for token, owner in lifecycle.list_tokens(db, scope=scope)]


@router.post("/auth/tokens", response_model=TokenRead, status_code=201, responses={422: {}})
def create_my_token(body: TokenCreate, db: DbSession, user: CurrentUser) -> TokenRead:
    raw, token = service.create_api_token(db, user=user, name=body.name, days=body.days)
    return TokenRead(access_token=raw, expires_at=token.expires_at)


@router.delete("/auth/tokens/{token_id}", status_code=204)
def revoke_token(token_id: Ident, db: DbSession, scope: CurrentScope) -> Response:
    """Revoke one of your tokens, or one of an account you manage."""
    lifecycle.revoke_token(db, scope=scope, token_id=token_id)
    return Response(status_code=204)


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, scope: CurrentScope) -> list[User]:
    return lifecycle.list_users(db, scope=scope)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, db: DbSession, scope: CurrentScope) -> User:
    lifecycle.manageable(scope)
    enterprise_id = body.enterprise_id
    if not scope.can(lifecycle.PARK_ADMIN):  # an enterprise administrator adds colleagues of its enterprise
        if body.role != Role.ENTERPRISE:
            raise field_error("role", "you may add enterprise users only")
        if body.enterprise_admin:
            raise PermissionDenied("only a park administrator names enterprise administrators")
        if enterprise_id not in (None, scope.enterprise_id):
            raise field_error("enterprise_id", f"no enterprise {enterprise_id} in your reach")
        enterprise_id = scope.enterprise_id
    if body.role == Role.REVIEWER:
        raise field_error("role", "reviewers are appointed by the authority (digipark users create)")
    if enterprise_id is not None and scope.can(lifecycle.PARK_ADMIN):
        enterprise = db.scalar(scope.readable(Enterprise).where(Enterprise.id == enterprise_id))
        if enterprise is None:
            raise field_error("enterprise_id", f"no enterprise {enterprise_id} in your park")
    if body.enterprise_admin and body.role != Role.ENTERPRISE:
        raise field_error("enterprise_admin", "only enterprise users administer their enterprise")
    user = service.create(
        db,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
        park_id=scope.park_id,
        enterprise_id=enterprise_id,
    )
    user.enterprise_admin = body.enterprise_admin
    db.flush()
    return user


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: Ident, db: DbSession, scope: CurrentScope) -> User:
    return lifecycle.get_user(db, scope=scope, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserRead, responses={422: {}})
def update_user(user_id: Ident, body: UserUpdate, db: DbSession, scope: CurrentScope) -> User:
    lifecycle.manageable(scope)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for name in ("display_name", "language", "role", "is_active", "enterprise_admin"):
        if name in changes and changes[name] is None:
            raise field_error(name, "may not be empty")
    return lifecycle.update_user(db, scope=scope, user_id=user_id, changes=changes)


@router.post("/users/{user_id}/deactivate", response_model=UserRead)
def deactivate_user(user_id: Ident, db: DbSession, scope: CurrentScope) -> User:
    """Deactivate an account: it cannot log in, its sessions end and its tokens are revoked."""
    return lifecycle.set_active(db, scope=scope, user_id=user_id, active=False)


@router.post("/users/{user_id}/activate", response_model=UserRead)
def activate_user(user_id: Ident, db: DbSession, scope: CurrentScope) -> User:
    return lifecycle.set_active(db, scope=scope, user_id=user_id, active=True)


@router.post("/users/{user_id}/password-reset", response_model=PasswordResetRead)
def reset_password(user_id: Ident, db: DbSession, scope: CurrentScope) -> PasswordResetRead:
    """A temporary password, shown once, that the user must change at the next login."""
    temporary, expires_at = lifecycle.reset_password(db, scope=scope, user_id=user_id)
    return PasswordResetRead(user_id=user_id, temporary_password=temporary, expires_at=expires_at)


@router.post("/users/{user_id}/second-factor-reset", response_model=UserRead)
def reset_second_factor(user_id: Ident, db: DbSession, scope: CurrentScope) -> User:
    """Remove an account's TOTP second factor (a lost phone); it enrols again where its role requires one."""
    user = lifecycle.get_user(db, scope=scope, user_id=user_id)
    second_factor.disable(db, user=user)
    return user


@router.get("/users/{user_id}/tokens", response_model=list[ApiTokenRead])
def user_tokens(user_id: Ident, db: DbSession, scope: CurrentScope) -> list[ApiTokenRead]:
    return [token_read(token, owner) for token, owner in lifecycle.list_tokens(db, scope=scope, user_id=user_id)]
