"""Helpers for page tests: log in through the form, read tokens out of pages, strip HTML to text."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.conftest import World

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_SESSION_TOKEN = re.compile(r'hx-headers=\'\{"X-CSRF-Token": "([^"]+)"\}\'')


def form_token(page_html: str) -> str:
    match = _FORM_TOKEN.search(page_html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = World.password) -> str:
    """Log in through the form; returns the session's CSRF token (as the pages carry it)."""
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    overview = client.get("/")
    assert overview.status_code == 200, overview.text
    match = _SESSION_TOKEN.search(overview.text)
    assert match, "no session CSRF token on the page"
    return match.group(1)


def visible_text(page_html: str) -> str:
    """The page's text without markup, scripts and styles."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page_html)
    text = re.sub(r"(?s)<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text))
