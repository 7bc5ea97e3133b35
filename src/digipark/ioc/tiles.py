"""The operator's base layer from a tile file (`DIGIPARK_MAP_TILES_FILE`): an MBTiles file (SQLite; its raster
tiles are served one at a time by `/api/v1/ioc/tiles/{z}/{x}/{y}`) or a PMTiles archive (served whole with HTTP range
requests at `/api/v1/ioc/tiles.pmtiles`; the browser reads the tiles it needs out of it with the npm `pmtiles`
package). Either is drawn like a tile URL (`DIGIPARK_MAP_TILE_URL`), in the datum `DIGIPARK_MAP_TILE_CRS` says.

MBTiles 1.3: table `tiles(zoom_level, tile_column, tile_row, tile_data)` with rows counted from the south (TMS), so
the XYZ row y is stored as 2^z − 1 − y; `metadata(name, value)` gives the `format` (png, jpg, webp: raster only —
a vector (pbf) file needs a style the platform does not build)."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from digipark.core.config import get_settings

log = logging.getLogger("digipark.ioc")
RASTER_FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
MBTILES_URL = "/api/v1/ioc/tiles/{z}/{x}/{y}"
PMTILES_URL = "/api/v1/ioc/tiles.pmtiles"


class TileFileError(ValueError):
    """The configured tile file cannot be used (missing, not MBTiles/PMTiles, a vector MBTiles)."""


@dataclass(frozen=True)
class TileFile:
    path: Path
    kind: str  # "mbtiles" or "pmtiles"
    media_type: str  # of one tile (MBTiles) or of the archive (PMTiles)
    min_zoom: int = 0
    max_zoom: int = 22
    attribution: str = ""


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def describe(path: Path) -> TileFile:
    """What the file is: its kind by suffix, for MBTiles its raster format and zoom levels from its metadata."""
    if not path.is_file():
        raise TileFileError(f"the tile file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".pmtiles":
        with path.open("rb") as handle:
            if handle.read(7) != b"PMTiles":
                raise TileFileError(f"{path} is not a PMTiles archive")
        return TileFile(path=path, kind="pmtiles", media_type="application/octet-stream")
    if suffix != ".mbtiles":
        raise TileFileError(f"{path}: a tile file is .mbtiles or .pmtiles")
    try:
        with _connect(path) as db:
            meta = dict(db.execute("select name, value from metadata").fetchall())
            zooms = db.execute("select min(zoom_level), max(zoom_level) from tiles").fetchone()
    except sqlite3.Error as exc:
        raise TileFileError(f"{path} is not an MBTiles file: {exc}") from exc
    fmt = str(meta.get("format", "png")).lower()
    if fmt not in RASTER_FORMATS:
        raise TileFileError(f"{path} holds {fmt} tiles; only raster tiles (png, jpg, webp) are drawn")
    return TileFile(
        path=path,
        kind="mbtiles",
        media_type=RASTER_FORMATS[fmt],
        min_zoom=int(meta.get("minzoom", zooms[0] if zooms and zooms[0] is not None else 0)),
        max_zoom=int(meta.get("maxzoom", zooms[1] if zooms and zooms[1] is not None else 22)),
        attribution=str(meta.get("attribution", "")),
    )


@lru_cache(maxsize=4)
def _described(path: Path, _mtime: float) -> TileFile | None:
    try:
        return describe(path)
    except TileFileError as exc:
        log.error("map base layer not drawn: %s", exc)
        return None


def configured() -> TileFile | None:
    """The configured tile file, or None (none configured, or one that cannot be used: logged)."""
    path = get_settings().map_tiles_file
    if path is None:
        return None
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = -1.0
    return _described(path, mtime)


def mbtiles_tile(file: TileFile, z: int, x: int, y: int) -> bytes | None:
    """One tile (XYZ numbering) of an MBTiles file, or None when the file has none there."""
    if not 0 <= z <= 30 or not (0 <= x < 2**z and 0 <= y < 2**z):
        return None
    with _connect(file.path) as db:
        row = db.execute(
            "select tile_data from tiles where zoom_level = ? and tile_column = ? and tile_row = ?",
            (z, x, (2**z - 1) - y),
        ).fetchone()
    return bytes(row[0]) if row else None


def source(file: TileFile, attribution: str = "") -> dict[str, object]:
    """The MapLibre source of the file's base layer."""
    credit = attribution or file.attribution
    if file.kind == "pmtiles":
        return {"type": "raster", "url": "pmtiles://" + PMTILES_URL, "tileSize": 256, "attribution": credit}
    return {
        "type": "raster",
        "tiles": [MBTILES_URL],
        "tileSize": 256,
        "minzoom": file.min_zoom,
        "maxzoom": file.max_zoom,
        "attribution": credit,
    }
