"""Linking an asset to a shared-equipment service on its page (staff only): the choices are the park's bookable
shared equipment; a service of another kind or park is refused; the link can be removed; both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.assets.models import Asset
from digipark.services.models import ServiceOffering
from tests.assets.test_service import _asset
from tests.conftest import World
from tests.web.helpers import login, visible_text


def _offering(db: Session, park_id: int, name: str, kind: str = "shared_equipment") -> ServiceOffering:
    row = ServiceOffering(park_id=park_id, kind=kind, name=name, provider_name="园区运营公司", bookable=True)
    db.add(row)
    db.flush()
    return row


def test_staff_link_an_asset_to_a_shared_equipment_service_on_its_page(
    client: TestClient, world: World, db: Session
) -> None:
    asset = _asset(db, world)
    machine = _offering(db, world.a.park_id, "五轴加工中心")
    other_kind = _offering(db, world.a.park_id, "法律咨询", kind="consulting")
    other_park = _offering(db, world.b.park_id, "别园区的设备")
    db.commit()
    csrf = login(client, "TA-park_admin")
    page = client.get(f"/assets/{asset.id}")
    text = visible_text(page.text)
    assert page.status_code == 200 and "共享设备服务" in text and "未作为共享设备对外预约" in text
    assert "五轴加工中心" in page.text and "法律咨询" not in page.text and "别园区的设备" not in page.text
    form = {"csrf_token": csrf, "action": "offering"}
    saved = client.post(f"/assets/{asset.id}", data={**form, "offering_id": str(machine.id)}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("#asset-offering")
    db.expire_all()
    assert db.get(Asset, asset.id).offering_id == machine.id  # type: ignore[union-attr]
    assert f"/services/offerings/{machine.id}" in client.get(f"/assets/{asset.id}").text
    for refused in (other_kind.id, other_park.id, "abc", "99999999999"):
        answer = client.post(f"/assets/{asset.id}", data={**form, "offering_id": str(refused)})
        assert answer.status_code == 422, refused
    db.expire_all()
    assert db.get(Asset, asset.id).offering_id == machine.id  # type: ignore[union-attr]
    english = visible_text(client.get(f"/assets/{asset.id}?lang=en").text)
    assert "Shared equipment service" in english and "Booked as" in english
    # emptied: the link goes
    assert (
        client.post(f"/assets/{asset.id}", data={**form, "offering_id": ""}, follow_redirects=False).status_code == 303
    )
    db.expire_all()
    assert db.get(Asset, asset.id).offering_id is None  # type: ignore[union-attr]
    client.cookies.clear()
    # an enterprise user may not post it
    enterprise_csrf = login(client, "TA-enterprise")
    denied = client.post(
        f"/assets/{asset.id}",
        data={"csrf_token": enterprise_csrf, "action": "offering", "offering_id": str(machine.id)},
    )
    assert denied.status_code in (403, 404)
    db.expire_all()
    assert db.get(Asset, asset.id).offering_id is None  # type: ignore[union-attr]
