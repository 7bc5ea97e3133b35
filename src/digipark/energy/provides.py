"""What the energy domain offers other domains: an enterprise's carbon account and the park's figures per
enterprise; for automation's billing, Sankey and plans: the meters with their monthly consumption of a year
(`year_data`, `MeterInfo`, `MeterLevel`), the park's time-of-use tariff in force (`tariff_for`) and
its name in a page's language (`tariff_name`), the meter tree
(`meter_tree`) and the split of a consumption series into its bands (`tariff_split`, `minute_bands`); for
scheduled reports: an enterprise's carbon report file (`render_enterprise_report`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from digipark.energy.accounts import MeterInfo, enterprise_account, enterprise_figures, park_summary, year_data
from digipark.energy.models import EnergyMeter, MeterLevel
from digipark.energy.report import render as render_enterprise_report
from digipark.energy.settings import tariff_for, tariff_name
from digipark.energy.tariffs import minute_bands
from digipark.energy.tariffs import split as tariff_split

__all__ = [
    "MeterInfo",
    "MeterLevel",
    "enterprise_account",
    "enterprise_figures",
    "meter_tree",
    "minute_bands",
    "park_summary",
    "render_enterprise_report",
    "tariff_for",
    "tariff_name",
    "tariff_split",
    "year_data",
]


def meter_tree(session: Session, *, park_id: int) -> list[dict[str, Any]]:
    """The park's active meters with their place in the tree: id, parent_id, name, name_en, code, level, carrier, flow,
    source, point_id, building_id, enterprise_id (automation's Sankey and bills)."""
    rows = session.scalars(
        select(EnergyMeter).where(EnergyMeter.park_id == park_id, EnergyMeter.active.is_(True)).order_by(EnergyMeter.id)
    )
    return [
        {
            "id": m.id,
            "parent_id": m.parent_id,
            "name": m.name,
            "name_en": m.name_en,
            "code": m.code,
            "level": m.level,
            "carrier": m.carrier,
            "flow": m.flow,
            "source": m.source,
            "point_id": m.point_id,
            "building_id": m.building_id,
            "enterprise_id": m.enterprise_id,
        }
        for m in rows
    ]
