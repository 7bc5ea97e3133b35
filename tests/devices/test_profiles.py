"""Device profiles: the catalogue as version 1, each save a new version (audited), bad input refused with the field
and nothing saved, a park admin edits only its park's profiles, a device keeps the version it was provisioned with
(its points, ranges, commands and register map) until the current version is applied to it; the pages in both
languages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipark.devices import commands, profile_pages, profiles, provisioning
from digipark.devices.modbus import ModbusConnector
from digipark.devices.models import DeviceBinding
from digipark.devices.profile_models import DeviceProfile
from digipark.registry.models import Device, Point
from tests.conftest import World
from tests.devices.test_commands import staff
from tests.web.helpers import login, visible_text


def edited(spec: profiles.ProfileSpec, **changes: Any) -> dict[str, Any]:
    return {**spec.model_dump(), **changes}


def meter(db: Session, world: World) -> profiles.ProfileSpec:
    return profiles.get_spec(db, scope=staff(world, "admin-a", Role.PARK_ADMIN), key="electricity_meter")[0]


def count_versions(db: Session, park_id: int) -> int:
    return db.scalar(select(func.count()).select_from(DeviceProfile).where(DeviceProfile.park_id == park_id)) or 0


def test_the_catalogue_is_version_one_and_a_save_adds_version_two(db: Session, world: World) -> None:
    set_actor(db, Actor("admin-a"))
    admin = staff(world, "admin-a", Role.PARK_ADMIN)
    listed = {p.key: p for p in profiles.list_profiles(db, scope=admin)}
    assert listed["electricity_meter"].version == 1 and not listed["electricity_meter"].stored
    assert listed["electricity_meter"].devices >= 1  # the world's meter, on the catalogue's entry
    spec = meter(db, world)
    points = [p.model_dump() for p in spec.points]
    points[1]["valid_max"] = 5000.0
    row = profiles.save(db, scope=admin, data=edited(spec, points=points), note="power up to 5 MW")
    assert (row.version, row.created_by, row.note) == (2, "admin-a", "power up to 5 MW")
    versions = profiles.versions(db, scope=admin, key="electricity_meter")
    assert [(v.version, v.created_by) for v in versions] == [(2, "admin-a"), (1, profiles.CATALOGUE_AUTHOR)]
    assert {p.key: p.stored for p in profiles.list_profiles(db, scope=admin)}["electricity_meter"]
    audited = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "device_profile", AuditEntry.actor == "admin-a")
    )
    assert audited and audited >= 2
    with pytest.raises(Conflict):  # the same again: nothing changed
        profiles.save(db, scope=admin, data=edited(spec, points=points))
    # park B still has the catalogue's version 1
    b_admin = Scope.for_user(role=Role.PARK_ADMIN, username="admin-b", user_id=None, park_id=world.b.park_id)
    assert {p.key: p.version for p in profiles.list_profiles(db, scope=b_admin)}["electricity_meter"] == 1


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (lambda s, p: {"points": [{**p[0], "unit": "bogus_unit"}]}, "points.0.unit", "unknown unit"),
        (
            lambda s, p: {"points": [{**p[0], "valid_min": 10, "valid_max": 5}]},
            "points.0.valid_max",
            "must be greater than the lowest valid value",
        ),
        (lambda s, p: {"points": [p[0], p[0]]}, "points.1.key", "used twice"),
        (
            lambda s, p: {"points": [{**p[0], "key": "Bad Key"}]},
            "points.0.key",
            profiles.REASONS["string_pattern_mismatch"],
        ),
        (lambda s, p: {"points": []}, "points", "too short"),
        (lambda s, p: {"points": [{**p[0], "valid_min": "low"}]}, "points.0.valid_min", "wrong type of value"),
        (
            lambda s, p: {"register_map": {"registers": [{"key": "nope", "address": 0}]}},
            "register_map.registers.0.key",
            "no such point in this profile",
        ),
        (
            lambda s, p: {"register_map": {"registers": [{"key": p[0]["key"], "address": 0, "type": "int12"}]}},
            "register_map.registers.0.type",
            "not one of the allowed values",
        ),
        (
            lambda s, p: {"register_map": {"registers": [], "commands": {"explode": {"address": 1, "value": 1}}}},
            "register_map.commands.explode",
            "no such command in this profile",
        ),
        (
            lambda s, p: {"kind": "water_meter"},
            "kind",
            "the device kind of a profile cannot change (its devices are of that kind)",
        ),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_saved(
    db: Session, world: World, change: Any, field: str, reason: str
) -> None:
    set_actor(db, Actor("admin-a"))
    admin = staff(world, "admin-a", Role.PARK_ADMIN)
    spec = meter(db, world)
    points = [p.model_dump() for p in spec.points]
    before = count_versions(db, world.a.park_id)
    with pytest.raises(ValidationFailed) as caught:
        profiles.save(db, scope=admin, data=edited(spec, **change(spec, points)))
    error = caught.value.errors[0]
    assert error["field"] == field
    if reason != "too short":
        assert error["reason"] == reason
    assert count_versions(db, world.a.park_id) == before


def test_only_a_park_admin_edits_and_only_its_own_parks_profiles(db: Session, world: World) -> None:
    set_actor(db, Actor("x"))
    spec = meter(db, world)
    points = [{**p.model_dump(), "expected_interval_s": 30} for p in spec.points]
    data = edited(spec, points=points)
    for scope in (staff(world, "op-a", Role.OPERATOR), staff(world, "rev-a", Role.REVIEWER)):
        with pytest.raises(PermissionDenied):
            profiles.save(db, scope=scope, data=data)
    with pytest.raises((NotFound, PermissionDenied)):  # park A's admin cannot write park B's profiles
        profiles.save(db, scope=staff(world, "admin-a", Role.PARK_ADMIN), data=data, park_id=world.b.park_id)
    assert count_versions(db, world.a.park_id) == 0 and count_versions(db, world.b.park_id) == 0


def test_a_device_keeps_its_version_until_the_new_one_is_applied(db: Session, world: World) -> None:
    set_actor(db, Actor("admin-a"))
    admin = staff(world, "admin-a", Role.PARK_ADMIN)
    base = profiles.seed("hvac_unit")
    assert base is not None
    v1 = profiles.save(
        db,
        scope=admin,
        new=True,
        data=edited(base, key="office_ac", name_zh="办公空调", name_en="Office AC", protocol="modbus"),
    )
    assert v1.version == 1 and v1.kind == "hvac_unit"
    key_row, secret = provisioning.create_key(db, scope=admin, name="AC batch", kind="office_ac", max_devices=3)
    assert (key_row.kind, key_row.profile_key) == ("hvac_unit", "office_ac")
    device, _token = provisioning.provision(db, key=key_row.key, secret=secret, device_name="AC-101")
    assert profiles.profile_of_device(db, device.id) == v1
    assert device.protocol == "modbus"
    first_points = {p.key: p for p in db.scalars(select(Point).where(Point.device_id == device.id))}
    assert set(first_points) == {p.key for p in base.points}

    # version 2: a narrower set-point command, a new point, one point dropped, a register map
    points = [p.model_dump() for p in base.points]
    dropped = points.pop()["key"]
    points.append({"key": "fan_speed", "name_zh": "风机转速", "name_en": "Fan speed", "quantity": "speed",
                   "unit": "rpm", "device_class": "speed", "valid_min": 0, "valid_max": 3000})  # fmt: skip
    cmds = [c.model_dump() for c in base.commands]
    for c in cmds:
        for p in c["params"]:
            if p["key"] == "setpoint_c":
                p["max"] = 28
    register_map = {"registers": [{"key": "fan_speed", "address": 0, "type": "uint16"}]}
    v2 = profiles.save(
        db, scope=admin, data=edited(spec_of(v1), points=points, commands=cmds, register_map=register_map)
    )
    assert v2.version == 2
    # the provisioned device is still on version 1: its points, its commands (35 °C still allowed)
    assert profiles.profile_of_device(db, device.id) == v1
    assert "fan_speed" not in {p.key for p in db.scalars(select(Point).where(Point.device_id == device.id))}
    scope = staff(world, "op-a")
    made = commands.create(
        db, scope=scope, device_id=device.id, name="set_temperature", params={"setpoint_c": 33}, reason="热"
    )
    assert made.params == {"setpoint_c": 33}
    # a device made now gets version 2
    second, _ = provisioning.provision(db, key=key_row.key, secret=secret, device_name="AC-102")
    assert profiles.profile_of_device(db, second.id) == v2
    with pytest.raises(ValidationFailed):
        commands.create(
            db, scope=scope, device_id=second.id, name="set_temperature", params={"setpoint_c": 33}, reason="热"
        )
    # its register map is the profile's when its Modbus binding names none
    db.add(DeviceBinding(park_id=second.park_id, device_id=second.id, protocol="modbus", address="127.0.0.1:1502",
                         unit_id=1, profile=None))  # fmt: skip
    db.flush()
    target = next(t for t in ModbusConnector().targets(db) if t.device_id == second.id)
    assert target.register_map is not None and [r.key for r in target.register_map.registers] == ["fan_speed"]

    applied = profiles.apply_current(db, scope=admin, key="office_ac")
    assert applied.moved == 1 and applied.kept_points == {"AC-101": [dropped]}
    assert profiles.profile_of_device(db, device.id) == v2
    now_points = {p.key: p for p in db.scalars(select(Point).where(Point.device_id == device.id))}
    assert now_points["fan_speed"].valid_max == 3000 and dropped in now_points  # kept, with its history
    with pytest.raises(PermissionDenied):
        profiles.apply_current(db, scope=staff(world, "op-a", Role.OPERATOR), key="office_ac")
    assert db.scalar(select(Device.kind).where(Device.id == device.id)) == "hvac_unit"


def spec_of(row: DeviceProfile) -> profiles.ProfileSpec:
    return profiles.spec_of(row)


def test_the_pages_list_edit_and_refuse_bad_input_in_both_languages(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, "TA-park_admin")
    listed = client.get("/device-profiles")
    assert listed.status_code == 200 and "设备配置" in listed.text and 'data-key="electricity_meter"' in listed.text
    page = client.get("/device-profiles/electricity_meter")
    assert page.status_code == 200 and "energy_kwh" in page.text
    form = {
        "csrf_token": csrf,
        "kind": "electricity_meter",
        "name_zh": "电能表",
        "name_en": "Electricity meter",
        "protocol": "dlt645",
        "points": "- {key: energy_kwh, name_zh: 正向有功总电能, name_en: Active energy import,"
        " quantity: electric_energy, unit: kWh, device_class: energy, state_class: total_increasing,"
        " valid_min: 0, valid_max: 1.0e+11}\n",
        "commands": "",
        "register_map": "",
        "note": "一个点",
    }
    bad = client.post("/device-profiles/electricity_meter", data={**form, "points": "- {key: [unclosed"})
    assert bad.status_code == 422 and "不是有效的 YAML" in visible_text(bad.text) and "未保存" in bad.text
    worse = client.post(
        "/device-profiles/electricity_meter", data={**form, "points": form["points"].replace("kWh", "kWhh")}
    )
    assert worse.status_code == 422 and "points.0.unit" in worse.text and "未知的单位" in visible_text(worse.text)
    assert count_versions(db, world.a.park_id) == 0
    saved = client.post("/device-profiles/electricity_meter", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert [
        v.version for v in profiles.versions(db, scope=staff(world, "a", Role.PARK_ADMIN), key="electricity_meter")
    ] == [2, 1]
    english = client.get("/device-profiles/electricity_meter?lang=en")
    assert "version 2" in english.text and "Versions" in english.text
    new = client.post(
        "/device-profiles",
        data={**form, "key": "meter_lite", "name_zh": "简易电表", "name_en": "Lite meter", "lang": "en"},
        follow_redirects=False,
    )
    assert new.status_code == 303 and new.headers["location"] == "/device-profiles/meter_lite"
    client.cookies.clear()
    operator_csrf = login(client, "TA-operator")
    shown = client.get("/device-profiles/electricity_meter")
    assert shown.status_code == 200 and "save-profile-button" not in shown.text  # staff read, admins edit
    refused = client.post("/device-profiles/electricity_meter", data={**form, "csrf_token": operator_csrf})
    assert refused.status_code == 403
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/device-profiles").status_code == 403


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- &a [1, 2]\n- *a\n", "anchors and aliases are not allowed"),
        ("2026-13-45", "not valid YAML"),
        ("- {key: [unclosed", "not valid YAML"),
        ("x" * (profile_pages.MAX_SECTION_CHARS + 1), "too long"),
    ],
)
def test_a_section_that_is_not_plain_yaml_is_refused(text: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        profile_pages._parsed({"points": text})
    assert caught.value.errors[0] == {"field": "points", "reason": reason}
