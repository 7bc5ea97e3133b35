"""Output and input shapes of the telemetry read API (series, park series, latest values)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class SeriesRead(BaseModel):
    point_id: int | None = Field(description="the point; null for a park-level sum")
    name: str
    unit: str
    resolution: str = Field(description="raw, 15m, 1h, 1d or 1mo (what auto chose)")
    agg: str = Field(description="avg, min, max, sum, count, first, last or delta")
    from_ms: int
    to_ms: int
    points: list[tuple[int, float | None]] = Field(
        description="[time ms, value]: bucket starts (days and months at local midnight) or reading times"
    )
    park_id: int | None = None
    quantity: str | None = None
    point_count: int | None = Field(default=None, description="park series: how many points were summed")


class SeriesList(BaseModel):
    items: list[SeriesRead]


class SeriesRequest(BaseModel):
    point_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=100)
    from_: str = Field(alias="from", description="ISO-8601 or epoch ms")
    to: str = Field(description="ISO-8601 or epoch ms")
    resolution: str = "auto"
    agg: str | None = None

    model_config = {"populate_by_name": True}


class LatestRead(BaseModel):
    point_id: int
    device_id: int
    key: str
    name: str
    unit: str
    ts: int | None = Field(description="epoch ms of the newest reading; null: never reported")
    value: float | None
    quality: int | None = Field(description="0 good, 1 bad (out of the valid range)")


class LatestList(BaseModel):
    items: list[LatestRead]
