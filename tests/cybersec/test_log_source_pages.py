"""The log sources page: park staff add a source (by its network or a token), pause it, take it back and remove it;
a refused form says why in the reader's language and changes nothing; the token is never shown back; every change is
audited; an enterprise user and another park's staff get no such page or row."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.cybersec.models import LogSource
from tests.conftest import World
from tests.web.helpers import form_token, login, visible_text


def _sources(db: Session, park_id: int) -> list[LogSource]:
    db.expire_all()
    return list(db.scalars(select(LogSource).where(LogSource.park_id == park_id).order_by(LogSource.id)))


def test_staff_add_pause_resume_and_remove_a_source_and_bad_input_changes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    login(client, "TA-park_admin")
    before = len(_sources(db, world.a.park_id))
    audit_start = db.scalar(select(func.max(AuditEntry.id))) or 0  # rows of other tests may reuse the id
    listing = client.get("/security/log-sources", params={"lang": "zh"})
    assert listing.status_code == 200 and "日志源" in visible_text(listing.text)
    token = form_token(listing.text)

    refused = client.post(
        "/security/log-sources", data={"csrf_token": token, "name": "坏网段", "network": "10.0.0.999/8"}
    )
    assert refused.status_code == 422
    assert "不是有效的 IP 地址或网段" in visible_text(refused.text)
    neither = client.post("/security/log-sources", data={"csrf_token": token, "name": "无地址", "network": ""})
    assert neither.status_code == 422 and "或者填写令牌" in visible_text(neither.text)
    assert len(_sources(db, world.a.park_id)) == before

    secret = "tok-" + "k" * 20
    created = client.post(
        "/security/log-sources",
        data={
            "csrf_token": token,
            "name": "二号楼交换机",
            "network": "10.9.1.7",
            "token": secret,
            "enterprise_id": str(world.a.enterprise_ids[0]),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    row = _sources(db, world.a.park_id)[-1]
    assert (row.name, row.network, row.enterprise_id, row.active) == (
        "二号楼交换机",
        "10.9.1.7/32",
        world.a.enterprise_ids[0],
        True,
    )
    page = client.get("/security/log-sources", params={"lang": "zh"})
    assert "二号楼交换机" in page.text and secret not in page.text and "接收中" in visible_text(page.text)
    twice = client.post(
        "/security/log-sources", data={"csrf_token": token, "name": "二号楼交换机", "network": "10.9.1.8"}
    )
    assert twice.status_code == 422 and "已存在" in visible_text(twice.text)

    paused = client.post(f"/security/log-sources/{row.id}/active", data={"csrf_token": token}, follow_redirects=False)
    assert paused.status_code == 303 and _sources(db, world.a.park_id)[-1].active is False
    client.post(f"/security/log-sources/{row.id}/active", data={"csrf_token": token})
    assert _sources(db, world.a.park_id)[-1].active is True
    english = client.get("/security/log-sources", params={"lang": "en"})
    assert "Address or network" in english.text and "Accepted" in english.text

    ident = row.id
    removed = client.post(f"/security/log-sources/{ident}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert removed.status_code == 303 and len(_sources(db, world.a.park_id)) == before
    audited = select(AuditEntry.action).where(
        AuditEntry.entity_type == "cyber_log_source", AuditEntry.entity_id == str(ident), AuditEntry.id > audit_start
    )
    actions = db.scalars(audited).all()
    assert sorted(actions) == ["create", "delete", "update", "update"]


def test_enterprise_users_get_no_sources_page(client: TestClient) -> None:
    login(client, "TA-enterprise")
    assert client.get("/security/log-sources").status_code == 403


def test_another_parks_staff_neither_see_nor_change_a_source(client: TestClient, world: World, db: Session) -> None:
    source = LogSource(park_id=world.a.park_id, name="甲园防火墙", network="10.66.0.0/16")
    db.add(source)
    db.flush()
    login(client, "TB-park_admin")
    page = client.get("/security/log-sources")
    assert page.status_code == 200 and "甲园防火墙" not in page.text
    token = form_token(page.text)
    for action in ("active", "delete"):
        answer = client.post(f"/security/log-sources/{source.id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404
    db.expire_all()
    assert db.get(LogSource, source.id) is not None and db.get(LogSource, source.id).active is True  # type: ignore[union-attr]
