"""Pages of datasets and connector keys: collect a CSV cleaned by rules, see the refused rows, the job and the
lineage; make a key for an agreed contract (shown once), list it, revoke it; who sees which; in Chinese."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.audit.models import AuditEntry
from digipark.dataspace.models import ConnectorKey, Dataset
from tests.conftest import World
from tests.dataspace.helpers import contract, dataset_product
from tests.web.helpers import form_token, login, visible_text


def test_collect_a_dataset_from_csv_and_read_its_refused_rows(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-enterprise")
    page = client.get("/dataspace/datasets?lang=zh")
    assert page.status_code == 200 and "采集数据集" in page.text
    token = form_token(page.text)
    rules = '[{"rule": "type", "column": "value", "type": "number"}, {"rule": "range", "column": "value", "min": 0}]'
    csv_text = "machine,value\nM1,1.5\nM2,abc\nM3,-4\nM4,7"
    made = client.post(
        "/dataspace/datasets",
        data={"csrf_token": token, "name": "检测数据", "csv": csv_text, "rules": rules},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    row = db.scalar(select(Dataset).where(Dataset.name == "检测数据"))
    assert row is not None and row.row_count == 2 and len(row.rejected) == 2
    detail = visible_text(client.get(made.headers["location"]).text)
    assert "value：不是数值" in detail and "value：低于 0" in detail and "类型检查" in detail  # reasons in Chinese
    english = visible_text(client.get(made.headers["location"] + "?lang=en").text)
    assert "value: not a number" in english and "value: below 0" in english and "Type check" in english
    client.get(made.headers["location"] + "?lang=zh")
    # bad input: nothing written, the reason shown
    bad = client.post("/dataspace/datasets", data={"csrf_token": token, "name": "x", "csv": "a,b\n1,2", "rules": "{"})
    assert bad.status_code == 422 and "规则" in bad.text
    assert db.scalar(select(Dataset).where(Dataset.name == "x")) is None
    # another enterprise does not see it
    client.cookies.clear()
    login(client, "TA-enterprise2")
    assert "检测数据" not in client.get("/dataspace/datasets").text
    assert client.get(f"/dataspace/datasets/{row.id}").status_code == 404


def test_make_list_and_revoke_a_connector_key(client: TestClient, world: World, db: Session) -> None:
    agreed = contract(db, dataset_product(db))  # enterprise2 consumes
    login(client, "TA-enterprise2")
    page = client.get("/dataspace/keys?lang=zh")
    assert page.status_code == 200 and "连接器密钥" in page.text
    token = form_token(page.text)
    made = client.post(
        "/dataspace/keys",
        data={"csrf_token": token, "contract_id": str(agreed.id), "p_maintenance": "on", "daily_quota": "3"},
    )
    assert made.status_code == 201, made.text
    key = db.scalar(select(ConnectorKey).where(ConnectorKey.contract_id == agreed.id))
    assert key is not None and key.daily_quota == 3 and key.purposes == ["maintenance"]
    assert "dsk_" in made.text and key.hint in made.text
    refused = client.post(
        "/dataspace/keys",
        data={"csrf_token": token, "contract_id": str(agreed.id), "p_research": "on", "daily_quota": "3"},
    )
    assert refused.status_code == 422  # research is not a purpose of the contract
    # the provider sees no key of the consumer; the consumer revokes its key
    client.cookies.clear()
    login(client, "TA-enterprise")
    assert key.hint not in client.get("/dataspace/keys").text
    assert client.post(f"/dataspace/keys/{key.id}/revoke", data={"csrf_token": token}).status_code in (403, 404)
    client.cookies.clear()
    login(client, "TA-enterprise2")
    token = form_token(client.get("/dataspace/keys").text)
    done = client.post(f"/dataspace/keys/{key.id}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    db.refresh(key)
    assert key.revoked
    audit = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "ds_connector_key", AuditEntry.entity_id == str(key.id))
        .order_by(AuditEntry.id.desc())
    )
    assert audit is not None and audit.action == "update"
