"""The device-kind catalogue: device kinds and the points each reports, loaded from data."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel


class PointDescription(BaseModel):
    key: str
    name_zh: str
    name_en: str
    quantity: str
    unit: str
    device_class: str
    state_class: str = "measurement"
    expected_interval_s: int = 60
    valid_min: float | None = None
    valid_max: float | None = None


class DeviceKind(BaseModel):
    key: str
    name_zh: str
    name_en: str
    protocol: str
    points: list[PointDescription]


@cache
def device_kinds() -> dict[str, DeviceKind]:
    text = resources.files("digipark.registry").joinpath("data/device_kinds.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["kinds"]
    return {key: DeviceKind(key=key, **value) for key, value in raw.items()}


def device_kind(key: str) -> DeviceKind | None:
    return device_kinds().get(key)


@cache
def _english_point_names() -> dict[str, str]:
    return {p.name_zh: p.name_en for kind in device_kinds().values() for p in kind.points}


def english_point_name(name: str) -> str | None:
    """The catalogue's English name of a point named as the catalogue names it in Chinese (points are created with
    the Chinese name); None for a name of the park's own."""
    return _english_point_names().get(name)
