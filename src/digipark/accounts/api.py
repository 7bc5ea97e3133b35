"""Accounts API: users, roles, enterprise links (park admins manage the users of their park)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from digipark.auth import service
from digipark.auth.dependencies import CurrentScope, CurrentUser, DbSession
from digipark.auth.models import Role, User
from digipark.auth.schemas import MeRead, TokenRead, TokenRequest, UserCreate, UserRead
from digipark.core.errors import PROBLEM_MEDIA_TYPE, AccountLocked, NotAuthenticated, field_error
from digipark.registry.models import Enterprise

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def login_failure_response(request: Request, result: service.LoginResult) -> JSONResponse:
    """A failed login is answered, not raised, so its counter and audit entry are committed."""
    error: AccountLocked | NotAuthenticated
    if result.error == "locked":
        until = result.locked_until.isoformat() if result.locked_until else "later"
        error = AccountLocked(f"too many failed logins; the account is locked until {until}")
    else:
        error = NotAuthenticated("wrong username or password")
    return JSONResponse(error.problem(request.url.path), status_code=error.status, media_type=PROBLEM_MEDIA_TYPE)


@router.post("/auth/token", response_model=TokenRead, responses={401: {}, 423: {}})
def issue_token(request: Request, body: TokenRequest, db: DbSession) -> TokenRead | JSONResponse:
    result = service.authenticate(db, username=body.username, password=body.password)
    if result.user is None:
        return login_failure_response(request, result)
    raw, token = service.create_api_token(db, user=result.user, name=body.token_name, days=body.days)
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


@router.get("/users", response_model=list[UserRead])
def list_users(db: DbSession, scope: CurrentScope) -> list[User]:
    scope.require("user.manage")
    return list(db.scalars(select(User).where(User.park_id == scope.park_id).order_by(User.id)))


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, db: DbSession, scope: CurrentScope) -> User:
    scope.require("user.manage")
    if body.role == Role.REVIEWER:
        raise field_error("role", "reviewers are appointed by the authority (digipark users create)")
    if body.enterprise_id is not None:
        enterprise = db.scalar(scope.readable(Enterprise).where(Enterprise.id == body.enterprise_id))
        if enterprise is None:
            raise field_error("enterprise_id", f"no enterprise {body.enterprise_id} in your park")
    return service.create(
        db,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        email=body.email,
        park_id=scope.park_id,
        enterprise_id=body.enterprise_id,
    )
