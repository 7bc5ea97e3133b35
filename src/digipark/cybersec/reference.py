"""The module's data files (data/*.yaml): network technologies and compute kinds, protection levels and their
requirement areas, enterprise categories and grades, GB/T 43697 data levels, correlation rules."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def load(name: str) -> dict[str, Any]:
    text = resources.files("digipark.cybersec").joinpath("data").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError(f"malformed cybersec data: {name}")
    return raw


def technologies() -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in load("network")["technologies"]}


def compute_kinds() -> dict[str, dict[str, Any]]:
    return {k["key"]: k for k in load("network")["compute_kinds"]}


def protection_levels() -> dict[int, dict[str, Any]]:
    return {int(lv["level"]): lv for lv in load("security")["protection_levels"]["levels"]}


def requirement_areas(level: int) -> list[dict[str, Any]]:
    """The requirement areas (等级保护 general requirements) a system of protection `level` is checked against."""
    if level not in protection_levels():
        raise ValueError(f"no protection level {level}")
    return [a for a in load("security")["requirement_areas"]["areas"] if int(a["from_level"]) <= level]


def enterprise_categories() -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in load("security")["enterprise_categories"]["categories"]}


def grades() -> dict[int, dict[str, Any]]:
    return {int(g["grade"]): g for g in load("security")["enterprise_categories"]["grades"]}


def data_levels() -> dict[str, dict[str, Any]]:
    return {lv["key"]: lv for lv in load("security")["data_levels"]["levels"]}


def rules() -> dict[str, dict[str, Any]]:
    return dict(load("correlation")["rules"])


def sources() -> list[dict[str, str]]:
    """What each data set is taken from (`source`, and `source_en` for English pages), and how well verified (shown
    on the security page)."""
    security = load("security")
    network = load("network")
    found = [{"what": "network", **{k: network[k] for k in ("source", "source_en", "status")}}]
    for key in ("protection_levels", "requirement_areas", "enterprise_categories", "data_levels"):
        found.append({"what": key, **{k: security[key][k] for k in ("source", "source_en", "status")}})
    return found
