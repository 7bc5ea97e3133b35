"""The park's 能耗双控: total energy consumption (tce, equivalent value) and intensity (tce per 万元 of output value)
by month of a year against the park's targets, with the enterprises contributing most — free of the database.

Targets (automation/data/dual_control.yaml, with their source): the year's intensity target is the previous
year's intensity × (1 − the yearly reduction); the total target is the allocated quota (`total_tce`) or the
previous year's total × (1 + the growth cap). Month by month the figures are cumulative from January: the total to
date against the target's pro-rata share by the previous year's same months (a park's consumption is seasonal,
so the comparison follows the previous year's shape; evenly by month when the previous year has none), and the
intensity to date against the intensity target."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def targets_data() -> dict[str, Any]:
    text = resources.files("digipark.automation").joinpath("data/dual_control.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@dataclasses.dataclass(frozen=True)
class Month:
    month: int
    tce: float
    output: float  # 万元
    tce_to_date: float
    output_to_date: float
    total_target_to_date: float | None
    intensity_to_date: float | None
    total_ok: bool | None
    intensity_ok: bool | None


@dataclasses.dataclass(frozen=True)
class Contributor:
    enterprise_id: int
    name: str
    tce: float
    share: float  # of the park's total
    intensity: float | None


@dataclasses.dataclass(frozen=True)
class DualControl:
    year: int
    total_tce: float
    total_target: float | None
    intensity: float | None
    intensity_target: float | None
    previous_intensity: float | None
    months: list[Month]
    contributors: list[Contributor]
    source: str  # the targets' source note, Chinese
    previous_year_complete: bool = True  # False: a month of the previous year has no consumption, no target from it
    source_en: str = ""  # the note in English


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def view(
    year: int,
    tce: Sequence[float],
    output: Sequence[float],
    previous_tce: Sequence[float],
    previous_output: Sequence[float],
    ranking: Sequence[tuple[int, str, float, float | None]],
    *,
    months: int = 12,
    targets: dict[str, Any] | None = None,
) -> DualControl:
    """`tce`, `output` (and the previous year's) per month; `ranking`: (enterprise, name, tce, intensity).
    `months`: the months of the year that have passed (later ones are shown without a verdict)."""
    data = targets if targets is not None else targets_data()
    previous_complete = all(v > 0 for v in previous_tce) and all(v > 0 for v in previous_output)
    prev_total, prev_output = sum(previous_tce), sum(previous_output)
    prev_intensity = _ratio(prev_total, prev_output) if previous_complete else None
    reduction = float(data.get("intensity_reduction_per_year") or 0.0)
    intensity_target = prev_intensity * (1 - reduction) if prev_intensity is not None else None
    if data.get("total_tce"):
        total_target: float | None = float(data["total_tce"])
    elif previous_complete and prev_total > 0:
        total_target = prev_total * (1 + float(data.get("total_growth_cap") or 0.0))
    else:
        total_target = None
    out: list[Month] = []
    running_tce = running_output = running_prev = 0.0
    for i in range(12):
        running_tce += tce[i]
        running_output += output[i]
        running_prev += previous_tce[i]
        share = running_prev / prev_total if prev_total > 0 else (i + 1) / 12
        target_to_date = total_target * share if total_target is not None else None
        intensity_to_date = _ratio(running_tce, running_output)
        passed = i < months
        out.append(
            Month(
                i + 1,
                tce[i],
                output[i],
                running_tce,
                running_output,
                target_to_date,
                intensity_to_date,
                running_tce <= target_to_date if passed and target_to_date is not None else None,
                intensity_to_date <= intensity_target
                if passed and intensity_to_date is not None and intensity_target is not None
                else None,
            )
        )
    total = sum(tce[:months])
    top = sorted(ranking, key=lambda r: -r[2])[: int(data.get("top_contributors") or 5)]
    return DualControl(
        year,
        total,
        total_target,
        _ratio(total, sum(output[:months])),
        intensity_target,
        prev_intensity,
        out,
        [Contributor(e, n, t, t / total if total else 0.0, k) for e, n, t, k in top],
        str(data.get("source", "")),
        previous_complete,
        str(data.get("source_en", "")),
    )
