"""Events of the telemetry pipeline, published after the batch that caused them is committed."""

from __future__ import annotations

import dataclasses

from digipark.core.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReadingsStored(DomainEvent):
    """A batch of new readings was committed. `latest`: point id -> (ts ms, value, quality) of the newest
    reading of that point in the batch; `readings`: every new reading (point id, ts ms, value, quality), for
    consumers that look at each value (rules)."""

    latest: dict[int, tuple[int, float, int]]
    readings: tuple[tuple[int, int, float, int], ...] = ()
