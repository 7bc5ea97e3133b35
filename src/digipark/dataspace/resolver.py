"""The identifier resolver: a lean HTTP service (`digipark resolver`, raw Starlette on uvicorn, one or more
processes) answering `GET /api/v1/dataspace/identifiers/resolve?handle=...` like the API does, from memory.

Like Handle/IDIS resolvers it runs apart from the web application and answers from a cache:
- records (`resolution.Entry`) are loaded when the process starts (the newest `CACHE_ENTRIES`), others and
  "not registered" cached on first use; every `REFRESH_S` it reads the identifiers' generation and forgets the
  handles changed since (`dataspace.resolution`: any change of an identifier, its owner's name or the device it
  marks), so a change is served within about a second;
- a caller's bearer token or web session is checked against the database and its scope kept for `AUTH_TTL_S` (a
  revoked token or deactivated user is refused within that time; while the database is out of reach, until the
  credential expires); tenancy is the API's: the park's members resolve, the device shown only to who may read it
  (`resolution.present`);
- resolutions are counted in memory and added to the statistics every `REFRESH_S` in one write, and once more when
  the process stops; a write that fails keeps its counts for the next.
A reverse proxy sends that path (and `/healthz` for its checks) to the resolver processes, the rest to
`digipark serve`; the API's own route answers the same where no resolver runs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from digipark.auth import service as auth_service
from digipark.auth.dependencies import SESSION_COOKIE
from digipark.auth.scope import Scope
from digipark.auth.token_use import due, note_token_use_later
from digipark.core.db import RETRY_AFTER_S, transaction, utcnow
from digipark.core.errors import (
    PROBLEM_MEDIA_TYPE,
    DomainError,
    NotAuthenticated,
    NotFound,
    ServiceBusy,
    field_error,
)
from digipark.dataspace import identifiers, resolution

log = logging.getLogger("digipark.resolver")

PATH = "/api/v1/dataspace/identifiers/resolve"
REFRESH_S = 1.0
"""How often a resolver reads the identifier generation and writes the resolutions it counted."""
AUTH_TTL_S = 10.0
"""How long a resolver trusts a token or web session it checked."""
CACHE_ENTRIES = 200_000
"""Records (and unknown handles) a resolver process keeps; the oldest go first."""
FLUSH_LOCK_TIMEOUT_MS = 5000
"""How long writing the counts waits for a row another transaction holds before it gives up until the next time."""
_TRUE = frozenset({"1", "true", "yes", "on"})


class Cached:
    __slots__ = ("entry", "served")

    def __init__(self, entry: resolution.Entry | None) -> None:
        self.entry = entry
        self.served = 0  # resolutions this process answered from this entry


class RecordCache:
    """Records by handle, valid for one generation of the database's identifiers."""

    def __init__(self, capacity: int = CACHE_ENTRIES) -> None:
        self.capacity = capacity
        self.generation: int | None = None
        self._entries: dict[str, Cached] = {}
        self._lock = threading.Lock()

    def get(self, handle: str) -> Cached | None:
        return self._entries.get(handle)

    def put(self, handle: str, entry: resolution.Entry | None, *, read_at: int | None) -> Cached:
        """Keep `entry`, read while the cache was at generation `read_at`, unless the generation moved since (it
        may be older than the change that moved it)."""
        cached = Cached(entry)
        with self._lock:
            if read_at is not None and read_at == self.generation:
                if len(self._entries) >= self.capacity:
                    del self._entries[next(iter(self._entries))]
                cached = self._entries.setdefault(handle, cached)
        return cached

    def replace(self, generation: int, entries: dict[str, resolution.Entry]) -> None:
        with self._lock:
            self._entries = {handle: Cached(entry) for handle, entry in entries.items()}
            self.generation = generation

    def forget(self, generation: int, handles: frozenset[str]) -> None:
        with self._lock:
            for handle in handles:
                self._entries.pop(handle, None)
            self.generation = generation


class Credentials:
    """Scopes of the bearer tokens and web sessions seen, each trusted for `AUTH_TTL_S` (never past its expiry)."""

    def __init__(self, ttl_s: float = AUTH_TTL_S, capacity: int = 100_000) -> None:
        self.ttl_s = ttl_s
        self.capacity = capacity
        # credential -> (scope, trusted until, expires at): monotonic seconds
        self._scopes: dict[tuple[str, str], tuple[Scope, float, float]] = {}

    def lookup(self, request: Request) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return "bearer", value.strip()
        if cookie := request.cookies.get(SESSION_COOKIE):
            return "session", cookie
        raise NotAuthenticated("log in or send an API bearer token")

    def cached(self, key: tuple[str, str], *, database_down: bool = False) -> Scope | None:
        """The scope of a credential checked less than `ttl_s` ago; with `database_down`, of one checked at any time
        and not expired (it cannot be revoked meanwhile)."""
        found = self._scopes.get(key)
        if found is None:
            return None
        scope, trusted_until, expires = found
        return scope if (expires if database_down else trusted_until) > time.monotonic() else None

    def check(self, key: tuple[str, str]) -> Scope:
        """The scope of the credential `key`, from the database (a worker thread)."""
        kind, raw = key
        note: int | None = None
        with transaction(name="resolver credentials") as db:
            now = utcnow()
            if kind == "bearer":
                token_found = auth_service.resolve_api_token_row(db, raw=raw)
                if token_found is None:
                    raise NotAuthenticated("the bearer token is invalid, expired or revoked")
                user, token = token_found
                expires_at = token.expires_at
                if due(token.token_hash, token.last_used_at):
                    note = token.id
            else:
                session_found = auth_service.resolve_web_session(db, raw=raw)
                if session_found is None:
                    raise NotAuthenticated("log in or send an API bearer token")
                user, web_session = session_found
                expires_at = web_session.expires_at
            scope = auth_service.scope_for(db, user)
        if note is not None:
            note_token_use_later(note)
        checked = time.monotonic()
        lifetime = float("inf") if expires_at is None else (expires_at - now).total_seconds()
        if len(self._scopes) >= self.capacity:
            self._scopes.clear()
        self._scopes[key] = (scope, checked + min(self.ttl_s, lifetime), checked + lifetime)
        return scope


class Resolver:
    """One resolver process's state: its record cache, the credentials it trusts, the resolutions not yet written."""

    def __init__(
        self, *, cache_entries: int = CACHE_ENTRIES, auth_ttl_s: float = AUTH_TTL_S, refresh_s: float = REFRESH_S
    ) -> None:
        self.refresh_s = refresh_s
        self.cache = RecordCache(cache_entries)
        self.credentials = Credentials(auth_ttl_s)
        self.pending = resolution.PendingCounts()

    # -- database work (worker threads) ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Forget the records changed since the cache's generation; load them all at first (or when any record may
        have changed: an owner renamed, a device changed, or this process fell too far behind)."""
        seen = self.cache.generation
        entries = None
        with transaction(name="resolver changes") as db:
            changes = resolution.changes_since(db, seen)
            if changes.generation == seen:
                return
            if changes.handles is None:
                entries = resolution.load_entries(db, limit=self.cache.capacity)
        if entries is not None:
            self.cache.replace(changes.generation, entries)
        else:
            assert changes.handles is not None
            self.cache.forget(changes.generation, changes.handles)

    def load(self, handle: str) -> Cached:
        read_at = self.cache.generation
        with transaction(name="resolver record") as db:
            entry = resolution.load_entry(db, handle)
        return self.cache.put(handle, entry, read_at=read_at)

    def flush(self) -> int:
        """Write the resolutions counted so far; on failure they stay counted for the next flush."""
        counts = self.pending.take()
        if not counts:
            return 0
        try:
            with transaction(write=True, name="resolver statistics") as db:
                if db.get_bind().dialect.name == "postgresql":  # a row locked elsewhere fails the write, not the stop
                    db.execute(text(f"SET LOCAL lock_timeout = '{FLUSH_LOCK_TIMEOUT_MS}ms'"))
                resolution.count_resolutions(db, counts)
        except Exception:
            self.pending.give_back(counts)
            raise
        return sum(counts.values())

    # -- the request ----------------------------------------------------------------------------------------
    async def scope_of(self, request: Request) -> Scope:
        key = self.credentials.lookup(request)
        scope = self.credentials.cached(key)
        if scope is None:
            try:
                scope = await to_thread.run_sync(self.credentials.check, key)
            except SQLAlchemyError:
                scope = self.credentials.cached(key, database_down=True)
                if scope is None:
                    raise
        return scope

    async def resolve(self, request: Request) -> Response:
        try:
            handle = request.query_params.get("handle", "")
            if not 1 <= len(handle) <= 255:
                raise field_error("handle", "required, 1 to 255 characters")
            scope = await self.scope_of(request)
            identifiers.checked_handle(scope, handle)
            if self.cache.generation is None:
                await to_thread.run_sync(self.refresh)
            cached = self.cache.get(handle)
            if cached is None:
                cached = await to_thread.run_sync(self.load, handle)
            entry = cached.entry
            if entry is None or not resolution.visible(entry, scope):
                raise NotFound(f"identifier {handle} not registered")
        except DomainError as exc:
            return _problem(request, exc)
        except SQLAlchemyError:
            log.warning("resolver: database out of reach", exc_info=True)
            return _problem(request, ServiceBusy("the database is out of reach: try again shortly"))
        cached.served += 1
        self.pending.add(entry.id)
        if entry.target_url and request.query_params.get("redirect", "").lower() in _TRUE:
            return RedirectResponse(entry.target_url, status_code=302)
        return JSONResponse(resolution.present(entry, scope, resolutions=entry.resolutions + cached.served))

    # -- background -----------------------------------------------------------------------------------------
    async def keep_current(self) -> None:
        """Every `refresh_s`: read the changes, write the counts. A database out of reach is logged, and the
        cache goes on answering until it is back."""
        while True:
            await asyncio.sleep(self.refresh_s)
            for work in (self.refresh, self.flush):
                try:
                    await to_thread.run_sync(work)
                except Exception:
                    log.warning(
                        "resolver: %s failed, tried again in %s s", work.__name__, self.refresh_s, exc_info=True
                    )

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await to_thread.run_sync(self.refresh)
        gc.collect()
        gc.freeze()  # the code and the cache loaded: the collector no longer walks them (pauses that show in the p99)
        task = asyncio.create_task(self.keep_current())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush_at_stop()
            gc.unfreeze()

    async def flush_at_stop(self, attempts: int = 10) -> None:
        """Write what is counted before the process ends, trying again while the database refuses."""
        for attempt in range(1, attempts + 1):
            try:
                written = await to_thread.run_sync(self.flush)
            except Exception:
                log.warning("resolver stopping: writing the counts failed (attempt %d)", attempt, exc_info=True)
                await asyncio.sleep(0.5)
                continue
            log.info("resolver stopped: %d resolutions written at the end", written)
            return
        log.error("resolver stopped: %d resolutions could not be written", sum(self.pending.take().values()))


def _problem(request: Request, error: DomainError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else {}
    if isinstance(error, ServiceBusy):
        headers["Retry-After"] = str(RETRY_AFTER_S)
    problem = error.problem(instance=request.url.path)
    return JSONResponse(problem, status_code=error.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def _healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(resolver: Resolver | None = None) -> Any:
    """The resolver's ASGI application (its lifespan loads the cache, keeps it current and writes the counts)."""
    resolver = resolver or Resolver()
    app = Starlette(
        routes=[Route(PATH, resolver.resolve, methods=["GET"]), Route("/healthz", _healthz, methods=["GET"])],
        lifespan=resolver.lifespan,
    )
    app.state.resolver = resolver
    return app
