"""Evaluation data of the demo park: the values a park declares where the platform has no source yet (with a
generated evidence file each), and last year's signed assessment, so the demo's evaluation shows a realistic,
partly met picture with a year-on-year comparison. Idempotent: a park with declarations is left alone.

Called after the demo park, its statistics and its transformation data exist:
`build_evaluation_demo(session, park_id=..., as_of=...)`. Nothing in it is drawn at random: the `seed` every demo
builder is given is not used.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digipark.auth.models import Role
from digipark.auth.permissions import all_permissions
from digipark.auth.scope import Scope
from digipark.evaluation import service
from digipark.evaluation.models import IndicatorDeclaration

# indicator -> (value, note); the values are the demo park's, chosen so that some indicators are met
DEMO_DECLARATIONS: dict[str, tuple[float, str]] = {
    "compute_in_use": (14, "园区智算中心（300P）2025 年签约使用企业 14 家，见运营月报。"),
    "data_sharing": (6, "园区可信数据空间上架数据产品 6 个（能耗、物流、设备运维等）。"),
    "security_grading": (58.0, "工业企业 62 家完成工业互联网安全分类分级备案 36 家。"),
}


def build_evaluation_demo(
    session: Session, *, park_id: int, as_of: dt.date | None = None, seed: int | None = None
) -> dict[str, int]:
    existing = session.scalar(
        select(func.count()).select_from(IndicatorDeclaration).where(IndicatorDeclaration.park_id == park_id)
    )
    if existing:
        return {"declarations": 0, "assessments": 0}
    scope = Scope(
        role=Role.PARK_ADMIN,
        username="admin",
        park_id=park_id,
        read_parks=frozenset({park_id}),
        permissions=all_permissions(),
    )
    for indicator, (value, note) in DEMO_DECLARATIONS.items():
        evidence = f"{indicator}\n{note}\n".encode()
        service.declare(
            session,
            scope=scope,
            indicator=indicator,
            value=value,
            note=note,
            evidence_name=f"{indicator}-evidence.txt",
            evidence_type="text/plain",
            evidence_content=evidence,
        )
    year = (as_of or service.today()).year - 1
    signed = 0
    if year >= service.MIN_YEAR:
        service.sign(session, scope=scope, year=year, note="演示：上一年度自评")
        signed = 1
    return {"declarations": len(DEMO_DECLARATIONS), "assessments": signed}
