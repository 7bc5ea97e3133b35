"""GB 18218-2018 major hazard sources (危险化学品重大危险源辨识): the critical quantity Q of each substance (table 1,
else table 2 by hazard category), S = Σ q/Q (a major hazard source when S ≥ 1), R = α × Σ β·q/Q with α from the
exposed population (table 5) and β from table 3 (toxic gases) or table 4 (by category), and the grade 一级–四级
(table 6). The tables are data (data/major_hazard.yaml, copied from the reference with its sources)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml

GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
PRECISION = 9  # digits R and S are rounded to before comparing with the table's bounds (12.5/5*4 is 10, not 9.99…)


class HazardInputError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class SubstanceInput:
    name: str
    quantity_t: float
    cas: str | None = None
    categories: Sequence[str] = ()  # table 2 symbols (J1 … W11); required when not in table 1, or for β of R


@dataclasses.dataclass(frozen=True)
class SubstanceResult:
    name: str
    cas: str | None
    quantity_t: float
    table1_seq: int | None  # the row of table 1, or None when Q came from table 2
    category: str | None  # the table 2 symbol Q or β came from
    critical_t: float  # Q
    beta: float | None  # None: not in table 3 and no category given, which only a unit below S = 1 may leave out
    beta_source: str | None  # "table3" | "table4" | None
    ratio: float  # q/Q


@dataclasses.dataclass(frozen=True)
class Identification:
    substances: list[SubstanceResult]
    s: float  # Σ q/Q
    major: bool  # S ≥ 1
    exposed_people: int
    alpha: float
    weighted_sum: float | None  # Σ β q/Q, when every β is known (always for a major hazard source)
    r: float | None  # α Σ β q/Q, for a major hazard source
    grade: int | None  # 1–4 (一级–四级) for a major hazard source

    @property
    def grade_name(self) -> str | None:
        return GRADE_NAMES.get(self.grade) if self.grade else None


@cache
def tables() -> dict[str, Any]:
    text = resources.files("digipark.safety").joinpath("data", "major_hazard.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed safety/data/major_hazard.yaml")
    return raw


def _norm(text: str) -> str:
    return "".join(text.split()).replace("（", "(").replace("）", ")").lower()


@cache
def _table1_index() -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    by_name: dict[str, dict[str, Any]] = {}
    by_cas: dict[str, list[dict[str, Any]]] = {}
    for row in tables()["substances"]:
        for name in [row["name"], *(row.get("aliases") or [])]:
            by_name.setdefault(_norm(str(name)), row)
        cas = row.get("cas")
        for number in cas if isinstance(cas, list) else [cas] if cas else []:
            by_cas.setdefault(str(number), []).append(row)
    return by_name, by_cas


def categories() -> dict[str, dict[str, Any]]:
    return {str(v["symbol"]): dict(v) for v in tables()["categories"]["values"]}


def find_table1(name: str, cas: str | None) -> dict[str, Any] | None:
    """The table 1 row of a substance: by name or alias first (several rows share a CAS number, e.g. 硝酸铵), then
    by CAS when exactly one row has it."""
    by_name, by_cas = _table1_index()
    row = by_name.get(_norm(name))
    if row is not None:
        return row
    if cas:
        rows = by_cas.get(cas.strip(), [])
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            names = "、".join(str(r["name"]) for r in rows)
            raise HazardInputError("name", f"CAS {cas} matches several rows of table 1 ({names}); give the name")
    return None


def beta_table3(name: str, cas: str | None) -> float | None:
    for row in tables()["beta_toxic"]["values"]:
        names = {_norm(str(row["substance"])), *([_norm(str(row["alias"]))] if row.get("alias") else [])}
        if _norm(name) in names or (cas and row.get("cas") == cas.strip()):
            return float(row["beta"])
    # a table 1 alias (液氯 → 氯) names the same substance
    found = find_table1(name, cas)
    if found is not None and _norm(str(found["name"])) != _norm(name):
        return beta_table3(str(found["name"]), None)
    return None


def beta_table4() -> dict[str, float]:
    return {str(v["symbol"]): float(v["beta"]) for v in tables()["beta_by_category"]["values"]}


def alpha(exposed_people: int) -> float:
    if exposed_people < 0:
        raise HazardInputError("exposed_people", "must not be negative")
    for row in tables()["alpha"]["values"]:
        low, high = int(row["min_people"]), row["max_people"]
        if exposed_people >= low and (high is None or exposed_people <= int(high)):
            return float(row["value"])
    raise AssertionError("table 5 covers every count")


def grade(r: float) -> int:
    value = round(r, PRECISION)
    for row in tables()["grades"]["values"]:
        low, high = row["min_r"], row["max_r"]
        if (low is None or value >= float(low)) and (high is None or value < float(high)):
            return int(row["level"])
    raise AssertionError("table 6 covers every R")


def _substance(index: int, item: SubstanceInput) -> SubstanceResult:
    field = f"substances.{index}"
    if not item.name.strip():
        raise HazardInputError(f"{field}.name", "required")
    if not item.quantity_t >= 0:
        raise HazardInputError(f"{field}.quantity_t", "must be zero or more tonnes")
    known = categories()
    for symbol in item.categories:
        if symbol not in known:
            raise HazardInputError(f"{field}.categories", f"{symbol!r} is not a category of table 2 (J1 … W11)")
    try:
        row = find_table1(item.name, item.cas)
    except HazardInputError as exc:
        raise HazardInputError(f"{field}.{exc.field}", exc.reason) from None
    betas = beta_table4()
    category: str | None = None
    if row is not None:
        critical = float(row["critical_t"])
        seq: int | None = int(row["seq"])
    else:
        if not item.categories:
            raise HazardInputError(
                f"{field}.categories", "not in table 1: give its hazard categories (table 2) to find Q"
            )
        # 4.2.1: several hazards → the lowest critical quantity; β of that category (the greater on a tie)
        category = min(item.categories, key=lambda c: (float(known[c]["critical_t"]), -betas[c]))
        critical = float(known[category]["critical_t"])
        seq = None
    beta = beta_table3(item.name, item.cas)
    source: str | None = "table3"
    if beta is None and (category is not None or item.categories):
        if category is None:
            category = max(item.categories, key=lambda c: betas[c])
        beta = betas[category]
        source = "table4"
    elif beta is None:
        source = None  # β is needed only for R (4.3): `identify` asks for the category when the unit is major
    return SubstanceResult(
        name=str(row["name"]) if row is not None and _norm(str(row["name"])) == _norm(item.name) else item.name,
        cas=item.cas or (str(row["cas"]) if row is not None and isinstance(row.get("cas"), str) else None),
        quantity_t=item.quantity_t,
        table1_seq=seq,
        category=category,
        critical_t=critical,
        beta=beta,
        beta_source=source,
        ratio=item.quantity_t / critical,
    )


def identify(substances: Sequence[SubstanceInput], exposed_people: int) -> Identification:
    """Identification (4.2) and grading (4.3) of one unit."""
    if not substances:
        raise HazardInputError("substances", "at least one substance")
    results = [_substance(i, s) for i, s in enumerate(substances)]
    s = round(sum(r.ratio for r in results), PRECISION)
    a = alpha(exposed_people)
    major = s >= float(tables()["identification"]["threshold"])
    unknown_beta = [index for index, r in enumerate(results) if r.beta is None]
    if major and unknown_beta:
        raise HazardInputError(
            f"substances.{unknown_beta[0]}.categories",
            "a major hazard source (S ≥ 1) is graded by R: this substance is not in table 3, "
            "give its hazard category (table 2) to find β (table 4)",
        )
    weighted = None if unknown_beta else round(sum((r.beta or 0.0) * r.ratio for r in results), PRECISION)
    r_value = round(a * weighted, PRECISION) if major and weighted is not None else None
    return Identification(
        substances=results,
        s=s,
        major=major,
        exposed_people=exposed_people,
        alpha=a,
        weighted_sum=weighted,
        r=r_value,
        grade=grade(r_value) if r_value is not None else None,
    )
