"""Validators for the Chinese codes the platform stores.

* 统一社会信用代码 (unified social credit code, USCC; GB 32100-2015), including the organisation code
  (GB 11714-1997) embedded in positions 9-17;
* 国民经济行业分类 industry codes (GB/T 4754-2017);
* administrative region codes (GB/T 2260).

The reference tables live in ``digipark/core/data``; each file states its ``source`` and ``status``. They are
read lazily, on first use, and cached.

Region codes: a code is known when it is a province, a current prefecture- or county-level code,
one of the structural prefecture codes (a municipality's 市辖区/县, a province's
省直辖县级行政区划), or a code retired from an earlier GB/T 2260 revision (USCCs and ID numbers keep
the code that was valid when they were issued). Our list is complete for every province except
Taiwan, Hong Kong and Macau; below province level codes of those three are accepted unchecked.
A USCC only has to carry a region code whose province exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

__all__ = [
    "CodeError",
    "Industry",
    "IndustryLevel",
    "gb11714_check_digit",
    "industries",
    "industry",
    "is_manufacturing",
    "make_uscc",
    "region_name",
    "section_of",
    "uscc_check_digit",
    "validate_industry_code",
    "validate_region_code",
    "validate_uscc",
]

IndustryLevel = Literal["section", "division", "group", "class"]

_MANUFACTURING = "C"
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_INDUSTRY_CODE = re.compile(r"([A-Z]?)([0-9]*)")


class CodeError(ValueError):
    """A code failed validation. ``reason`` says why, in English; ``code`` is the input as given."""

    def __init__(self, reason: str, code: object = None) -> None:
        super().__init__(reason if code is None else f"{code!r}: {reason}")
        self.reason = reason
        self.code = code


# ----------------------------------------------------------------------------
# data files


def _read_data(name: str) -> str:
    return resources.files("digipark.core").joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _as_mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuntimeError(f"malformed code data: {what} is not a mapping")
    return {str(k): v for k, v in value.items()}


@cache
def _load_yaml(name: str) -> dict[str, Any]:
    return _as_mapping(yaml.safe_load(_read_data(name)), name)


@cache
def _load_json(name: str) -> dict[str, Any]:
    return _as_mapping(json.loads(_read_data(name)), name)


# ----------------------------------------------------------------------------
# USCC (GB 32100-2015) and organisation code (GB 11714-1997)


@dataclass(frozen=True)
class _UsccRules:
    length: int
    charset: str
    weights: tuple[int, ...]
    modulus: int
    region: slice
    org_code: slice
    org_length: int
    org_charset: str
    org_weights: tuple[int, ...]
    org_modulus: int
    org_check_10: str
    org_check_11: str


def _field(fields: dict[str, Any], name: str) -> slice:
    first, last = (int(n) for n in fields[name])
    return slice(first - 1, last)


@cache
def _uscc_rules() -> _UsccRules:
    raw = _load_yaml("uscc_gb32100.yaml")
    uscc = _as_mapping(raw["uscc"], "uscc")
    org = _as_mapping(raw["gb11714"], "gb11714")
    fields = _as_mapping(uscc["fields"], "uscc.fields")
    rules = _UsccRules(
        length=int(uscc["length"]),
        charset=str(uscc["charset"]),
        weights=tuple(int(w) for w in uscc["weights"]),
        modulus=int(uscc["modulus"]),
        region=_field(fields, "region"),
        org_code=_field(fields, "organisation_code"),
        org_length=int(org["length"]),
        org_charset=str(org["charset"]),
        org_weights=tuple(int(w) for w in org["weights"]),
        org_modulus=int(org["modulus"]),
        org_check_10=str(org["check_10"]),
        org_check_11=str(org["check_11"]),
    )
    if (
        len(rules.weights) != rules.length - 1
        or len(set(rules.charset)) != rules.modulus
        or len(rules.org_weights) != rules.org_length - 1
    ):
        raise RuntimeError("malformed code data: uscc_gb32100.yaml is inconsistent")
    return rules


def _normalise(code: object) -> str:
    if not isinstance(code, str):
        raise CodeError(f"expected a string, got {type(code).__name__}", code)
    return code.strip().upper()


def _check_charset(value: str, charset: str, original: object, *, offset: int = 0) -> None:
    for position, char in enumerate(value, start=1 + offset):
        if char not in charset:
            raise CodeError(f"invalid character {char!r} at position {position}", original)


def uscc_check_digit(first17: str) -> str:
    """The GB 32100 check digit (position 18) for the first 17 characters of a USCC."""
    rules = _uscc_rules()
    body = _normalise(first17)
    if len(body) != rules.length - 1:
        raise CodeError(f"wrong length: {len(body)} characters, expected {rules.length - 1}", first17)
    _check_charset(body, rules.charset, first17)
    total = sum(rules.charset.index(char) * weight for char, weight in zip(body, rules.weights, strict=True))
    return rules.charset[(rules.modulus - total % rules.modulus) % rules.modulus]


def gb11714_check_digit(body8: str) -> str:
    """The GB 11714 check digit for the first 8 characters of an organisation code."""
    rules = _uscc_rules()
    body = _normalise(body8)
    if len(body) != rules.org_length - 1:
        raise CodeError(f"wrong length: {len(body)} characters, expected {rules.org_length - 1}", body8)
    _check_charset(body, rules.org_charset, body8)
    values = (rules.org_charset.index(char) for char in body)
    total = sum(value * weight for value, weight in zip(values, rules.org_weights, strict=True))
    check = rules.org_modulus - total % rules.org_modulus
    if check == 10:
        return rules.org_check_10
    if check == 11:
        return rules.org_check_11
    return str(check)


def _check_province(region: str, original: object) -> None:
    if not _SIX_DIGITS.fullmatch(region):
        raise CodeError(f"region code {region!r} must be 6 digits", original)
    if region[:2] + "0000" not in _regions().provinces:
        raise CodeError(f"unknown region code {region!r}: no province {region[:2]!r}", original)


def validate_uscc(code: str) -> str:
    """Check a 统一社会信用代码 and return it normalised (stripped, upper-cased).

    Checks the length, the character set, the region code (6 digits of a real province), the GB 32100 check
    digit and the GB 11714 check digit of the embedded organisation code. Raises :class:`CodeError`.
    """
    rules = _uscc_rules()
    value = _normalise(code)
    if len(value) != rules.length:
        raise CodeError(f"wrong length: {len(value)} characters, expected {rules.length}", code)
    _check_charset(value, rules.charset, code)
    region = value[rules.region]
    if not _SIX_DIGITS.fullmatch(region):
        positions = f"{rules.region.start + 1}-{rules.region.stop}"
        raise CodeError(f"region code {region!r} (positions {positions}) must be 6 digits", code)
    expected = uscc_check_digit(value[:-1])
    if value[-1] != expected:
        raise CodeError(f"check digit should be {expected!r}", code)
    org_code = value[rules.org_code]
    org_expected = gb11714_check_digit(org_code[:-1])
    if org_code[-1] != org_expected:
        raise CodeError(f"organisation code check digit should be {org_expected!r}", code)
    _check_province(region, code)
    return value


def make_uscc(registration_authority: str, category: str, region: str, org_body8: str) -> str:
    """Build a valid USCC from its parts, computing both check digits.

    ``registration_authority`` and ``category`` are single characters (e.g. "9" and "1" for an enterprise
    registered with the market regulator), ``region`` a 6-digit region code of a real province and
    ``org_body8`` the first 8 characters of the organisation code.
    """
    rules = _uscc_rules()
    parts: list[str] = []
    for label, part in (("registration authority", registration_authority), ("category", category)):
        value = _normalise(part)
        if len(value) != 1 or value not in rules.charset:
            raise CodeError(f"{label} must be one character of {rules.charset!r}", part)
        parts.append(value)
    region_code = _normalise(region)
    _check_province(region_code, region)
    body = _normalise(org_body8)
    if len(body) != rules.org_length - 1:
        raise CodeError(f"organisation code body must have {rules.org_length - 1} characters", org_body8)
    _check_charset(body, rules.charset, org_body8)
    first17 = "".join(parts) + region_code + body + gb11714_check_digit(body)
    return validate_uscc(first17 + uscc_check_digit(first17))


# ----------------------------------------------------------------------------
# GB/T 4754-2017 industry classification


@dataclass(frozen=True, slots=True)
class Industry:
    """One entry of GB/T 4754-2017.

    ``code`` is the section letter or the 2-4 digit code without letter; ``parent`` is the code one level up
    (``None`` for sections). ``note`` explains entries that are derived rather than listed (4-digit 小类).
    """

    code: str
    name_zh: str
    name_en: str | None
    level: IndustryLevel
    section: str
    parent: str | None
    note: str | None = None


@cache
def _industry_table() -> dict[str, Industry]:
    raw = _load_yaml("gbt4754_2017.yaml")
    table: dict[str, Industry] = {}
    for letter, entry in _as_mapping(raw["sections"], "sections").items():
        section = _as_mapping(entry, f"section {letter}")
        name_en = section.get("name_en")
        table[letter] = Industry(
            code=letter,
            name_zh=str(section["name"]),
            name_en=None if name_en is None else str(name_en),
            level="section",
            section=letter,
            parent=None,
        )
    for code, entry in _as_mapping(raw["divisions"], "divisions").items():
        division = _as_mapping(entry, f"division {code}")
        letter = str(division["section"])
        name_en = division.get("name_en")
        if letter not in table or len(code) != 2:
            raise RuntimeError(f"malformed code data: division {code!r}")
        table[code] = Industry(
            code=code,
            name_zh=str(division["name"]),
            name_en=None if name_en is None else str(name_en),
            level="division",
            section=letter,
            parent=letter,
        )
        for group_code, group_name in _as_mapping(division.get("groups", {}), f"groups of {code}").items():
            if len(group_code) != 3 or not group_code.startswith(code):
                raise RuntimeError(f"malformed code data: group {group_code!r} in division {code!r}")
            table[group_code] = Industry(
                code=group_code,
                name_zh=str(group_name),
                name_en=None,
                level="group",
                section=letter,
                parent=code,
            )
    return table


def english_industry_name(entry: Industry) -> str | None:
    """The English name of an industry entry, else of the nearest level up that has one (our data names every
    section and some divisions in English, no group): an English page then shows no Chinese name."""
    current: Industry | None = entry
    while current is not None and current.name_en is None:
        current = _industry_table().get(current.parent) if current.parent is not None else None
    return None if current is None else current.name_en


def industry(code: str) -> Industry:
    """Look up a GB/T 4754-2017 code: a section letter, or 2-4 digits optionally prefixed by the letter.

    A 4-digit 小类 is not in our data: it is accepted when its 中类 exists and reported at level "class" under
    the name of that 中类, with a ``note`` saying so. Raises :class:`CodeError` for anything else.
    """
    value = _normalise(code)
    match = _INDUSTRY_CODE.fullmatch(value)
    if not value or match is None:
        raise CodeError(
            "not an industry code: expected a section letter A-T or 2-4 digits, optionally after the letter",
            code,
        )
    letter, digits = match.groups()
    table = _industry_table()
    if letter and letter not in table:
        raise CodeError(f"unknown section {letter!r}", code)
    if not digits:
        return table[letter]
    if len(digits) not in (2, 3, 4):
        raise CodeError(f"wrong length: {len(digits)} digits, expected 2 (大类), 3 (中类) or 4 (小类)", code)
    division = table.get(digits[:2])
    if division is None:
        raise CodeError(f"unknown division {digits[:2]!r}", code)
    if letter and letter != division.section:
        raise CodeError(
            f"section {letter!r} does not match division {division.code} (section {division.section})", code
        )
    if len(digits) == 2:
        return division
    group = table.get(digits[:3])
    if group is None:
        raise CodeError(f"unknown group {digits[:3]!r} in division {division.code}", code)
    if len(digits) == 3:
        return group
    return Industry(
        code=digits,
        name_zh=group.name_zh,
        name_en=None,
        level="class",
        section=group.section,
        parent=group.code,
        note=(
            f"class {digits} is not listed in our data; accepted because its group {group.code} exists, "
            "and named after that group"
        ),
    )


def validate_industry_code(code: str) -> str:
    """Return the normalised code: the letter for a section, else the bare digits ("C131" -> "131")."""
    return industry(code).code


def section_of(code: str) -> str:
    """The section letter (门类) of any valid industry code."""
    return industry(code).section


def is_manufacturing(code: str) -> bool:
    """Whether a valid industry code lies in section C (制造业, divisions 13-43); invalid codes raise."""
    return section_of(code) == _MANUFACTURING


def industries(level: IndustryLevel = "division", section: str | None = None) -> list[Industry]:
    """All sections, divisions or groups, in code order, optionally only those of one section.

    Level "class" is not available: the 4-digit 小类 are not in our data.
    """
    if level == "class":
        raise ValueError("the 4-digit classes (小类) of GB/T 4754-2017 are not in our data")
    if level not in ("section", "division", "group"):
        raise ValueError(f"unknown level {level!r}")
    table = _industry_table()
    wanted: str | None = None
    if section is not None:
        wanted = _normalise(section)
        entry = table.get(wanted)
        if entry is None or entry.level != "section":
            raise CodeError(f"unknown section {wanted!r}", section)
    return sorted(
        (entry for entry in table.values() if entry.level == level and wanted in (None, entry.section)),
        key=lambda entry: entry.code,
    )


# ----------------------------------------------------------------------------
# GB/T 2260 administrative region codes


@dataclass(frozen=True)
class _Province:
    name: str
    complete: bool


@dataclass(frozen=True)
class _RegionTable:
    provinces: dict[str, _Province]
    current: dict[str, str]
    groups: dict[str, str]
    retired: dict[str, tuple[str, str]]
    group_labels: frozenset[str]


@cache
def _regions() -> _RegionTable:
    raw = _load_json("gbt2260_regions.json")
    provinces = {
        code: _Province(name=str(entry["name"]), complete=bool(entry["complete"]))
        for code, entry in _as_mapping(raw["provinces"], "provinces").items()
    }
    retired: dict[str, tuple[str, str]] = {}
    for code, entry in _as_mapping(raw["retired"], "retired").items():
        name, last_listed = entry
        retired[code] = (str(name), str(last_listed))
    return _RegionTable(
        provinces=provinces,
        current={code: str(name) for code, name in _as_mapping(raw["regions"], "regions").items()},
        groups={code: str(name) for code, name in _as_mapping(raw["groups"], "groups").items()},
        retired=retired,
        group_labels=frozenset(str(label) for label in raw["group_labels"]),
    )


def validate_region_code(code: str, *, current_only: bool = False) -> str:
    """Check a 6-digit GB/T 2260 region code and return it (stripped).

    The province must exist. Below province level the code must be in our list, unless our list does not
    claim to be complete for that province (Taiwan, Hong Kong, Macau). Codes retired from earlier GB/T 2260
    revisions are accepted unless ``current_only`` is set. Raises :class:`CodeError`.
    """
    value = _normalise(code)
    if not _SIX_DIGITS.fullmatch(value):
        raise CodeError("region code must be 6 digits", code)
    data = _regions()
    province = data.provinces.get(value[:2] + "0000")
    if province is None:
        raise CodeError(f"unknown region code: no province {value[:2]!r}", code)
    if value.endswith("0000") or not province.complete or value in data.current or value in data.groups:
        return value
    if value in data.retired:
        if not current_only:
            return value
        name, last_listed = data.retired[value]
        raise CodeError(f"retired region code ({name}, last listed {last_listed})", code)
    raise CodeError("unknown region code", code)


def region_name(code: str) -> str | None:
    """Full name of a region code, e.g. "江苏省苏州市吴中区"; ``None`` if invalid or not listed.

    Retired codes get the name they last had. Structural levels (市辖区, 省直辖县级行政区划) are
    left out of the names of the units below them.
    """
    try:
        value = validate_region_code(code)
    except CodeError:
        return None
    data = _regions()
    province_name = data.provinces[value[:2] + "0000"].name
    if value.endswith("0000"):
        return province_name
    own = data.current.get(value) or data.groups.get(value)
    if own is None and value in data.retired:
        own = data.retired[value][0]
    if own is None:
        return None
    if value.endswith("00"):
        return province_name + own
    prefecture_code = value[:4] + "00"
    prefecture = data.current.get(prefecture_code)
    if prefecture is None and prefecture_code in data.retired:
        prefecture = data.retired[prefecture_code][0]
    if prefecture is None or prefecture in data.group_labels:
        prefecture = ""
    return province_name + prefecture + own
