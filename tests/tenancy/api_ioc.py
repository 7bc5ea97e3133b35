"""Operations centre (digipark.ioc): the operator's base-layer tiles. The same map for every park of the
deployment (no park data): park B's viewers get the tiles too, roles without the map (enterprise users,
residents) are refused, and a tile shows nothing of park A."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from digipark.core.config import get_settings
from tests.tenancy.helpers import API, B_ROLES, Ctx, Exercise, assert_problem

TILE = b"\x89PNG\r\n\x1a\n" + b"tenancy-tile"
MAP_ROLES = frozenset({"park_admin", "operator", "reviewer"})


@contextmanager
def tile_file(suffix: str) -> Iterator[Path]:
    """A tiny MBTiles file (tile 0/0/0) or PMTiles header configured as the base layer, for the exercise only."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"base{suffix}"
        if suffix == ".mbtiles":
            with sqlite3.connect(path) as db:
                db.execute("create table metadata (name text, value text)")
                db.execute("create table tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)")
                db.execute("insert into metadata values ('format', 'png')")
                db.execute("insert into tiles values (0, 0, 0, ?)", (TILE,))
        else:
            path.write_bytes(b"PMTiles\x03" + bytes(120))
        before = os.environ.get("DIGIPARK_MAP_TILES_FILE")
        os.environ["DIGIPARK_MAP_TILES_FILE"] = str(path)
        get_settings.cache_clear()
        try:
            yield path
        finally:
            if before is None:
                os.environ.pop("DIGIPARK_MAP_TILES_FILE", None)
            else:
                os.environ["DIGIPARK_MAP_TILES_FILE"] = before
            get_settings.cache_clear()


def _check(ctx: Ctx, path: str, suffix: str) -> None:
    with tile_file(suffix):
        assert ctx.as_a_admin("GET", f"{API}/{path}").status_code == 200
        for role in B_ROLES:
            response = ctx.call("GET", f"{API}/{path}", role, "b")
            if role in MAP_ROLES:
                assert response.status_code == 200, (role, response.text)  # the deployment's map, no park data
            else:
                assert_problem(response, 403)
        assert_problem(ctx.call("GET", f"{API}/{path}", "enterprise", "a"), 403)


IOC: dict[tuple[str, str], Exercise] = {
    ("GET", f"{API}/ioc/tiles/{{z}}/{{x}}/{{y}}"): lambda ctx: _check(ctx, "ioc/tiles/0/0/0", ".mbtiles"),
    ("GET", f"{API}/ioc/tiles.pmtiles"): lambda ctx: _check(ctx, "ioc/tiles.pmtiles", ".pmtiles"),
}
