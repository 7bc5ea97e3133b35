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
}


class _Widget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title
    width: Width = 4


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


Widget = Annotated[TimeSeriesWidget | KpiWidget | GaugeWidget | TableWidget | AlarmsWidget, Field(discriminator="kind")]


class DashboardSpec(BaseModel):
    """The widgets of a dashboard, in order, and the time range its charts show."""

    model_config = ConfigDict(extra="forbid")
    time_range: TimeRange = "24h"
    widgets: list[Widget] = Field(default_factory=list, max_length=40)


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
