"""FastAPI dependencies: the request-scoped transaction and the caller's scope."""

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy.orm import Session

from digipark.audit.service import Actor, set_actor
from digipark.auth import service
from digipark.auth.models import User
from digipark.auth.scope import Scope
from digipark.auth.token_use import due, note_token_use, note_token_use_later
from digipark.core.db import transaction
from digipark.core.errors import NotAuthenticated, PermissionDenied

SESSION_COOKIE = "dp_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_WRITES_MARK = "__digipark_writes__"
Endpoint = TypeVar("Endpoint", bound=Callable[..., object])


def writes(endpoint: Endpoint) -> Endpoint:
    """Declare that a GET route writes (an export's audit entry, a read receipt): its request's transaction is a
    writing one from the start. Put it under the route decorator."""
    setattr(endpoint, _WRITES_MARK, True)
    return endpoint


def request_writes(request: Request) -> bool:
    """Whether the request's unit of work writes: every unsafe method, and the routes marked `writes`."""
    return request.method not in SAFE_METHODS or bool(getattr(request.scope.get("endpoint"), _WRITES_MARK, False))


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on error. A request that
    writes takes the write lock when it begins (a GET that writes says so with `writes`)."""
    with transaction(write=request_writes(request), name=f"{request.method} {request.url.path}") as db:
        yield db


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_user(request: Request, db: DbSession, after_response: BackgroundTasks) -> User | None:
    """The authenticated user, or None. Cookie-authenticated unsafe API calls must echo the CSRF token. A bearer
    token's use is noted (`auth.token_use`): in the request's transaction if it writes, else after the response."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    user: User | None = None
    raw_token = _bearer(request)
    if raw_token:
        resolved = service.resolve_api_token_row(db, raw=raw_token)
        if resolved is None:
            raise NotAuthenticated("the bearer token is invalid, expired or revoked")
        user, token = resolved
        if due(token.token_hash, token.last_used_at):
            if request_writes(request):
                note_token_use(db, token_id=token.id)
            else:
                after_response.add_task(note_token_use_later, token.id)
    elif raw_session := request.cookies.get(SESSION_COOKIE):
        found = service.resolve_web_session(db, raw=raw_session)
        if found is not None:
            user, web_session = found
            request.state.csrf_token = web_session.csrf_token
            if (
                request.method not in SAFE_METHODS
                and request.url.path.startswith("/api/")
                and request.headers.get(CSRF_HEADER) != web_session.csrf_token
            ):
                raise PermissionDenied(f"missing or wrong {CSRF_HEADER} header for a cookie-authenticated call")
    request.state.user = user
    if user is not None:
        set_actor(db, Actor(user.username, user.role, user.id))
    return user


def require_user(user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise NotAuthenticated("log in or send an API bearer token")
    return user


def get_scope(request: Request, db: DbSession, user: Annotated[User, Depends(require_user)]) -> Scope:
    if not hasattr(request.state, "scope"):
        request.state.scope = service.scope_for(db, user)
    return request.state.scope  # type: ignore[no-any-return]


CurrentUser = Annotated[User, Depends(require_user)]
CurrentScope = Annotated[Scope, Depends(get_scope)]
