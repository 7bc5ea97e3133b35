"""Bulk provisioning by Excel: the template in the caller's language (headers, an example row, the park's profiles
on a second sheet); a good file makes every device with its token (shown once, in the answer and its result
workbook; kept as a digest), on its profile's current version, with one audit entry for the batch; a file with any
bad row makes nothing and names each bad row's number, column and reason in zh or en; an enterprise cannot."""

from __future__ import annotations

import base64
import io
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.devices import bulk, profiles
from digipark.devices.profile_models import DeviceProfileUse
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Building, Device, Enterprise, Point
from tests.conftest import World, bearer
from tests.devices.test_commands import staff
from tests.tenancy.helpers import xlsx
from tests.web.helpers import login, visible_text

BULK = "/api/v1/devices/bulk"
HEADERS = ["code", "name", "name_en", "profile", "enterprise", "building", "location", "protocol"]


def _devices(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Device)) or 0


def _refs(db: Session, world: World) -> tuple[str, str]:
    uscc = db.scalar(select(Enterprise.uscc).where(Enterprise.id == world.a.enterprise_ids[0]))
    building = db.scalar(select(Building.code).where(Building.id == world.a.building_id))
    assert uscc and building
    return uscc, building


def _post(client: TestClient, world: World, rows: list[list[Any]], headers: list[str] | None = None, **kw: Any) -> Any:
    files = {"file": ("devices.xlsx", xlsx(headers or HEADERS, rows))}
    return client.post(BULK, files=files, headers={**bearer(world.a.tokens["park_admin"]), **kw})


def test_a_good_file_makes_every_device_with_its_token_once(client: TestClient, db: Session, world: World) -> None:
    uscc, building = _refs(db, world)
    set_actor(db, Actor("admin-a"))
    seeded = profiles.seed("temp_humidity")
    assert seeded is not None
    changed = {**seeded.model_dump(), "name_en": "Temperature and humidity sensor v2"}
    profiles.save(db, scope=staff(world, "admin-a", Role.PARK_ADMIN), data=changed)  # version 2
    db.commit()
    rows = [
        ["BK-1", "一号电表", "Meter 1", "electricity_meter", uscc, building, "1F", "modbus"],
        ["BK-2", "库房温湿度", None, "temp_humidity", None, None, None, None],
    ]
    answer = _post(client, world, rows)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["rows"], body["created"]) == (2, 2)
    made = {d["code"]: d for d in body["devices"]}
    meter = db.scalar(select(Device).where(Device.code == "BK-1", Device.park_id == world.a.park_id))
    sensor = db.scalar(select(Device).where(Device.code == "BK-2", Device.park_id == world.a.park_id))
    assert meter is not None and sensor is not None
    assert (meter.enterprise_id, meter.building_id, meter.protocol, meter.name_en) == (
        world.a.enterprise_ids[0],
        world.a.building_id,
        "modbus",
        "Meter 1",
    )
    assert meter.token_hash == token_digest(made["BK-1"]["token"]) and made["BK-1"]["token"] not in meter.token_hash
    assert db.scalar(select(func.count()).select_from(Point).where(Point.device_id == meter.id))  # the kind's points
    use = db.scalar(select(DeviceProfileUse).where(DeviceProfileUse.device_id == sensor.id))
    assert use is not None and made["BK-2"]["version"] == 2  # the profile's current version
    workbook = openpyxl.load_workbook(io.BytesIO(base64.b64decode(body["result_xlsx"])))
    tokens = {row[0]: row[4] for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True) if row[0]}
    assert tokens["BK-1"] == made["BK-1"]["token"] and tokens["BK-2"] == made["BK-2"]["token"]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "bulk_provision"))
    assert entry is not None and entry.after["count"] == 2 and entry.after["devices"] == ["BK-1", "BK-2"]
    assert made["BK-1"]["token"] not in str(entry.after)
    again = _post(client, world, [["BK-1", "一号电表", None, "electricity_meter", None, None, None, None]])
    assert again.status_code == 422  # the code exists now


def test_each_kind_of_bad_row_is_named_and_nothing_is_made(client: TestClient, db: Session, world: World) -> None:
    before = _devices(db)
    rows = [
        ["OK-1", "好的一行", None, "electricity_meter", None, None, None, None],  # row 2: good
        ["DUP-1", "重复", None, "electricity_meter", None, None, None, None],  # row 3
        ["DUP-1", "重复", None, "electricity_meter", None, None, None, None],  # row 4: duplicate in the file
        ["G1", "已存在", None, "gas_detector", None, None, None, None],  # row 5: park A's gas detector's code
        ["BAD CODE", None, None, "no_such_profile", "91000000000000000X", "NO-BUILDING", None, "smoke"],  # row 6
    ]
    answer = _post(client, world, rows, **{"Accept-Language": "en"})
    assert answer.status_code == 422, answer.text
    problems = {(e["row"], e["column"]): e["reason"] for e in answer.json()["errors"]}
    assert problems[(4, "code")] == "this code is also in row 3"
    assert problems[(5, "code")] == "a device with this code already exists in the park"
    for column in ("code", "name", "profile", "enterprise", "building", "protocol"):
        assert (6, column) in problems, column
    assert not [row for row, _ in problems if row in (2, 3)]
    assert "3 of 5 rows are not valid" in answer.json()["detail"]
    assert _devices(db) == before
    chinese = _post(client, world, rows, **{"Accept-Language": "zh-CN"})
    reasons = {(e["row"], e["column"]): e["reason"] for e in chinese.json()["errors"]}
    assert reasons[(4, "code")] == "该编号与第 3 行重复" and reasons[(6, "name")] == "必填"
    assert {e["column_title"] for e in chinese.json()["errors"] if e["column"] == "enterprise"} == {
        "所属企业（统一社会信用代码）"
    }
    header = _post(client, world, [["X-1", "x"]], headers=["code", "nonsense"])
    assert header.status_code == 422 and {e["column"] for e in header.json()["errors"]} == {None, "profile", "name"}
    assert _devices(db) == before


def test_limits_and_unreadable_files(client: TestClient, db: Session, world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(bulk, "MAX_ROWS", 3)
    rows = [[f"L-{i}", "x", None, "electricity_meter", None, None, None, None] for i in range(4)]
    too_many = _post(client, world, rows, **{"Accept-Language": "en"})
    assert too_many.status_code == 422 and "more than 3 devices" in too_many.json()["detail"]
    files = {"file": ("devices.xlsx", b"not a workbook")}
    unreadable = client.post(BULK, files=files, headers=bearer(world.a.tokens["park_admin"]))
    assert unreadable.status_code == 415
    monkeypatch.setattr(bulk, "MAX_BYTES", 100)
    large = _post(client, world, rows[:1])
    assert large.status_code == 413


def test_an_enterprise_cannot_and_a_dry_run_keeps_nothing(client: TestClient, db: Session, world: World) -> None:
    rows = [["EN-1", "企业设备", None, "electricity_meter", None, None, None, None]]
    files = {"file": ("devices.xlsx", xlsx(HEADERS, rows))}
    refused = client.post(BULK, files=files, headers=bearer(world.a.tokens["enterprise"]))
    assert refused.status_code == 403
    template = client.get(f"{BULK}/template", headers=bearer(world.a.tokens["enterprise"]))
    assert template.status_code == 403
    before = _devices(db)
    dry = client.post(BULK, files=files, params={"dry_run": True}, headers=bearer(world.a.tokens["park_admin"]))
    assert dry.status_code == 201 and dry.json()["dry_run"] and dry.json()["devices"] == []
    assert _devices(db) == before


def test_the_template_in_both_languages_reads_back(client: TestClient, db: Session, world: World) -> None:
    admin = bearer(world.a.tokens["park_admin"])
    for lang, title in (("zh", "设备编号 (code)"), ("en", "Device code (code)")):
        response = client.get(f"{BULK}/template", params={"lang": lang}, headers=admin)
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        first, second = workbook.worksheets
        assert first.cell(1, 1).value == title and first.cell(2, 1).value == "EM-0001"
        listed = [row[0] for row in second.iter_rows(values_only=True)]
        assert "electricity_meter" in listed and "modbus" in listed
        # the filled template (its own headers) is read back: the example row makes a device
        first.cell(2, 1).value = f"EM-{lang}"
        buffer = io.BytesIO()
        workbook.save(buffer)
        made = client.post(BULK, files={"file": ("t.xlsx", buffer.getvalue())}, headers=admin)
        assert made.status_code == 201, made.text


def test_the_page_in_zh_and_en(client: TestClient, db: Session, world: World) -> None:
    csrf = login(client, "TA-park_admin")
    listing = client.get("/devices")
    assert 'href="/device-bulk"' in listing.text
    page = client.get("/device-bulk")
    assert page.status_code == 200 and "批量预配" in page.text
    english = client.get("/device-bulk?lang=en")
    assert "Bulk provisioning" in english.text and "Device code" in english.text
    template = client.get("/device-bulk/template.xlsx?lang=en")
    assert openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0].cell(1, 1).value == "Device code (code)"
    before = _devices(db)
    bad = [["PG-1", None, None, "electricity_meter", None, None, None, None]]
    files = {"file": ("devices.xlsx", xlsx(HEADERS, bad))}
    refused = client.post("/device-bulk?lang=zh", data={"csrf_token": csrf}, files=files)
    assert refused.status_code == 422
    text = visible_text(refused.text)
    assert "未创建任何设备" in text and "必填" in text and 'data-row="2" data-column="name"' in refused.text
    assert _devices(db) == before
    good = [["PG-1", "页面设备", None, "electricity_meter", None, None, None, None]]
    files = {"file": ("devices.xlsx", xlsx(HEADERS, good))}
    done = client.post("/device-bulk?lang=en", data={"csrf_token": csrf}, files=files)
    assert done.status_code == 201 and "1 device was created." in visible_text(done.text)
    device = db.scalar(select(Device).where(Device.code == "PG-1"))
    assert device is not None and 'href="data:application/vnd.openxmlformats' in done.text
    token = done.text.split('class="bulk-token">', 1)[1].split("<", 1)[0]
    assert device.token_hash == token_digest(token)
    assert token not in client.get("/device-bulk").text  # shown once
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/device-bulk").status_code == 403
    assert 'href="/device-bulk"' not in client.get("/devices").text
