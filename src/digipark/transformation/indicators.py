"""The guide's indicators computed from the transformation domain's records (declared in transformation.module):
S1.1 industrial internet coverage of the industry divisions, S1.2 digital renovation of the 规上 industrial
enterprises — from the adoption records and the renovation rule
(data/maturity_levels.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from digipark.evaluation.provides import Computed, Gap, IndicatorContext, division, enterprise_row, share
from digipark.transformation.facts import Adoption, RenovationStatus, adoption, renovation_status


def _renovation(ctx: IndicatorContext) -> Mapping[int, RenovationStatus]:
    """Each active industrial enterprise's renovation status, read once per evaluation."""
    result: Mapping[int, RenovationStatus] = ctx.cached(
        "transformation.renovation", lambda: renovation_status(ctx.session, park_id=ctx.park_id, as_of=ctx.as_of)
    )
    return result


def _adoption(ctx: IndicatorContext) -> Mapping[int, Adoption]:
    """Each active enterprise's adoption of digital tools, read once per evaluation."""
    result: Mapping[int, Adoption] = ctx.cached(
        "transformation.adoption", lambda: adoption(ctx.session, park_id=ctx.park_id, as_of=ctx.as_of)
    )
    return result


def _flag(value: Any) -> bool:
    """An adoption field as yes/no: booleans, counts and lists alike (robots: a count; services: a list)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value > 0
    return bool(value)


def _lacks(status: Any) -> list[str]:
    lacks = getattr(status, "lacks", None)
    if lacks is None:
        return []
    if isinstance(lacks, str):
        return [lacks] if lacks else []
    return [str(item) for item in lacks]


# -- S1 ------------------------------------------------------------------------------------------------------------
def industrial_internet_coverage(ctx: IndicatorContext) -> Computed:
    """Divisions (大类) present among the industrial enterprises; covered when one of them uses industrial
    internet (its adoption record)."""
    adoption = _adoption(ctx)
    divisions: dict[str, dict[str, Any]] = {}
    for e in ctx.industrial():
        code, name_zh, name_en = division(e.industry_code)
        row = divisions.setdefault(
            code,
            {
                "division": code,
                "industry": f"{code} {name_zh}",
                "industry_en": f"{code} {name_en or name_zh}",
                "enterprises": 0,
                "users": 0,
                "user_names": [],
            },
        )
        row["enterprises"] += 1
        if _flag(getattr(adoption.get(e.id), "industrial_internet", False)):
            row["users"] += 1
            row["user_names"].append(e.name)
    rows = []
    gaps = []
    for code in sorted(divisions):
        row = divisions[code]
        row["ok"] = row["users"] > 0
        row["user_names"] = "、".join(row["user_names"][:5])
        rows.append(row)
        if not row["ok"]:
            gaps.append(
                Gap(
                    "division",
                    row["industry"],
                    "industrial_internet",
                    params={"count": row["enterprises"], "industry_en": row["industry_en"]},
                )
            )
    covered = sum(1 for r in rows if r["ok"])
    return Computed(
        share(covered, len(rows)),
        covered,
        len(rows),
        columns=["industry", "enterprises", "users", "user_names", "ok"],
        rows=rows,
        gaps=gaps,
    )


def renovation_coverage(ctx: IndicatorContext) -> Computed:
    """规上 industrial enterprises digitally renovated under the transformation domain's configured rule."""
    status = _renovation(ctx)
    rows = []
    gaps = []
    for e in ctx.above_scale():
        found = status.get(e.id)
        renovated = bool(getattr(found, "renovated", False))
        lacks = _lacks(found) if found is not None and not renovated else []  # msgids, translated when shown
        row = {
            **enterprise_row(e),
            "basis": str(getattr(found, "basis", "") or "") if renovated else "",
            "lacks": lacks,
            "no_record": found is None,
            "ok": renovated,
        }
        rows.append(row)
        if not renovated:
            action = "assess" if found is None else "renovate"
            gaps.append(Gap("enterprise", e.name, action, e.id, {"lacks": lacks}))
    done = sum(1 for r in rows if r["ok"])
    return Computed(
        share(done, len(rows)),
        done,
        len(rows),
        columns=["enterprise", "uscc", "industry", "basis", "lacks", "ok"],
        rows=rows,
        gaps=gaps,
    )
