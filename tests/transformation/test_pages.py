"""Transformation pages in Chinese and English: the map, the record, the questionnaire (save, submit, evidence),
the review, the catalogue and requests; an enterprise user never sees another enterprise's answers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from digipark.core.listing import ListQuery
from digipark.transformation import service
from digipark.transformation.schemas import AssessmentCreate, AssessmentUpdate, CatalogueCreate
from tests.conftest import World
from tests.transformation.helpers import EXAMPLE_A, admin, own
from tests.web.helpers import form_token, login, visible_text


@pytest.fixture
def assessment(db: Session, world: World) -> int:
    row = service.create_assessment(
        db, scope=own(world.a), data=AssessmentCreate(year=service.today().year, answers={"Q01": ["B"]})
    )
    service.create_catalogue_entry(
        db,
        scope=admin(world.a),
        data=CatalogueCreate(kind="product", name="演示轻量MES", provider="演示服务商", scenes=["S06"], demo=True),  # type: ignore[arg-type]
    )
    db.flush()
    return row.id


@pytest.mark.parametrize(
    ("lang", "words"), [("zh", ("转型地图", "数字化改造")), ("en", ("Transformation map", "renovat"))]
)
def test_pages_render_in_both_languages(
    client: TestClient, world: World, assessment: int, lang: str, words: tuple[str, str]
) -> None:
    login(client, "TA-park_admin")
    page = client.get(f"/transformation?lang={lang}")
    assert page.status_code == 200, page.text
    assert all(word in page.text for word in words) and "TA企业0" in page.text
    for url in (
        f"/transformation/enterprises/{world.a.enterprise_ids[0]}",
        f"/transformation/assessments/{assessment}",
        f"/transformation/assessments/{assessment}?section=scenes",
        "/transformation/review",
        "/transformation/catalogue",
        "/transformation/requests",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
    text = visible_text(client.get(f"/transformation/assessments/{assessment}").text)
    assert ("数字化基础" if lang == "zh" else "Digital foundation") in text
    if lang == "zh":
        assert "Save draft" not in text and "Waiting for review" not in text


def test_an_enterprise_user_sees_only_its_own_assessment(client: TestClient, world: World, assessment: int) -> None:
    login(client, "TA-enterprise2")
    assert client.get(f"/transformation/assessments/{assessment}").status_code == 404
    assert client.get(f"/transformation/enterprises/{world.a.enterprise_ids[0]}").status_code == 404
    assert (
        client.get("/transformation", follow_redirects=False)
        .headers["location"]
        .endswith(f"/transformation/enterprises/{world.a.enterprise_ids[1]}")
    )
    token = form_token(client.get(f"/transformation/enterprises/{world.a.enterprise_ids[1]}").text)
    response = client.post(
        f"/transformation/assessments/{assessment}",
        data={"csrf_token": token, "section": "D1", "action": "save", "Q01": ["C"]},
        follow_redirects=False,
    )
    assert response.status_code == 404


def test_fill_in_submit_and_review_through_the_pages(
    client: TestClient, db: Session, world: World, assessment: int
) -> None:
    token = login(client, "TA-enterprise")
    page = client.get(f"/transformation/assessments/{assessment}")
    assert page.status_code == 200 and 'name="Q01"' in page.text
    token = form_token(page.text)
    response = client.post(
        f"/transformation/assessments/{assessment}",
        data={"csrf_token": token, "section": "D1", "action": "next", "Q01": ["B", "C"], "Q02": "C", "in-Q02-0": "30%"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and "section=D2" in response.headers["location"]
    db.expire_all()  # the app wrote through its own session
    row = service.get_assessment(db, scope=own(world.a), ident=assessment)
    assert row.answers["Q01"] == ["B", "C"] and row.answers["Q02"] == "C" and row.answers["inputs"]["Q02"][0] == "30%"
    # submitting an incomplete questionnaire shows what is missing
    response = client.post(
        f"/transformation/assessments/{assessment}", data={"csrf_token": token, "section": "D2", "action": "submit"}
    )
    assert response.status_code == 422 and "answers.Q03" in response.text
    # evidence: a PDF is taken, an executable is refused
    files = {"file": ("设备台账.pdf", b"%PDF-1.4 ledger", "application/pdf")}
    response = client.post(
        f"/transformation/assessments/{assessment}/evidence",
        data={"csrf_token": token, "question": "Q02"},
        files=files,
        follow_redirects=False,
    )
    assert response.status_code == 303
    bad = {"file": ("x.exe", b"MZ\x90\x00", "application/x-msdownload")}
    response = client.post(f"/transformation/assessments/{assessment}/evidence", data={"csrf_token": token}, files=bad)
    assert response.status_code == 415
    db.expire_all()
    evidence = service.list_evidence(db, scope=own(world.a), ident=assessment)
    assert len(evidence) == 1
    download = client.get(f"/transformation/evidence/{evidence[0].id}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 ledger"
    service.save_draft(db, scope=own(world.a), ident=assessment, data=AssessmentUpdate(answers=EXAMPLE_A))
    db.flush()
    response = client.post(
        f"/transformation/assessments/{assessment}",
        data={
            "csrf_token": token,
            "section": "scenes",
            "action": "submit",
            **{k: str(v) for k, v in EXAMPLE_A.items() if k.startswith("S")},
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert "done=submitted" in response.headers["location"], response.headers["location"]
    db.expire_all()
    assert service.get_assessment(db, scope=own(world.a), ident=assessment).status == "submitted"
    # the park reviews it
    client.cookies.clear()
    login(client, "TA-park_admin")
    queue = client.get("/transformation/review").text
    assert f"/transformation/assessments/{assessment}" in queue
    token = form_token(client.get(f"/transformation/assessments/{assessment}").text)
    response = client.post(
        f"/transformation/assessments/{assessment}/review",
        data={"csrf_token": token, "decision": "return"},
    )
    assert response.status_code == 422  # a return needs a comment
    response = client.post(
        f"/transformation/assessments/{assessment}/review",
        data={"csrf_token": token, "decision": "confirm"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    db.expire_all()
    row = service.get_assessment(db, scope=admin(world.a), ident=assessment)
    assert row.status == "confirmed" and row.level == 2
    # the map now counts it
    text = visible_text(client.get("/transformation").text)
    assert "TA企业0" in text


def test_an_enterprise_requests_a_provider_from_the_catalogue(
    client: TestClient, db: Session, world: World, assessment: int
) -> None:
    login(client, "TA-enterprise")
    page = client.get("/transformation/catalogue")
    assert "演示轻量MES" in page.text and "演示条目" in page.text
    token = form_token(page.text)
    entry = service.list_catalogue(db, scope=own(world.a), query=ListQuery())[0][0]
    response = client.post(
        "/transformation/requests",
        data={"csrf_token": token, "entry_id": str(entry.id), "message": "请联系", "back": "/transformation/catalogue"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    requests = client.get("/transformation/requests").text
    assert "演示轻量MES" in requests and "已申请" in requests
