"""NGSI-LD ProblemDetails in the caller's language: the spec's type and title stay, the detail is translated when the
request names a language the platform translates into (Accept-Language, or the pages' language cookie), English
otherwise; every detail the NGSI-LD code raises has its Chinese translation."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.testclient import TestClient

from digipark.web import i18n
from tests.conftest import World, bearer

BASE = "/ngsi-ld/v1"
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
SOURCES = Path(__file__).resolve().parents[2] / "src" / "digipark" / "dataspace"


def test_a_problems_detail_follows_the_callers_language(client: TestClient, world: World) -> None:
    url = f"{BASE}/entities/urn:ngsi-ld:Vehicle:nowhere"
    headers = bearer(world.a.tokens["enterprise"])
    english = client.get(url, headers=headers).json()
    assert english["detail"] == "entity urn:ngsi-ld:Vehicle:nowhere not found"
    chinese = client.get(url, headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert chinese.status_code == 404 and chinese.headers["content-type"].startswith("application/json")
    body = chinese.json()
    assert body["type"] == ERRORS + "ResourceNotFound" and body["title"] == english["title"]
    assert body["detail"] == "未找到实体 urn:ngsi-ld:Vehicle:nowhere"
    bad = client.get(f"{BASE}/entities?type=Device&limit=5000", headers={**headers, "Accept-Language": "zh"}).json()
    assert bad["type"] == ERRORS + "BadRequestData" and bad["detail"].startswith("limit 须在 0 至 1000 之间")
    client.cookies.set(i18n.LANG_COOKIE, "zh")
    assert client.get(url, headers=headers).json()["detail"].startswith("未找到实体")
    client.cookies.clear()
    assert client.get(url, headers={**headers, "Accept-Language": "fr, en"}).json()["detail"] == english["detail"]


def _details() -> set[str]:
    """The literal details of every `bad(...)` and `NgsiError(kind, ...)` in the NGSI-LD code."""
    found = set()
    for path in SOURCES.glob("ngsi*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            position = {"bad": 0, "NgsiError": 1}.get(node.func.id)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            assert not isinstance(arg, ast.JoinedStr), f"{path.name}:{node.lineno}: a detail is a message, not f-string"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


def test_every_ngsi_ld_detail_has_a_chinese_translation() -> None:
    details = _details()
    assert len(details) > 80
    zh = i18n.translations("zh")
    missing = sorted(d for d in details if zh.gettext(d) == d)
    assert not missing, missing
