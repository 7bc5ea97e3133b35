"""Risk assessment of a risk point: the LEC method (D = L × E × C) and the LS matrix (R = L × S), and the four
risk colours. Scales and bands are data (data/risk_assessment.yaml, with their sources)."""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib import resources
from typing import Any

import yaml

LEVELS = ("red", "orange", "yellow", "blue")  # highest risk first


class RiskInputError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Assessment:
    method: str
    score: float  # D (LEC) or R (LS)
    level: str  # red | orange | yellow | blue
    band_text: str


@cache
def data() -> dict[str, Any]:
    text = resources.files("digipark.safety").joinpath("data", "risk_assessment.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed safety/data/risk_assessment.yaml")
    return raw


def level_info() -> dict[str, dict[str, Any]]:
    return {str(v["code"]): dict(v) for v in data()["levels"]["values"]}


def _scale(method: str, factor: str) -> list[float]:
    return [float(v["value"]) for v in data()[method][factor]]


def _check(method: str, factor: str, value: float | None) -> float:
    if value is None:
        raise RiskInputError(factor.lower(), f"required for the {method.upper()} method")
    allowed = _scale(method, factor)
    if float(value) not in allowed:
        shown = ", ".join(f"{v:g}" for v in allowed)
        raise RiskInputError(factor.lower(), f"{value:g} is not on the {method.upper()} scale of {factor} ({shown})")
    return float(value)


def lec(l: float | None, e: float | None, c: float | None) -> Assessment:  # noqa: E741
    """D = L × E × C; the first band whose lower bound D exceeds gives the colour."""
    d = _check("lec", "L", l) * _check("lec", "E", e) * _check("lec", "C", c)
    d = round(d, 6)
    for band in data()["lec"]["bands"]:
        if d > float(band["min_d"]) or float(band["min_d"]) == 0:
            return Assessment("LEC", d, str(band["level"]), str(band["text"]))
    raise AssertionError("the LEC bands end at 0")


def ls(l: float | None, s: float | None) -> Assessment:  # noqa: E741
    """R = L × S; the first band whose lower bound R reaches gives the colour."""
    r = _check("ls", "L", l) * _check("ls", "S", s)
    for band in data()["ls"]["bands"]:
        if r >= float(band["min_r"]):
            return Assessment("LS", r, str(band["level"]), str(band["text"]))
    raise AssertionError("the LS bands end at 1")


def assess(method: str, *, l: float | None, e: float | None, c: float | None, s: float | None) -> Assessment:  # noqa: E741
    if method == "LEC":
        return lec(l, e, c)
    if method == "LS":
        return ls(l, s)
    raise RiskInputError("method", "LEC or LS")


def rank(level: str | None) -> int:
    """1 = red … 4 = blue; 5 for none (sorts last)."""
    return LEVELS.index(level) + 1 if level in LEVELS else 5
