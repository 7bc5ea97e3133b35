"""Excel / CSV export and all-or-nothing Excel import of registry rows (API and service)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.codes import make_uscc
from digipark.core.errors import PermissionDenied, ValidationFailed
from digipark.core.listing import ListQuery
from digipark.registry import excel
from digipark.registry import service as registry
from digipark.registry.device_tokens import token_digest
from digipark.registry.models import Building, Device, Enterprise, Point
from tests.conftest import World, bearer

XLSX = excel.XLSX_MEDIA_TYPE
PROBLEM = "application/problem+json"


def uscc(n: int, region: str = "320500") -> str:
    return make_uscc("9", "1", region, f"MA1{n:05d}")


def bad_check_digit(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def workbook(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_xlsx(content: bytes) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Header, data rows keyed by field key, and sheet names."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    keys = [h.rsplit("(", 1)[1].rstrip(")") for h in header]
    padded = [(*row, *[None] * (len(keys) - len(row))) for row in rows[1:]]  # read_only drops trailing empty cells
    return header, [dict(zip(keys, row, strict=True)) for row in padded], book.sheetnames


def upload(client: TestClient, path: str, content: bytes, token: str, **params: Any) -> Any:
    return client.post(
        f"/api/v1/{path}/import", headers=bearer(token), params=params, files={"file": ("data.xlsx", content, XLSX)}
    )


def count(db: Session, model: type[Any], park_id: int) -> int:
    return db.scalar(select(func.count()).select_from(model).where(model.park_id == park_id)) or 0


def audit_entries(db: Session, action: str, entity_type: str) -> list[AuditEntry]:
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity_type == entity_type))
    )


def admin_scope(world: World) -> Scope:
    return Scope.for_user(role=Role.PARK_ADMIN, username="excel-test", user_id=None, park_id=world.a.park_id)


ENTERPRISE_HEADER = ["名称", "统一社会信用代码", "行业代码", "规上", "工业企业", "成立日期", "从业人数"]


# -- export --------------------------------------------------------------------------------------------------
def test_export_xlsx_has_only_the_parks_rows(client: TestClient, db: Session, world: World) -> None:
    response = client.get("/api/v1/enterprises.xlsx", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "enterprises.xlsx" in response.headers["content-disposition"]
    header, rows, sheets = read_xlsx(response.content)
    assert header[0] == "企业名称 (name)"
    assert sheets == ["企业 enterprises", excel.README_TITLE]
    park_a = {e.uscc for e in db.scalars(select(Enterprise).where(Enterprise.park_id == world.a.park_id))}
    assert {row["uscc"] for row in rows} == park_a
    assert len(rows) == 2
    assert rows[0]["above_scale"] is True and rows[0]["industry_code"] == "3311"

    full = openpyxl.load_workbook(io.BytesIO(response.content))
    assert full.worksheets[0].freeze_panes == "A2"
    assert full.worksheets[0]["A1"].font.bold
    assert [entry.after for entry in audit_entries(db, "export", "enterprise")][-1]["rows"] == 2


def test_export_csv_utf8_bom(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/enterprises.csv", headers=bearer(world.a.tokens["park_admin"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert {row["企业名称 (name)"] for row in rows} == {"TA企业0", "TA企业1"}
    assert {row["规上 (above_scale)"] for row in rows} == {"TRUE", "FALSE"}


def test_export_of_an_enterprise_user_has_only_its_enterprise(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/enterprises.xlsx", headers=bearer(world.a.tokens["enterprise"]))
    assert response.status_code == 200, response.text
    _, rows, _ = read_xlsx(response.content)
    assert [row["name"] for row in rows] == ["TA企业0"]
    devices = client.get("/api/v1/devices.csv", headers=bearer(world.a.tokens["enterprise"]))
    assert devices.status_code == 200
    assert [row["设备编号 (code)"] for row in csv.DictReader(io.StringIO(devices.text.lstrip("\ufeff")))] == ["M1"]


def test_export_renders_references_as_natural_keys_and_applies_filters(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/devices.xlsx", headers=bearer(world.a.tokens["park_admin"]), params={"kind": "electricity_meter"}
    )
    _, rows, _ = read_xlsx(response.content)
    assert len(rows) == 1
    assert rows[0]["code"] == "M1" and rows[0]["building_code"] == "B1"
    assert rows[0]["enterprise_uscc"] == make_uscc("9", "1", "320500", "010MA000")
    buildings = client.get("/api/v1/buildings.xlsx", headers=bearer(world.a.tokens["park_admin"]))
    _, rows, _ = read_xlsx(buildings.content)
    assert (rows[0]["zone_code"], rows[0]["parcel_code"]) == ("Z1", "P1")


def test_export_unknown_format_and_resident(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/enterprises.pdf", headers=bearer(world.a.tokens["park_admin"])).status_code == 404
    response = client.get("/api/v1/buildings.csv", headers=bearer(world.a.tokens["resident"]))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)


def test_export_never_writes_formulas(db: Session, world: World) -> None:
    enterprise = db.get(Enterprise, world.a.enterprise_ids[1])
    assert enterprise is not None
    enterprise.name = '=HYPERLINK("http://evil","x")'
    db.flush()
    content, _ = excel.export_rows(db, scope=admin_scope(world), kind_key="enterprise", query=ListQuery(), fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [sheet.cell(row=r, column=1) for r in (2, 3)]
    assert {c.data_type for c in cells} == {"s"}
    text, _ = excel.export_rows(db, scope=admin_scope(world), kind_key="enterprise", query=ListQuery(), fmt="csv")
    assert "'=HYPERLINK" in text.decode("utf-8-sig")


# -- import --------------------------------------------------------------------------------------------------
def test_import_creates_rows_and_is_audited(client: TestClient, db: Session, world: World) -> None:
    before = count(db, Enterprise, world.a.park_id)
    content = workbook(
        ENTERPRISE_HEADER,
        [
            ["苏州甲公司", uscc(1), "3311", "是", "否", dt.date(2015, 3, 1), 120],
            ["苏州乙公司", uscc(2), 3311, True, "yes", "2018-07-15", "35"],
            ["苏州丙公司", uscc(3).lower(), "C3311", "FALSE", 1, None, None],
        ],
    )
    response = upload(client, "enterprises", content, world.a.tokens["park_admin"])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "kind": "enterprise",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "dry_run": False,
        "errors": [],
    }
    assert count(db, Enterprise, world.a.park_id) == before + 3
    first = db.scalar(select(Enterprise).where(Enterprise.uscc == uscc(1)))
    assert first is not None
    assert (first.above_scale, first.industrial, first.established_on, first.employees) == (
        True,
        False,
        dt.date(2015, 3, 1),
        120,
    )
    second = db.scalar(select(Enterprise).where(Enterprise.uscc == uscc(2)))
    assert second is not None and second.industrial and second.established_on == dt.date(2018, 7, 15)
    assert db.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc(3))) is not None
    entries = audit_entries(db, "import", "enterprise")
    assert entries[-1].after == {"created": 3, "updated": 0, "file_rows": 3}
    assert entries[-1].park_id == world.a.park_id
    assert (
        len(
            [
                e
                for e in audit_entries(db, "create", "enterprise")
                if e.after and e.after["uscc"] in {uscc(1), uscc(2), uscc(3)}
            ]
        )
        == 3
    )


def test_import_with_bad_rows_writes_nothing_and_lists_every_error(
    client: TestClient, db: Session, world: World
) -> None:
    before = count(db, Enterprise, world.a.park_id)
    audits_before = db.scalar(select(func.count()).select_from(AuditEntry))
    content = workbook(
        ENTERPRISE_HEADER,
        [
            ["好公司", uscc(11), "3311", "否", "否", None, 10],  # row 2: fine
            ["校验位错", bad_check_digit(uscc(12)), "3311", "否", "否", None, 10],  # row 3
            ["行业错", uscc(13), "9999", "否", "否", None, 10],  # row 4
            ["重复", uscc(11), "3311", "否", "否", None, 10],  # row 5: duplicate of row 2
            [None, uscc(14), "3311", "否", "否", None, 10],  # row 6: no name
            ["布尔错", uscc(15), "3311", "也许", "否", "2020-13-45", -1],  # row 7: three errors
        ],
    )
    response = upload(client, "enterprises", content, world.a.tokens["park_admin"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"].endswith("/validation-error")
    assert body["failed_rows"] == 5 and body["rows"] == 6
    assert "5 of 6 rows failed" in body["detail"]
    found = {(e["row"], e["column"]) for e in body["errors"]}
    assert found == {
        (3, "uscc"),
        (4, "industry_code"),
        (5, "uscc"),
        (6, "name"),
        (7, "above_scale"),
        (7, "established_on"),
        (7, "employees"),
    }
    reasons = {(e["row"], e["column"]): e["reason"] for e in body["errors"]}
    assert "check digit" in reasons[(3, "uscc")]
    assert "row 2" in reasons[(5, "uscc")]
    assert reasons[(6, "name")] == "required"
    assert count(db, Enterprise, world.a.park_id) == before
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits_before


def test_import_buildings_unknown_zone_is_reported_on_its_column(client: TestClient, db: Session, world: World) -> None:
    before = count(db, Building, world.a.park_id)
    content = workbook(
        ["code", "name", "zone_code", "floors", "use", "gigabit_fibre"],
        [
            ["B10", "10号厂房", "Z1", 2, "factory", "是"],
            ["B11", "11号厂房", "Z9", 2, "factory", "否"],
        ],
    )
    response = upload(client, "buildings", content, world.a.tokens["park_admin"])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == [{"row": 3, "column": "zone_code", "reason": "no zone with code 'Z9' in this park"}]
    assert count(db, Building, world.a.park_id) == before
    # a zone of another park is unknown too
    other = workbook(["code", "name", "zone_code", "use"], [["B12", "12号厂房", "Z1", "factory"]])
    response = upload(client, "buildings", other, world.b.tokens["park_admin"])
    assert response.status_code == 200, response.text
    b12 = db.scalar(select(Building).where(Building.code == "B12"))
    assert b12 is not None and b12.park_id == world.b.park_id


def test_dry_run_writes_nothing(client: TestClient, db: Session, world: World) -> None:
    before = count(db, Enterprise, world.a.park_id)
    audits_before = db.scalar(select(func.count()).select_from(AuditEntry))
    content = workbook(
        ENTERPRISE_HEADER,
        [
            ["试运行公司", uscc(21), "3311", "否", "否", None, None],
            ["TA企业0改名", make_uscc("9", "1", "320500", "010MA000"), "3311", "是", "是", None, 5],
        ],
    )
    response = upload(client, "enterprises", content, world.a.tokens["park_admin"], dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)
    assert count(db, Enterprise, world.a.park_id) == before
    assert db.scalar(select(Enterprise.name).where(Enterprise.id == world.a.enterprise_ids[0])) == "TA企业0"
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audits_before


def test_round_trip_of_buildings_updates_not_duplicates(client: TestClient, db: Session, world: World) -> None:
    token = world.a.tokens["park_admin"]
    exported = client.get("/api/v1/buildings.xlsx", headers=bearer(token))
    assert exported.status_code == 200
    before = count(db, Building, world.a.park_id)
    response = upload(client, "buildings", exported.content, token)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (0, before)
    assert count(db, Building, world.a.park_id) == before

    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = book.worksheets[0]
    sheet.cell(row=2, column=2).value = "1号厂房（改）"
    sheet.append(["B20", "20号楼", "Z1", None, 5, 12000, "office", 2021, True, False])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, "buildings", buffer.getvalue(), token)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (1, before)
    building = db.get(Building, world.a.building_id)
    assert building is not None
    db.refresh(building)
    assert building.name == "1号厂房（改）" and building.zone_id == world.a.zone_id
    assert building.parcel_id == world.a.parcel_id and building.footprint is not None
    assert count(db, Building, world.a.park_id) == before + 1


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"name,uscc\nx,y\n", 415),
        (b"PK\x03\x04 this is not really a zip", 415),
        (b"", 415),
    ],
)
def test_non_xlsx_upload_is_a_problem(client: TestClient, world: World, content: bytes, status: int) -> None:
    response = upload(client, "enterprises", content, world.a.tokens["park_admin"])
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"].endswith("/unsupported-file")


def test_a_zip_that_is_not_a_workbook(client: TestClient, world: World) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    response = upload(client, "enterprises", buffer.getvalue(), world.a.tokens["park_admin"])
    assert response.status_code == 415


def test_import_permissions(client: TestClient, world: World) -> None:
    content = workbook(ENTERPRISE_HEADER, [["某公司", uscc(31), "3311", "否", "否", None, None]])
    for role in ("operator", "enterprise", "reviewer", "resident"):
        response = upload(client, "enterprises", content, world.a.tokens[role])
        assert response.status_code == 403, (role, response.text)
    buildings = workbook(["code", "name", "use"], [["B30", "30号楼", "office"]])
    assert upload(client, "buildings", buildings, world.a.tokens["operator"]).status_code == 200


def test_header_problems(client: TestClient, world: World) -> None:
    content = workbook(["名称", "备注", "名称 (name)"], [["x", "y", "z"]])
    response = upload(client, "enterprises", content, world.a.tokens["park_admin"])
    assert response.status_code == 422
    errors = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert errors == {(1, "备注"), (1, "name"), (1, "uscc")}
    empty = upload(client, "enterprises", workbook([], []), world.a.tokens["park_admin"])
    assert empty.status_code == 422


# -- service level -------------------------------------------------------------------------------------------
def test_service_import_devices_and_points(db: Session, world: World) -> None:
    scope = admin_scope(world)
    e0 = make_uscc("9", "1", "320500", "010MA000")
    devices = workbook(
        ["设备编号", "设备名称", "设备类型", "所属企业信用代码", "所在建筑编号", "安装日期", "状态", "protocol"],
        [
            ["W1", "企业水表", "water_meter", e0.lower(), "B1", 45000, "运行", None],
            ["M1", "企业电表（新）", "electricity_meter", e0, "B1", None, "maintenance", None],
            ["T1", "温湿度", "temp_humidity", None, None, "2024/05/06", None, "modbus"],
        ],
    )
    report = excel.import_or_raise(db, scope=scope, kind_key="device", content=devices)
    assert (report.created, report.updated, report.rows) == (2, 1, 3)
    assert set(report.device_tokens) == {"W1", "T1"}  # the created devices' tokens, shown in this answer only
    w1 = db.scalar(select(Device).where(Device.code == "W1", Device.park_id == world.a.park_id))
    assert w1 is not None and w1.token_hash == token_digest(report.device_tokens["W1"])
    assert w1.enterprise_id == world.a.enterprise_ids[0] and w1.building_id == world.a.building_id
    assert w1.installed_on == dt.date(2023, 3, 15) and w1.protocol == "cjt188"
    m1 = db.get(Device, world.a.device_ids[0])
    assert m1 is not None and m1.status == "maintenance" and m1.protocol == "dlt645"
    t1 = db.scalar(select(Device).where(Device.code == "T1", Device.park_id == world.a.park_id))
    assert t1 is not None and t1.protocol == "modbus" and t1.installed_on == dt.date(2024, 5, 6)
    assert count(db, Point, world.a.park_id) > 0

    points_before = count(db, Point, world.a.park_id)
    points = workbook(
        ["device_code", "key", "name", "quantity", "unit", "device_class", "state_class", "valid_min", "valid_max"],
        [
            ["M1", "energy_kwh", "总电能", "electric_energy", "kWh", "energy", "total_increasing", 0, 1e9],
            ["M1", "energy_export_kwh", "反向有功电能", "electric_energy", "kWh", "energy", "累计值", None, None],
        ],
    )
    report = excel.import_or_raise(db, scope=scope, kind_key="point", content=points)
    assert (report.created, report.updated) == (1, 1)
    assert count(db, Point, world.a.park_id) == points_before + 1
    new = db.scalar(select(Point).where(Point.key == "energy_export_kwh"))
    assert new is not None and new.enterprise_id == world.a.enterprise_ids[0] and new.state_class == "total_increasing"


def test_service_import_reports_every_error(db: Session, world: World) -> None:
    scope = admin_scope(world)
    before = count(db, Point, world.a.park_id)
    points = workbook(
        ["device_code", "key", "name", "quantity", "unit", "device_class", "valid_min", "valid_max"],
        [
            ["M1", "energy_kwh", "总电能", "water_volume", "kWh", "energy", None, None],  # quantity is fixed
            ["XX", "p1", "x", "q", "kWh", "energy", None, None],  # unknown device
            ["G1", "Bad Key", "x", "q", "bananas", "energy", None, None],  # key, unit
            ["G1", "p2", "x", "q", "kWh", "energy", 5, 1],
        ],
    )  # range
    with pytest.raises(ValidationFailed) as caught:
        excel.import_or_raise(db, scope=scope, kind_key="point", content=points)
    found = {(e["row"], e["column"]) for e in caught.value.errors}
    assert found == {(2, "quantity"), (3, "device_code"), (4, "key"), (4, "unit"), (5, "valid_max")}
    assert count(db, Point, world.a.park_id) == before
    with pytest.raises(ValidationFailed):
        excel.import_or_raise(db, scope=scope, kind_key="point", content=points, dry_run=True)


def test_service_import_limits_and_permissions(db: Session, world: World) -> None:
    scope = admin_scope(world)
    with pytest.raises(excel.FileTooLarge):
        excel.import_or_raise(db, scope=scope, kind_key="building", content=b"x" * (excel.MAX_IMPORT_BYTES + 1))
    reviewer = Scope.for_user(role=Role.REVIEWER, username="r", user_id=None, park_id=world.a.park_id)
    with pytest.raises(PermissionDenied):
        excel.import_or_raise(db, scope=reviewer, kind_key="building", content=workbook(["code"], [["B1"]]))


def test_database_error_rolls_the_whole_import_back(db: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    scope = admin_scope(world)
    before = count(db, Building, world.a.park_id)
    real_create = registry.create
    calls = 0

    def failing_create(session: Session, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise IntegrityError("INSERT", {}, Exception("boom"))
        return real_create(session, **kwargs)

    monkeypatch.setattr(registry, "create", failing_create)
    content = workbook(["code", "name", "use"], [["B40", "40号楼", "office"], ["B41", "41号楼", "office"]])
    with pytest.raises(ValidationFailed) as caught:
        excel.import_or_raise(db, scope=scope, kind_key="building", content=content)
    assert caught.value.errors == [
        {"row": 3, "column": None, "reason": "the database rejected this row (duplicate or conflicting data)"}
    ]
    assert count(db, Building, world.a.park_id) == before
    assert db.scalar(select(Building.id).where(Building.code == "B40")) is None


def test_enterprise_round_trip_changes_nothing(client: TestClient, db: Session, world: World) -> None:
    token = world.a.tokens["park_admin"]
    content = workbook(
        [
            "企业名称（name）",
            "统一社会信用代码 (uscc)",
            "行业代码",
            "规上",
            "工业企业",
            "注册资本(万元)",
            "成立日期",
            "联系电话",
            "状态",
        ],
        [["往返公司", uscc(41), "3311", "是", "1", 1234.5, dt.datetime(2012, 1, 31), 13800000000, "迁出"]],
    )
    assert upload(client, "enterprises", content, token).status_code == 200
    created = db.scalar(select(Enterprise).where(Enterprise.uscc == uscc(41)))
    assert created is not None
    assert (created.registered_capital_wan_yuan, created.established_on, created.contact_phone, created.status) == (
        1234.5,
        dt.date(2012, 1, 31),
        "13800000000",
        "moved_out",
    )
    updates_before = len(audit_entries(db, "update", "enterprise"))
    exported = client.get("/api/v1/enterprises.xlsx", headers=bearer(token))
    response = upload(client, "enterprises", exported.content, token)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (0, 3)
    assert len(audit_entries(db, "update", "enterprise")) == updates_before
