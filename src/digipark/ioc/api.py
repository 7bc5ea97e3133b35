"""The operator's base-layer tiles (`ioc/tiles.py`) under /api/v1/ioc: one raster tile of an MBTiles file, or the
PMTiles archive (in ranges). The map pages fetch them with the viewer's session; the same for every park of the
deployment (the operator's map, no park data). Read-only."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, Response

from digipark.auth.dependencies import CurrentScope
from digipark.core.errors import NotFound
from digipark.ioc import service, tiles

router = APIRouter(prefix="/api/v1/ioc")
TAGS: list[str | Enum] = ["Operations centre"]
CACHE = {"Cache-Control": "private, max-age=86400"}


@router.get(
    "/tiles/{z}/{x}/{y}",
    tags=TAGS,
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}, "description": "a tile"}},
)
def map_tile(
    scope: CurrentScope,
    z: Annotated[int, Path(ge=0, le=30)],
    x: Annotated[int, Path(ge=0, le=2**30)],
    y: Annotated[int, Path(ge=0, le=2**30)],
) -> Response:
    """One raster tile (XYZ numbering) of the operator's MBTiles base layer; 404 where it has none or none is set."""
    scope.require(service.VIEW)
    file = tiles.configured()
    if file is None or file.kind != "mbtiles":
        raise NotFound("no MBTiles base layer is configured")
    data = tiles.mbtiles_tile(file, z, x, y)
    if data is None:
        raise NotFound(f"the base layer has no tile {z}/{x}/{y}")
    return Response(data, media_type=file.media_type, headers=CACHE)


@router.get(
    "/tiles.pmtiles",
    tags=TAGS,
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the archive (ranges)"}},
)
def map_pmtiles(scope: CurrentScope) -> FileResponse:
    """The operator's PMTiles base layer, whole or in HTTP ranges; 404 when none is configured."""
    scope.require(service.VIEW)
    file = tiles.configured()
    if file is None or file.kind != "pmtiles":
        raise NotFound("no PMTiles base layer is configured")
    return FileResponse(file.path, media_type=file.media_type, headers=CACHE)
