"""While the served demo writes the data it writes after it answers, every page says so (with the module being
written and how far it is) and /readyz reports it; once done, neither does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from digipark.core import progress
from digipark.core.progress import DEMO_EXTRAS
from tests.web.helpers import login, visible_text


@pytest.fixture
def demo_progress() -> Iterator[None]:
    yield
    progress.report(DEMO_EXTRAS, "idle", 0, 0)


def test_pages_and_readyz_say_the_demo_is_still_writing(client: TestClient, demo_progress: None) -> None:
    login(client, "TA-park_admin")
    progress.report(DEMO_EXTRAS, "approvals", 4, 9)
    text = visible_text(client.get("/").text)
    assert "演示数据仍在写入（审批事项，第 5/9 部分）" in text
    assert client.get("/readyz").json()["demo"] == "writing approvals (5 of 9)"
    english = visible_text(client.get("/?lang=en").text)
    assert "The demo is still writing its data (Approvals, part 5 of 9)" in english

    progress.report(DEMO_EXTRAS, "done", 9, 9)
    assert "演示数据仍在写入" not in visible_text(client.get("/").text)
    assert "demo" not in client.get("/readyz").json()


def test_no_notice_outside_the_demo(client: TestClient) -> None:
    login(client, "TA-park_admin")
    assert "演示数据仍在写入" not in visible_text(client.get("/").text)
    assert "demo" not in client.get("/readyz").json()
