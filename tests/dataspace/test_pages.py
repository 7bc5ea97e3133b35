"""Data-space pages: publish, request, agree, download (CSV) and the refusal beyond the count, the ledger shown as
verified, identifiers registered and resolved; CSRF; both languages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.dataspace.helpers import dataset_product
from tests.web.helpers import form_token, login, visible_text


def test_request_agree_download_and_refusal_on_the_pages(client: TestClient, world: World, db: Session) -> None:
    product = dataset_product(db)
    db.flush()
    login(client, "TA-enterprise2")
    page = client.get(f"/dataspace/products/{product.id}").text
    assert 'id="request-form"' in page and "申请使用该产品" in visible_text(page)
    asked = client.post(
        f"/dataspace/products/{product.id}/request",
        data={"p_maintenance": "on", "days": "5", "max_accesses": "1", "csrf_token": form_token(page)},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    contract_url = asked.headers["location"]
    assert "已申请" in visible_text(client.get(contract_url).text)

    client.cookies.clear()
    login(client, "TA-enterprise")
    provider_view = client.get(contract_url).text
    assert 'id="agree"' in provider_view and 'id="download-form"' not in provider_view
    no_token = client.post(f"{contract_url}/agree", data={}, follow_redirects=False)
    assert no_token.status_code == 403
    agreed = client.post(
        f"{contract_url}/agree", data={"csrf_token": form_token(provider_view)}, follow_redirects=False
    )
    assert agreed.status_code == 303

    client.cookies.clear()
    login(client, "TA-enterprise2")
    consumer_view = client.get(contract_url).text
    assert 'id="download-form"' in consumer_view
    token = form_token(consumer_view)
    got = client.post(f"{contract_url}/download", data={"purpose": "maintenance", "csrf_token": token})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    text = got.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "machine,value" and "secret" not in text and "s1" not in text
    refused = client.post(f"{contract_url}/download", data={"purpose": "maintenance", "csrf_token": token})
    assert refused.status_code == 403 and "下载次数已用完" in visible_text(refused.text)
    after = client.get(contract_url).text
    assert "哈希链校验通过" in visible_text(after) and after.count('class="ledger-refused"') == 1


def test_publish_form_and_identifiers_in_english(client: TestClient, world: World, db: Session) -> None:
    login(client, "TA-enterprise")
    client.cookies.set("dp_lang", "en")
    form = client.get("/dataspace/products/new?lang=en").text
    assert "Publish a data product" in visible_text(form)
    bad = client.post(
        "/dataspace/products/new",
        data={"title": "", "source": "energy_monthly", "columns": "month", "csrf_token": form_token(form)},
    )
    assert bad.status_code == 422 and 'id="product-form"' in bad.text
    made = client.post(
        "/dataspace/products/new",
        data={
            "title": "Our energy <b>",
            "source": "energy_monthly",
            "year": "2026",
            "columns": "month,tco2",
            "p_research": "on",
            "max_accesses": "2",
            "max_days": "30",
            "csrf_token": form_token(form),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    shown = client.get(made.headers["location"]).text
    assert "Our energy &lt;b&gt;" in shown
    ids = client.get("/dataspace/identifiers").text
    registered = client.post(
        "/dataspace/identifiers",
        data={"handle": "88.131.20261/PG-1", "kind": "product", "name": "Part", "csrf_token": form_token(ids)},
        follow_redirects=False,
    )
    assert registered.status_code == 303
    wrong = client.post(
        "/dataspace/identifiers",
        data={"handle": "99.1/PG", "kind": "product", "name": "Part", "csrf_token": form_token(ids)},
    )
    assert wrong.status_code == 422
    resolved = client.get("/dataspace/identifiers/resolve", params={"handle": "88.131.20261/PG-1"}).text
    assert 'id="resolved"' in resolved and "Part" in visible_text(resolved)
    assert client.get("/dataspace/identifiers/resolve", params={"handle": "88.131.20261/NONE"}).status_code == 404


def test_catalogue_lists_products_for_members_not_residents(client: TestClient, world: World, db: Session) -> None:
    product = dataset_product(db)
    db.flush()
    login(client, "TA-reviewer")
    assert f'data-id="{product.id}"' in client.get("/dataspace").text
    client.cookies.clear()
    login(client, "TA-resident")
    assert client.get("/dataspace").status_code in (403, 404)
