"""What a dashboard is made of, as data: a time range and a list of widgets, each of one kind. The same Pydantic
models check a dashboard written in the editor and a dashboard imported as JSON; `json_schema()` is the schema
an exported file follows (served at /api/v1/dashboards/schema)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digipark.core.modules import N_

FORMAT = "digipark.dashboard"
VERSION = 1

TIME_RANGES: dict[str, tuple[int, str]] = {
    "1h": (3600, N_("Last hour")),
    "24h": (86_400, N_("Last 24 hours")),
    "7d": (7 * 86_400, N_("Last 7 days")),
    "30d": (30 * 86_400, N_("Last 30 days")),
    "365d": (365 * 86_400, N_("Last 12 months")),
}
TimeRange = Literal["1h", "24h", "7d", "30d", "365d"]
Title = Annotated[str, Field(min_length=1, max_length=120)]
Width = Annotated[int, Field(ge=1, le=12, description="columns of a 12-column grid")]
PointId = Annotated[int, Field(ge=1, le=2**31 - 1)]
FigureKey = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z_]+\.[a-z0-9_]+$")]

WIDGET_KINDS: dict[str, str] = {
    "timeseries": N_("Time-series chart"),
    "kpi": N_("KPI tile"),
    "table": N_("Table"),
    "alarms": N_("Alarm list"),
    "gauge": N_("Gauge"),
    "panel": N_("Operations screen panel"),
    "map": N_("Map view"),
}
# the operations screen's panels (their figures come live from the screen's stream, ioc/live.py)
PANELS: dict[str, str] = {
    "park_now": N_("Park now"),
    "economy": N_("Economy"),
    "energy_carbon": N_("Energy and carbon"),
    "safety": N_("Safety"),
    "standards": N_("Construction standards"),
    "incidents": N_("Incidents"),
    "ticker": N_("Alarm ticker"),
}
MAP_LAYERS: dict[str, str] = {
    "devices": N_("Devices by state"),
    "alarms": N_("Open alarms"),
    "risk": N_("Risk colours"),
    "car_parks": N_("Car parks"),
    "deliveries": N_("Deliveries"),
    "energy": N_("Energy heat (load now)"),
}
# where a widget stands on the operations screen: the side columns, the centre (its widgets take turns, every
# `rotate_s` seconds) or the bar at the bottom
AREAS: dict[str, str] = {
    "left": N_("Left column"),
    "centre": N_("Centre (views take turns)"),
    "right": N_("Right column"),
    "bottom": N_("Bottom bar"),
}
PanelKey = Literal["park_now", "economy", "energy_carbon", "safety", "standards", "incidents", "ticker"]
MapLayerKey = Literal["devices", "alarms", "risk", "car_parks", "deliveries", "energy"]
Area = Literal["left", "centre", "right", "bottom"]


class _Widget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    width: Width = 4
    area: Area | None = Field(default=None, description="where it stands on the operations screen")


class TimeSeriesWidget(_Widget):
    kind: Literal["timeseries"]
    points: list[PointId] = Field(min_length=1, max_length=8)


class KpiWidget(_Widget):
    kind: Literal["kpi"]
    figure: FigureKey


class GaugeWidget(_Widget):
    kind: Literal["gauge"]
    figure: FigureKey
    min: float = 0.0
    max: float = 100.0


class TableWidget(_Widget):
    kind: Literal["table"]
    figures: list[FigureKey] = Field(min_length=1, max_length=20)


class AlarmsWidget(_Widget):
    kind: Literal["alarms"]
    limit: int = Field(default=10, ge=1, le=50)


class PanelWidget(_Widget):
    """A panel of the operations screen (大屏), its figures live over the screen's stream."""

    kind: Literal["panel"]
    panel: PanelKey


def _default_layers() -> list[MapLayerKey]:
    return ["devices", "alarms", "risk"]


class MapWidget(_Widget):
    """The park map (3D buildings) with the chosen layers shown."""

    kind: Literal["map"]
    layers: list[MapLayerKey] = Field(default_factory=_default_layers, max_length=10)


Widget = Annotated[
    TimeSeriesWidget | KpiWidget | GaugeWidget | TableWidget | AlarmsWidget | PanelWidget | MapWidget,
    Field(discriminator="kind"),
]


class DashboardSpec(BaseModel):
    """The widgets of a dashboard, in order, and the time range its charts show."""

    model_config = ConfigDict(extra="forbid")
    time_range: TimeRange = "24h"
    widgets: list[Widget] = Field(default_factory=list, max_length=40)
    rotate_s: int = Field(
        default=20, ge=0, le=3600, description="operations screen: seconds per centre view, 0 = no turns"
    )


class DashboardFile(BaseModel):
    """An exported dashboard (`format`, `version`, then the dashboard)."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["digipark.dashboard"]
    version: Literal[1]
    name: Title
    description: str | None = Field(default=None, max_length=2000)
    shared_roles: list[Literal["park_admin", "operator", "enterprise", "reviewer"]] = Field(
        default_factory=list, max_length=5
    )
    spec: DashboardSpec


def json_schema() -> dict[str, Any]:
    return DashboardFile.model_json_schema()


def errors_of(exc: ValidationError) -> list[dict[str, str]]:
    """A validation error as the problem's `errors` (field path, reason)."""
    return [{"field": ".".join(str(p) for p in e["loc"]) or "(file)", "reason": e["msg"]} for e in exc.errors()]
