"""Advisory feeds uploaded as CSV or JSON: checked row by row (all or nothing) and matched to the ICS inventory by
vendor, model and firmware range; the upload page."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.cybersec import feed, security
from digipark.cybersec.models import Advisory
from digipark.cybersec.schemas import IcsAssetCreate
from tests.conftest import World
from tests.cybersec.helpers import admin, enterprise
from tests.web.helpers import form_token, login, visible_text

CSV = (
    "id,vendor,product,affected,fixed,severity,published,description\n"
    "CNVD-2026-90001,Siemens,S7-1200*,4.0 - 4.5.1,4.5.2,高,2026-10-01,拒绝服务漏洞\n"
    "CNVD-2026-90002,Schneider,M340,<3.50,3.50,critical,2026-10-02,远程代码执行\n"
).encode()


def _asset(db: Session, world: World, firmware: str) -> int:
    row = security.ICS_ASSETS.create(
        db,
        scope=enterprise(world.a, 0),
        data=IcsAssetCreate(
            name=f"PLC {firmware}", kind="plc", vendor="siemens", model="S7-1200 CPU", firmware=firmware
        ),
    )
    return row.id


def test_a_csv_feed_is_imported_and_matched_by_firmware_range(db: Session, world: World) -> None:
    inside, outside = _asset(db, world, "V4.4.0"), _asset(db, world, "V4.5.2")
    done = feed.upload(db, scope=admin(world.a), content=CSV, filename="cnvd.csv", park_id=world.a.park_id)
    assert (done.result.created, done.result.updated) == (2, 0)
    matched = {m.asset_id for m in done.matches}
    assert inside in matched and outside not in matched
    row = db.scalar(select(Advisory).where(Advisory.ident == "CNVD-2026-90001"))
    assert row is not None and (row.severity, row.affected, row.model_pattern) == ("major", ">=4.0,<=4.5.1", "S7-1200*")


def test_a_json_feed_updates_by_id() -> None:
    rows = feed.check(
        orjson.dumps(
            {
                "advisories": [
                    {
                        "ident": "VD-1",
                        "vendor": "ABB",
                        "model": "AC500",
                        "firmware": "<2.8",
                        "severity": "minor",
                        "title": "信息泄露",
                    }
                ]
            }
        ),
        "vendor.json",
        park_id=1,
    )
    assert [(r.ident, r.affected, r.title) for r in rows] == [("VD-1", "<2.8", "信息泄露")]


def test_bad_rows_are_listed_per_row_and_nothing_is_imported(db: Session, world: World) -> None:
    bad = (
        "id,vendor,model,affected,severity,published,description\n"
        "CNVD-2026-90101,Siemens,S7-300,<3.0,major,2026-10-01,好的一行\n"
        "CNVD-2026-90102,Siemens,S7-300,not a range!,major,2026-10-01,坏范围\n"
        "CNVD-2026-90103,,S7-300,<3.0,urgent,2026-13-45,缺厂商\n"
        "CNVD-2026-90101,Siemens,S7-300,<3.0,major,,重复\n"
    ).encode()
    with pytest.raises(feed.FeedRefused) as refused:
        feed.upload(db, scope=admin(world.a), content=bad, filename="bad.csv", park_id=world.a.park_id)
    problems = {(e.row, e.column) for e in refused.value.rows}
    assert (2, "affected") in problems and (4, "id") in problems
    assert {(3, "vendor"), (3, "severity"), (3, "published")} <= problems
    assert 1 not in {e.row for e in refused.value.rows}
    assert db.scalar(select(Advisory).where(Advisory.ident == "CNVD-2026-90101")) is None
    with pytest.raises(feed.FeedRefused, match="missing columns"):
        feed.check(b"id,vendor\nX,Y\n", "x.csv", park_id=world.a.park_id)


def test_the_upload_page_imports_or_lists_problems(client: TestClient, world: World) -> None:
    login(client, "TA-operator")
    form = client.get("/security/advisories/upload", params={"lang": "zh"})
    assert form.status_code == 200 and "上传漏洞通告" in visible_text(form.text)
    token = form_token(form.text)
    refused = client.post(
        "/security/advisories/upload",
        data={"csrf_token": token},
        files={
            "file": ("bad.csv", b"id,vendor,model,affected,severity,description\nX-1,V,M,<<1,major,d\n", "text/csv")
        },
    )
    assert refused.status_code == 422 and 'id="upload-problems"' in refused.text
    done = client.post(
        "/security/advisories/upload", data={"csrf_token": token}, files={"file": ("cnvd.csv", CSV, "text/csv")}
    )
    assert done.status_code == 200 and 'id="upload-done"' in done.text
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/security/advisories/upload").status_code in (403, 404)
