"""Device claiming with a claim code (staff issue it, shown once; an enterprise claims the device and owns it, its
points too; a wrong, used or expired code and another park's device are refused alike and change nothing) and the
provisioning keys page (a key for a profile, its secret shown once, its use count, revoking it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.audit.service import Actor, set_actor
from digipark.auth.models import Role
from digipark.auth.scope import Scope
from digipark.core.db import utcnow
from digipark.core.errors import Conflict, NotFound, PermissionDenied
from digipark.devices import claims, provisioning
from digipark.devices.models import ProvisioningKey
from digipark.registry.models import Device, Point
from tests.conftest import World
from tests.devices.test_commands import staff
from tests.web.helpers import login, visible_text


def enterprise(world: World, index: int = 0, park: str = "a") -> Scope:
    parks = {"a": world.a, "b": world.b}
    return Scope.for_user(
        role=Role.ENTERPRISE,
        username=f"ent{index}",
        user_id=None,
        park_id=parks[park].park_id,
        enterprise_id=parks[park].enterprise_ids[index],
    )


def test_an_enterprise_claims_a_park_device_with_its_code(db: Session, world: World) -> None:
    set_actor(db, Actor("op-a"))
    device = db.get(Device, world.a.device_ids[1])  # the park's gas detector, no owner
    assert device is not None and device.enterprise_id is None
    row, code = claims.issue(db, scope=staff(world, "op-a"), device_id=device.id, days=3)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code) and code not in row.code_hash
    ent = enterprise(world)
    for scope, code_given in ((ent, "AAAA-BBBB-CCCC"), (enterprise(world, park="b"), code)):
        with pytest.raises(NotFound):
            claims.claim(db, scope=scope, device_code=device.code, code=code_given)
    with pytest.raises(PermissionDenied):
        claims.claim(db, scope=staff(world, "op-a"), device_code=device.code, code=code)
    assert device.enterprise_id is None
    claimed = claims.claim(db, scope=ent, device_code=device.code, code=code.lower().replace("-", ""))
    assert claimed.enterprise_id == world.a.enterprise_ids[0]
    points = list(db.scalars(select(Point.enterprise_id).where(Point.device_id == device.id)))
    assert points and set(points) == {world.a.enterprise_ids[0]}
    assert (row.claimed_by, row.enterprise_id) == ("ent0", world.a.enterprise_ids[0])
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.entity_type == "device_claim"))
    with pytest.raises(NotFound):  # used
        claims.claim(db, scope=enterprise(world, 1), device_code=device.code, code=code)
    with pytest.raises(Conflict):  # it has an owner now
        claims.issue(db, scope=staff(world, "op-a"), device_id=device.id)
    assert [d.code for _c, d in claims.list_claims(db, scope=ent)] == [device.code]
    assert claims.list_claims(db, scope=enterprise(world, 1)) == []


def test_an_expired_code_is_refused_and_only_staff_issue(db: Session, world: World) -> None:
    set_actor(db, Actor("op-a"))
    device_id = world.a.device_ids[1]
    _row, code = claims.issue(db, scope=staff(world, "op-a"), device_id=device_id, days=1)
    later = utcnow() + dt.timedelta(days=2)
    with pytest.raises(NotFound):
        claims.claim(db, scope=enterprise(world), device_code="G1", code=code, now=later)
    with pytest.raises(PermissionDenied):
        claims.issue(db, scope=enterprise(world), device_id=device_id)
    with pytest.raises(NotFound):  # another park's device
        claims.issue(db, scope=staff(world, "op-a"), device_id=world.b.device_ids[1])


def test_the_claims_page_issues_a_code_once_and_an_enterprise_claims_with_it(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, "TA-operator")
    page = client.get("/device-claims")
    assert page.status_code == 200 and "生成认领码" in page.text
    issued = client.post("/device-claims/issue", data={"csrf_token": csrf, "device_id": world.a.device_ids[1]})
    assert issued.status_code == 201
    match = re.search(r'id="issued-claim-code">([A-Z2-9-]+)<', issued.text)
    assert match
    assert match.group(1) not in client.get("/device-claims").text  # shown once
    client.cookies.clear()
    csrf = login(client, "TA-enterprise")
    wrong = client.post("/device-claims", data={"csrf_token": csrf, "device_code": "G1", "claim_code": "nope"})
    assert wrong.status_code == 404 and "认领码已使用或已过期" in visible_text(wrong.text)
    done = client.post(
        "/device-claims",
        data={"csrf_token": csrf, "device_code": "G1", "claim_code": match.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert (
        db.scalar(select(Device.enterprise_id).where(Device.id == world.a.device_ids[1])) == (world.a.enterprise_ids[0])
    )
    english = client.get("/device-claims?lang=en")
    assert "Devices you claimed" in english.text and 'data-device="G1"' in english.text


def test_the_keys_page_shows_a_secret_once_counts_use_and_revokes(
    client: TestClient, db: Session, world: World
) -> None:
    csrf = login(client, "TA-park_admin")
    assert client.get("/provisioning-keys").status_code == 200
    bad = client.post("/provisioning-keys", data={"csrf_token": csrf, "name": "x", "profile": "no_such_profile"})
    assert bad.status_code == 422 and "未知的设备类型" in visible_text(bad.text)
    assert db.scalar(select(ProvisioningKey.id).where(ProvisioningKey.name == "x")) is None
    made = client.post(
        "/provisioning-keys",
        data={"csrf_token": csrf, "name": "温湿度批次", "profile": "temp_humidity", "max_devices": "2"},
    )
    assert made.status_code == 201
    key = re.search(r'id="issued-key-value">([0-9a-f]+)<', made.text)
    secret = re.search(r'id="issued-secret">([^<]+)<', made.text)
    assert key and secret
    assert secret.group(1) not in client.get("/provisioning-keys").text  # shown once
    provisioning.provision(db, key=key.group(1), secret=secret.group(1), device_name="TH-9")
    listed = client.get("/provisioning-keys")
    row_html = listed.text[listed.text.index(f'data-key="{key.group(1)}"') :]
    assert re.search(r'class="key-used">1 / 2<', row_html)
    row = db.scalar(select(ProvisioningKey).where(ProvisioningKey.key == key.group(1)))
    assert row is not None
    revoked = client.post(f"/provisioning-keys/{row.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    db.refresh(row)
    assert not row.active
    with pytest.raises(Conflict):
        provisioning.provision(db, key=key.group(1), secret=secret.group(1), device_name="TH-10")
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert client.get("/provisioning-keys").status_code == 403
    client.cookies.clear()
    other = login(client, "TB-park_admin")
    assert client.post(f"/provisioning-keys/{row.id}/revoke", data={"csrf_token": other}).status_code == 404
