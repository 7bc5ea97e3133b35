"""The "digitally renovated" (数字化改造) rule: one documented rule over an enterprise's confirmed SME assessments
and verified certificates, kept as configuration in `data/maturity_levels.yaml` (`renovation_rule`).

An enterprise is renovated on a date when any clause of `any_of` holds:
- `{scale: SME2024, min_level: L, max_age_years: N}`: a park-confirmed SME digital-level assessment of level
  >= L, of a year > as_of.year - N (and <= as_of.year), confirmed on or before as_of;
- `{scale: GBT39116 | SMART_FACTORY, min_level: L}`: a certificate of that scale with level >= L, verified by
  the park, issued on or before as_of and not expired (valid_to empty or >= as_of).

`judge` is pure: the service gathers the records and calls it. `lacks` are untranslated msgids (English),
translated in the transformation catalog; pages call gettext on them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import yaml


def N_(message: str) -> str:
    return message


LACK_NO_ASSESSMENT = N_("No park-confirmed SME digital-level assessment in the recent years")
LACK_LOW_LEVEL = N_("SME digital level below the level the rule requires")
LACK_AWAITING_REVIEW = N_("SME digital-level assessment waiting for the park's review")
LACK_NO_GBT39116 = N_("No verified GB/T 39116 maturity certificate at the level the rule requires")
LACK_NO_SMART_FACTORY = N_("No verified smart-factory certificate at the level the rule requires")
LACK_UNVERIFIED = N_("A certificate waits for the park's verification")
LACK_MESSAGES = (
    LACK_NO_ASSESSMENT,
    LACK_LOW_LEVEL,
    LACK_AWAITING_REVIEW,
    LACK_NO_GBT39116,
    LACK_NO_SMART_FACTORY,
    LACK_UNVERIFIED,
)
SME = "SME2024"
SCALES = (SME, "GBT39116", "SMART_FACTORY")


@dataclasses.dataclass(frozen=True)
class Clause:
    scale: str
    min_level: int
    max_age_years: int | None = None


@dataclasses.dataclass(frozen=True)
class Rule:
    any_of: tuple[Clause, ...]
    source: str
    status: str


@dataclasses.dataclass(frozen=True)
class ScaleLevel:
    level: int
    name: str


@dataclasses.dataclass(frozen=True)
class Scale:
    code: str
    name: str
    name_en: str
    levels: tuple[ScaleLevel, ...]

    def level_name(self, level: int | None) -> str | None:
        return next((lv.name for lv in self.levels if lv.level == level), None)


@dataclasses.dataclass(frozen=True)
class AssessmentFact:
    year: int
    status: str
    level: int
    confirmed_on: dt.date | None


@dataclasses.dataclass(frozen=True)
class CertificateFact:
    scale: str
    level: int
    certificate_no: str
    issued_on: dt.date
    valid_to: dt.date | None
    verified: bool


@dataclasses.dataclass(frozen=True)
class Judgement:
    renovated: bool
    basis: str | None
    lacks: list[str]


@cache
def _raw() -> dict[str, Any]:
    text = resources.files("digipark.transformation").joinpath("data", "maturity_levels.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise RuntimeError("malformed transformation/data/maturity_levels.yaml")
    return raw


def parse_rule(raw: dict[str, Any]) -> Rule:
    clauses = []
    for item in raw["any_of"]:
        scale = str(item["scale"])
        if scale not in SCALES:
            raise ValueError(f"renovation rule: unknown scale {scale!r}")
        age = item.get("max_age_years")
        clauses.append(Clause(scale, int(item["min_level"]), int(age) if age is not None else None))
    return Rule(tuple(clauses), str(raw.get("source", "")), str(raw.get("status", "")))


@cache
def default_rule() -> Rule:
    return parse_rule(_raw()["renovation_rule"])


@cache
def scales() -> dict[str, Scale]:
    return {
        str(s["code"]): Scale(
            code=str(s["code"]),
            name=str(s["name"]),
            name_en=str(s.get("name_en", s["name"])),
            levels=tuple(ScaleLevel(int(lv["level"]), str(lv["name"])) for lv in s["levels"]),
        )
        for s in _raw()["scales"]
    }


def basis_in_english(basis: str) -> str:
    """A basis `judge` wrote ("<scale> <level name> (<year or certificate>)") with the scale's English name and the
    level as "level n", for an English page; text it did not write is returned as it is."""
    for scale in scales().values():
        if basis.startswith(scale.name):
            rest = basis[len(scale.name) :]
            for lv in sorted(scale.levels, key=lambda lv: -len(lv.name)):
                if lv.name in rest:
                    rest = rest.replace(lv.name, f"level {lv.level}", 1)
                    break
            return scale.name_en + rest
    return basis


def _sme_clause(clause: Clause, assessments: Sequence[AssessmentFact], as_of: dt.date) -> tuple[str | None, str]:
    """(basis, lack) of one SME clause: basis when it holds, else the most telling lack."""
    first_year = as_of.year - clause.max_age_years + 1 if clause.max_age_years else None
    in_window = [a for a in assessments if a.year <= as_of.year and (first_year is None or a.year >= first_year)]
    confirmed = [a for a in in_window if a.status == "confirmed" and a.confirmed_on and a.confirmed_on <= as_of]
    good = [a for a in confirmed if a.level >= clause.min_level]
    if good:
        best = max(good, key=lambda a: (a.level, a.year))
        name = scales()[SME].level_name(best.level) or str(best.level)
        return f"{scales()[SME].name} {name} ({best.year})", ""
    if any(a.status == "submitted" for a in in_window):
        return None, LACK_AWAITING_REVIEW
    if confirmed:
        return None, LACK_LOW_LEVEL
    return None, LACK_NO_ASSESSMENT


def _certificate_clause(
    clause: Clause, certificates: Sequence[CertificateFact], as_of: dt.date
) -> tuple[str | None, str]:
    current = [
        c
        for c in certificates
        if c.scale == clause.scale and c.issued_on <= as_of and (c.valid_to is None or c.valid_to >= as_of)
    ]
    good = [c for c in current if c.verified and c.level >= clause.min_level]
    if good:
        best = max(good, key=lambda c: (c.level, c.issued_on))
        scale = scales()[clause.scale]
        return f"{scale.name}: {scale.level_name(best.level) or best.level} ({best.certificate_no})", ""
    if any(not c.verified and c.level >= clause.min_level for c in current):
        return None, LACK_UNVERIFIED
    return None, LACK_NO_GBT39116 if clause.scale == "GBT39116" else LACK_NO_SMART_FACTORY


def judge(
    rule: Rule, assessments: Iterable[AssessmentFact], certificates: Iterable[CertificateFact], as_of: dt.date
) -> Judgement:
    """Whether the rule holds for one enterprise's records on `as_of`; what it lacks otherwise."""
    assessment_list, certificate_list = list(assessments), list(certificates)
    lacks: list[str] = []
    for clause in rule.any_of:
        if clause.scale == SME:
            basis, lack = _sme_clause(clause, assessment_list, as_of)
        else:
            basis, lack = _certificate_clause(clause, certificate_list, as_of)
        if basis is not None:
            return Judgement(True, basis, [])
        if lack not in lacks:
            lacks.append(lack)
    return Judgement(False, None, lacks)
