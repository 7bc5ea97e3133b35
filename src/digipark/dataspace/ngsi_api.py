"""The NGSI-LD API under /ngsi-ld/v1 (ETSI GS CIM 009 subset): entities (create, retrieve, query, update and append
attributes, partial attribute update, delete), entity types, and the park's @context document.

Media types: a body is `application/json` (its @context in a Link header) or `application/ld+json` (its @context in
the body, no Link header); an answer is `application/ld+json` with its @context when the Accept header asks for it,
else `application/json` with the Link header. Every error is a ProblemDetails object with an NGSI-LD error type
(authentication and access control, which the spec leaves open, answer the platform's 401/403 problem+json). A caller is
a logged-in user (bearer token) or a consumer's connector key (X-Api-Key: its enterprise's read-only view)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from digipark.auth.dependencies import DbSession, current_user
from digipark.auth.models import User
from digipark.auth.scope import Scope
from digipark.auth.service import scope_for
from digipark.core.bounds import INT64_MAX, INT64_MIN
from digipark.core.errors import PROBLEM_MEDIA_TYPE, DomainError, NotAuthenticated, PermissionDenied
from digipark.dataspace import keys, ngsi, ngsi_batch, ngsi_geo, ngsi_temporal
from digipark.dataspace.ngsi_context import (
    LANGUAGE,
    Context,
    NgsiError,
    bad,
    core_context,
    link_context,
    resolve,
    served_context,
    spec,
)
from digipark.web import i18n

JSON, LD = "application/json", "application/ld+json"
TAGS: list[Any] = ["ngsi-ld"]
TEMPORAL_LIMIT = 100  # devices per temporal page: each one's points are read


class NgsiRoute(APIRoute):
    """Answers every error of these routes as NGSI-LD ProblemDetails (application/json)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            LANGUAGE.set(problem_language(request))
            try:
                return await handler(request)
            except NgsiError as exc:
                return _problem(exc.problem())
            except RequestValidationError as exc:
                detail = "; ".join(str(e.get("msg", "invalid")) for e in exc.errors()) or "invalid request"
                return _problem(NgsiError("BadRequestData", detail).problem())
            except DomainError as exc:  # authentication and access control: the platform's problems
                headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
                body = exc.problem(instance=request.url.path)
                return JSONResponse(body, status_code=exc.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)

        return route


def problem_language(request: Request) -> str | None:
    """The language of the caller's ProblemDetails: the first of Accept-Language the platform translates into, else
    its language cookie (a browser), else None (English, the spec's)."""
    for part in request.headers.get("accept-language", "").split(","):
        found = i18n.normalise(part.split(";")[0].strip()[:20])
        if found is not None:
            return found
    return i18n.normalise(request.cookies.get(i18n.LANG_COOKIE))


def _problem(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=int(body["status"]), media_type=JSON)


router = APIRouter(prefix="/ngsi-ld/v1", route_class=NgsiRoute)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- who is calling ------------------------------------------------------------------------------------------------
def caller(
    request: Request,
    db: DbSession,
    user: Annotated[User | None, Depends(current_user)],
    x_api_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Scope:
    """A logged-in user's scope, or the scope of a connector key's consumer (reads only)."""
    if x_api_key is not None:
        scope = keys.context_scope(db, raw=x_api_key)
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("a connector key reads; changes need a login")
        return scope
    if user is None:
        raise NotAuthenticated("log in, send an API bearer token or a connector key (X-Api-Key)")
    return scope_for(db, user)


Caller = Annotated[Scope, Depends(caller)]


# -- media types and @context --------------------------------------------------------------------------------------
def _media(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def _request_context(request: Request, body: Any = None) -> Context:
    link = link_context(request.headers.get("link"))
    if request.method in ("POST", "PATCH", "PUT"):
        media = _media(request.headers.get("content-type"))
        if media not in (JSON, LD):
            raise NgsiError(
                "InvalidRequest", "Content-Type %(media)s is not supported", media=media or "none", status=415
            )
        if media == LD:
            if link is not None:
                raise bad("application/ld+json carries its @context in the body, not in a Link header")
            if not isinstance(body, dict) or "@context" not in body:
                raise bad("application/ld+json needs an @context in the body")
            return resolve(body["@context"], _base(request))
        if isinstance(body, dict) and "@context" in body:
            raise bad("application/json carries its @context in a Link header, not in the body")
    return core_context() if link is None else resolve(link, _base(request))


def _answer_type(request: Request) -> str:
    accept = request.headers.get("accept", "*/*").lower()
    offered = [_media(part) for part in accept.split(",")]
    if LD in offered:
        return LD
    if any(m in (JSON, "*/*", "application/*") for m in offered) or not accept.strip():
        return JSON
    raise NgsiError(
        "InvalidRequest",
        "cannot answer in %(accept)s (offered: %(value)s, %(value2)s)",
        accept=accept[:80],
        value=JSON,
        value2=LD,
        status=406,
    )


def _respond(request: Request, body: Any, context: Context, headers: dict[str, str] | None = None) -> Response:
    media = _answer_type(request)
    extra = dict(headers or {})
    document = context.document
    if media == LD:
        items = body if isinstance(body, list) else [body]
        for item in items:
            item["@context"] = document
    else:
        url = document if isinstance(document, str) else None
        if isinstance(document, list) and len(document) == 1 and isinstance(document[0], str):
            url = document[0]
        url = url or spec()["core_context"]
        extra["Link"] = f'<{url}>; rel="{spec()["context_rel"]}"; type="{LD}"'
    return JSONResponse(body, media_type=media, headers=extra)


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _key_values(options: str | None) -> bool:
    chosen = set(_list(options))
    unknown = chosen - {"keyValues", "normalized", "noOverwrite", "sysAttrs"}
    if unknown:
        raise bad("options: unknown %(unknown)s", unknown=", ".join(sorted(unknown)))
    return "keyValues" in chosen


Payload = Annotated[Any, Body()]


# -- routes --------------------------------------------------------------------------------------------------------
@router.get("/context.jsonld", tags=TAGS)
def context_document(request: Request) -> Response:
    """The park's @context: the NGSI-LD core context and the Smart Data Models terms the platform maps."""
    return JSONResponse(served_context(_base(request)), media_type=LD)


@router.post("/entities", status_code=201, tags=TAGS)
def create_entity(request: Request, db: DbSession, scope: Caller, payload: Payload) -> Response:
    """Create an entity (normalised form). 409 AlreadyExists when its id is taken."""
    context = _request_context(request, payload)
    row = ngsi.create(db, scope=scope, payload=payload, context=context)
    return Response(status_code=201, headers={"Location": f"/ngsi-ld/v1/entities/{row.entity_id}"})


@router.get("/entities", tags=TAGS)
def query_entities(
    request: Request,
    db: DbSession,
    scope: Caller,
    type: Annotated[str | None, Query(max_length=1000)] = None,
    attrs: Annotated[str | None, Query(max_length=2000)] = None,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    id: Annotated[str | None, Query(max_length=20000)] = None,
    idPattern: Annotated[str | None, Query(max_length=500)] = None,
    options: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)] = None,
    offset: Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)] = 0,
    count: bool = False,
    georel: Annotated[str | None, Query(max_length=200)] = None,
    geometry: Annotated[str | None, Query(max_length=40)] = None,
    coordinates: Annotated[str | None, Query(max_length=20000)] = None,
    geoproperty: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Query entities by type, id, idPattern, attrs, q and a geo-query (georel near;maxDistance==m or
    near;minDistance==m with a Point, within a Polygon, intersects); limit and offset page them, count=true answers
    the number of matches in NGSILD-Results-Count."""
    context = _request_context(request)
    bounds = spec()["limit"]
    size = bounds["default"] if limit is None else limit
    if not 0 <= size <= bounds["max"] or offset < 0:
        raise bad("limit between 0 and %(bounds)s, offset from 0", bounds=bounds["max"])
    key_values = _key_values(options)
    found = ngsi.query(
        db,
        scope=scope,
        context=context,
        types=_list(type),
        attrs=_list(attrs),
        q=q,
        ids=_list(id),
        id_pattern=idPattern,
        geo=ngsi_geo.parse(georel, geometry, coordinates, geoproperty),
    )
    page = [ngsi.compact(e, context, attrs=_list(attrs), key_values=key_values) for e in found[offset : offset + size]]
    headers = {spec()["results_count_header"]: str(len(found))} if count else None
    return _respond(request, page, context, headers)


@router.get("/entities/{entity_id:path}", tags=TAGS)
def retrieve_entity(
    entity_id: str,
    request: Request,
    db: DbSession,
    scope: Caller,
    attrs: Annotated[str | None, Query(max_length=2000)] = None,
    options: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Retrieve one entity (404 ResourceNotFound when it does not exist or you may not read it)."""
    context = _request_context(request)
    entity = ngsi.retrieve(db, scope=scope, entity_id=entity_id)
    body = ngsi.compact(entity, context, attrs=_list(attrs), key_values=_key_values(options))
    return _respond(request, body, context)


def _update_result(result: dict[str, Any]) -> Response:
    if result["notUpdated"]:
        return JSONResponse(result, status_code=207, media_type=JSON)
    return Response(status_code=204)


@router.patch("/entities/{entity_id:path}/attrs/{attribute}", status_code=204, tags=TAGS)
def patch_attribute(
    entity_id: str, attribute: str, request: Request, db: DbSession, scope: Caller, payload: Payload
) -> Response:
    """Partial Attribute Update: the members given replace the attribute's (its value, observedAt, unitCode)."""
    context = _request_context(request, payload)
    ngsi.patch_attribute(db, scope=scope, entity_id=entity_id, attribute=attribute, payload=payload, context=context)
    return Response(status_code=204)


@router.patch("/entities/{entity_id:path}/attrs", status_code=204, tags=TAGS, responses={207: {}})
def update_attributes(entity_id: str, request: Request, db: DbSession, scope: Caller, payload: Payload) -> Response:
    """Update Attributes: the entity's attributes given are replaced (204); those it lacks are listed (207)."""
    context = _request_context(request, payload)
    return _update_result(
        ngsi.update_attributes(db, scope=scope, entity_id=entity_id, payload=payload, context=context)
    )


@router.post("/entities/{entity_id:path}/attrs", status_code=204, tags=TAGS, responses={207: {}})
def append_attributes(
    entity_id: str,
    request: Request,
    db: DbSession,
    scope: Caller,
    payload: Payload,
    options: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Append Attributes (options=noOverwrite keeps the existing ones)."""
    context = _request_context(request, payload)
    _key_values(options)
    overwrite = "noOverwrite" not in _list(options)
    return _update_result(
        ngsi.append_attributes(
            db, scope=scope, entity_id=entity_id, payload=payload, context=context, overwrite=overwrite
        )
    )


@router.delete("/entities/{entity_id:path}/attrs/{attribute}", status_code=204, tags=TAGS)
def delete_attribute(entity_id: str, attribute: str, request: Request, db: DbSession, scope: Caller) -> Response:
    context = _request_context(request)
    ngsi.delete_attribute(db, scope=scope, entity_id=entity_id, attribute=attribute, context=context)
    return Response(status_code=204)


@router.delete("/entities/{entity_id:path}", status_code=204, tags=TAGS)
def delete_entity(entity_id: str, request: Request, db: DbSession, scope: Caller) -> Response:
    _request_context(request)
    ngsi.delete(db, scope=scope, entity_id=entity_id)
    return Response(status_code=204)


@router.get("/types", tags=TAGS)
def entity_types(request: Request, db: DbSession, scope: Caller) -> Response:
    """The entity types you can read, as an EntityTypeList."""
    context = _request_context(request)
    names = [context.compact(t) for t in ngsi.types(db, scope=scope)]
    return _respond(
        request, {"id": "urn:ngsi-ld:EntityTypeList:digipark", "type": "EntityTypeList", "typeList": names}, context
    )


# -- batch operations ----------------------------------------------------------------------------------------------
def _batch_contexts(request: Request, payload: Any) -> list[Context]:
    """Each entity's @context: the Link header's for application/json, each entity's own for application/ld+json."""
    items = payload if isinstance(payload, list) else []
    media = _media(request.headers.get("content-type"))
    if media != LD:
        context = _request_context(request, payload)
        if any(isinstance(item, dict) and "@context" in item for item in items):
            raise bad("application/json carries its @context in a Link header, not in the body")
        return [context] * len(items)
    if link_context(request.headers.get("link")) is not None:
        raise bad("application/ld+json carries its @context in the body, not in a Link header")
    contexts = []
    for item in items:
        if not isinstance(item, dict) or "@context" not in item:
            raise bad("application/ld+json needs an @context in each entity")
        contexts.append(resolve(item["@context"], _base(request)))
    return contexts


def _batch_answer(result: dict[str, Any], *, created: bool) -> Response:
    """207 with a BatchOperationResult when an entity was refused; else 201 with the ids of the entities created
    (create, upsert), or 204 when none was created."""
    if result["errors"]:
        body = {"success": result["success"], "errors": result["errors"]}
        return JSONResponse(body, status_code=207, media_type=JSON)
    if created and result["created"]:
        return JSONResponse(result["created"], status_code=201, media_type=JSON)
    return Response(status_code=204)


Options = Annotated[str | None, Query(max_length=100)]


@router.post("/entityOperations/create", status_code=201, tags=TAGS, responses={207: {}})
def batch_create(request: Request, db: DbSession, scope: Caller, payload: Payload) -> Response:
    """Batch Entity Creation: 201 with the ids created; 207 with a BatchOperationResult when some are refused."""
    contexts = _batch_contexts(request, payload)
    return _batch_answer(ngsi_batch.create(db, scope=scope, payload=payload, contexts=contexts), created=True)


@router.post("/entityOperations/upsert", status_code=201, tags=TAGS, responses={204: {}, 207: {}})
def batch_upsert(request: Request, db: DbSession, scope: Caller, payload: Payload, options: Options = None) -> Response:
    """Batch Entity Create or Update: new entities are created (201 with their ids), existing ones replaced
    (options=replace, the default) or updated (options=update); 204 when none was new."""
    chosen = set(_list(options))
    if chosen - {"replace", "update"} or len(chosen) > 1:
        raise bad("options: replace or update")
    contexts = _batch_contexts(request, payload)
    result = ngsi_batch.upsert(db, scope=scope, payload=payload, contexts=contexts, replace="update" not in chosen)
    return _batch_answer(result, created=True)


@router.post("/entityOperations/update", status_code=204, tags=TAGS, responses={207: {}})
def batch_update(request: Request, db: DbSession, scope: Caller, payload: Payload, options: Options = None) -> Response:
    """Batch Entity Update: each entity's attributes given replace its own (kept with options=noOverwrite)."""
    chosen = set(_list(options))
    if chosen - {"noOverwrite"}:
        raise bad("options: noOverwrite")
    contexts = _batch_contexts(request, payload)
    result = ngsi_batch.update(db, scope=scope, payload=payload, contexts=contexts, overwrite=not chosen)
    return _batch_answer(result, created=False)


@router.post("/entityOperations/delete", status_code=204, tags=TAGS, responses={207: {}})
def batch_delete(request: Request, db: DbSession, scope: Caller, payload: Payload) -> Response:
    """Batch Entity Delete: a JSON array of entity ids; 204, or 207 listing the ids not deleted."""
    _request_context(request, payload)
    contexts = [core_context()] * (len(payload) if isinstance(payload, list) else 0)
    return _batch_answer(ngsi_batch.delete(db, scope=scope, payload=payload, contexts=contexts), created=False)


# -- temporal ------------------------------------------------------------------------------------------------------
@router.get("/temporal/entities", tags=TAGS)
def temporal_query(
    request: Request,
    db: DbSession,
    scope: Caller,
    type: Annotated[str | None, Query(max_length=1000)] = None,
    attrs: Annotated[str | None, Query(max_length=2000)] = None,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    id: Annotated[str | None, Query(max_length=20000)] = None,
    idPattern: Annotated[str | None, Query(max_length=500)] = None,
    timerel: Annotated[str | None, Query(max_length=20)] = None,
    timeAt: Annotated[str | None, Query(max_length=40)] = None,
    endTimeAt: Annotated[str | None, Query(max_length=40)] = None,
    options: Annotated[str | None, Query(max_length=100)] = None,
    aggrMethods: Annotated[str | None, Query(max_length=200)] = None,
    aggrPeriodDuration: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)] = None,
    offset: Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)] = 0,
    count: bool = False,
) -> Response:
    """Query Temporal Evolution of Entities: the devices matching type, id, idPattern and q, each with its points'
    history in the window (timerel, timeAt, endTimeAt), as instances, temporalValues or aggregated; limit (at most
    TEMPORAL_LIMIT, each device's history being read) and offset page them, count=true answers the number of
    matching devices in NGSILD-Results-Count."""
    context = _request_context(request)
    chosen = set(_list(options))
    if chosen - {"temporalValues", "normalized", "aggregatedValues", "count"}:
        raise bad("options: temporalValues or aggregatedValues")
    size = TEMPORAL_LIMIT if limit is None else limit
    if not 0 <= size <= TEMPORAL_LIMIT or offset < 0:
        raise bad("limit between 0 and %(value)s, offset from 0", value=TEMPORAL_LIMIT)
    if not type and not id and not idPattern and not q:
        raise bad("a temporal query needs type, id, idPattern or q")
    page, total = ngsi_temporal.query(
        db,
        scope=scope,
        context=context,
        types=_list(type),
        attrs=_list(attrs),
        q=q,
        ids=_list(id),
        id_pattern=idPattern,
        span=ngsi_temporal.window(timerel, timeAt, endTimeAt),
        methods=_list(aggrMethods),
        period=aggrPeriodDuration,
        temporal_values="temporalValues" in chosen,
        offset=offset,
        limit=size,
    )
    headers = {spec()["results_count_header"]: str(total)} if count or "count" in chosen else None
    return _respond(request, page, context, headers)


@router.get("/temporal/entities/{entity_id:path}", tags=TAGS)
def temporal_entity(
    entity_id: str,
    request: Request,
    db: DbSession,
    scope: Caller,
    timerel: Annotated[str | None, Query(max_length=20)] = None,
    timeAt: Annotated[str | None, Query(max_length=40)] = None,
    endTimeAt: Annotated[str | None, Query(max_length=40)] = None,
    attrs: Annotated[str | None, Query(max_length=2000)] = None,
    options: Annotated[str | None, Query(max_length=100)] = None,
    aggrMethods: Annotated[str | None, Query(max_length=200)] = None,
    aggrPeriodDuration: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Temporal Representation of an Entity: a device's points with their readings in the window (timerel between,
    after or before timeAt, endTimeAt), as instances, temporalValues, or aggregated (aggrMethods,
    aggrPeriodDuration)."""
    context = _request_context(request)
    chosen = set(_list(options))
    if chosen - {"temporalValues", "normalized", "aggregatedValues"}:
        raise bad("options: temporalValues or aggregatedValues")
    body = ngsi_temporal.retrieve(
        db,
        scope=scope,
        entity_id=entity_id,
        context=context,
        span=ngsi_temporal.window(timerel, timeAt, endTimeAt),
        attrs=_list(attrs),
        methods=_list(aggrMethods),
        period=aggrPeriodDuration,
        temporal_values="temporalValues" in chosen,
    )
    return _respond(request, body, context)
