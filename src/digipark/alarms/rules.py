"""Rule conditions as data and their evaluation, kept free of the database so the per-reading path is cheap.

Condition types (`type`):
- `threshold`: `op` above | below | outside, `high` / `low`, `hysteresis` (the value must come back past the limit
  by this much before the condition ends), optional `for_s` (hold this long before it counts).
- `duration`: a threshold that must hold `for_s` seconds ("above 25 %LEL for 30 s").
- `rate`: `direction` rise | fall | either, `per_min` (change per minute over the last `window_s` seconds).
- `no_data`: the point silent past `intervals` × its expected interval (evaluated on a timer).
- `baseline`: `k` robust standard deviations (1.4826 × MAD) away from the median of the same hour of week
  (`direction` both | above | below), learned from the 1h rollups (alarms/baseline.py).
A rule holds when all its conditions hold (one condition: a plain rule; several: an AND-combination).
Readings of quality BAD (outside the instrument's range) are not evaluated.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml

from digipark.web.i18n import N_

CONDITION_TYPES = ("threshold", "duration", "rate", "no_data", "baseline")


@cache
def rule_data() -> dict[str, Any]:
    text = resources.files("digipark.alarms").joinpath("data/rules.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def default(name: str) -> Any:
    return rule_data()["defaults"][name]["value"]


def severities() -> list[str]:
    return [s["code"] for s in rule_data()["severities"]]


def severity_names(lang: str) -> dict[str, str]:
    return {s["code"]: s["name_en" if lang == "en" else "name_zh"] for s in rule_data()["severities"]}


class ConditionError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _number(c: dict[str, Any], key: str, where: str, *, required: bool = False, positive: bool = False) -> float | None:
    value = c.get(key)
    if value is None:
        if required:
            raise ConditionError(f"{where}.{key}", "required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConditionError(f"{where}.{key}", "must be a number")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ConditionError(f"{where}.{key}", "must be finite")
    if positive and number <= 0:
        raise ConditionError(f"{where}.{key}", "must be greater than 0")
    if not positive and number < 0 and key in ("hysteresis", "for_s"):
        raise ConditionError(f"{where}.{key}", "must not be negative")
    return number


def normalise_conditions(raw: Any) -> list[dict[str, Any]]:
    """Check conditions given by a user and return them in canonical form (ConditionError on the first fault)."""
    if not isinstance(raw, list) or not raw:
        raise ConditionError("conditions", "give at least one condition")
    if len(raw) > 5:
        raise ConditionError("conditions", "at most 5 conditions")
    out: list[dict[str, Any]] = []
    for i, c in enumerate(raw):
        where = f"conditions.{i}"
        if not isinstance(c, dict):
            raise ConditionError(where, "must be an object")
        kind = c.get("type")
        if kind not in CONDITION_TYPES:
            raise ConditionError(f"{where}.type", f"one of {', '.join(CONDITION_TYPES)}")
        known = {"type"}
        if kind in ("threshold", "duration"):
            known |= {"op", "high", "low", "hysteresis", "for_s"}
            op = c.get("op", "above")
            if op not in ("above", "below", "outside"):
                raise ConditionError(f"{where}.op", "one of above, below, outside")
            high = _number(c, "high", where, required=op in ("above", "outside"))
            low = _number(c, "low", where, required=op in ("below", "outside"))
            if op == "above":
                low = None
            if op == "below":
                high = None
            if op == "outside" and high is not None and low is not None and low >= high:
                raise ConditionError(f"{where}.low", "must be below high")
            hysteresis = _number(c, "hysteresis", where) or 0.0
            for_s = _number(c, "for_s", where) or 0.0
            if kind == "duration" and for_s <= 0:
                raise ConditionError(f"{where}.for_s", "a duration condition needs for_s > 0")
            if for_s > 86400:
                raise ConditionError(f"{where}.for_s", "at most 86400 s")
            out.append({"type": kind, "op": op, "high": high, "low": low, "hysteresis": hysteresis, "for_s": for_s})
        elif kind == "rate":
            known |= {"direction", "per_min", "window_s"}
            direction = c.get("direction", "rise")
            if direction not in ("rise", "fall", "either"):
                raise ConditionError(f"{where}.direction", "one of rise, fall, either")
            per_min = _number(c, "per_min", where, required=True, positive=True)
            window = _number(c, "window_s", where, positive=True) or float(default("rate_window_s"))
            if window > 86400:
                raise ConditionError(f"{where}.window_s", "at most 86400 s")
            out.append({"type": kind, "direction": direction, "per_min": per_min, "window_s": window})
        elif kind == "no_data":
            known |= {"intervals"}
            intervals = _number(c, "intervals", where, positive=True) or float(default("no_data_intervals"))
            out.append({"type": kind, "intervals": intervals})
        else:
            known |= {"k", "direction", "weeks", "min_samples", "min_mad"}
            direction = c.get("direction", "both")
            if direction not in ("both", "above", "below"):
                raise ConditionError(f"{where}.direction", "one of both, above, below")
            k = _number(c, "k", where, positive=True) or float(default("baseline_k"))
            weeks = _number(c, "weeks", where, positive=True) or float(default("baseline_weeks"))
            min_samples = _number(c, "min_samples", where, positive=True) or float(default("baseline_min_samples"))
            min_mad = _number(c, "min_mad", where) or 0.0
            if weeks > 52 or min_samples > weeks:
                raise ConditionError(f"{where}.weeks", "at most 52, and at least min_samples")
            out.append(
                {
                    "type": kind,
                    "k": k,
                    "direction": direction,
                    "weeks": int(weeks),
                    "min_samples": int(min_samples),
                    "min_mad": min_mad,
                }
            )
        unknown = sorted(set(c) - known)
        if unknown:
            raise ConditionError(f"{where}.{unknown[0]}", "unknown field")
    if len(out) > 1 and any(c["type"] == "no_data" for c in out):
        raise ConditionError("conditions", "no_data cannot be combined with other conditions")
    return out


def kind_of(conditions: list[dict[str, Any]]) -> str:
    return str(conditions[0]["type"]) if len(conditions) == 1 else "and"


DIRECTION_LABELS = {
    "rise": N_("rise"),
    "fall": N_("fall"),
    "either": N_("change"),
    "both": N_("either way"),
    "above": N_("above"),
    "below": N_("below"),
}


def describe(conditions: list[dict[str, Any]], unit: str = "", translate: Callable[[str], str] | None = None) -> str:
    """A short text of the conditions (alarm messages, the rule list), in the language of `translate` (a gettext;
    the msgids, English, without one)."""
    t = translate or (lambda message: message)
    parts = []
    for c in conditions:
        kind = c["type"]
        if kind in ("threshold", "duration"):
            if c["op"] == "above":
                text = f"> {c['high']:g}{unit}"
            elif c["op"] == "below":
                text = f"< {c['low']:g}{unit}"
            else:
                text = t("outside %(low)s–%(high)s%(unit)s") % {
                    "low": f"{c['low']:g}",
                    "high": f"{c['high']:g}",
                    "unit": unit,
                }
            if c.get("for_s"):
                text += " " + t("for %(seconds)s s") % {"seconds": f"{c['for_s']:g}"}
        elif kind == "rate":
            direction = t(DIRECTION_LABELS.get(c["direction"], c["direction"]))
            text = f"{direction} ≥ {c['per_min']:g}{unit}/min"
        elif kind == "no_data":
            text = t("no data for %(intervals)s intervals") % {"intervals": f"{c['intervals']:g}"}
        else:
            direction = t(DIRECTION_LABELS.get(c["direction"], c["direction"]))
            text = t("%(k)sσ from baseline (%(direction)s)") % {"k": f"{c['k']:g}", "direction": direction}
        parts.append(text)
    return t(" and ").join(parts)


# ---------------------------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------------------------
class CondState:
    """The state of one condition on one point: `raw` (the condition, with hysteresis) and since when."""

    __slots__ = ("raw", "since", "window")

    def __init__(self, raw: bool = False, since: int | None = None) -> None:
        self.raw = raw
        self.since = since
        self.window: deque[tuple[int, float]] | None = None

    def dump(self) -> dict[str, Any]:
        return {"on": self.raw, "since": self.since}


Baselines = dict[int, dict[int, tuple[float, float, int]]]  # point -> hour of week -> (median, MAD, samples)


@dataclasses.dataclass(frozen=True)
class Context:
    """What conditions may need beside the reading: the learned baselines, the local offset for hour of week."""

    baselines: Baselines
    offset_ms: int


def hour_of_week(ts_ms: int, offset_ms: int) -> int:
    return int(((ts_ms + offset_ms) // 3_600_000) % 168)


def evaluate(c: dict[str, Any], st: CondState, point_id: int, ts: int, value: float, ctx: Context) -> bool:
    """Update `st` with a reading; return whether the condition counts now. Changes `st.raw`/`st.since` only on
    a change of the raw condition (the caller persists on such changes)."""
    t = c["type"]
    if t in ("threshold", "duration"):
        h = c["hysteresis"]
        op = c["op"]
        on = st.raw
        high, low = c["high"], c["low"]
        if op == "above":
            raw = value > (high - h if on else high)
        elif op == "below":
            raw = value < (low + h if on else low)
        else:
            raw = value > (high - h if on else high) or value < (low + h if on else low)
        if raw != on:
            st.raw = raw
            st.since = ts if raw else None
        if not raw:
            return False
        for_s = c["for_s"]
        return not for_s or (st.since is not None and ts - st.since >= for_s * 1000)
    if t == "rate":
        window = st.window
        if window is None:
            window = st.window = deque()
        window.append((ts, value))
        horizon = ts - c["window_s"] * 1000
        while len(window) > 2 and window[0][0] < horizon:
            window.popleft()
        first_ts, first_value = window[0]
        raw = False
        if ts > first_ts and first_ts >= horizon - 1:
            per_min = (value - first_value) * 60_000 / (ts - first_ts)
            direction = c["direction"]
            limit = c["per_min"]
            raw = (
                per_min >= limit
                if direction == "rise"
                else per_min <= -limit
                if direction == "fall"
                else abs(per_min) >= limit
            )
        if raw != st.raw:
            st.raw = raw
            st.since = ts if raw else None
        return bool(raw)
    if t == "baseline":
        table = ctx.baselines.get(point_id)
        found = table.get(hour_of_week(ts, ctx.offset_ms)) if table else None
        raw = False
        if found is not None and found[2] >= c["min_samples"]:
            median, mad, _n = found
            scale = max(float(default("mad_to_sigma")) * mad, c["min_mad"], 1e-9)
            deviation = (value - median) / scale
            direction = c["direction"]
            k = c["k"]
            if direction == "above":
                raw = deviation > k
            elif direction == "below":
                raw = deviation < -k
            else:
                raw = abs(deviation) > k
        if raw != st.raw:
            st.raw = raw
            st.since = ts if raw else None
        return bool(raw)
    return False  # no_data: on the timer


def no_data_holds(c: dict[str, Any], last_ts: int | None, since_ms: int, now_ms: int, interval_s: int) -> bool:
    reference = last_ts if last_ts is not None else since_ms
    return bool(now_ms - reference > c["intervals"] * interval_s * 1000)
