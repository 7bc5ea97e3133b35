"""UI languages: gettext catalogs read from the .po files at run time, and the choice of language."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from fastapi import Request

from digipark.core.config import get_settings

LANGUAGES = ("zh", "en")
LANG_COOKIE = "dp_lang"
LOCALE_DIR = Path(__file__).parent / "locales"
_BABEL_LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


def N_(message: str) -> str:
    return message


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of `lang`: every .po file of its folder (messages.po, then one per domain, by name),
    read and compiled in memory (no compile step)."""
    merged: Translations | None = None  # the first catalog's plural rule applies to all
    for path in catalog_files(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=_BABEL_LOCALES.get(lang, lang), domain="messages")
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        loaded = Translations(fp=buffer, domain="messages")
        merged = loaded if merged is None else merged.merge(loaded)
    return merged if merged is not None else Translations()


def catalog_files(lang: str) -> list[Path]:
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda path: (path.name != "messages.po", path.name))


def normalise(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower().replace("_", "-")
    if value in LANGUAGES:
        return value
    base = value.split("-", 1)[0]
    return base if base in LANGUAGES else None


def choose(request: Request, user_language: str | None = None) -> str:
    """?lang=, else the dp_lang cookie, else the user's language, else the platform default."""
    for candidate in (
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        user_language,
        get_settings().default_language,
    ):
        lang = normalise(candidate)
        if lang is not None:
            return lang
    return LANGUAGES[0]


def localized_name(obj: object, lang: str, field: str = "name") -> str:
    """The name of a park, zone, enterprise (or any record or mapping with `name` and `name_en`) in the page's
    language: `name_en` on an English page when it is filled, else `name`. `field` picks another pair
    (`address` / `address_en`). None gives an empty text."""
    if obj is None:
        return ""
    if isinstance(obj, Mapping):
        local, english = obj.get(field), obj.get(f"{field}_en")
    else:
        local, english = getattr(obj, field, None), getattr(obj, f"{field}_en", None)
    if lang == "en" and english:
        return str(english)
    return "" if local is None else str(local)


def format_number(value: float | int | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=fmt, locale=_BABEL_LOCALES[lang]))


def local_time(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    zone = zoneinfo.ZoneInfo(get_settings().timezone)
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
