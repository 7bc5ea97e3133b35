"""Front-end libraries installed from npm (package.json at the repository root), served from node_modules.

Nothing third-party is committed and nothing is fetched from a CDN at run time: parks run on closed
intranets. Without node_modules the pages still work; charts fall back to text.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from digipark.core.config import get_settings
from digipark.core.errors import NotFound

log = logging.getLogger("digipark.web")

# URL name -> path inside node_modules
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-viewer.production.min.js",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    # ES modules; the library starts its worker from ./maplibre-gl-worker.mjs beside it (this origin: the
    # Content-Security-Policy allows it, where a blob: worker would be refused)
    "maplibre-gl.mjs": "maplibre-gl/dist/maplibre-gl.mjs",
    "maplibre-gl-worker.mjs": "maplibre-gl/dist/maplibre-gl-worker.mjs",
    "maplibre-gl-shared.mjs": "maplibre-gl/dist/maplibre-gl-shared.mjs",
    "maplibre-gl.css": "maplibre-gl/dist/maplibre-gl.css",
    # reads the tiles of a PMTiles archive with range requests (the map's operator-provided base layer)
    "pmtiles.js": "pmtiles/dist/pmtiles.js",
}

router = APIRouter(include_in_schema=False)


def _candidates() -> list[Path]:
    found: list[Path] = []
    configured = get_settings().vendor_dir
    if configured is not None:
        found += [configured / "node_modules", configured]
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        found += [folder / "node_modules" for folder in (start, *start.parents)]
    return found


@cache
def node_modules() -> Path | None:
    """The node_modules folder holding our vendor files, or None (logged once)."""
    probe = next(iter(VENDOR_FILES.values()))
    for folder in _candidates():
        if (folder / probe).is_file():
            return folder
    log.warning(
        "front-end libraries not found (run `npm install` in the repository root or set "
        "DIGIPARK_VENDOR_DIR); pages work without them, charts show text"
    )
    return None


def vendor_file(name: str) -> Path | None:
    folder = node_modules()
    relative = VENDOR_FILES.get(name)
    if folder is None or relative is None:
        return None
    path = folder / relative
    return path if path.is_file() else None


def available(name: str) -> bool:
    return vendor_file(name) is not None


@router.get("/static/vendor/{name}")
def serve_vendor(name: str) -> Response:
    path = vendor_file(name)
    if path is None:
        raise NotFound(f"vendor file {name!r} is not installed")
    media_type = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
