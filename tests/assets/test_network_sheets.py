"""Roads and pipes in the register's Excel import and export: network, the line as GeoJSON text (checked like the
API's), material, diameter and install year; errors per row, all or nothing; export → import round trip."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.assets import service, sheets
from digipark.assets.models import Asset
from digipark.core.listing import ListQuery
from digipark.core.spreadsheet import ImportFailed
from tests.assets.test_store import _workbook
from tests.conftest import World
from tests.workorders.helpers import scope_of

HEADER = ["code", "name", "class_code", "state", "管网类型", "线位(GeoJSON)", "材质", "管径(mm)", "敷设年份"]
LINE = {"type": "LineString", "coordinates": [[121.5, 31.2], [121.501, 31.2005]]}
MULTI = {
    "type": "MultiLineString",
    "coordinates": [[[121.5, 31.2], [121.502, 31.2]], [[121.501, 31.2], [121.501, 31.201]]],
}


def test_roads_and_pipes_import_with_their_lines_and_a_bad_row_stops_the_file(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    service.seed_classes(db, park_id=world.a.park_id)
    bad = _workbook(
        [
            HEADER,
            ["PN-1", "给水主管", "pipe", "在用", "给水", json.dumps(LINE), "球墨铸铁管", 300, 2015],
            ["PN-2", "排水主管", "pipe", "在用", "排水", "{not json", "HDPE", 600, 2015],
            [
                "PN-3",
                "燃气管",
                "pipe",
                "在用",
                "燃气",
                json.dumps({"type": "Point", "coordinates": [1, 2]}),
                None,
                0,
                1700,
            ],
            [
                "PN-4",
                "热力管",
                "pipe",
                "在用",
                "nope",
                json.dumps({"type": "LineString", "coordinates": [[200, 0], [1, 1]]}),
                None,
                None,
                None,
            ],
            ["PN-5", "无类型", "pipe", "在用", None, json.dumps(LINE), None, None, None],
        ]
    )
    with pytest.raises(ImportFailed) as caught:
        sheets.import_or_raise(db, scope=admin, content=bad)
    errors = {(e["row"], e["column"]) for e in caught.value.errors}
    assert {
        (3, "geometry"),
        (4, "geometry"),
        (4, "diameter_mm"),
        (4, "install_year"),
        (5, "geometry"),
        (5, "network"),
        (6, "network"),
    } <= errors
    assert not any(e["row"] == 2 for e in caught.value.errors)
    assert db.scalar(select(Asset).where(Asset.park_id == world.a.park_id)) is None

    good = _workbook(
        [
            HEADER,
            ["RD-1", "环路", "road", "在用", "道路", json.dumps(MULTI), "沥青混凝土", None, 2012],
            ["PN-1", "给水主管", "pipe", "在用", "water", json.dumps(LINE), "球墨铸铁管", 300, 2015],
        ]
    )
    assert sheets.import_or_raise(db, scope=admin, content=good).created == 2
    road = db.scalar(select(Asset).where(Asset.code == "RD-1"))
    pipe = db.scalar(select(Asset).where(Asset.code == "PN-1"))
    assert road is not None and pipe is not None
    assert (road.network, road.geometry, road.material, road.diameter_mm, road.install_year) == (
        "road",
        MULTI,
        "沥青混凝土",
        None,
        2012,
    )
    assert (pipe.network, pipe.geometry, pipe.diameter_mm, pipe.install_year) == ("water", LINE, 300, 2015)


def test_the_export_of_roads_and_pipes_imports_back_unchanged(db: Session, world: World) -> None:
    admin = scope_of(db, "TA", "park_admin")
    service.seed_classes(db, park_id=world.a.park_id)
    sheets.import_or_raise(
        db,
        scope=admin,
        content=_workbook(
            [HEADER, ["PN-9", "热力主管", "pipe", "在用", "热力", json.dumps(MULTI), "预制直埋保温钢管", 250, 2018]]
        ),
    )
    content, _media = sheets.export(db, scope=admin, query=ListQuery(page_size=500), fmt="xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    line = dict(zip(header, rows[1], strict=True))
    assert line["管网类型 (network)"] == "heat" and json.loads(str(line["线位(GeoJSON) (geometry)"])) == MULTI
    assert (line["管径(mm) (diameter_mm)"], line["敷设年份 (install_year)"]) == (250, 2018)

    # change the export's cells, import it back: the changes land, the rest is unchanged
    before = db.scalar(select(Asset).where(Asset.code == "PN-9"))
    assert before is not None
    snapshot = (before.network, before.geometry, before.material, before.diameter_mm, before.install_year)
    assert sheets.import_or_raise(db, scope=admin, content=content).updated == 1
    db.expire_all()
    after = db.scalar(select(Asset).where(Asset.code == "PN-9"))
    assert after is not None
    assert (after.network, after.geometry, after.material, after.diameter_mm, after.install_year) == snapshot
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=header.index("管径(mm) (diameter_mm)") + 1, value=300)
    sheet.cell(row=2, column=header.index("线位(GeoJSON) (geometry)") + 1, value=json.dumps(LINE))
    buffer = io.BytesIO()
    book.save(buffer)
    assert sheets.import_or_raise(db, scope=admin, content=buffer.getvalue()).updated == 1
    db.expire_all()
    changed = db.scalar(select(Asset).where(Asset.code == "PN-9"))
    assert changed is not None and (changed.diameter_mm, changed.geometry) == (300, LINE)
