"""Solid waste rules from data/waste.yaml: general industrial solid waste categories (SWxx), hazardous waste
categories (HWxx) and waste codes, the hazardous waste storage limit, the ledger's balance and the rates.

The monthly ledger of one category: opening (the previous month's closing storage) + generated must cover
utilised + disposed + closing storage; what is left over (lost, or not yet booked) is shown, never negative.
Utilisation rate = utilised / (generated + opening storage of the period); disposal rate likewise.
A hazardous waste batch must leave storage within `storage_limit.days` of being stored (or by an approved
extension); from `warn_days_before` before that it is "due soon", after it "overdue".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import cache

from digipark.environment.pollution import _load_yaml

EPSILON_T = 1e-9


@dataclasses.dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclasses.dataclass(frozen=True)
class WasteData:
    general: dict[str, Category]
    general_status: str
    general_source: str
    hazardous: dict[str, Category]
    hazardous_status: str
    hazardous_source: str
    waste_code_pattern: re.Pattern[str]
    storage_days: int
    storage_status: str
    storage_source: str
    warn_days: int
    rates_status: str
    rates_source: str
    sources: dict[str, str]
    sources_en: dict[str, str]


@cache
def data() -> WasteData:
    raw = _load_yaml("waste.yaml")
    general = raw["general_categories"]
    hazardous = raw["hazardous_categories"]
    storage = raw["storage_limit"]
    return WasteData(
        general={
            code: Category(code, str(v["name_zh"]), str(v.get("name_en") or ""))
            for code, v in general["values"].items()
        },
        general_status=str(general["status"]),
        general_source=str(general["source"]),
        hazardous={code: Category(code, str(name), "") for code, name in hazardous["values"].items()},
        hazardous_status=str(hazardous["status"]),
        hazardous_source=str(hazardous["source"]),
        waste_code_pattern=re.compile(str(hazardous["waste_code_pattern"])),
        storage_days=int(storage["days"]),
        storage_status=str(storage["status"]),
        storage_source=str(storage["source"]),
        warn_days=int(storage["warn_days_before"]),
        rates_status=str(raw["rates"]["status"]),
        rates_source=str(raw["rates"]["source"]),
        sources={str(k): str(v) for k, v in raw["meta"]["sources"].items()},
        sources_en={str(k): str(v) for k, v in (raw["meta"].get("sources_en") or {}).items()},
    )


def waste_code_problem(category: str, waste_code: str) -> str | None:
    """Why a 废物代码 does not fit its HW category, or None."""
    d = data()
    if not d.waste_code_pattern.match(waste_code):
        return "a waste code has the form 900-249-08 (eight digits)"
    if waste_code[-2:] != category[-2:]:
        return f"waste code {waste_code} belongs to HW{waste_code[-2:]}, not {category}"
    return None


def unaccounted(opening: float, generated: float, utilised: float, disposed: float, stored: float) -> float:
    """What the month's outflows and closing storage leave of opening + generated (negative: impossible)."""
    return opening + generated - utilised - disposed - stored


def balance_problem(opening: float, generated: float, utilised: float, disposed: float, stored: float) -> str | None:
    left = unaccounted(opening, generated, utilised, disposed, stored)
    if left < -EPSILON_T:
        return (
            f"utilised {utilised:g} + disposed {disposed:g} + in storage {stored:g} t exceed opening storage "
            f"{opening:g} + generated {generated:g} t by {-left:g} t"
        )
    return None


def rate(part: float, generated: float, opening: float) -> float | None:
    """part / (generated + opening), as a percentage; None when nothing was there."""
    base = generated + opening
    return None if base <= EPSILON_T else part / base * 100.0


@dataclasses.dataclass(frozen=True)
class StorageState:
    deadline: dt.date
    days_left: int
    state: str  # ok | due_soon | overdue | cleared


def storage_state(stored_on: dt.date, extended_to: dt.date | None, remaining_t: float, today: dt.date) -> StorageState:
    d = data()
    deadline = extended_to or stored_on + dt.timedelta(days=d.storage_days)
    days_left = (deadline - today).days
    if remaining_t <= EPSILON_T:
        state = "cleared"
    elif days_left < 0:
        state = "overdue"
    elif days_left <= d.warn_days:
        state = "due_soon"
    else:
        state = "ok"
    return StorageState(deadline, days_left, state)
