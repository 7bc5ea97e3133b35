"""Industrial internet identifiers: the format, registration, resolution to the platform's records, statistics."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from digipark.core.errors import NotFound, PermissionDenied, ValidationFailed
from digipark.dataspace import identifiers
from tests.conftest import World
from tests.dataspace.helpers import scope_of

VALID = ["88.131.20261/P-0001", "88.101.1/设备-07", "88.999.12345678/a.b:c/d"]
INVALID = [
    "",
    "88.131.20261",  # no suffix
    "88.131.20261/",  # empty suffix
    "86.131.20261/P1",  # not the industrial internet's prefix
    "88.13.20261/P1",  # "xxx" has three digits
    "88.1311.20261/P1",
    "88.131.123456789/P1",  # "yyy" too long
    "88.131.2026a/P1",
    "88.131.20261/P 1",  # whitespace in the suffix
    "88.131.20261//P1",
    "88.131.20261/" + "x" * 201,
    " 88.131.20261/P1",
]


@pytest.mark.parametrize("handle", VALID)
def test_valid_identifiers(handle: str) -> None:
    parsed = identifiers.parse(handle)
    assert f"{parsed.prefix}/{parsed.suffix}" == handle


@pytest.mark.parametrize("handle", INVALID)
def test_invalid_identifiers(handle: str) -> None:
    assert not identifiers.is_valid(handle)


def test_register_and_resolve(db: Session, world: World) -> None:
    owner = scope_of(db, "enterprise")
    device_id = world.a.device_ids[0]  # owned by enterprise 0
    row = identifiers.register(
        db,
        scope=owner,
        handle="88.131.20261/EQ-T1",
        kind="equipment",
        name="注塑机",
        attributes={"型号": "HX-200"},
        device_id=device_id,
        target_url="https://mes.example.com/eq/T1",
    )
    assert row.prefix == "88.131.20261" and row.enterprise_id == owner.enterprise_id
    mine = identifiers.resolve(db, scope=owner, handle=row.handle)
    assert mine["device"]["id"] == device_id and mine["attributes"] == {"型号": "HX-200"}
    assert mine["target_url"] == "https://mes.example.com/eq/T1" and mine["resolutions"] == 1
    # another enterprise of the park resolves the identifier but does not see the device it marks
    theirs = identifiers.resolve(db, scope=scope_of(db, "enterprise2"), handle=row.handle)
    assert theirs["device"] is None and theirs["owner"]["enterprise_id"] == owner.enterprise_id
    assert identifiers.statistics(db, scope=owner)["by_kind"]["equipment"]["resolutions"] >= 2
    # another park does not resolve it; an unknown or malformed identifier is not a record
    with pytest.raises(NotFound):
        identifiers.resolve(db, scope=scope_of(db, "park_admin", "TB"), handle=row.handle)
    with pytest.raises(NotFound):
        identifiers.resolve(db, scope=owner, handle="88.131.20261/NONE")
    with pytest.raises(ValidationFailed):
        identifiers.resolve(db, scope=owner, handle="not-an-identifier")


def test_registration_is_checked(db: Session, world: World) -> None:
    owner = scope_of(db, "enterprise")

    def register(account: str = "enterprise", **fields: object) -> None:
        values: dict[str, object] = {"handle": "88.131.20261/X-1", "kind": "product", "name": "x", "attributes": {}}
        identifiers.register(db, scope=scope_of(db, account), **{**values, **fields})  # type: ignore[arg-type]

    with pytest.raises(ValidationFailed):
        register(handle="88.1.2/X")
    register()
    with pytest.raises(ValidationFailed):  # a handle once only
        register("enterprise2")
    with pytest.raises(ValidationFailed):  # another enterprise's device
        register("enterprise2", handle="88.131.20261/X-2", device_id=world.a.device_ids[0])
    with pytest.raises(PermissionDenied):
        register("reviewer", handle="88.131.20261/X-3")
    assert owner.enterprise_id is not None


def _sheet(rows: list[list[object]]) -> bytes:
    from tests.tenancy.helpers import xlsx

    return xlsx(["标识", "类别", "名称", "企业自有系统", "属性"], rows)


def test_bulk_registration_from_excel_is_all_or_nothing(db: Session, world: World) -> None:
    from digipark.core.spreadsheet import ImportFailed

    owner = scope_of(db, "enterprise")
    bad = _sheet(
        [
            ["88.131.7/B-1", "批次", "第1批", "https://mes.example.com", "数量=10; 颜色=蓝"],
            ["88.131.7/B-1", "批次", "重复", None, None],
            ["88.1.7/B-2", "批次", "格式错", None, None],
            ["88.131.7/B-3", "卡车", "类别错", None, "无等号"],
        ]
    )
    with pytest.raises(ImportFailed) as failed:
        identifiers.import_workbook(db, scope=owner, content=bad)
    reasons = {(e["row"], e["column"]) for e in failed.value.errors}
    assert reasons == {(3, "handle"), (4, "handle"), (5, "kind"), (5, "attributes")}
    assert not identifiers.is_valid("88.1.7/B-2")
    good = _sheet(
        [["88.131.7/B-1", "批次", "第1批", None, "数量=10; 颜色=蓝"], ["88.131.7/E-1", "equipment", "机床", None, None]]
    )
    assert identifiers.import_workbook(db, scope=owner, content=good, dry_run=True).created == 0
    report = identifiers.import_workbook(db, scope=owner, content=good)
    assert report.created == 2
    found = identifiers.resolve(db, scope=owner, handle="88.131.7/B-1")
    assert found["attributes"] == {"数量": "10", "颜色": "蓝"} and found["kind"] == "batch"
    with pytest.raises(PermissionDenied):
        identifiers.import_workbook(db, scope=scope_of(db, "reviewer"), content=good)
