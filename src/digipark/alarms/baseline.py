"""A point's learned baseline: for each hour of the week, the median and the median absolute deviation (MAD) of
its hourly means (the 1h rollups' sum / count) over the last weeks. Robust: a few past incidents do not move it."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.alarms.rules import Baselines, hour_of_week
from digipark.telemetry.provides import Rollup1h

WEEK_MS = 7 * 24 * 3_600_000


def robust(values: list[float]) -> tuple[float, float]:
    """(median, MAD) of the values."""
    median = statistics.median(values)
    mad = statistics.median([abs(v - median) for v in values])
    return float(median), float(mad)


def learn(
    session: Session, weeks_by_point: Mapping[int, int], *, now_ms: int, offset_ms: int | None = None
) -> Baselines:
    """Baselines of these points (point -> weeks of history to use), from the 1h rollups before `now_ms`."""
    from digipark.alarms.engine import local_offset_ms

    offset = local_offset_ms() if offset_ms is None else offset_ms
    samples: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_weeks: dict[int, list[int]] = defaultdict(list)
    for pid, weeks in weeks_by_point.items():
        by_weeks[weeks].append(pid)
    for weeks, ids in by_weeks.items():
        start = now_ms - weeks * WEEK_MS
        for i in range(0, len(ids), 500):
            rows = session.execute(
                select(Rollup1h.point_id, Rollup1h.bucket, Rollup1h.sum, Rollup1h.count).where(
                    Rollup1h.point_id.in_(ids[i : i + 500]),
                    Rollup1h.bucket >= start,
                    Rollup1h.bucket < now_ms,
                    Rollup1h.count > 0,
                )
            )
            for pid, bucket, total, count in rows:
                if total is None or not count:
                    continue
                samples[int(pid)][hour_of_week(int(bucket), offset)].append(float(total) / int(count))
    result: Baselines = {}
    for pid, hours in samples.items():
        result[pid] = {how: (*robust(values), len(values)) for how, values in hours.items()}
    return result
