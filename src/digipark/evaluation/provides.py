"""What the evaluation offers the modules that compute an indicator (`Module.indicators`): the context a formula
reads, the result it returns and the helpers formulas share (an enterprise's drill-down row, industry divisions,
online points per device); for the operations centre, scheduled reports and dashboards the evaluation of a
year as the caller may read it (`evaluation_for_year`: the four construction standards, met or not, with their
progress) and its report file (`render_report`: pdf, xlsx or html)."""

from digipark.evaluation.indicators import (
    Computed,
    Gap,
    IndicatorContext,
    NoSource,
    Part,
    division,
    enterprise_row,
    online_points_of,
    point_states,
    share,
)
from digipark.evaluation.report import render as render_report
from digipark.evaluation.service import for_year as evaluation_for_year

__all__ = [
    "Computed",
    "Gap",
    "IndicatorContext",
    "NoSource",
    "Part",
    "division",
    "enterprise_row",
    "evaluation_for_year",
    "online_points_of",
    "point_states",
    "render_report",
    "share",
]
