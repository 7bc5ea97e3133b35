"""Coordinate conversions against published reference points (tests/ioc/data/coords_reference.json, with its
source), both ways, to 1 m; round trips; points outside China unchanged; bad input refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipark.ioc import coords

REFERENCE = json.loads((Path(__file__).parent / "data" / "coords_reference.json").read_text(encoding="utf-8"))
TOLERANCE_M = float(REFERENCE["tolerance_m"])


@pytest.mark.parametrize("pair", REFERENCE["pairs"], ids=lambda p: f"{p['source']}-{p['place']}-{p['from']}-{p['to']}")
def test_conversions_match_the_published_points_both_ways(pair: dict[str, Any]) -> None:
    a, b = tuple(pair["a"]), tuple(pair["b"])
    assert coords.distance_m(coords.convert(*a, source=pair["from"], target=pair["to"]), b) < TOLERANCE_M
    assert coords.distance_m(coords.convert(*b, source=pair["to"], target=pair["from"]), a) < TOLERANCE_M
    # the offsets themselves are hundreds of metres: a conversion that did nothing would fail
    assert coords.distance_m(a, b) > 100


def test_wgs84_to_bd09_is_the_two_steps_and_comes_back() -> None:
    for pair in REFERENCE["pairs"]:
        a = tuple(pair["a"])
        two_steps = coords.gcj02_to_bd09(*coords.wgs84_to_gcj02(*a))
        assert coords.distance_m(coords.wgs84_to_bd09(*a), two_steps) < 0.01
        assert coords.distance_m(coords.bd09_to_wgs84(*two_steps), a) < TOLERANCE_M


china = st.tuples(st.floats(min_value=73.5, max_value=134.7), st.floats(min_value=18.2, max_value=53.5))


@given(china)
def test_round_trips_stay_within_a_decimetre(point: tuple[float, float]) -> None:
    for a, b in (("wgs84", "gcj02"), ("wgs84", "bd09"), ("gcj02", "bd09")):
        there = coords.convert(*point, source=a, target=b)
        back = coords.convert(*there, source=b, target=a)
        assert coords.distance_m(back, point) < 0.1


def test_outside_china_nothing_moves_and_the_same_system_is_the_identity() -> None:
    paris = (2.3522, 48.8566)
    assert coords.wgs84_to_gcj02(*paris) == paris
    assert coords.bd09_to_wgs84(*paris) == paris
    assert coords.convert(121.5, 31.2, source="gcj02", target="gcj02") == (121.5, 31.2)


def test_geometry_conversion_moves_every_position_and_keeps_the_input() -> None:
    ring = [[121.50, 31.20], [121.51, 31.20], [121.51, 31.21], [121.50, 31.20]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    moved = coords.convert_geometry(polygon, source="wgs84", target="gcj02")
    assert polygon["coordinates"] == [ring]
    assert moved["type"] == "Polygon"
    for before, after in zip(ring, moved["coordinates"][0], strict=True):
        assert coords.distance_m(tuple(before), tuple(after)) > 100  # type: ignore[arg-type]
        assert tuple(after) == coords.wgs84_to_gcj02(*before)


@pytest.mark.parametrize("bad", [(float("nan"), 30.0), (200.0, 30.0), (120.0, -95.0)])
def test_bad_input_is_refused(bad: tuple[float, float]) -> None:
    with pytest.raises(ValueError):
        coords.wgs84_to_gcj02(*bad)


def test_unknown_system_is_refused() -> None:
    with pytest.raises(ValueError):
        coords.convert(121.5, 31.2, source="wgs84", target="cgcs2000x")
