"""A forecast drawn as a small SVG (server-side, no script): the last days of history as a line, the forecast as
a dashed line and its interval as a shaded band. The template macro `forecast_chart` of macros.html draws it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

WIDTH = 640
HEIGHT = 180
PAD = 8


@dataclasses.dataclass(frozen=True)
class ForecastChart:
    width: int
    height: int
    history: str  # polyline points
    forecast: str
    band: str  # polygon points
    top: float  # the value at the top edge
    bottom: float  # the value at the bottom edge


def forecast_chart(
    history: Sequence[float], values: Sequence[float], low: Sequence[float], high: Sequence[float]
) -> ForecastChart | None:
    """The chart's geometry; None when there is nothing to draw."""
    if not values or len(low) != len(values) or len(high) != len(values):
        return None
    everything = [*history, *values, *low, *high]
    top, bottom = max(everything), min(0.0, min(everything))
    span = (top - bottom) or 1.0
    count = len(history) + len(values)
    step = (WIDTH - 2 * PAD) / max(count - 1, 1)

    def x(i: int) -> float:
        return PAD + i * step

    def y(v: float) -> float:
        return PAD + (top - v) / span * (HEIGHT - 2 * PAD)

    def points(pairs: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in pairs)

    first = len(history)
    joined = [(x(first - 1), y(history[-1]))] if history else []
    forecast_points = joined + [(x(first + i), y(v)) for i, v in enumerate(values)]
    upper = [(x(first + i), y(v)) for i, v in enumerate(high)]
    lower = [(x(first + i), y(v)) for i, v in enumerate(low)]
    return ForecastChart(
        WIDTH,
        HEIGHT,
        points([(x(i), y(v)) for i, v in enumerate(history)]),
        points(forecast_points),
        points(upper + lower[::-1]),
        top,
        bottom,
    )
