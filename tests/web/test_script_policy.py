"""Item 3 of issue 14, statically: no page template carries script the Content-Security-Policy would refuse, and
every script that builds HTML escapes through the one shared helper."""

from __future__ import annotations

import re
from pathlib import Path

import digipark.web

WEB = Path(digipark.web.__file__).parent
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
SCRIPTS = sorted((WEB / "static" / "js").glob("*.js"))
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML)\s*=(?!\s*\"\"\s*;)|insertAdjacentHTML|document\.write|\beval\(|new Function"
)
FORMATTER = re.compile(r"formatter:\s*(function\b|\"[^\"]*\"(?!\s*\+)|'[^']*'(?!\s*\+))?")


def test_templates_have_no_inline_script_or_handler() -> None:
    assert TEMPLATES
    found: list[str] = []
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        for match in SCRIPT_TAG.finditer(text):
            attributes = match.group(1)
            if "src=" not in attributes and 'type="application/json"' not in attributes:
                found.append(f"{path.name}: inline <script{attributes}>")
        markup = JINJA.sub("", text)
        found += [f"{path.name}: inline handler {m.group(0)[-40:]}" for m in INLINE_HANDLER.finditer(markup)]
        found += [f"{path.name}: {m}" for m in ("javascript:", "hx-on") if m in text]
    assert not found, found


def test_scripts_write_html_only_through_the_escape_helper() -> None:
    assert SCRIPTS
    found: list[str] = []
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)}" for m in HTML_SINKS.finditer(text)]
        for match in FORMATTER.finditer(text):
            if match.group(1) is None:
                found.append(f"{path.name}: formatter built from data: {text[match.start() : match.start() + 60]}")
            elif match.group(1) == "function":
                body = text[match.end() : text.find("}", match.end())]
                before = text[: match.start()]
                drawn_on_canvas = before.rfind("label") > before.rfind("tooltip")
                if "escapeHtml(" not in body and not drawn_on_canvas:
                    found.append(f"{path.name}: tooltip formatter without escapeHtml: {body[:60]}")
    assert not found, found


def test_the_escape_helper_is_loaded_before_other_scripts() -> None:
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        if "/static/js/" not in text or "{% extends" in text or "<html" not in text:
            continue
        first = text.index("/static/js/")
        assert text.startswith("/static/js/escape.js", first), f"{path.name} loads a script before escape.js"
